/**
 * The shared fingerprint set of the parallel explorer: a fixed-capacity, lock-free
 * open-addressing table over one SharedArrayBuffer, used by several worker threads at once.
 *
 * Layout: an Int32Array with three lanes per entry, `hi`, `lo`, `owner` (12 bytes per
 * entry). At load 3/4 that is 16 bytes per stored state (24 at load 1/2); the table never
 * grows by itself: the explorer builds a larger one between levels with `grownFrom`.
 *
 * - `hi == 0` marks an empty entry, so a fingerprint whose `hi` is 0 is stored with
 *   `hi = 1`: (0, lo) and (1, lo) are one fingerprint here (one more collision among 2^64,
 *   like (0, 0) and (0, 1) in fpset.ts).
 * - `lo` is stored as given.
 * - `owner` is the owning batch id plus one, so that 0 means "claimed, not yet published".
 *
 * Batch ids are integers from 0 to MAX_BATCH.
 */
import { MmraceError } from '../errors.js';

/** `claim` result: an older batch (or this batch) already had the fingerprint. */
export const CLAIM_SEEN = 0;
/** `claim` result: this batch owns the fingerprint now (new to the set, or taken from a younger batch). */
export const CLAIM_NEW = 1;
export type ClaimResult = typeof CLAIM_SEEN | typeof CLAIM_NEW;

/** Largest batch id: `owner = batch + 1` must be a positive Int32. */
export const MAX_BATCH = 2 ** 31 - 2;

/** Int32 lanes per entry. */
const LANES = 3;
/** Bytes per entry. */
const ENTRY_BYTES = LANES * 4;
/** Largest capacity (entries): 12 GiB of table, and indexes stay exact in doubles. */
const MAX_CAPACITY = 2 ** 30 - 1;
/** Highest load the explorer should let the table reach (`capacityFor`). */
const MAX_LOAD = 0.75;

/**
 * Waiting for another writer to publish an entry: it is a few instructions between its
 * CAS on `hi` and its store of `owner`, so spin first; if that writer's thread was
 * descheduled, sleep 1 ms at a time; after about ten seconds, the writer is gone (a worker
 * died between its CAS and its stores) and waiting longer would hang the explorer.
 */
const SPINS = 1 << 12;
const SLEEPS = 10_000;

/**
 * A claim that probes this many entries without finding its fingerprint or an empty
 * entry reports the set full (E_LIMIT). Linear probing at load 3/4 has clusters of a few
 * hundred entries in the largest tables; this bound is reached only far above that, so
 * a table the explorer keeps at load 3/4 or less never reports full by mistake, and a
 * nearly full one fails fast instead of sweeping the whole table.
 */
const PROBE_LIMIT = 1 << 13;

/**
 * A set of 64-bit fingerprints, each with the id of the batch that owns it, shared by
 * threads through one SharedArrayBuffer.
 *
 * Protocol of `claim(hi, lo, batch)` (Atomics only; every lane access is sequentially
 * consistent). Probing starts at the home slot (multiply-shift of `hi >>> 0` by the
 * capacity) and goes on linearly, with wrap-around:
 * - an empty entry (`hi` lane 0): CAS its `hi` lane from 0 to `hi`. The winner stores `lo`,
 *   then `owner = batch + 1`, and returns CLAIM_NEW. A loser takes the value the CAS
 *   returned as the entry's `hi` and goes on as below.
 * - an entry whose `hi` matches: wait until its `owner` is published (non-zero; `lo` was
 *   stored before it, so it is visible then), and compare `lo`. Another `lo` is another
 *   fingerprint: probe on.
 * - the same fingerprint: while its owner is greater than `batch + 1`, CAS it down to
 *   `batch + 1` (a failed CAS re-reads the owner). CLAIM_NEW when this claim's CAS
 *   succeeded, CLAIM_SEEN when the owner already was `batch + 1` or less.
 * - another `hi`: probe on.
 * A claim that probes PROBE_LIMIT entries (or the whole table) without room or a match throws E_LIMIT.
 *
 * Why that is enough for the explorer:
 * - An entry's (`hi`, `lo`) never changes once published and no entry is ever emptied, so
 *   every claim of one fingerprint walks the same probe sequence past the same entries of
 *   other fingerprints, and stops at the same entry: the first on that sequence that holds
 *   the fingerprint or is empty. Several writers racing for an empty entry are ordered by
 *   the CAS on `hi`: one inserts, the others find its fingerprint there (or, if it is
 *   another fingerprint, probe on together). So a fingerprint has at most one entry.
 * - The owner lane only decreases, and only by a successful CAS from the value the claimer
 *   read, so no lowering is lost: when a claim with batch `b` returns, the owner is `b + 1`
 *   or less (either it saw so, or it stored `b + 1` over a larger value). Every claim thus
 *   either finds the owner at its batch or older, or lowers it to its batch; once all
 *   claims of a level have completed (a barrier), `ownerOf` is the minimum batch that
 *   claimed the fingerprint, whatever the interleaving.
 * - The result of `claim` is timing-dependent (batch 5 may get CLAIM_NEW before batch 3
 *   takes the state over); only `ownerOf` after the barrier is not. A batch id claims a
 *   fingerprint at most once with CLAIM_NEW: a second claim by the same batch sees an owner
 *   ≤ `batch + 1`.
 *
 * No allocation per call. `count`, `grownFrom` and the constructor are for use between
 * levels, when no claim is running.
 */
