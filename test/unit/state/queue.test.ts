import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntColumn, StateQueue } from '../../../src/state/queue.js';

const CHUNK = 16384; // states per chunk in queue.ts

/** The state number i as a vector of n ints, distinct for every i. */
const stateOf = (i: number, n: number) => Int32Array.from({ length: n }, (_, j) => i * 7 + j * 1000003 - (j === 1 ? 2 * i : 0));

describe('StateQueue', () => {
  it('is FIFO across several chunks (all pushed, then all taken)', () => {
    const n = 3;
    const total = 2 * CHUNK + 1234;
    const q = new StateQueue(n);
    for (let i = 0; i < total; i++) q.push(stateOf(i, n));
    expect(q.length).toBe(total);
    const dst = new Int32Array(n);
    for (let i = 0; i < total; i++) {
      q.shiftInto(dst);
      if (dst[0] !== stateOf(i, n)[0] || dst[1] !== stateOf(i, n)[1] || dst[2] !== stateOf(i, n)[2]) {
        expect([...dst], `state #${i}`).toEqual([...stateOf(i, n)]);
      }
    }
    expect(q.length).toBe(0);
    expect(() => q.shiftInto(dst)).toThrow();
  });

  it('is FIFO with pushes and shifts interleaved like BFS, across chunk boundaries', () => {
    const n = 2;
    const q = new StateQueue(n);
    const dst = new Int32Array(n);
    let pushed = 0;
    let taken = 0;
    // Each taken state pushes 0..2 successors, until 3.5 chunks went through.
    q.push(stateOf(pushed++, n));
    const wrong: string[] = [];
    while (q.length > 0) {
      q.shiftInto(dst);
      const want = stateOf(taken, n);
      if (dst[0] !== want[0] || dst[1] !== want[1]) wrong.push(`#${taken}: got ${dst.join(',')}, want ${want.join(',')}`);
      taken++;
      const kids = pushed < 3.5 * CHUNK ? (taken % 3 === 0 ? 0 : taken % 3 === 1 ? 2 : 1) : 0;
      for (let j = 0; j < kids; j++) q.push(stateOf(pushed++, n));
      if (q.length !== pushed - taken) wrong.push(`length ${q.length} after #${taken}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(taken).toBe(pushed);
    expect(pushed).toBeGreaterThan(3 * CHUNK);
  });

  it('empties exactly at a chunk boundary and refills', () => {
    const n = 1;
    const q = new StateQueue(n);
    const dst = new Int32Array(n);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < CHUNK; i++) q.push(Int32Array.of(round * CHUNK + i));
      let wrong = 0;
      for (let i = 0; i < CHUNK; i++) {
        q.shiftInto(dst);
        if (dst[0] !== round * CHUNK + i) wrong++;
      }
      expect(wrong).toBe(0);
      expect(q.length).toBe(0);
    }
    q.push(Int32Array.of(-5));
    q.shiftInto(dst);
    expect(dst[0]).toBe(-5);
  });

  it('agrees with an array on random runs of pushes and shifts', () => {
    const n = 2;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 20000 })), { minLength: 1, maxLength: 8 }),
        (runs) => {
          const q = new StateQueue(n);
          const ref: number[] = [];
          let head = 0;
          let next = 0;
          const dst = new Int32Array(n);
          for (const [isPush, count] of runs) {
            for (let c = 0; c < count; c++) {
              if (isPush) {
                q.push(Int32Array.of(next, ~next));
                ref.push(next++);
              } else if (head < ref.length) {
                q.shiftInto(dst);
                const want = ref[head++]!;
                if (dst[0] !== want || dst[1] !== ~want) expect([...dst]).toEqual([want, ~want]);
              }
            }
            expect(q.length).toBe(ref.length - head);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('copies only the state size from a longer buffer', () => {
    const q = new StateQueue(2);
    q.push(Int32Array.of(1, 2, 3));
    q.push(Int32Array.of(4, 5));
    const dst = Int32Array.of(9, 9, 9);
    q.shiftInto(dst);
    expect([...dst]).toEqual([1, 2, 9]);
    q.shiftInto(dst);
    expect([...dst]).toEqual([4, 5, 9]);
  });
});

describe('IntColumn', () => {
  it('grows and keeps values', () => {
    const c = new IntColumn(4);
    for (let i = 0; i < 5000; i++) c.push(i * 3 - 7);
    expect(c.length).toBe(5000);
    for (let i = 0; i < 5000; i++) if (c.get(i) !== i * 3 - 7) expect(c.get(i)).toBe(i * 3 - 7);
    expect(c.get(4999)).toBe(4999 * 3 - 7);
    expect(c.bytes).toBeGreaterThanOrEqual(5000 * 4);
  });
});
