import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MmraceError } from '../../../src/errors.js';
import { CLAIM_NEW, CLAIM_SEEN, MAX_BATCH, OLDER, SharedFingerprintSet } from '../../../src/state/shared-fpset.js';
import {
  AGAIN,
  COUNTDOWN,
  FRESH_BATCH,
  FRESH_FINGERPRINT,
  GIVEN,
  LANES,
  START,
  WORKER_DATA,
  type Reply,
  type Round,
} from './shared-fpset.worker.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 100);

/**
 * Reference key of a fingerprint. By design (documented in shared-fpset.ts), `hi == 0`
 * marks an empty entry and a fingerprint (0, lo) is stored as (1, lo): the two are one key.
 */
const key = (hi: number, lo: number) => `${hi === 0 ? 1 : hi | 0}:${lo | 0}`;

/**
 * The entries of a set's table, read straight from its buffer: blocks of 20 bytes, the
 * Int32 lanes hi0, lo0, hi1, lo1, then the two 16-bit owner lanes (shared-fpset.ts). The
 * owner lane is 0 until published, 1 once retired, and 2 + b for batch b of round 0.
 */
function entries(set: SharedFingerprintSet): { hi: number; lo: number; lane: number }[] {
  const t = new Int32Array(set.buffer);
  const o = new Uint16Array(set.buffer);
  const out: { hi: number; lo: number; lane: number }[] = [];
  for (let b = 0; b < t.length / 5; b++) {
    for (const e of [0, 1]) if (t[b * 5 + 2 * e] !== 0) out.push({ hi: t[b * 5 + 2 * e]!, lo: t[b * 5 + 2 * e + 1]!, lane: o[b * 10 + 8 + e]! });
  }
  return out;
}
/** Owner lane of round 0's batch b, and of a retired entry. */
const lane0 = (b: number) => 2 + b;
const RETIRED = 1;

/** Deterministic 32-bit generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Fingerprints from a small pool so that repeats are frequent: his that collide with the
 * empty marker (0, and 1 which 0 is stored as), the extremes (home slots 0 and the last
 * one, where probing wraps), and a few others, each with several los.
 */
const poolHi = fc.constantFrom(0, 1, -1, 2, 2 ** 31 - 1, -(2 ** 31), 0x40000000, 0x40000001, 123456789);
const poolLo = fc.constantFrom(0, 1, -1, 7, 2 ** 31 - 1);
const fpFromPool = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(poolHi, poolLo) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), poolLo) },
);
const claimArb = fc.tuple(fpFromPool, fc.integer({ min: 0, max: 12 }));

/** Claims against the reference Map (key → minimum batch so far); returns the first disagreement. */
function checkAgainstMap(claims: readonly (readonly [readonly [number, number], number])[], slack: number): string[] {
  const distinct = new Set(claims.map(([[hi, lo]]) => key(hi, lo))).size;
  const set = new SharedFingerprintSet(Math.max(1, distinct + slack));
  const ref = new Map<string, number>();
  const wrong: string[] = [];
  for (const [[hi, lo], batch] of claims) {
    const k = key(hi, lo);
    const before = ref.get(k);
    const expected = before === undefined || batch < before ? CLAIM_NEW : CLAIM_SEEN;
    if (expected === CLAIM_NEW) ref.set(k, batch);
    const got = set.claim(hi, lo, batch);
    if (got !== expected) wrong.push(`claim(${hi}, ${lo}, ${batch}) = ${got}, expected ${expected} (owner was ${before})`);
  }
  for (const [[hi, lo]] of claims) {
    const got = set.ownerOf(hi, lo);
    if (got !== ref.get(key(hi, lo))) wrong.push(`ownerOf(${hi}, ${lo}) = ${got}, expected ${ref.get(key(hi, lo))}`);
  }
  for (const hi of [0, 1, -1, 5, 2 ** 31 - 1]) {
    for (const lo of [3, -5]) if (!ref.has(key(hi, lo)) && set.ownerOf(hi, lo) !== -1) wrong.push(`ownerOf(${hi}, ${lo}) of an absent one`);
  }
  if (set.count() !== ref.size) wrong.push(`count ${set.count()}, expected ${ref.size}`);
  const keys = entries(set).map((e) => key(e.hi, e.lo));
  if (new Set(keys).size !== keys.length) wrong.push('a fingerprint has two entries');
  return wrong.slice(0, 5);
}