export class SharedFingerprintSet {
  /** The three lanes of every entry. */
  private readonly table: Int32Array;
  readonly capacity: number;
  /**
   * After a `claimEntry` that returned an entry: the batch it took the fingerprint from,
   * or -1 when the fingerprint was new to the set. Per thread (each thread has its own
   * SharedFingerprintSet object over the shared buffer).
   */
  victim = -1;

  /** A new, empty set of `capacity` entries (an integer from 1 to 2^30 - 1). */
  constructor(capacity: number);
  /** @internal attaches to an existing buffer; use `fromBuffer`. */
  constructor(capacity: number, buffer: SharedArrayBuffer);
  constructor(capacity: number, buffer?: SharedArrayBuffer) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new MmraceError('E_INTERNAL', `shared fingerprint set: capacity must be a positive integer, not ${capacity}`);
    }
    if (capacity > MAX_CAPACITY) {
      throw new MmraceError(
        'E_LIMIT',
        `shared fingerprint set: ${capacity} entries is more than the ${MAX_CAPACITY} it can hold`,
        'bound the search with --max-states',
      );
    }
    this.capacity = capacity;
    if (buffer === undefined) {
      try {
        buffer = new SharedArrayBuffer(capacity * ENTRY_BYTES);
      } catch (e) {
        throw new MmraceError(
          'E_LIMIT',
          `shared fingerprint set: cannot allocate ${capacity * ENTRY_BYTES} bytes (${e instanceof Error ? e.message : String(e)})`,
          'bound the search with --max-states',
        );
      }
    }
    this.table = new Int32Array(buffer, 0, capacity * LANES);
  }

  /** Attaches to the buffer of a set made in another thread (`set.buffer`, sent in `workerData` or a message). */
  static fromBuffer(buffer: SharedArrayBuffer): SharedFingerprintSet {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength === 0 || buffer.byteLength % ENTRY_BYTES !== 0) {
      throw new MmraceError(
        'E_INTERNAL',
        `shared fingerprint set: a buffer of ${ENTRY_BYTES}-byte entries expected, got ${
          buffer instanceof SharedArrayBuffer ? `${buffer.byteLength} bytes` : typeof buffer
        }`,
      );
    }
    return new SharedFingerprintSet(buffer.byteLength / ENTRY_BYTES, buffer);
  }

  /** Bytes a set of `capacity` entries occupies. */
  static bytesFor(capacity: number): number {
    return capacity * ENTRY_BYTES;
  }

  /** Smallest capacity that holds `states` fingerprints at load 3/4 or less. */
  static capacityFor(states: number): number {
    return Math.max(1, Math.ceil(states / MAX_LOAD));
  }

  /**
   * A new set of `capacity` entries holding every fingerprint of `old` with its owner, or,
   * with `before`, only those owned by a batch older than `before` (to run a level again
   * in a larger table: the fingerprints its batches added are dropped, the ones an older
   * batch owns keep their owner, which no batch of the level could lower).
   * Single-threaded: no claim may run on `old` meanwhile (so plain reads are enough).
   */
  static grownFrom(old: SharedFingerprintSet, capacity: number, before = Infinity): SharedFingerprintSet {
    const set = new SharedFingerprintSet(capacity);
    set.copyFrom(old, before);
    return set;
  }

  /**
   * Copies into this empty set every fingerprint of `old` with its owner (with `before`,
   * only those owned by a batch older than `before`), as `grownFrom` does, into a set the
   * caller has already allocated. Single-threaded: no other thread may use either set
   * meanwhile, so plain reads and writes are enough (a third of the cost of `moveRange`).
   */
  copyFrom(old: SharedFingerprintSet, before = Infinity): void {
    const s = old.table;
    const oldEnd = old.capacity * LANES;
    const capacity = this.capacity;
    let n = 0;
    for (let j = 0; j < oldEnd; j += LANES) {
      if (s[j]! === 0) continue;
      const o = s[j + 2]!;
      if (o === 0) throw new MmraceError('E_INTERNAL', 'shared fingerprint set: grown while a claim was still running');
      if (o - 1 < before) n++;
    }
    if (!(capacity >= n)) {
      throw new MmraceError('E_INTERNAL', `shared fingerprint set: cannot move ${n} fingerprints into ${capacity} entries`);
    }
    const t = this.table;
    for (let j = 0; j < oldEnd; j += LANES) {
      const h = s[j]!;
      if (h === 0) continue;
      const o = s[j + 2]!;
      if (!(o - 1 < before)) continue;
      // Every fingerprint of `old` is distinct: the first empty entry from its home is its place.
      let i = home(h, capacity);
      while (t[i * LANES] !== 0) if (++i === capacity) i = 0;
      const k = i * LANES;
      t[k] = h;
      t[k + 1] = s[j + 1]!;
      t[k + 2] = o;
    }
  }

  /**
   * Copies the entries `from` to `to` (exclusive) of `old` into this set, with their
   * owners, keeping only those owned by a batch older than `before`. Several threads may
   * move disjoint ranges of one old set into one new set at once (growing the set in
   * parallel); no claim may run on either set meanwhile. Every fingerprint of `old` is
   * distinct, so a mover only needs an empty entry: a CAS on `hi` orders the movers that
   * race for one. Returns the number of fingerprints moved; throws E_LIMIT when this set
   * has no room.
   */
  moveRange(old: SharedFingerprintSet, from: number, to: number, before = Infinity): number {
    const s = old.table;
    const t = this.table;
    const cap = this.capacity;
    let n = 0;
    for (let j = from * LANES, end = Math.min(to, old.capacity) * LANES; j < end; j += LANES) {
      const h = s[j]!;
      if (h === 0) continue;
      const o = s[j + 2]!;
      if (o === 0) throw new MmraceError('E_INTERNAL', 'shared fingerprint set: grown while a claim was still running');
      if (!(o - 1 < before)) continue;
      let i = home(h, cap);
      for (let probes = 0; ; probes++) {
        if (probes === cap) throw new MmraceError('E_LIMIT', `shared fingerprint set is full (${cap} entries)`);
        const k = i * LANES;
        if (Atomics.load(t, k) === 0 && Atomics.compareExchange(t, k, 0, h) === 0) {
          Atomics.store(t, k + 1, s[j + 1]!);
          Atomics.store(t, k + 2, o);
          break;
        }
        if (++i === cap) i = 0;
      }
      n++;
    }
    return n;
  }

  /** The buffer to share with other threads (`fromBuffer`). */
  get buffer(): SharedArrayBuffer {
    return this.table.buffer as SharedArrayBuffer;
  }

  /** Bytes the table occupies. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /**
   * Claims fingerprint (`hi`, `lo`) for batch `batch`: CLAIM_NEW when this batch owns it
   * now (it was absent, or owned by a younger batch), CLAIM_SEEN when an older batch or
   * this one already owns it. Lock-free; safe to call from several threads at once.
   */
  claim(hi: number, lo: number, batch: number): ClaimResult {
    return this.claimEntry(hi, lo, batch) >= 0 ? CLAIM_NEW : CLAIM_SEEN;
  }

  /**
   * `claim`, returning the entry that holds the fingerprint when this batch owns it now,
   * or -1 (CLAIM_SEEN). The entry never moves, so after a barrier `ownerAt(entry)` says
   * whether the batch still owns it, without hashing or probing again.
   */
  claimEntry(hi: number, lo: number, batch: number): number {
    if (batch >>> 0 !== batch || batch > MAX_BATCH) badBatch(batch);
    hi |= 0;
    lo |= 0;
    if (hi === 0) hi = 1;
    const want = batch + 1;
    const t = this.table;
    const cap = this.capacity;
    const limit = cap < PROBE_LIMIT ? cap : PROBE_LIMIT;
    let i = home(hi, cap);
    for (let probes = 0; probes < limit; probes++) {
      const j = i * LANES;
      // A plain read is enough to probe: a non-zero `hi` never changes, and a stale 0
      // only sends this claim to the CAS, which returns the entry's real `hi`.
      let h = t[j]!;
      if (h === 0) {
        h = Atomics.compareExchange(t, j, 0, hi);
        if (h === 0) {
          // `lo` is published by the atomic store of `owner` that follows it.
          t[j + 1] = lo;
          Atomics.store(t, j + 2, want);
          this.victim = -1;
          return i;
        }
      }
      if (h === hi) {
        let o = Atomics.load(t, j + 2);
        if (o === 0) o = awaitOwner(t, j + 2);
        // Read after a non-zero owner (an atomic load), so it sees the published `lo`.
        if (t[j + 1] === lo) {
          while (o > want) {
            const seen = Atomics.compareExchange(t, j + 2, o, want);
            if (seen === o) {
              this.victim = o - 1;
              return i;
            }
            o = seen;
          }
          return -1;
        }
      }
      if (++i === cap) i = 0;
    }
    throw new MmraceError(
      'E_LIMIT',
      `shared fingerprint set is full (${cap} entries)`,
      'bound the search with --max-states, or give the explorer more room between levels',
    );
  }

  /** The batch that owns entry `entry` (from claimEntry), after a barrier. */
  ownerAt(entry: number): number {
    return Atomics.load(this.table, entry * LANES + 2) - 1;
  }

  /**
   * The batch that owns (`hi`, `lo`), or -1 when the set does not hold it. Meant for after
   * a barrier; during claims it may report an owner that is lowered later.
   */
  ownerOf(hi: number, lo: number): number {
    hi |= 0;
    lo |= 0;
    if (hi === 0) hi = 1;
    const t = this.table;
    const cap = this.capacity;
    let i = home(hi, cap);
    for (let probes = 0; probes < cap; probes++) {
      const j = i * LANES;
      const h = Atomics.load(t, j);
      if (h === 0) return -1;
      if (h === hi) {
        let o = Atomics.load(t, j + 2);
        if (o === 0) o = awaitOwner(t, j + 2);
        if (Atomics.load(t, j + 1) === lo) return o - 1;
      }
      if (++i === cap) i = 0;
    }
    return -1;
  }

  /** Number of fingerprints held, by a scan of the table (exact once no claim is running). */
  count(): number {
    const t = this.table;
    const end = this.capacity * LANES;
    let n = 0;
    for (let j = 0; j < end; j += LANES) if (Atomics.load(t, j) !== 0) n++;
    return n;
  }
}

