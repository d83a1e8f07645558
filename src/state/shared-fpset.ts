/**
 * The shared fingerprint set of the parallel explorer: a fixed-capacity, lock-free
 * open-addressing table over one SharedArrayBuffer, used by several worker threads at once.
 *
 * Layout: entries in pairs, each pair one block of 20 bytes: the Int32 lanes `hi0, lo0,
 * hi1, lo1`, then the 16-bit `owner` lanes of the two entries (10 bytes per entry). At
 * load 3/4 that is 13.3 bytes per stored state, 16 at load 5/8; the table never grows by
 * itself: the explorer builds a larger one between levels with `grownFrom`.
 *
 * - `hi == 0` marks an empty entry, so a fingerprint whose `hi` is 0 is stored with
 *   `hi = 1`: (0, lo) and (1, lo) are one fingerprint here (one more collision among 2^64,
 *   like (0, 0) and (0, 1) in fpset.ts).
 * - `lo` is stored as given.
 * - `owner`: 0 while an entry is claimed but not yet published; RETIRED_LANE once the
 *   level that claimed it is over (`retire`); else the batch that owns it, in the lanes of
 *   its round: a round is the parity of the depth claimed, and round r's batch b is lane
 *   `2 + r × (MAX_BATCH + 1) + b`.
 *
 * Why rounds: only the batches of one level compete for an entry, so an owner needs to
 * name a batch of the level, not of the whole search. While the batches of round r claim
 * the next level, the entries of the level before (round 1 - r) are either retired or
 * still in round 1 - r's lanes: either way older than every batch of round r. The
 * explorer retires each level's entries while that level is expanded (each batch its
 * states', from the entry numbers kept with the states), so when round r comes again,
 * none of its lanes is left from two levels before.
 */
import { MmraceError } from '../errors.js';

/** `claim` result: an older batch (or this batch) already had the fingerprint. */
export const CLAIM_SEEN = 0;
/** `claim` result: this batch owns the fingerprint now (new to the set, or taken from a younger batch). */
export const CLAIM_NEW = 1;
export type ClaimResult = typeof CLAIM_SEEN | typeof CLAIM_NEW;

/** Largest batch number within a round: round 1's last lane is 65535. */
export const MAX_BATCH = 32766;
/** `ownerOf` and `ownerAt` of a fingerprint claimed in a level before this round's. */
export const OLDER = -2;
/** Owner lane of an entry whose level is over. */
const RETIRED_LANE = 1;
/** Owner lane of round r's batch 0. */
const laneBase = (round: number): number => 2 + round * (MAX_BATCH + 1);

/** Bytes per block of two entries, and Int32 lanes and Uint16 lanes per block. */
const BLOCK_BYTES = 20;
const BLOCK_INTS = 5;
const BLOCK_SHORTS = 10;
/** Largest capacity (entries): 5 GiB of table, and every lane index below 2^32. */
export const MAX_CAPACITY = 2 ** 29;
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
/** Something to sleep on (Atomics.wait needs an Int32Array; the owner lanes are 16-bit). */
const NAP = new Int32Array(new SharedArrayBuffer(4));

/**
 * A claim that probes this many entries without finding its fingerprint or an empty
 * entry reports the set full (E_LIMIT). Linear probing at load 3/4 has clusters of a few
 * hundred entries in the largest tables; this bound is reached only far above that, so
 * a table the explorer keeps at load 3/4 or less never reports full by mistake, and a
 * nearly full one fails fast instead of sweeping the whole table.
 */
const PROBE_LIMIT = 1 << 13;

/** Int32 lane of entry i's `hi` (its `lo` follows). */
const hiAt = (i: number): number => (i >>> 1) * BLOCK_INTS + ((i & 1) << 1);
/** Uint16 lane of entry i's `owner`. */
const ownerLane = (i: number): number => (i >>> 1) * BLOCK_SHORTS + 8 + (i & 1);

