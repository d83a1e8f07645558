/**
 * The levels of the breadth-first search, as this thread holds them: segments of the
 * batch results (or of the level in this thread) that stored their states, cut into the
 * pieces a batch reads (batch.ts Piece); and the arithmetic of kept candidates that the
 * merge of a pooled level needs.
 */
import type { Piece } from './batch.js';

/**
 * A BFS level: `n` states with consecutive ids from `firstId`, all at `depth`. Its states
 * stay where the batches of the level before wrote them, one segment per batch result
 * (its kept candidates, in order): the main thread never copies them, and a batch of this
 * level reads its states from the segments it spans (`piecesOf`).
 */
export interface Level {
  readonly firstId: number;
  readonly n: number;
  readonly depth: number;
  readonly segs: readonly Segment[];
  /** The index in the level of each segment's first state. */
  readonly starts: readonly number[];
}

/** The kept candidates of one batch result: its records, and which of them are kept (null: the first `count`). */
export interface Segment {
  readonly records: Int32Array;
  readonly kept: Int32Array | null;
  readonly count: number;
}

export function levelOf(firstId: number, depth: number, segs: readonly Segment[]): Level {
  const starts: number[] = [];
  let n = 0;
  for (const s of segs) {
    starts.push(n);
    n += s.count;
  }
  return { firstId, n, depth, segs, starts };
}

/** The pieces (batch.ts) of states `offset` to `offset + count` of a level. */
export function piecesOf(level: Level, offset: number, count: number): Piece[] {
  const out: Piece[] = [];
  // The last segment that starts at or before `offset`.
  let lo = 0;
  let hi = level.segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (level.starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  for (let k = lo, at = offset, left = count; left > 0; k++) {
    const seg = level.segs[k]!;
    const from = at - level.starts[k]!;
    const take = Math.min(left, seg.count - from);
    if (take <= 0) continue;
    out.push({ records: seg.records, kept: seg.kept, from, count: take });
    at += take;
    left -= take;
  }
  return out;
}

/** The records of a level's states, in order, as one array (for a checkpoint). */
export function levelRecords(level: Level, size: number): Int32Array {
  const out = new Int32Array(level.n * size);
  let at = 0;
  for (const seg of level.segs) {
    if (seg.kept === null) {
      out.set(seg.records.subarray(0, seg.count * size), at);
      at += seg.count * size;
    } else
      for (let q = 0; q < seg.count; q++) {
        const r = seg.kept[q]!;
        out.set(seg.records.subarray(r * size, (r + 1) * size), at);
        at += size;
      }
  }
  return out;
}

let ids = new Int32Array(0);
/** 0, 1, … n - 1 (a shared view: read only). */
export function identity(n: number): Int32Array {
  if (ids.length < n) {
    ids = new Int32Array(Math.max(n, ids.length * 2));
    for (let i = 0; i < ids.length; i++) ids[i] = i;
  }
  return ids.subarray(0, n);
}

/** Index, among the kept candidates (ascending), of candidate `c`. */
export function countBelow(kept: Int32Array, c: number): number {
  let lo = 0;
  let hi = kept.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (kept[mid]! < c) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of kept candidates whose transition is at or before `tx`. */
export function countUpToTx(kept: Int32Array, tx: Int32Array, upTo: number): number {
  let lo = 0;
  let hi = kept.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tx[kept[mid]!]! <= upTo) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
