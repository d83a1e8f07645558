import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintSet } from '../../../src/state/fpset.js';
import { MmraceError } from '../../../src/index.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 100);
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

/**
 * The reference: a JS Set of strings. By design (documented in fpset.ts), the
 * fingerprint (0, 0) marks an empty entry and is stored as (0, 1): the two are one key.
 */
const key = (hi: number, lo: number) => (hi === 0 && lo === 0 ? '0:1' : `${hi}:${lo}`);

/** Pairs from a mix of domains: tiny (many duplicates), clustered his (long probe runs), anything. */
const fpPair = fc.oneof(
  fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 })),
  fc.tuple(fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31), 123456), fc.integer({ min: 0, max: 50 })),
  fc.tuple(int32, int32),
);

function checkAgainstSet(pairs: readonly (readonly [number, number])[], initialCapacity?: number): void {
  const set = new FingerprintSet(initialCapacity);
  const ref = new Set<string>();
  const wrong: string[] = [];
  for (const [hi, lo] of pairs) {
    const k = key(hi, lo);
    const isNew = !ref.has(k);
    ref.add(k);
    if (set.put(hi, lo) !== isNew) wrong.push(`put(${hi}, ${lo}) should say new=${isNew}`);
    if (set.size !== ref.size) wrong.push(`size ${set.size} after put(${hi}, ${lo}), expected ${ref.size}`);
  }
  for (const [hi, lo] of pairs) {
    if (!set.has(hi, lo)) wrong.push(`has(${hi}, ${lo}) false`);
    if (set.put(hi, lo)) wrong.push(`second put(${hi}, ${lo}) said new`);
  }
  expect(wrong.slice(0, 5)).toEqual([]);
  expect(set.size).toBe(ref.size);
}

describe('FingerprintSet', () => {
  it('agrees with a Set of strings on random insertions', () => {
    fc.assert(
      fc.property(fc.array(fpPair, { maxLength: 400 }), (pairs) => checkAgainstSet(pairs)),
      { numRuns: NUM_RUNS },
    );
  });

  it('agrees with a Set of strings across several growths', () => {
    fc.assert(
      fc.property(fc.array(fpPair, { minLength: 3000, maxLength: 6000 }), (pairs) => checkAgainstSet(pairs)),
      { numRuns: Math.max(5, Math.floor(NUM_RUNS / 10)) },
    );
  });

  it('grows from the minimum capacity and keeps every entry, including clustered ones', () => {
    const set = new FingerprintSet();
    const start = set.capacity;
    expect(start).toBe(1024);
    const ref = new Set<string>();
    // 6000 entries: the top bucket (hi = -1 maps to the last index and wraps around),
    // one cluster at bucket 0, and spread-out ones.
    let notNew = 0;
    for (let i = 0; i < 6000; i++) {
      const hi = i % 3 === 0 ? -1 : i % 3 === 1 ? 0 : Math.imul(i, 0x9e3779b1);
      const lo = i;
      if (!set.put(hi, lo)) notNew++;
      ref.add(key(hi, lo));
    }
    expect(notNew).toBe(0);
    expect(ref.size).toBe(6000);
    expect(set.size).toBe(6000);
    expect(set.capacity).toBeGreaterThan(6000 / 0.75);
    expect(set.bytes).toBe(set.capacity * 8);
    let lost = 0;
    for (let i = 0; i < 6000; i++) {
      const hi = i % 3 === 0 ? -1 : i % 3 === 1 ? 0 : Math.imul(i, 0x9e3779b1);
      if (!set.has(hi, i) || set.put(hi, i)) lost++;
    }
    expect(lost).toBe(0);
    expect(set.has(-1, 20001)).toBe(false);
    expect(set.has(5, 5)).toBe(false);
  });

  it('keeps its load at most 3/4', () => {
    const set = new FingerprintSet();
    let maxLoad = 0;
    for (let i = 1; i <= 10000; i++) {
      set.put(Math.imul(i, 0x9e3779b1), i);
      maxLoad = Math.max(maxLoad, set.size / set.capacity);
    }
    expect(set.size).toBe(10000);
    expect(maxLoad).toBeLessThanOrEqual(0.75);
  });

  it('(0, 0) is stored as (0, 1)', () => {
    const set = new FingerprintSet();
    expect(set.has(0, 0)).toBe(false);
    expect(set.put(0, 0)).toBe(true);
    expect(set.has(0, 0)).toBe(true);
    expect(set.has(0, 1)).toBe(true);
    expect(set.put(0, 1)).toBe(false);
    expect(set.put(1, 0)).toBe(true);
    expect(set.size).toBe(2);
  });

  it('honours an initial capacity above the minimum', () => {
    expect(new FingerprintSet(5000.5).capacity).toBe(5001);
    expect(new FingerprintSet(3).capacity).toBe(1024);
    checkAgainstSet(
      Array.from({ length: 9000 }, (_, i) => [Math.imul(i, 0x85ebca6b), -i] as const),
      5000,
    );
  });

  it('a NaN initial capacity gives a usable table or an error, never a table that probes forever', () => {
    // check({ maxStates: NaN }) passes NaN * 1.4 + 16 here. A table of capacity NaN has
    // no entries, and put() then never finds an empty one: the search hangs.
    let set: FingerprintSet;
    try {
      set = new FingerprintSet(NaN);
    } catch (e) {
      expect(e).toBeInstanceOf(MmraceError);
      return;
    }
    const usable = Number.isInteger(set.capacity) && set.capacity >= 1024;
    expect({ capacity: set.capacity, usable }).toEqual({ capacity: set.capacity, usable: true });
    expect(set.put(1, 2)).toBe(true); // only reached with a usable table
  });
});
