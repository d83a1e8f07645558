import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collisionProbability, fingerprint, fingerprintHex, fp } from '../../../src/state/fingerprint.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 300);
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const state = fc.array(int32, { minLength: 1, maxLength: 40 });

function pair(b: Int32Array, n = b.length): [number, number] {
  fingerprint(b, n);
  return [fp.hi, fp.lo];
}

describe('fingerprint', () => {
  it('is deterministic: equal contents in different buffers give the same fingerprint', () => {
    fc.assert(
      fc.property(state, (xs) => {
        const a = Int32Array.from(xs);
        const b = new Int32Array(xs.length + 5).subarray(0, xs.length);
        b.set(xs);
        const first = pair(a);
        pair(Int32Array.from([1, 2, 3])); // something else in between
        expect(pair(a)).toEqual(first);
        expect(pair(b)).toEqual(first);
        expect(fingerprintHex(a)).toBe(fingerprintHex(Int32Array.from(xs)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('changes when any one slot changes', () => {
    fc.assert(
      fc.property(state, fc.nat(), int32, (xs, at, v) => {
        const i = at % xs.length;
        fc.pre(xs[i] !== v);
        const a = Int32Array.from(xs);
        const b = a.slice();
        b[i] = v;
        expect(pair(b)).not.toEqual(pair(a));
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('changes on every small change of every slot of a small state (exhaustive)', () => {
    // States of 6 slots in 0..3: every pair differing in one slot must differ. This
    // is exactly the kind of state a model has (small ints, bools, pcs).
    const seen = new Map<string, string>();
    const b = new Int32Array(6);
    for (let code = 0; code < 4 ** 6; code++) {
      let c = code;
      for (let i = 0; i < 6; i++) {
        b[i] = c & 3;
        c >>= 2;
      }
      const key = fingerprintHex(b);
      expect(seen.has(key), `collision between ${seen.get(key)} and ${b.join(',')}`).toBe(false);
      seen.set(key, b.join(','));
    }
    expect(seen.size).toBe(4096);
  });

  it('swapping two different slots changes it (order matters)', () => {
    expect(fingerprintHex(Int32Array.from([1, 0]))).not.toBe(fingerprintHex(Int32Array.from([0, 1])));
    expect(fingerprintHex(Int32Array.from([5, 7, 9]))).not.toBe(fingerprintHex(Int32Array.from([5, 9, 7])));
  });

  it('depends on the length: a trailing zero is not ignored', () => {
    expect(fingerprintHex(Int32Array.from([3]))).not.toBe(fingerprintHex(Int32Array.from([3, 0])));
    expect(fingerprintHex(new Int32Array(0))).not.toBe(fingerprintHex(new Int32Array(1)));
    // Only the first n slots count.
    const b = Int32Array.from([4, 5, 6]);
    expect(pair(b, 2)).toEqual(pair(Int32Array.from([4, 5])));
  });

  it('hex form is 16 lowercase hex digits of the two lanes', () => {
    const b = Int32Array.from([1, 2, 3]);
    const [hi, lo] = pair(b);
    const hex = fingerprintHex(b);
    expect(hex).toMatch(/^[0-9a-f]{16}$/);
    expect(hex).toBe((hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0'));
  });
});

describe('collisionProbability', () => {
  it('is n^2 / 2^65, capped at 1', () => {
    expect(collisionProbability(0)).toBe(0);
    expect(collisionProbability(2 ** 32)).toBe(0.5); // 2^64 / 2^65
    expect(collisionProbability(2 ** 30)).toBe(2 ** -5);
    expect(collisionProbability(2 ** 40)).toBe(1);
  });
});
