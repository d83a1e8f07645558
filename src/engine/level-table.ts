/**
 * The fingerprint set of a breadth-first search, as it grows: which set is in use, how
 * many entries it holds, when it grows (at load 3/4, 4 times while small, 2 times once
 * large), within the memory limit, and the set prepared a level ahead for the next growth
 * of a level on the pool. The states of a level in this thread are inserted one by one
 * (`roomForOne` before each); a level on the pool is given room for twice its size first,
 * since its batches claim at once and cannot grow the set as they go.
 */
import { MmraceError } from '../errors.js';
import { MAX_CAPACITY, SharedFingerprintSet } from '../state/shared-fpset.js';
import type { Level } from './level.js';
import type { LevelPool } from './levels.js';

/** Highest load of the set: a level in this thread grows it when one more state would pass it. */
export const MAX_LOAD = 0.75;
/**
 * The set grows 4 times while it is small (each growth moves every entry, so grow seldom),
 * then 2 times from LARGE_TABLE bytes on, so that a large set is never below load 3/8
 * (10-byte entries: at most 26.7 bytes per state right after a growth, 16 from load 5/8,
 * 13.3 at load 3/4).
 */
export const GROWTH = 4;
export const LARGE_TABLE = 64 * 2 ** 20;
/**
 * Pages (4 KiB) of a prepared set touched each time the merge takes a batch result: 2 MiB,
 * about a millisecond, so that the workers' next tasks, which this thread hands out, are
 * not held up.
 */
const TOUCH_PAGES = 512;

export class LevelTable {
  set!: SharedFingerprintSet;

  /**
   * @param memory  the memory limit (bytes)
   * @param held    bytes held besides the set and a level (the parent links)
   * @param pool    the worker threads, when a level ran on them: a large set grows there
   * @param moveInThreadBelow  sets smaller than this grow in this thread
   */
  constructor(
    readonly memory: number,
    capacity: number,
    private readonly held: () => number,
    private readonly pool: () => LevelPool | null,
    private readonly moveInThreadBelow: number,
  ) {
    this.use(this.allocate(capacity) ?? this.tooBig(capacity), 0);
  }

  /**
   * The entry numbers the current level holds are of the current set, in the lanes of a
   * round (claimed on the pool): its expansion retires them (batch.ts). False after a
   * level run in this thread (whose states are stored retired) and after the set was
   * rebuilt (every entry of a rebuilt set is retired).
   */
  retire = false;
  /** Entries of the set, when known (this thread stores them one by one); -1: count them when needed. */
  stored = 0;
  /**
   * `stored` from which a state stored in this thread calls `roomForOne` (which grows the
   * set at load 3/4): a bound that is cheap to test per state; -1 when `stored` is unknown.
   */
  growAt = 0;

  /** The set now in use, after a growth or a rebuild; `stored` entries (-1: not known). */
  use(set: SharedFingerprintSet, stored: number): void {
    this.set = set;
    this.stored = stored;
    this.growAt = stored < 0 ? -1 : Math.floor(set.capacity * MAX_LOAD);
  }
  /**
   * The set the next growth moves into, allocated a level ahead (`prepare`) and its pages
   * touched a few at a time while the walk waits for results: the first write to a page
   * of a fresh buffer faults, and a growth with the workers waiting would otherwise take
   * every fault of the new set, in random order.
   */
  private prepared: { readonly set: SharedFingerprintSet; readonly view: Int32Array; at: number } | null = null;
  /** The size of the level before the one `prepare` last saw. */
  private lastLevel = 0;
  private tooBig(capacity: number): never {
    throw new MmraceError(
      'E_LIMIT',
      `the memory limit (${mib(this.memory)}) cannot hold a fingerprint set of ${capacity} entries`,
      'raise --memory',
    );
  }

  /**
   * Whether the set and `levelBytes` of a level fit the memory limit; a set prepared for
   * the next growth is the first thing given up to make them fit.
   */
  room(levelBytes: number): boolean {
    if (this.prepared !== null && this.set.bytes + this.otherBytes(levelBytes) > this.memory) this.prepared = null;
    return this.set.bytes + this.otherBytes(levelBytes) <= this.memory;
  }

  /** Bytes in use besides the fingerprint set: parent links, the current level, and a set prepared for the next growth. */
  otherBytes(levelBytes: number): number {
    return this.held() + levelBytes + (this.prepared?.set.bytes ?? 0);
  }