/**
 * A set of 64-bit fingerprints, each with the batch that owns it, shared by threads
 * through one SharedArrayBuffer.
 *
 * Protocol of `claim(hi, lo, batch)` by a set object whose `round` is r (Atomics only;
 * every lane access is sequentially consistent). Let `want` be batch's lane in round r.
 * Probing starts at the home slot (multiply-shift of `hi >>> 0` by the capacity) and goes
 * on linearly, with wrap-around:
 * - an empty entry (`hi` lane 0): CAS its `hi` lane from 0 to `hi`. The winner stores `lo`,
 *   then `owner = want`, and returns CLAIM_NEW. A loser takes the value the CAS returned
 *   as the entry's `hi` and goes on as below.
 * - an entry whose `hi` matches: wait until its `owner` is published (non-zero; `lo` was
 *   stored before it, so it is visible then), and compare `lo`. Another `lo` is another
 *   fingerprint: probe on.
 * - the same fingerprint: an owner outside round r's lanes is older (CLAIM_SEEN). Within
 *   them, while the owner is greater than `want`, CAS it down to `want` (a failed CAS
 *   re-reads the owner). CLAIM_NEW when this claim's CAS succeeded, CLAIM_SEEN when the
 *   owner already was `want` or less.
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
 * - Within a round the owner lane only decreases, and only by a successful CAS from the
 *   value the claimer read, so no lowering is lost: when a claim with batch `b` returns,
 *   the owner is b's lane or less. Once all claims of a level have completed (a barrier),
 *   `ownerOf` is the minimum batch that claimed the fingerprint, whatever the interleaving.
 * - `retire` only touches entries of the other round (the level being expanded), which no
 *   claim of this round lowers: a claim reads either their old lane or RETIRED_LANE, and
 *   both are older than every batch of the round.
 * - The result of `claim` is timing-dependent (batch 5 may get CLAIM_NEW before batch 3
 *   takes the state over); only `ownerOf` after the barrier is not. A batch claims a
 *   fingerprint at most once with CLAIM_NEW: a second claim by the same batch sees an owner
 *   of its lane or less.
 *
 * No allocation per call. `count`, `grownFrom` and the constructor are for use between
 * levels, when no claim is running.
 */
export class SharedFingerprintSet {
  /** The `hi` and `lo` lanes, as Int32 (5 per block of two entries). */
  private readonly table: Int32Array;
  /** The `owner` lanes, as Uint16 (lanes 8 and 9 of each block of 10). */
  private readonly owners: Uint16Array;
  /** Entries: an even number. */
  readonly capacity: number;
  /**
   * The round whose batches this object claims for (0 or 1: the parity of the depth of the
   * states claimed). Per thread: each thread has its own object over the shared buffer.
   */
  round = 0;
  /**
   * After a `claimEntry` that returned an entry: the batch (of this round) it took the
   * fingerprint from, or -1 when the fingerprint was new to the set.
   */
  victim = -1;

