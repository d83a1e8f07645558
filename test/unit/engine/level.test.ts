/**
 * A level of the parallel explorer left in the segments of the results that claimed its
 * states (parallel/level.ts): cut into batches anywhere, the pieces of each batch, read in
 * order (batch.ts Records), and as a worker receives them (sharedPiece), give the level's
 * states in order; a checkpoint's copy of the level (levelRecords) is the same order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Records, type Piece } from '../../../src/engine/batch.js';
import { levelOf, levelRecords, piecesOf, type Segment } from '../../../src/engine/level.js';
import { sharedPiece } from '../../../src/parallel/protocol.js';

/** A segment: `records` records of `stride` ints, each record holding (segment, record, …); kept ones chosen by a mask, or all. */
const segment = (stride: number) =>
  fc.record({ records: fc.integer({ min: 0, max: 12 }), mask: fc.option(fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), { nil: null }) }).map(({ records, mask }) => ({ stride, records, mask }));

function build(stride: number, descs: { records: number; mask: boolean[] | null }[]): { segs: Segment[]; flat: number[][] } {
  const segs: Segment[] = [];
  const flat: number[][] = [];
  descs.forEach((d, s) => {
    const records = new Int32Array(new SharedArrayBuffer(Math.max(4, d.records * stride * 4)));
    for (let r = 0; r < d.records; r++) for (let j = 0; j < stride; j++) records[r * stride + j] = s * 1000 + r * 10 + j;
    const keptList = d.mask === null ? null : [...Array(d.records).keys()].filter((r) => d.mask![r]);
    const count = keptList === null ? d.records : keptList.length;
    if (count === 0) return;
    segs.push({ records, kept: keptList === null ? null : Int32Array.from(keptList), count });
    for (const r of keptList ?? [...Array(d.records).keys()]) flat.push([...records.subarray(r * stride, (r + 1) * stride)]);
  });
  return { segs, flat };
}

/** The records of `pieces`, read as expandBatch reads them. */
function read(pieces: readonly Piece[], stride: number, count: number): number[][] {
  const rs = new Records(pieces, stride);
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const base = rs.next();
    out.push([...rs.arr.subarray(base, base + stride)]);
  }
  return out;
}

describe('a level in segments', () => {
  it('any cut into batches reads every state once, in order, directly or as a worker receives it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((stride) => fc.tuple(fc.constant(stride), fc.array(segment(stride), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }))),
        ([stride, descs, sizes]) => {
          const { segs, flat } = build(stride, descs);
          const level = levelOf(7, 3, segs);
          expect(level.n).toBe(flat.length);
          expect([...levelRecords(level, stride)]).toEqual(flat.flat());
          const got: number[][] = [];
          const shared: number[][] = [];
          for (let off = 0, k = 0; off < level.n; k++) {
            const count = Math.min(sizes[k % sizes.length]!, level.n - off);
            const pieces = piecesOf(level, off, count);
            expect(pieces.reduce((n, p) => n + p.count, 0)).toBe(count);
            got.push(...read(pieces, stride, count));
            // As a worker rebuilds them (worker.ts): a view over the shared buffer.
            const received = pieces.map(sharedPiece).map((p) => ({ records: new Int32Array(p.buf), kept: p.kept, from: p.from, count: p.count }));
            shared.push(...read(received, stride, count));
            off += count;
          }
          expect(got).toEqual(flat);
          expect(shared).toEqual(flat);
        },
      ),
      { numRuns: 500 },
    );
  });
});