  /** A new set of `capacity` entries, or null when the memory limit forbids it. */
  private allocate(capacity: number, levelBytes = 0): SharedFingerprintSet | null {
    const keep = this.set === undefined ? 0 : this.set.bytes;
    const ready = this.prepared?.set;
    this.prepared = null;
    // The prepared set, if it is large enough and the memory limit still allows it.
    if (ready !== undefined && ready.capacity >= capacity && ready.bytes + keep + this.otherBytes(levelBytes) <= this.memory) return ready;
    if (SharedFingerprintSet.bytesFor(capacity) + keep + this.otherBytes(levelBytes) > this.memory) return null;
    try {
      return new SharedFingerprintSet(capacity);
    } catch (e) {
      if (e instanceof MmraceError && e.code === 'E_LIMIT') return null;
      throw e;
    }
  }

  /**
   * Allocates the set of the next growth when the level after `level` is likely to need
   * it (a next level twice as large again), within the memory limit; `touch` then faults
   * its pages in while the level runs.
   */
  prepare(level: Level, levelBytes: number, states: number): void {
    // The next level's size, guessed from this level's growth (between half and twice
    // this one): the next step grows the set when the states stored by then (`this.states
    // + next`) and room for twice the next level exceed load 3/4. A set prepared and never
    // used costs its page faults for nothing (the last levels of the reference scenario
    // would prepare 320 MiB with a guess of twice).
    const next = level.n * Math.min(2, Math.max(0.5, this.lastLevel > 0 ? level.n / this.lastLevel : 2));
    this.lastLevel = level.n;
    if (this.prepared !== null || states + 3 * next + 1024 <= this.set.capacity * MAX_LOAD) return;
    const cap = this.set.capacity;
    const set = this.allocate(cap * (this.set.bytes < LARGE_TABLE ? GROWTH : 2), levelBytes);
    if (set !== null) this.prepared = { set, view: new Int32Array(set.buffer), at: 0 };
  }

  /**
   * Touches the next pages of the prepared set (plain writes of 0: no other thread has it
   * yet): TOUCH_PAGES, or more when a level of `batches` batches would not touch it all.
   */
  touch(batches: number): void {
    const p = this.prepared;
    if (p === null || p.at >= p.view.length) return;
    const pages = Math.max(TOUCH_PAGES, Math.ceil(p.view.length / 1024 / batches));
    const end = Math.min(p.view.length, p.at + pages * 1024);
    const v = p.view;
    let i = p.at;
    for (; i < end; i += 1024) v[i] = 0;
    p.at = i;
  }

  /**
   * In this thread, before storing one more state: grows the set if that state would pass
   * load 3/4 (`levelBytes`: the memory the level under way holds besides). False at the
   * memory limit.
   */
  roomForOne(levelBytes: number): boolean {
    if (this.stored < 0) this.use(this.set, this.set.count());
    if (this.stored + 1 <= this.set.capacity * MAX_LOAD) return true;
    const cap = this.set.capacity;
    return this.grow(cap * (this.set.bytes < LARGE_TABLE ? GROWTH : 2), -1, levelBytes, false) || this.grow(cap * 2, -1, levelBytes, false);
  }

  /**
   * Replaces the set by one with room for `capacity` entries, without the entries of round
   * `drop` (-1: none), copied here or (`parallel`) by the pool; false at the memory limit.
   */
  private async grow(capacity: number, drop: number, levelBytes: number, parallel: boolean): Promise<boolean>;
  private grow(capacity: number, drop: number, levelBytes: number, parallel: false): boolean;
  private grow(capacity: number, drop: number, levelBytes: number, parallel: boolean): boolean | Promise<boolean> {
    const old = this.set;
    const next = this.allocate(Math.min(capacity, MAX_CAPACITY), levelBytes);
    if (next === null) return false;
    // Every entry of the new set is retired: the entry numbers levels hold are of the old one.
    this.retire = false;
    if (!parallel) {
      this.use(next, next.copyFrom(old, drop));
      return true;
    }
    return this.pool()!.move(old, next, drop).then(() => (this.use(next, -1), true));
  }

  /** `entries` more entries in the set (the claims of a level merged), when its count is known. */
  claimed(entries: number): void {
    if (this.stored >= 0) this.stored += entries;
  }

  /** Rebuilds the set without the entries `entries` (a level in this thread undone). */
  dropEntries(entries: ReadonlySet<number>): void {
    const next = new SharedFingerprintSet(this.set.capacity);
    this.use(next, next.copyFrom(this.set, -1, entries));
  }

  /**
   * Replaces the set by one of at least `capacity` entries, without the entries of round
   * `drop` (-1: none); false at the memory limit.
   */
  resize(capacity: number, drop: number, levelBytes: number): Promise<boolean> {
    const pool = this.pool();
    const parallel = pool !== null && this.set.capacity >= this.moveInThreadBelow;
    return Promise.resolve(this.grow(capacity, drop, levelBytes, parallel));
  }
}

/** Bytes in MiB or GiB, for messages. */
export function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}
