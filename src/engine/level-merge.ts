/**
 * The merge of a level run on the pool: the batches' results replayed in sequential
 * order. It numbers the kept successors (a state claimed by several batches belongs to
 * the oldest, which logs the takeover so that the younger one drops its copy), pushes
 * their parent links, and finds the first event (violation, fault, error, deadlock,
 * limit) by (batch, state, transition), with the counts at that point (batch.ts records
 * the positions): exactly what the search in this thread meets, in the same order.
 */
import { MmraceError } from '../errors.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import { resultBuffers, type BatchMode, type BatchResult, type MarkAt } from './batch.js';
import { DEADLOCK, invariantViolation, pathPlus } from './judge.js';
import { countBelow, countUpToTx, identity, levelOf, type Level, type Segment } from './level.js';
import { shardOf, type LevelSearch } from './levels.js';
import type { FoundViolation, Path } from './result.js';

/** An event of a level, at a position of one batch (see batch.ts). */
interface Event {
  readonly i: number;
  readonly tx: number;
  /**
   * Order at one position: 0, the --max-states cut (checked before the new state's
   * invariants); 1, an event of a transition; 2, an event of a whole state.
   */
  readonly rank: 0 | 1 | 2;
  readonly what:
    /** A candidate's invariant violation or error (with allViolations, a candidate may have several). */
    | { readonly kind: 'mark'; readonly c: number; readonly mk: MarkAt }
    | { readonly kind: 'fault'; readonly f: BatchResult['faults'][number] }
    | { readonly kind: 'error'; readonly e: NonNullable<BatchResult['error']> }
    | { readonly kind: 'deadlock' }
    | { readonly kind: 'truncated' }
    | { readonly kind: 'cut'; readonly c: number };
}

function earlier(a: Event, b: Event): boolean {
  if (a.i !== b.i) return a.i < b.i;
  if (a.tx !== b.tx) return a.tx < b.tx;
  return a.rank < b.rank;
}

/**
 * Replays a level's results in sequential order: numbers kept successors, finds the
 * first event and the counts at it, builds the next level.
 */