function expectLimit(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(MmraceError);
  expect((thrown as MmraceError).code).toBe('E_LIMIT');
}

describe('SharedFingerprintSet, one thread', () => {
  it('agrees with a Map of minimum batches on random claims', () => {
    fc.assert(
      fc.property(fc.array(claimArb, { maxLength: 300 }), fc.integer({ min: 0, max: 6 }), (claims, slack) => {
        expect(checkAgainstMap(claims, slack)).toEqual([]);
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('agrees with a Map on long runs of clustered his in a nearly full table', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.tuple(fc.integer({ min: -40, max: 40 }), fc.integer({ min: 0, max: 30 })), fc.integer({ min: 0, max: 1000 })), {
          minLength: 500,
          maxLength: 3000,
        }),
        fc.integer({ min: 0, max: 3 }),
        (claims, slack) => {
          expect(checkAgainstMap(claims, slack)).toEqual([]);
        },
      ),
      { numRuns: Math.max(10, Math.floor(NUM_RUNS / 5)) },
    );
  });

  it('claimEntry returns the entry exactly when claim would say NEW, and ownerAt reads its owner there', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 9 })), { maxLength: 300 }),
        (claims) => {
          const a = new SharedFingerprintSet(64);
          const b = new SharedFingerprintSet(64);
          const entries = new Map<string, number>();
          for (const [hi, lo, batch] of claims) {
            const entry = a.claimEntry(hi * 7919, lo, batch);
            expect(entry >= 0 ? CLAIM_NEW : CLAIM_SEEN).toBe(b.claim(hi * 7919, lo, batch));
            const key = `${hi}:${lo}`;
            if (entry >= 0) {
              // A fingerprint's entry never moves.
              expect(entries.get(key) ?? entry).toBe(entry);
              entries.set(key, entry);
            }
          }
          for (const [key, entry] of entries) {
            const [hi, lo] = key.split(':').map(Number) as [number, number];
            expect(a.ownerAt(entry)).toBe(a.ownerOf(hi * 7919, lo));
          }
        },
      ),
    );
  });

  it('stores a fingerprint whose hi is 0 as hi = 1', () => {
    const set = new SharedFingerprintSet(16);
    expect(set.ownerOf(0, 5)).toBe(-1);
    expect(set.claim(0, 5, 3)).toBe(CLAIM_NEW);
    expect(set.ownerOf(0, 5)).toBe(3);
    expect(set.ownerOf(1, 5)).toBe(3);
    expect(set.claim(1, 5, 4)).toBe(CLAIM_SEEN);
    expect(set.claim(1, 5, 2)).toBe(CLAIM_NEW);
    expect(set.ownerOf(0, 5)).toBe(2);
    expect(entries(set)).toEqual([{ hi: 1, lo: 5, lane: lane0(2) }]);
    expect(set.claim(0, 0, 0)).toBe(CLAIM_NEW);
    expect(set.count()).toBe(2);
  });

  it('reports sizes, and accepts batch ids 0 to MAX_BATCH only', () => {
    const set = new SharedFingerprintSet(100);
    expect(set.capacity).toBe(100);
    // 10 bytes per entry: at load 3/4, 13.3 bytes per fingerprint.
    expect(set.bytes).toBe(1000);
    expect(SharedFingerprintSet.bytesFor(100)).toBe(1000);
    expect(SharedFingerprintSet.capacityFor(75)).toBe(100);
    // Capacities are even (entries come in blocks of two).
    expect(new SharedFingerprintSet(7).capacity).toBe(8);
    expect(SharedFingerprintSet.capacityFor(76)).toBe(102);
    expect(set.claim(9, 9, MAX_BATCH)).toBe(CLAIM_NEW);
    expect(set.ownerOf(9, 9)).toBe(MAX_BATCH);
    expect(set.claim(9, 9, 0)).toBe(CLAIM_NEW);
    expect(set.ownerOf(9, 9)).toBe(0);
    expectLimit(() => set.claim(1, 1, MAX_BATCH + 1));
    for (const bad of [-1, 0.5, NaN]) expect(() => set.claim(1, 1, bad)).toThrow(MmraceError);
    for (const bad of [0, -3, 2.5, NaN]) expect(() => new SharedFingerprintSet(bad)).toThrow(MmraceError);
    expect(() => SharedFingerprintSet.fromBuffer(new SharedArrayBuffer(13))).toThrow(MmraceError);
    expect(set.count()).toBe(1);
  });

  it('fromBuffer sees the same entries as the set it was made from', () => {
    const set = new SharedFingerprintSet(50);
    set.claim(4, 4, 7);
    const other = SharedFingerprintSet.fromBuffer(set.buffer);
    expect(other.capacity).toBe(50);
    expect(other.ownerOf(4, 4)).toBe(7);
    expect(other.claim(4, 4, 6)).toBe(CLAIM_NEW);
    expect(set.ownerOf(4, 4)).toBe(6);
  });

  it('grownFrom keeps every fingerprint, retired: older than every batch of either round', () => {
    const small = new SharedFingerprintSet(1000);
    const ref = new Map<string, [number, number]>();
    const next = rng(42);
    for (let i = 0; i < 750; i++) {
      // a quarter with hi 0 or -1 (home slots at both ends), the rest spread
      const hi = i % 4 === 0 ? (i % 8 === 0 ? 0 : -1) : next() | 0;
      const lo = next() | 0;
      small.claim(hi, lo, next() % 1000);
      ref.set(key(hi, lo), [hi, lo]);
    }
    expect(small.count()).toBe(ref.size);
    for (const capacity of [ref.size, 1001, 5003]) {
      const big = SharedFingerprintSet.grownFrom(small, capacity);
      expect(big.capacity).toBe(capacity + (capacity & 1));
      expect(big.count()).toBe(ref.size);
      expect(entries(big).every((e) => e.lane === RETIRED)).toBe(true);
      const lost = [...ref.values()].filter(([hi, lo]) => big.ownerOf(hi, lo) !== OLDER);
      expect(lost).toEqual([]);
      // and it goes on claiming: what it holds is seen in either round
      const [hi, lo] = ref.values().next().value!;
      for (const round of [0, 1]) {
        big.round = round;
        expect(big.claim(hi, lo, 0)).toBe(CLAIM_SEEN);
      }
    }
    expect(small.count()).toBe(ref.size);
    expect(() => SharedFingerprintSet.grownFrom(small, ref.size - 2)).toThrow(MmraceError);
  });

  it('grownFrom with `drop` keeps only the fingerprints of the other round and the retired ones', () => {
    const set = new SharedFingerprintSet(64);
    // an older level in round 0, one entry of it retired; then the level being run again, in round 1
    set.claim(1, 1, 0);
    set.claim(2, 2, 2);
    set.retire(set.claimEntry(6, 6, 1));
    set.round = 1;
    expect(set.claim(2, 2, 4)).toBe(CLAIM_SEEN); // an older level's: not taken over
    expect(set.claim(6, 6, 0)).toBe(CLAIM_SEEN);
    set.claim(3, 3, 3);
    set.claim(4, 4, 5);
    set.claim(4, 4, 4);
    set.claim(0, 5, 1);
    expect([set.ownerOf(2, 2), set.ownerOf(4, 4), set.ownerOf(1, 5)]).toEqual([OLDER, 4, 1]);
    const again = SharedFingerprintSet.grownFrom(set, 10, 1);
    again.round = 1;
    expect([again.ownerOf(1, 1), again.ownerOf(2, 2), again.ownerOf(6, 6), again.ownerOf(3, 3), again.ownerOf(4, 4), again.ownerOf(1, 5)]).toEqual([OLDER, OLDER, OLDER, -1, -1, -1]);
    expect(again.count()).toBe(3);
    expect(again.claim(3, 3, 4)).toBe(CLAIM_NEW);
    // room is only needed for the kept ones
    expect(SharedFingerprintSet.grownFrom(set, 3, 1).count()).toBe(3);
    expect(() => SharedFingerprintSet.grownFrom(set, 2, 1)).toThrow(MmraceError);
    // dropping round 0 instead: the retired entry and round 1's three stay
    expect(SharedFingerprintSet.grownFrom(set, 8, 0).count()).toBe(4);
  });

  it('retire: an entry of the level before stops competing with the batches of its round', () => {
    const set = new SharedFingerprintSet(16);
    const e = set.claimEntry(9, 9, 5);
    expect(set.ownerAt(e)).toBe(5);
    // Not retired, a round-0 entry is older than round 1's batches, but round 0's batch 3
    // would still take it over two levels later: what retiring prevents.
    set.round = 1;
    expect(set.claim(9, 9, 0)).toBe(CLAIM_SEEN);
    set.retire(e);
    expect(set.ownerAt(e)).toBe(OLDER);
    set.round = 0;
    expect(set.claim(9, 9, 3)).toBe(CLAIM_SEEN);
    expect(set.ownerOf(9, 9)).toBe(OLDER);
    expect(entries(set)).toEqual([{ hi: 9, lo: 9, lane: RETIRED }]);
  });

  it('moveRange over ranges that cover the old set gives what grownFrom gives, in any order of the ranges', () => {
    const next = rng(11);
    const set = new SharedFingerprintSet(4000);
    const roundOf = new Map<string, number>();
    for (let n = 0; n < 2500; n++) {
      // the first 1500 claims in round 0, the rest in round 1
      set.round = n < 1500 ? 0 : 1;
      const hi = next() % 997; // clustered his: long probe runs
      const lo = next() | 0;
      set.claim(hi, lo, next() % 9);
      const k = key(hi, lo);
      if (!roundOf.has(k)) roundOf.set(k, set.round);
    }
    for (const drop of [-1, 1]) {
      const want = [...roundOf].filter(([, r]) => r !== drop).map(([k]) => k).sort();
      const moved = new SharedFingerprintSet(3000);
      const cuts = [0, 7, 1000, 1001, 2999, 4000];
      const ranges = cuts.slice(1).map((end, i) => [cuts[i]!, end] as const).reverse();
      let n = 0;
      for (const [from, to] of ranges) n += moved.moveRange(set, from, to, drop);
      expect(n).toBe(want.length);
      expect(entries(moved).map((e) => key(e.hi, e.lo)).sort()).toEqual(want);
      expect(entries(moved).every((e) => e.lane === RETIRED)).toBe(true);
      const grown = SharedFingerprintSet.grownFrom(set, 3000, drop);
      expect(entries(grown).map((e) => key(e.hi, e.lo)).sort()).toEqual(want);
    }
    expect(() => new SharedFingerprintSet(10).moveRange(set, 0, 4000)).toThrow(MmraceError);
  });

  it('a full table still answers, and throws E_LIMIT for one more fingerprint instead of hanging', () => {
    for (const asked of [1, 2, 7, 64]) {
      const set = new SharedFingerprintSet(asked);
      const capacity = set.capacity;
      // all with one hi: one cluster over the whole table, wrapping around
      for (let i = 0; i < capacity; i++) expect(set.claim(-1, i, 10 + i)).toBe(CLAIM_NEW);
      expect(set.count()).toBe(capacity);
      for (let i = 0; i < capacity; i++) {
        expect(set.ownerOf(-1, i)).toBe(10 + i);
        expect(set.claim(-1, i, 10 + i)).toBe(CLAIM_SEEN);
        expect(set.claim(-1, i, i)).toBe(CLAIM_NEW);
      }
      expect(set.ownerOf(-1, capacity)).toBe(-1);
      expect(set.ownerOf(0, 0)).toBe(-1);
      expectLimit(() => set.claim(-1, capacity, 0));
      expectLimit(() => set.claim(12345, 0, 0));
      expect(set.count()).toBe(capacity);
    }
  });
});

