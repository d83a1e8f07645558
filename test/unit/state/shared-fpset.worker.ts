/**
 * Worker of the concurrency test of SharedFingerprintSet (shared-fpset.test.ts), started
 * through a small eval'd script that registers tsx first. It says when it is loaded; each
 * message is then one round: the set's buffer, the round's shared counters, and this
 * worker's claims. The worker announces it is ready, spins until the start flag is set (so
 * that all workers start together), runs its claims in order, and answers with one result
 * per claim.
 *
 * A claim is four Int32 lanes, `hi, lo, batch, kind`, in a SharedArrayBuffer: the worker
 * writes the fingerprint and batch it actually used back into the first three, so that the
 * test knows every claim once the round is over. The kinds that take something from a
 * shared counter make workers meet on one entry at the same moment, whatever their
 * relative speed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SharedFingerprintSet } from '../../../src/state/shared-fpset.js';

/** `hi, lo, batch` as given. */
export const GIVEN = 0;
/** `hi, lo` as given; the batch is the next one of a shared countdown, lower than every batch taken before. */
export const FRESH_BATCH = 1;
/** The batch as given; the fingerprint is `freshFingerprint(n >> 1)`, `n` from a shared counter: two workers in a row get one fingerprint no one has claimed yet. */
export const FRESH_FINGERPRINT = 2;
/** The fingerprint and batch of this worker's previous claim. */
export const AGAIN = 3;

export const LANES = 4;

/** Counters lane of the start flag (0 until the main thread starts the round). */
export const START = 0;
/** Counters lane of the countdown of FRESH_BATCH. */
export const COUNTDOWN = 1;
/** Counters lane of the counter of FRESH_FINGERPRINT. */
export const FRESH = 2;

/** Fresh fingerprint number `k`: his on 64 clusters, the lo tells them apart from each other and from the test's pools. */
export function freshFingerprint(k: number): [hi: number, lo: number] {
  return [(Math.imul(k >>> 2, 0x9e3779b1) & 0xfc000000) | (k & 3), 1_000_000 + k];
}

export interface Round {
  readonly buffer: SharedArrayBuffer;
  /** Int32 lanes START, COUNTDOWN, FRESH. */
  readonly counters: SharedArrayBuffer;
  /** LANES lanes per claim. */
  readonly claims: SharedArrayBuffer;
}

export type Reply =
  | { readonly loaded: true }
  | { readonly ready: true }
  | { readonly results: Uint8Array }
  | { readonly error: string };

/** `workerData` of a worker that is to run rounds; the test imports this module for its constants only. */
export const WORKER_DATA = 'shared-fpset rounds';

const port = parentPort;
if (port !== null && workerData === WORKER_DATA) {
  port.postMessage({ loaded: true } satisfies Reply);
  port.on('message', (round: Round) => runRound(port, round));
}

function runRound(port: NonNullable<typeof parentPort>, round: Round): void {
  try {
    const set = SharedFingerprintSet.fromBuffer(round.buffer);
    const counters = new Int32Array(round.counters);
    const c = new Int32Array(round.claims);
    const n = c.length / LANES;
    const results = new Uint8Array(n);
    port.postMessage({ ready: true } satisfies Reply);
    while (Atomics.load(counters, START) === 0) {
      // spin: a sleeping worker would wake later than a spinning one
    }
    let hi = 0;
    let lo = 0;
    let batch = 0;
    for (let i = 0; i < n; i++) {
      const j = i * LANES;
      switch (c[j + 3]) {
        case GIVEN:
          hi = c[j]!;
          lo = c[j + 1]!;
          batch = c[j + 2]!;
          break;
        case FRESH_BATCH:
          hi = c[j]!;
          lo = c[j + 1]!;
          batch = Atomics.sub(counters, COUNTDOWN, 1);
          break;
        case FRESH_FINGERPRINT:
          [hi, lo] = freshFingerprint(Atomics.add(counters, FRESH, 1) >> 1);
          batch = c[j + 2]!;
          break;
        case AGAIN:
          break;
        default:
          throw new Error(`claim ${i}: unknown kind ${c[j + 3]}`);
      }
      results[i] = set.claim(hi, lo, batch);
      c[j] = hi;
      c[j + 1] = lo;
      c[j + 2] = batch;
    }
    port.postMessage({ results } satisfies Reply, [results.buffer]);
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies Reply);
  }
}