export async function mergeLevel(x: LevelSearch, level: Level, mode: BatchMode, cuts: readonly (readonly [number, number])[], pending: readonly Promise<BatchResult>[]): Promise<Level | null | 'full'> {
  const size = x.size;
  const results: BatchResult[] = [];
  // Which candidates each batch lost to an older batch. Only older batches take states
  // over, so once batches 0..b are done, batch b's losses are all known.
  const lost: (Set<number> | undefined)[] = new Array(pending.length);
  const arrive = async (b: number): Promise<BatchResult | 'full'> => {
    const r = await pending[b]!;
    if (r.aborted) x.levelAborted = true;
    if (r.full) return 'full';
    results[b] = r;
    // Every claim is an entry of the set, but those that took a state over from a younger batch.
    x.table.claimed(r.candCount - r.stolenCount);
    const firstBatch = r.batch - b;
    for (let j = 0; j < r.stolenCount; j++) {
      const v = r.stolen[2 * j]! - firstBatch;
      if (v <= b || v >= pending.length) throw new MmraceError('E_INTERNAL', `parallel explorer: batch ${r.batch} took a state from batch ${v + firstBatch}, not a younger batch of the level`);
      (lost[v] ??= new Set()).add(r.stolen[2 * j + 1]!);
    }
    return r;
  };
  const nextFirst = level.firstId + level.n;
  const levelStates = x.states;
  const segs: Segment[] = [];
  let stopAt: { b: number; ev: Event } | null = null;
  for (let b = 0; b < pending.length && stopAt === null; b++) {
    const r = await arrive(b);
    if (r === 'full') return 'full';
    x.table.touch(pending.length);
    const stolen = lost[b];
    // Kept candidates, in order.
    let kept: Int32Array;
    if (stolen === undefined) {
      kept = identity(r.candCount);
    } else {
      const ks: number[] = [];
      for (let c = 0; c < r.candCount; c++) if (!stolen.has(r.entries[c]!)) ks.push(c);
      kept = Int32Array.from(ks);
      if (ks.length !== r.candCount - stolen.size) throw new MmraceError('E_INTERNAL', `parallel explorer: batch ${r.batch} lost states it never claimed`);
    }
    // --shard: the states of the partition depth that belong to other shards are dropped.
    let other: Set<number> | null = null;
    if (x.shard !== null && level.depth + 1 === x.shardDepth) {
      const mine: number[] = [];
      other = new Set();
      for (const c of kept) {
        fingerprint(r.cand.subarray(c * size, c * size + x.m.size), x.m.size);
        if (shardOf(fp.hi, fp.lo, x.shard.count) === x.shard.index) mine.push(c);
        else {
          other.add(c);
          // Never expanded here, so never retired by a batch: retire it now.
          x.table.set.retire(r.entries[c]!);
        }
      }
      kept = Int32Array.from(mine);
    }
    const evs: Event[] = [];
    const isKept = (c: number): boolean => stolen === undefined || !stolen.has(r.entries[c]!);
    for (const mk of r.marks) evs.push({ i: r.parents[mk.c]!, tx: r.tx[mk.c]!, rank: 1, what: { kind: 'mark', c: mk.c, mk } });
    for (const f of r.faults) evs.push({ i: f.i, tx: f.tx, rank: 1, what: { kind: 'fault', f } });
    if (r.error) evs.push({ i: r.error.i, tx: r.error.tx, rank: 2, what: { kind: 'error', e: r.error } });
    if (r.deadlock) evs.push({ i: r.deadlock.i, tx: r.deadlock.tx, rank: 2, what: { kind: 'deadlock' } });
    if (r.truncated >= 0) evs.push({ i: r.truncated, tx: 0, rank: 2, what: { kind: 'truncated' } });
    const max = x.opts.maxStates;
    if (max !== undefined && x.states + kept.length > max) {
      const c = kept[max - x.states]!;
      evs.push({ i: r.parents[c]!, tx: r.tx[c]!, rank: 0, what: { kind: 'cut', c } });
    }
    evs.sort((a, z) => (earlier(a, z) ? -1 : earlier(z, a) ? 1 : 0));
    const batchFirstId = level.firstId + cuts[b]![0];
    const firstKeptId = x.states;
    let pushed = 0;
    /** Numbers the first `n` kept candidates: parent links, state count. */
    const pushTo = (n: number): void => {
      x.links.pushKept(batchFirstId, r.parents, r.moves, kept, pushed, n);
      pushed = Math.max(pushed, n);
      x.states = firstKeptId + pushed;
    };
    // A stopping event of this batch, if any (with allViolations, violations do not stop).
    let stop: Event | null = null;
    for (const ev of evs) {
      const w = ev.what;
      if (w.kind === 'mark') {
        const mk = w.mk;
        if (other?.has(w.c)) continue;
        if (!isKept(w.c)) {
          if (mk.error === null && x.found.has(mk.property!)) continue;
          throw new MmraceError('E_INTERNAL', `parallel explorer: the first violation of batch ${r.batch} was taken by an older batch that did not report it`);
        }
        if (mk.error !== null || !x.all) {
          stop = ev;
          break;
        }
        if (!x.found.has(mk.property!)) {
          pushTo(countBelow(kept, w.c) + 1);
          x.record(invariantViolation(mk.property!, x.links.pathTo(x.states - 1)));
        }
        continue;
      }
      if (w.kind === 'fault' && x.all) {
        if (!x.found.has(w.f.property)) x.record(faultAt(x, w.f, batchFirstId));
        continue;
      }
      if (w.kind === 'deadlock' && x.all) {
        x.record(deadlockAt(x, batchFirstId + ev.i, r.deadlock!.message));
        continue;
      }
      stop = ev;
      break;
    }
    if (stop === null) {
      pushTo(kept.length);
      x.transitions += r.transitions;
      if (mode !== 'depth' && kept.length > 0) segs.push({ records: r.cand, kept: kept.length === r.candCount ? null : kept, count: kept.length });
      if (r.aborted) {
        x.limitHit = x.signal?.aborted ? 'interrupted' : 'time-limit';
        break;
      }
      continue;
    }
    // The counts at the event: kept successors and transitions up to it.
    pushTo(stop.what.kind === 'cut' ? max! - firstKeptId : countUpToTx(kept, r.tx, stop.tx));
    x.transitions += stop.tx;
    stopAt = { b, ev: stop };
  }
  if (x.states > levelStates) x.depth = level.depth + 1;
  // The rest of the level (drained, or not needed): every batch must be done, and none full.
  for (let b = results.length; b < pending.length; b++) if ((await arrive(b)) === 'full') return 'full';
  if (stopAt !== null) {
    settle(x, level, cuts, results, stopAt.b, stopAt.ev);
    return null;
  }
  if (x.limitHit !== null || x.error !== null) return null;
  if (mode === 'depth') return null;
  // The next level: kept successors in order.
  const next = levelOf(nextFirst, level.depth + 1, segs);
  x.stash = results.map(resultBuffers);
  return next.n > 0 ? next : null;
}