/** Home slot of `hi`: multiply-shift of its unsigned value by the capacity, as in fpset.ts. */
function home(hi: number, cap: number): number {
  const i = Math.floor(((hi >>> 0) * cap) / 4294967296);
  return i >= cap ? cap - 1 : i;
}

/** Waits until the owner lane `k` of an entry another writer has just taken is published. */
function awaitOwner(t: Int32Array, k: number): number {
  for (let s = 0; s < SPINS; s++) {
    const o = Atomics.load(t, k);
    if (o !== 0) return o;
  }
  for (let s = 0; s < SLEEPS; s++) {
    Atomics.wait(t, k, 0, 1);
    const o = Atomics.load(t, k);
    if (o !== 0) return o;
  }
  throw new MmraceError(
    'E_INTERNAL',
    'shared fingerprint set: an entry was taken but never published (did a worker die in the middle of a claim?)',
  );
}

function badBatch(batch: number): never {
  if (Number.isInteger(batch) && batch > MAX_BATCH) {
    throw new MmraceError('E_LIMIT', `more than ${MAX_BATCH + 1} batches`, 'use larger batches or bound the search with --max-states');
  }
  throw new MmraceError('E_INTERNAL', `shared fingerprint set: batch id must be an integer from 0 to ${MAX_BATCH}, not ${batch}`);
}