/**
 * Real concurrency: worker threads share one table and claim overlapping fingerprints.
 * Each round, all workers start together and run many thousands of claims; afterwards the
 * table must be what a sequential order of those claims gives: one entry per fingerprint,
 * owned by the minimum batch that claimed it. See makeClaims for how workers are made to
 * meet on the same entries.
 */
describe('SharedFingerprintSet, several threads', () => {
  const WORKERS = 4;
  // Few enough that the countdown of FRESH_BATCH stays within MAX_BATCH with 4 workers.
  const CLAIMS_PER_WORKER = 24_000;
  const workers: Worker[] = [];

  beforeAll(async () => {
    // Node 20 does not apply `--import tsx` from a worker's execArgv to its entry module:
    // the entry is a tiny script that registers tsx's loader and then imports the .ts worker.
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const script = new URL('./shared-fpset.worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(script)}); });`;
    for (let w = 0; w < WORKERS; w++) workers.push(new Worker(boot, { eval: true, workerData: WORKER_DATA }));
    await Promise.all(
      workers.map(
        (worker, w) =>
          new Promise<void>((resolve, reject) => {
            worker.once('message', (reply: Reply) => ('loaded' in reply ? resolve() : reject(new Error(`worker ${w}: ${JSON.stringify(reply)}`))));
            worker.once('error', reject);
            worker.once('exit', (code) => reject(new Error(`worker ${w} exited with ${code} before it was loaded`)));
          }),
      ),
    );
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  });

  /** One round: each worker's results once all have finished (their claims now hold what they used). */
  async function round(set: SharedFingerprintSet, claims: Int32Array[]): Promise<Uint8Array[]> {
    const counters = new Int32Array(new SharedArrayBuffer(12));
    counters[COUNTDOWN] = MAX_BATCH;
    const used = workers.slice(0, claims.length);
    let ready = 0;
    const done = used.map(
      (worker, w) =>
        new Promise<Uint8Array>((resolve, reject) => {
          const onMessage = (reply: Reply) => {
            if ('ready' in reply) {
              if (++ready === used.length) Atomics.store(counters, START, 1);
              return;
            }
            worker.off('message', onMessage);
            worker.off('error', reject);
            worker.off('exit', onExit);
            if ('results' in reply) resolve(reply.results);
            else reject(new Error(`worker ${w}: ${'error' in reply ? reply.error : JSON.stringify(reply)}`));
          };
          const onExit = (code: number) => reject(new Error(`worker ${w} exited with ${code}`));
          worker.on('message', onMessage);
          worker.once('error', reject);
          worker.once('exit', onExit);
          const message: Round = { buffer: set.buffer, counters: counters.buffer as SharedArrayBuffer, claims: claims[w]!.buffer as SharedArrayBuffer };
          worker.postMessage(message);
        }),
    );
    try {
      return await Promise.all(done);
    } finally {
      Atomics.store(counters, START, 1); // never leave a worker spinning
    }
  }

  /**
   * Claims of one round, of three sorts (worker w of n uses the batches ≡ w mod n, as if
   * each batch were expanded by one worker, except for the countdown):
   * - 3/8 sweep a pool of 3000 fingerprints in the same order as the other workers, give or
   *   take a few places, with batches that go down as the worker progresses (one in four
   *   random). The pool's his are clustered on few values, so that many entries share a
   *   hi and differ by lo and runs of probing are long; it has (0, 100) and (1, 100), one key.
   * - 1/4 claim a fingerprint no one has claimed yet, taken from a shared counter by two
   *   workers in a row: they race to insert it, and to wait for each other's publication.
   * - 3/8 claim one of 4 hot fingerprints (two in the pool's clusters, one with hi 0, one
   *   at the last home slot) with the next batch of a shared countdown, so that each claim
   *   lowers the owner while other workers lower it too, and then claim it again with the
   *   same batch: that must say CLAIM_SEEN, which catches an owner that another worker
   *   raised by a lost update.
   * The table's load ends at about 0.9: long probe sequences, races all along them.
   */
  function makeClaims(seed: number, nWorkers: number): { claims: Int32Array[]; capacity: number } {
    const next = rng(seed);
    const his: number[] = [0, 1, -1, 2 ** 31 - 1];
    while (his.length < 500) his.push((next() % 64) * 0x4000000 + (next() % 16)); // 64 clusters
    const pool: [number, number][] = [];
    const seen = new Set<string>();
    while (pool.length < 3000) {
      const hi = his[next() % his.length]! | 0;
      const lo = next() % 32;
      const k = key(hi, lo);
      if (seen.has(k)) continue;
      seen.add(k);
      pool.push([hi, lo]);
    }
    pool.push([0, 100], [1, 100]);
    const hot: [number, number][] = [
      [his[4]!, 500],
      [his[5]!, 501],
      [0, 502],
      [-1, 503],
    ];
    const claims: Int32Array[] = [];
    const levels = Math.ceil(CLAIMS_PER_WORKER / 16);
    let fresh = 0;
    for (let w = 0; w < nWorkers; w++) {
      const c = new Int32Array(new SharedArrayBuffer(CLAIMS_PER_WORKER * LANES * 4));
      const put = (i: number, hi: number, lo: number, batch: number, kind: number) => {
        c.set([hi, lo, batch, kind], i * LANES);
      };
      for (let i = 0; i < CLAIMS_PER_WORKER; i++) {
        const r = next();
        const sort = r % 8;
        const level = levels - 1 - (i >> 4);
        if (sort < 3) {
          const [hi, lo] = pool[((i >> 1) + ((r >>> 8) % 8)) % pool.length]!;
          put(i, hi, lo, ((r >>> 16) % 4 === 0 ? next() % levels : level) * nWorkers + w, GIVEN);
        } else if (sort < 5) {
          put(i, 0, 0, level * nWorkers + w, FRESH_FINGERPRINT);
          fresh++;
        } else if (i + 1 < CLAIMS_PER_WORKER) {
          const [hi, lo] = hot[(r >>> 3) % hot.length]!;
          put(i, hi, lo, 0, FRESH_BATCH);
          put(++i, 0, 0, 0, AGAIN);
        } else {
          put(i, 7, 7, 0, FRESH_BATCH);
        }
      }
      claims.push(c);
    }
    const distinct = pool.length + hot.length + Math.ceil(fresh / 2) + 1;
    return { claims, capacity: Math.ceil(distinct / 0.9) };
  }

  /** What the table and the results must be after the round; the first few disagreements. */
  function check(set: SharedFingerprintSet, claims: Int32Array[], results: Uint8Array[]): string[] {
    const wrong: string[] = [];
    const minBatch = new Map<string, number>();
    for (const c of claims) {
      for (let i = 0; i < c.length; i += LANES) {
        const k = key(c[i]!, c[i + 1]!);
        const m = minBatch.get(k);
        if (m === undefined || c[i + 2]! < m) minBatch.set(k, c[i + 2]!);
      }
    }
    // the table: one entry per distinct fingerprint claimed, each published, none else
    const table = entries(set);
    const inTable = new Set<string>();
    for (const e of table) {
      const k = key(e.hi, e.lo);
      if (inTable.has(k)) wrong.push(`${k} has two entries`);
      inTable.add(k);
      if (e.lane === 0) wrong.push(`${k} never published`);
      if (!minBatch.has(k)) wrong.push(`${k} was never claimed`);
    }
    if (table.length !== minBatch.size) wrong.push(`${table.length} entries for ${minBatch.size} fingerprints`);
    if (set.count() !== minBatch.size) wrong.push(`count ${set.count()} for ${minBatch.size} fingerprints`);
    // the owners: the minimum batch that claimed each fingerprint, whatever the timing
    for (const [k, m] of minBatch) {
      const [hi, lo] = k.split(':').map(Number) as [number, number];
      const got = set.ownerOf(hi, lo);
      if (got !== m) wrong.push(`ownerOf ${k} = ${got}, the minimum batch that claimed it is ${m}`);
    }
    // the results: a worker never gets CLAIM_NEW for a batch no smaller than one it
    // claimed the fingerprint with before; the minimum batch got CLAIM_NEW exactly once
    const newOfMin = new Map<string, number>();
    claims.forEach((c, w) => {
      const mine = new Map<string, number>();
      for (let i = 0; i < c.length / LANES; i++) {
        const k = key(c[LANES * i]!, c[LANES * i + 1]!);
        const b = c[LANES * i + 2]!;
        const before = mine.get(k);
        const got = results[w]![i]!;
        if (before !== undefined && b >= before && got !== CLAIM_SEEN) wrong.push(`worker ${w} claim ${i} of ${k} by ${b} after ${before}: NEW`);
        if (before === undefined || b < before) mine.set(k, b);
        if (b === minBatch.get(k) && got === CLAIM_NEW) newOfMin.set(k, (newOfMin.get(k) ?? 0) + 1);
      }
    });
    for (const k of minBatch.keys()) if (newOfMin.get(k) !== 1) wrong.push(`${k}: ${newOfMin.get(k) ?? 0} CLAIM_NEW for its minimum batch`);
    return wrong.slice(0, 8);
  }

  it('every fingerprint ends owned by the minimum batch that claimed it, with one entry each', async () => {
    const rounds: [seed: number, nWorkers: number][] = [
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 2],
      [5, 3],
      [6, 4],
    ];
    for (const [seed, nWorkers] of rounds) {
      const { claims, capacity } = makeClaims(seed, nWorkers);
      const set = new SharedFingerprintSet(capacity);
      const results = await round(set, claims);
      expect({ seed, nWorkers, wrong: check(set, claims, results) }).toEqual({ seed, nWorkers, wrong: [] });
    }
  });
});
