/**
 * The fingerprint set: open addressing with linear probing over one Int32Array, two
 * lanes (hi, lo) per entry; (0, 0) marks an empty entry, so a fingerprint (0, 0) is
 * stored as (0, 1). One job: `put` says whether a fingerprint was new.
 *
 * Memory: 8 bytes per entry. The table grows by 1.5× when it is 3/4 full, so its load
 * stays between 1/2 and 3/4: 10.7 to 16 bytes per stored state.
 */
import { MmraceError } from '../errors.js';

const MAX_LOAD = 0.75;
const GROWTH = 1.5;
const MIN_CAPACITY = 1024;
/** Largest capacity an Int32Array of two lanes can hold. */
const MAX_CAPACITY = 2 ** 30 - 1;

export class FingerprintSet {
  private table: Int32Array;
  private cap: number;
  private limit: number;
  size = 0;
  /** Memory limit: growing the table past `maxBytes` (with `otherBytes` counted) throws E_MEMORY. */
  maxBytes = Infinity;
  otherBytes = 0;

  constructor(initialCapacity = MIN_CAPACITY) {
    const want = Number.isFinite(initialCapacity) ? Math.ceil(initialCapacity) : MIN_CAPACITY;
    this.cap = Math.min(MAX_CAPACITY, Math.max(MIN_CAPACITY, want));
    this.table = new Int32Array(this.cap * 2);
    this.limit = Math.floor(this.cap * MAX_LOAD);
  }

  /** Bytes the table occupies now. */
  get bytes(): number {
    return this.table.byteLength;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Inserts a fingerprint; true when it was not in the set. */
  put(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    const t = this.table;
    const cap = this.cap;
    let i = Math.floor(((hi >>> 0) * cap) / 4294967296);
    if (i >= cap) i = cap - 1;
    for (;;) {
      const j = i << 1;
      const h = t[j]!;
      const l = t[j + 1]!;
      if (h === 0 && l === 0) {
        t[j] = hi;
        t[j + 1] = lo;
        if (++this.size > this.limit) this.grow();
        return true;
      }
      if (h === hi && l === lo) return false;
      if (++i === cap) i = 0;
    }
  }

  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    const t = this.table;
    const cap = this.cap;
    let i = Math.floor(((hi >>> 0) * cap) / 4294967296);
    if (i >= cap) i = cap - 1;
    for (;;) {
      const j = i << 1;
      const h = t[j]!;
      const l = t[j + 1]!;
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
      if (++i === cap) i = 0;
    }
  }

  private grow(): void {
    const old = this.table;
    const oldCap = this.cap;
    const cap = Math.min(MAX_CAPACITY, Math.ceil(oldCap * GROWTH));
    if ((old.byteLength + cap * 8 + this.otherBytes) > this.maxBytes) {
      // At the limit the table fills up to 15/16 before the search stops.
      if (this.size < oldCap * 0.9375) {
        this.limit = Math.floor(oldCap * 0.9375);
        return;
      }
      throw new MmraceError(
        'E_MEMORY',
        `the memory limit (${Math.round(this.maxBytes / 2 ** 20)} MiB) was reached after ${this.size - 1} states`,
        'raise --memory',
      );
    }
    if (cap <= oldCap) {
      throw new MmraceError('E_LIMIT', `fingerprint set is full at ${this.size} states`, 'bound the search with --max-states');
    }
    this.cap = cap;
    this.table = new Int32Array(cap * 2);
    this.limit = Math.floor(cap * MAX_LOAD);
    const t = this.table;
    for (let j = 0; j < oldCap * 2; j += 2) {
      const h = old[j]!;
      const l = old[j + 1]!;
      if (h === 0 && l === 0) continue;
      let i = Math.floor(((h >>> 0) * cap) / 4294967296);
      if (i >= cap) i = cap - 1;
      while (t[i << 1] !== 0 || t[(i << 1) + 1] !== 0) if (++i === cap) i = 0;
      t[i << 1] = h;
      t[(i << 1) + 1] = l;
    }
  }
}