  /** A new, empty set of at least `capacity` entries (rounded up to an even number; at most 2^29). */
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
    capacity += capacity & 1;
    this.capacity = capacity;
    if (buffer === undefined) {
      try {
        buffer = new SharedArrayBuffer(SharedFingerprintSet.bytesFor(capacity));
      } catch (e) {
        throw new MmraceError(
          'E_LIMIT',
          `shared fingerprint set: cannot allocate ${SharedFingerprintSet.bytesFor(capacity)} bytes (${e instanceof Error ? e.message : String(e)})`,
          'bound the search with --max-states',
        );
      }
    }
    this.table = new Int32Array(buffer, 0, (capacity / 2) * BLOCK_INTS);
    this.owners = new Uint16Array(buffer, 0, (capacity / 2) * BLOCK_SHORTS);
  }

  /** Attaches to the buffer of a set made in another thread (`set.buffer`, sent in `workerData` or a message). */
  static fromBuffer(buffer: SharedArrayBuffer): SharedFingerprintSet {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength === 0 || buffer.byteLength % BLOCK_BYTES !== 0) {
      throw new MmraceError(
        'E_INTERNAL',
        `shared fingerprint set: a buffer of ${BLOCK_BYTES}-byte blocks expected, got ${
          buffer instanceof SharedArrayBuffer ? `${buffer.byteLength} bytes` : typeof buffer
        }`,
      );
    }
    return new SharedFingerprintSet((buffer.byteLength / BLOCK_BYTES) * 2, buffer);
  }

  /** Bytes a set of `capacity` entries occupies. */
  static bytesFor(capacity: number): number {
    return Math.ceil(capacity / 2) * BLOCK_BYTES;
  }

  /** Smallest capacity that holds `states` fingerprints at load 3/4 or less. */
  static capacityFor(states: number): number {
    const c = Math.max(2, Math.ceil(states / MAX_LOAD));
    return c + (c & 1);
  }

  /**
   * A new set of `capacity` entries holding every fingerprint of `old`, retired; with
   * `drop` (a round), without those owned by a batch of that round (to run a level again
   * in a larger table: the fingerprints its batches added are dropped).
   * Single-threaded: no claim may run on `old` meanwhile (so plain reads are enough).
   */
  static grownFrom(old: SharedFingerprintSet, capacity: number, drop = -1): SharedFingerprintSet {
    const set = new SharedFingerprintSet(capacity);
    set.copyFrom(old, drop);
    return set;
  }

  /** Whether owner lane `o` (published) is kept by a growth that drops round `drop` (-1: none). */
  private static kept(o: number, drop: number): boolean {
    if (o === 0) throw new MmraceError('E_INTERNAL', 'shared fingerprint set: grown while a claim was still running');
    return drop < 0 || o < laneBase(drop) || o > laneBase(drop) + MAX_BATCH;
  }

  /**
   * Copies into this empty set every fingerprint of `old`, retired (with `drop`, not those
   * of that round; with `skip`, not the entries it holds), as `grownFrom` does, into a set
   * the caller has already allocated; returns how many it copied.
   * Single-threaded: no other thread may use either set meanwhile, so plain reads and
   * writes are enough (a third of the cost of `moveRange`).
   */
  copyFrom(old: SharedFingerprintSet, drop = -1, skip: ReadonlySet<number> | null = null): number {
    const s = old.table;
    const so = old.owners;
    const keep = (i: number): boolean => SharedFingerprintSet.kept(so[ownerLane(i)]!, drop) && (skip === null || !skip.has(i));
    let n = 0;
    for (let i = 0; i < old.capacity; i++) if (s[hiAt(i)]! !== 0 && keep(i)) n++;
    const capacity = this.capacity;
    if (!(capacity >= n)) {
      throw new MmraceError('E_INTERNAL', `shared fingerprint set: cannot move ${n} fingerprints into ${capacity} entries`);
    }
    const t = this.table;
    const to = this.owners;
    for (let i = 0; i < old.capacity; i++) {
      const j = hiAt(i);
      const h = s[j]!;
      if (h === 0 || !keep(i)) continue;
      // Every fingerprint of `old` is distinct: the first empty entry from its home is its place.
      let e = home(h, capacity);
      while (t[hiAt(e)] !== 0) if (++e === capacity) e = 0;
      const k = hiAt(e);
      t[k] = h;
      t[k + 1] = s[j + 1]!;
      to[ownerLane(e)] = RETIRED_LANE;
    }
    return n;
  }

  /**
   * Copies the entries `from` to `to` (exclusive) of `old` into this set, retired, keeping
   * only those not owned by a batch of round `drop` (-1: all). Several threads may move
   * disjoint ranges of one old set into one new set at once (growing the set in parallel);
   * no claim may run on either set meanwhile. Every fingerprint of `old` is distinct, so a
   * mover only needs an empty entry: a CAS on `hi` orders the movers that race for one.
   * Returns the number of fingerprints moved; throws E_LIMIT when this set has no room.
   */
  moveRange(old: SharedFingerprintSet, from: number, to: number, drop = -1): number {
    const s = old.table;
    const so = old.owners;
    const t = this.table;
    const cap = this.capacity;
    let n = 0;
    for (let i = from, end = Math.min(to, old.capacity); i < end; i++) {
      const j = hiAt(i);
      const h = s[j]!;
      if (h === 0 || !SharedFingerprintSet.kept(so[ownerLane(i)]!, drop)) continue;
      let e = home(h, cap);
      for (let probes = 0; ; probes++) {
        if (probes === cap) throw new MmraceError('E_LIMIT', `shared fingerprint set is full (${cap} entries)`);
        const k = hiAt(e);
        if (Atomics.load(t, k) === 0 && Atomics.compareExchange(t, k, 0, h) === 0) {
          Atomics.store(t, k + 1, s[j + 1]!);
          Atomics.store(this.owners, ownerLane(e), RETIRED_LANE);
          break;
        }
        if (++e === cap) e = 0;
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
   * Claims fingerprint (`hi`, `lo`) for batch `batch` of this object's round: CLAIM_NEW
   * when this batch owns it now (it was absent, or owned by a younger batch of the round),
   * CLAIM_SEEN when an older batch, this one or an earlier level already has it.
   * Lock-free; safe to call from several threads at once.
   */
  claim(hi: number, lo: number, batch: number): ClaimResult {
    return this.claimEntry(hi, lo, batch) >= 0 ? CLAIM_NEW : CLAIM_SEEN;
  }

  /**
   * `claim`, returning the entry that holds the fingerprint when this batch owns it now,
   * or -1 (CLAIM_SEEN). The entry never moves, so after a barrier `ownerAt(entry)` says
   * whether the batch still owns it, and `retire(entry)` ends it, without hashing or
   * probing again.
   */
  claimEntry(hi: number, lo: number, batch: number): number {
    if (batch >>> 0 !== batch || batch > MAX_BATCH) badBatch(batch);
    hi |= 0;
    lo |= 0;
    if (hi === 0) hi = 1;
    const first = laneBase(this.round);
    const want = first + batch;
    const t = this.table;
    const owners = this.owners;
    const cap = this.capacity;
    const limit = cap < PROBE_LIMIT ? cap : PROBE_LIMIT;
    let i = home(hi, cap);
    for (let probes = 0; probes < limit; probes++) {
      const j = hiAt(i);
      // A plain read is enough to probe: a non-zero `hi` never changes, and a stale 0
      // only sends this claim to the CAS, which returns the entry's real `hi`.
      let h = t[j]!;
      if (h === 0) {
        h = Atomics.compareExchange(t, j, 0, hi);
        if (h === 0) {
          // `lo` is published by the atomic store of `owner` that follows it.
          t[j + 1] = lo;
          Atomics.store(owners, ownerLane(i), want);
          this.victim = -1;
          return i;
        }
      }
      if (h === hi) {
        const k = ownerLane(i);
        let o = Atomics.load(owners, k);
        if (o === 0) o = awaitOwner(owners, k);
        // Read after a non-zero owner (an atomic load), so it sees the published `lo`.
        if (t[j + 1] === lo) {
          // An owner below this round's lanes or above them is of an earlier level.
          if (o < first || o > first + MAX_BATCH) return -1;
          while (o > want) {
            const seen = Atomics.compareExchange(owners, k, o, want);
            if (seen === o) {
              this.victim = o - first;
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

  /**
   * Inserts fingerprint (`hi`, `lo`), retired, from a single thread: its entry when it is
   * new, -1 when the set holds it already. No claim may run meanwhile (plain reads and
   * writes), and the caller keeps the load below MAX_LOAD: a set with no room throws E_LIMIT.
   */
  insert(hi: number, lo: number): number {
    hi |= 0;
    lo |= 0;
    if (hi === 0) hi = 1;
    const t = this.table;
    const cap = this.capacity;
    let i = home(hi, cap);
    for (let probes = 0; probes < cap; probes++) {
      const j = hiAt(i);
      const h = t[j]!;
      if (h === 0) {
        t[j] = hi;
        t[j + 1] = lo;
        this.owners[ownerLane(i)] = RETIRED_LANE;
        return i;
      }
      if (h === hi && t[j + 1] === lo) return -1;
      if (++i === cap) i = 0;
    }
    throw new MmraceError('E_LIMIT', `shared fingerprint set is full (${cap} entries)`, 'bound the search with --max-states');
  }

  /**
   * Ends entry `entry` (from claimEntry) of a level that is over, while the next level's
   * claims run in the other round: it becomes older than every batch of either round. A
   * plain store: a claim that reads the entry meanwhile sees its old lane or the retired
   * one, and both say CLAIM_SEEN to it.
   */
  retire(entry: number): void {
    this.owners[ownerLane(entry)] = RETIRED_LANE;
  }

  /** The batch of this round that owns entry `entry` (from claimEntry) after a barrier, or OLDER. */
  ownerAt(entry: number): number {
    return this.batchOf(Atomics.load(this.owners, ownerLane(entry)));
  }

  private batchOf(o: number): number {
    const first = laneBase(this.round);
    return o < first || o > first + MAX_BATCH ? OLDER : o - first;
  }

  /**
   * The batch of this round that owns (`hi`, `lo`), OLDER when a level before this round's
   * claimed it, or -1 when the set does not hold it. Meant for after a barrier; during
   * claims it may report an owner that is lowered later.
   */
  ownerOf(hi: number, lo: number): number {
    hi |= 0;
    lo |= 0;
    if (hi === 0) hi = 1;
    const t = this.table;
    const cap = this.capacity;
    let i = home(hi, cap);
    for (let probes = 0; probes < cap; probes++) {
      const j = hiAt(i);
      const h = Atomics.load(t, j);
      if (h === 0) return -1;
      if (h === hi) {
        const k = ownerLane(i);
        let o = Atomics.load(this.owners, k);
        if (o === 0) o = awaitOwner(this.owners, k);
        if (Atomics.load(t, j + 1) === lo) return this.batchOf(o);
      }
      if (++i === cap) i = 0;
    }
    return -1;
  }

  /** Number of fingerprints held, by a scan of the table (exact once no claim is running). */
  count(): number {
    const t = this.table;
    let n = 0;
    for (let i = 0; i < this.capacity; i++) if (Atomics.load(t, hiAt(i)) !== 0) n++;
    return n;
  }
}

/** Home slot of `hi`: multiply-shift of its unsigned value by the capacity, as in fpset.ts. */
function home(hi: number, cap: number): number {
  const i = Math.floor(((hi >>> 0) * cap) / 4294967296);
  return i >= cap ? cap - 1 : i;
}

/** Waits until the owner lane `k` of an entry another writer has just taken is published. */
function awaitOwner(owners: Uint16Array, k: number): number {
  for (let s = 0; s < SPINS; s++) {
    const o = Atomics.load(owners, k);
    if (o !== 0) return o;
  }
  for (let s = 0; s < SLEEPS; s++) {
    Atomics.wait(NAP, 0, 0, 1);
    const o = Atomics.load(owners, k);
    if (o !== 0) return o;
  }
  throw new MmraceError(
    'E_INTERNAL',
    'shared fingerprint set: an entry was taken but never published (did a worker die in the middle of a claim?)',
  );
}

function badBatch(batch: number): never {
  if (Number.isInteger(batch) && batch > MAX_BATCH) {
    throw new MmraceError('E_LIMIT', `more than ${MAX_BATCH + 1} batches in one level`, 'use larger batches or bound the search with --max-states');
  }
  throw new MmraceError('E_INTERNAL', `shared fingerprint set: batch must be an integer from 0 to ${MAX_BATCH}, not ${batch}`);
}