function faultAt(x: LevelSearch, f: BatchResult['faults'][number], batchFirstId: number): FoundViolation {
  const base = x.links.pathTo(batchFirstId + f.i);
  return { kind: 'fault', property: f.property, message: f.message, path: pathPlus(base, f.k, f.ordinal) };
}

/** A deadlock in state `id`, with the message its batch judged. */
function deadlockAt(x: LevelSearch, id: number, message: string): FoundViolation {
  return { kind: 'deadlock', property: DEADLOCK, message, path: x.links.pathTo(id) };
}

/** The verdict of the level's stopping event (and the drain after a violation). */
function settle(x: LevelSearch, level: Level, cuts: readonly (readonly [number, number])[], results: BatchResult[], b: number, ev: Event): void {
  const r = results[b]!;
  const batchFirstId = level.firstId + cuts[b]![0];
  const w = ev.what;
  /** The path to state `id`, and the step (k, ordinal) that failed there if k ≥ 0. */
  const pathAt = (id: number, k: number, ordinal: number): Path => (k >= 0 ? pathPlus(x.links.pathTo(id), k, ordinal) : x.links.pathTo(id));
  switch (w.kind) {
    case 'cut':
      x.limitHit = 'max-states';
      return;
    case 'truncated':
      x.limitHit = 'max-depth';
      return;
    case 'deadlock':
      x.record(deadlockAt(x, batchFirstId + ev.i, r.deadlock!.message));
      return;
    case 'error':
      x.error = { code: w.e.code, message: w.e.message, hint: w.e.hint, path: pathAt(batchFirstId + w.e.i, w.e.k, w.e.ordinal) };
      return;
    case 'mark': {
      const mk = w.mk;
      const mv = r.moves[w.c]!;
      if (mk.error !== null) {
        x.error = { ...mk.error, path: pathAt(batchFirstId + r.parents[w.c]!, mv % x.nInst, Math.floor(mv / x.nInst)) };
        return;
      }
      x.record(invariantViolation(mk.property!, x.links.pathTo(x.states - 1)));
      break;
    }
    case 'fault':
      x.record(faultAt(x, w.f, batchFirstId));
      break;
  }
  // A violation found while expanding level d has a counterexample of d + 1 steps; the
  // first deadlock among the rest of the level has one of d steps and is reported instead.
  for (let a = b; a < results.length; a++) {
    const res = results[a]!;
    const first = a === b ? ev.i : -1;
    const dl = res.deadlock && res.deadlock.i > first ? res.deadlock.i : Infinity;
    const de = res.drainError && res.drainError.i > first ? res.drainError.i : Infinity;
    if (dl === Infinity && de === Infinity) continue;
    const at = level.firstId + cuts[a]![0];
    x.found.clear();
    if (dl < de) x.record(deadlockAt(x, at + dl, res.deadlock!.message));
    else {
      const e = res.drainError!;
      x.error = { code: e.code, message: e.message, hint: e.hint, path: pathAt(at + e.i, e.k, e.ordinal) };
    }
    return;
  }
}
