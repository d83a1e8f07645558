/**
 * Breadth-first search, level by level: the one implementation of BFS, at any number of
 * worker threads, with one result (verdict, counts, counterexample) whatever the number.
 *
 * A level is every state at one depth, with consecutive ids (level.ts). The driver here
 * runs one level at a time and, between two levels, holds a whole search (every state of
 * the next level stored, none expanded): that is where it grows the fingerprint set,
 * checks the memory limit, stops for a signal or a limit, and saves a checkpoint
 * (checkpoint.ts). A level runs one of two ways, to the same effect:
 *
 * - in this thread (level-thread.ts): the sequential search itself, state after state, for
 *   every level when there are no workers and for small levels otherwise;
 * - on worker threads (a LevelPool, which parallel/ provides): the level is cut into
 *   batches that expand their states and claim their successors in the shared fingerprint
 *   set at once (batch.ts); this thread then replays the batches' results in sequential
 *   order (level-merge.ts), so that counts, events and the counterexample are those of
 *   the sequential search.
 *
 * The fingerprint set (state/shared-fpset.ts) is shared memory either way, so the search
 * goes from one way to the other between any two levels.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CompiledModel } from '../model/compile.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import { MAX_BATCH, SharedFingerprintSet } from '../state/shared-fpset.js';
import { VERSION } from '../version.js';
import { ABORT, CONTROL_WORDS, recordSize, type BatchMode, type BatchResult, type BatchInput } from './batch.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  DEFAULT_EVERY,
  checkpointKey,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type CheckpointKey,
  type SaveReason,
  type Written,
} from './checkpoint.js';
import { Clock, type ClockStop } from './clock.js';
import { Judge, foundError, invariantViolation } from './judge.js';
import { expandInThread } from './level-thread.js';
import { mergeLevel } from './level-merge.js';
import { levelOf, levelRecords, type Level } from './level.js';
import { GROWTH, LARGE_TABLE, LevelTable, mib } from './level-table.js';
import { Links, NO_PARENT } from './links.js';
import { defaultMemory, sleepApplies } from './limits.js';
import { reductionsOf, type FoundError, type FoundViolation, type LimitKind, type Path, type SearchOutcome, type ShardInfo } from './result.js';
import type { SearchOptions } from './search.js';
import { Expander } from './transitions.js';
import { DEFAULT_STEP_TIMEOUT, stuckError, stuckStep, watchThisThread } from './watchdog.js';

/** Largest batch (states) of a level run on the pool. */
export const BATCH = 8192;
/** Smallest batch of a level run on the pool, unless `batchSize` is smaller. */
const MIN_BATCH = 256;
/** Batches per worker a level is cut into, at least (load balance at the barrier). */
const BATCHES_PER_WORKER = 4;
/**
 * Growing a set of fewer entries than this runs in this thread. Moving the entries on
 * the workers was measured slower on a 2-core virtual machine (the first touches of the
 * new buffer's pages are serialised by the kernel, and each move is a CAS), so by default
 * this thread moves them; `moveInThreadBelow` selects the workers.
 */
const MOVE_IN_THREAD_BELOW = Infinity;
/**
 * Initial capacity of the fingerprint set (640 KiB). Small, so that the first levels'
 * claims do not each fault in a page of a large buffer: page faults are slow while the
 * workers start (their own memory mappings contend with them), and a small set's
 * growths cost little.
 */
const FIRST_CAPACITY = 1 << 16;
/** One part of a search split N ways (`--shard i/N`). */
export interface Shard {
  readonly index: number;
  readonly count: number;
  /** Depth whose states are partitioned (default: the first level with SHARD_SPREAD states per shard). */
  readonly depth?: number | undefined;
}

/** Default partition depth: the first level reached from a level of this many states per shard. */
export const SHARD_SPREAD = 16;

/** The shard a state belongs to: its fingerprint, hashed apart from the set's own home slot. */
export function shardOf(hi: number, lo: number, count: number): number {
  return (Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b) >>> 0) % count;
}

/** The level explorer's sizes (for tests: they never change a result). */
export interface LevelTuning {
  /** Largest batch on the pool (a small one makes many batches; the default is BATCH). */
  readonly batchSize?: number | undefined;
  /** Levels smaller than this run in this thread (0 sends every level to the pool). */
  readonly inThreadBelow?: number | undefined;
  /** First capacity of the fingerprint set (a small one makes levels overflow it). */
  readonly tableCapacity?: number | undefined;
  /** Sets smaller than this grow in this thread (0 makes every growth run on the workers). */
  readonly moveInThreadBelow?: number | undefined;
}

export interface CheckpointOptions {
  /** The checkpoint file (written to a temporary file beside it, then renamed over it). */
  readonly file: string;
  /** Seconds between two saves, each at a level boundary (default DEFAULT_EVERY). */
  readonly every?: number | undefined;
  /** Told of every save, with why it was made. */
  readonly onSaved?: ((s: Saved) => void) | undefined;
}

/** A checkpoint written: where, how large, how long it took, and the search it holds. */
export interface Saved extends Written {
  readonly reason: SaveReason;
  readonly states: number;
  readonly depth: number;
}

export interface LevelOptions extends SearchOptions, LevelTuning {
  /** Explore only part `index` of `count` of the state space beyond the partition depth. */
  readonly shard?: Shard | undefined;
  /**
   * Stops the search at its next safe point (the command line aborts it on SIGINT and
   * SIGTERM): the level under way is cut short (with `checkpoint`, undone, to be run again
   * on resume), and the verdict is incomplete, limit `interrupted`, unless a violation was
   * found first.
   */
  readonly signal?: AbortSignal | undefined;
  /** Save the search to a file now and then, and where it stops before its end. */
  readonly checkpoint?: CheckpointOptions | undefined;
  /** Go on with the search saved in this checkpoint file (refused, E_CHECKPOINT, if it is of another search). */
  readonly resume?: string | undefined;
}

/** A batch as the pool runs it: its input, but for the states, and where its states are in the level. */
export type PooledBatch = Omit<BatchInput, 'pieces'>;

/**
 * Worker threads that expand the batches of a level (parallel/levels-pool.ts). The search
 * asks it level by level whether the level runs there; between levels the pool may
 * start, warm up, or say it is not worth its threads yet.
 */
export interface LevelPool {
  /** Worker threads when in use. */
  readonly workers: number;
  /**
   * Whether `level` runs on the threads. It may start them (they then load the model);
   * until they are ready, levels run in this thread. `seconds`: the search's time so far.
   */
  takes(level: Level, seconds: number): boolean;
  /** While the threads start: true, and this thread yields between levels to let their messages in. */
  readonly starting: boolean;
  /**
   * Told of each level run: on the threads or here, with its transitions and seconds (the
   * pool may stop taking levels that run faster here).
   */
  observe(pooled: boolean, transitions: number, seconds: number): void;
  /**
   * Runs the batches of `level` on the threads; each result arrives on its own (in any
   * order). A batch that does not come back (its worker died, or its step hung and the
   * watchdog stopped it) rejects with BatchLost.
   */
  expand(level: Level, batches: readonly PooledBatch[], table: SharedFingerprintSet, control: Int32Array, spare: readonly (readonly SharedArrayBuffer[])[]): Promise<BatchResult>[];
  /**
   * After a run of `level` that lost batches: null to run the level again, or why the
   * search ends (E_WORKER, or E_STEP_TIMEOUT with the index in the level of the state
   * whose step hung).
   */
  afterLoss(level: Level, batches: readonly PooledBatch[]): { readonly code: string; readonly message: string; readonly hint?: string | undefined; readonly at: number | null } | null;
  /** Moves the fingerprints of `from` into `to` on the threads, but those of round `drop` (-1: none). */
  move(from: SharedFingerprintSet, to: SharedFingerprintSet, drop: number): Promise<void>;
  /** Ends the threads (a pool made for this search). */
  close(): Promise<void>;
}

/** A batch whose result never came (its worker died, or was stopped by the step watchdog). */
export class BatchLost extends Error {}

interface Found {
  readonly violation: FoundViolation;
  /** Order of discovery (for the order of the report). */
  readonly seq: number;
}

/** The counts and violations before a level, to put back when the level is undone. */
export interface Before {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly found: Map<string, Found>;
}

/** Why the search stopped short: a limit, or an interrupt (SIGINT, SIGTERM). */
export type SearchStop = LimitKind | 'interrupted';

/** The search's state between levels, and what the two ways of running a level share. */
export class LevelSearch {
  readonly size: number;
  readonly nInst: number;
  readonly links: Links;
  readonly ex: Expander;
  readonly judge: Judge;
  readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  readonly all: boolean;
  /** Partial-order reduction is on (and the model has a private actor for it to use). */
  readonly por: boolean;
  /** Symmetry reduction is on (and the model has a symmetric actor with two instances or more). */
  readonly sym: boolean;
  /** Sleep sets (sleepApplies): each state of a level carries its sleep set (recordSize). */
  readonly sleep: boolean;
  readonly memory: number;
  readonly deadline: number;
  /** The fingerprint set, as it grows. */
  readonly table: LevelTable;
  states = 0;
  transitions = 0;
  depth = 0;
  /** The buffers of the last level's results, per batch, to reuse (batch.ts addSpares). */
  stash: SharedArrayBuffer[][] = [];
  /** Time, the time limit in this thread, progress. */
  readonly clock: Clock;
  nextBatch = 1;
  /** First violation (or, with allViolations, the first of each property). */
  readonly found = new Map<string, Found>();
  error: FoundError | null = null;
  limitHit: SearchStop | null = null;
  limitMessage: string | null = null;
  readonly shard: Shard | null;
  /** Depth of the states partitioned among shards (null: not reached yet). */
  shardDepth: number | null;
  /** Aborted to stop the search (LevelOptions.signal). */
  readonly signal: AbortSignal | null;
  /** Some batch of the level being walked returned early: the ABORT word or the deadline. */
  levelAborted = false;
  /**
   * The level the search stopped before, when it can go on from there (an interrupt, the
   * time limit, the memory limit): none of its states counts as expanded. With `dropRound`
   * 0 or 1, the set still holds the claims of an expansion of it that was undone, in that
   * round's lanes; a checkpoint records that, and loading it drops them.
   */
  redo: Level | null = null;
  dropRound = -1;
  /** When the checkpoint file was last written (or the search started). */
  private lastSave = performance.now();
  /** The level before which the checkpoint file was last written, and that write. */
  private lastWrite: { readonly level: Level; readonly written: Written } | null = null;
  private keyOf: CheckpointKey | null = null;
  /** Worker threads of levels that ran on the pool (0: every level ran in this thread). */
  workersUsed = 0;

  constructor(
    readonly m: CompiledModel,
    readonly modelPath: string,
    readonly opts: LevelOptions,
    readonly pool: LevelPool | null,
  ) {
    this.nInst = m.instances.length;
    this.links = new Links(this.nInst);
    this.ex = new Expander(m);
    this.judge = new Judge(m, this.ex);
    this.all = opts.allViolations === true;
    this.por = opts.por === true && m.hasPrivate;
    this.sym = opts.symmetry === true && m.symmetry !== null;
    this.sleep = sleepApplies(m, opts, this.sym);
    this.size = recordSize(m, this.sleep);
    this.shard = opts.shard ?? null;
    this.shardDepth = opts.shard?.depth ?? null;
    this.memory = opts.memory ?? defaultMemory();
    this.deadline = opts.timeLimit !== undefined ? Date.now() + opts.timeLimit * 1000 : Infinity;
    this.clock = new Clock(opts);
    const first = opts.tableCapacity ?? (opts.maxStates !== undefined ? Math.min(SharedFingerprintSet.capacityFor(opts.maxStates + 16), FIRST_CAPACITY) : FIRST_CAPACITY);
    // At most a quarter of the memory limit to start with.
    const fit = Math.max(1024, Math.floor(this.memory / 4 / SharedFingerprintSet.bytesFor(1)));
    this.table = new LevelTable(this.memory, Math.min(first, fit), () => this.links.bytes, () => (this.workersUsed > 0 ? this.pool : null), opts.moveInThreadBelow ?? MOVE_IN_THREAD_BELOW);
    this.signal = opts.signal ?? null;
    // Batches running on the workers see the word and return early.
    this.signal?.addEventListener('abort', this.abortLevel);
  }

  private readonly abortLevel = (): void => {
    Atomics.store(this.control, ABORT, 1);
  };

  /** Seconds since the search began. */
  get seconds(): number {
    return this.clock.seconds;
  }

  /** What a checkpoint of this search must match (hashes the model's source once). */
  get key(): CheckpointKey {
    return (this.keyOf ??= checkpointKey(this.m, this.modelPath, {
      por: this.por,
      symmetry: this.sym,
      sleep: this.sleep,
      allViolations: this.all,
      maxStates: this.opts.maxStates,
      maxDepth: this.opts.maxDepth,
      shard: this.shard ?? undefined,
    }));
  }

  get stopped(): boolean {
    return this.error !== null || this.limitHit !== null || (!this.all && this.found.size > 0);
  }

  /** Records a violation: the first of its property (with allViolations; else the search stops). */
  record(v: FoundViolation): void {
    if (!this.found.has(v.property)) this.found.set(v.property, { violation: v, seq: this.found.size });
  }

  /** Records a model error; `path` leads to the state where it happened (a StepError adds the step). */
  fail(e: unknown, path: Path | null): void {
    this.error = foundError(e, path);
  }

  /** Stops the search before `level`, where it can go on (`redo`); `kind`, unless a limit was already recorded. */
  stopBefore(level: Level, kind: SearchStop | null, dropRound = -1): null {
    if (kind !== null) this.limitHit = kind;
    this.redo = level;
    this.dropRound = dropRound;
    return null;
  }

  /** Whether the search stops at the boundary before `level`: an interrupt, or the time limit. */
  stopsAt(level: Level): boolean {
    if (!this.signal?.aborted && Date.now() < this.deadline) return false;
    this.stopBefore(level, this.signal?.aborted ? 'interrupted' : 'time-limit');
    return true;
  }

  /** Whether a periodic checkpoint is due (one is written every `checkpoint.every` seconds). */
  saveDue(): boolean {
    const ck = this.opts.checkpoint;
    return ck !== undefined && performance.now() - this.lastSave >= (ck.every ?? DEFAULT_EVERY) * 1000;
  }

  /**
   * Looks at the clock (a level boundary, or every so often within a level in this
   * thread): progress when due, `queued` states still to expand; why to stop, or null.
   */
  look(queued: number): ClockStop | null {
    return this.clock.look(() => ({ states: this.states, transitions: this.transitions, depth: this.depth, queued, workers: this.workersUsed }));
  }

  /**
   * Writes the checkpoint file, if there is one: the search stopped before `level` (a
   * level boundary, or the level of `redo`), after `seconds` of search. A search that
   * stops at the boundary the file already holds (saved on schedule just before, the
   * level since undone if it was started) is not written again: under a SIGTERM, time is
   * short.
   */
  async save(level: Level, reason: SaveReason, seconds: number): Promise<void> {
    const ck = this.opts.checkpoint;
    if (ck === undefined) return;
    const written = this.lastWrite?.level === level ? this.lastWrite.written : await this.write(ck.file, level, reason, seconds);
    this.lastWrite = { level, written };
    this.lastSave = performance.now();
    ck.onSaved?.({ ...written, reason, states: this.states, depth: this.depth });
  }

  /** Writes the search stopped before `level` to `file` (checkpoint.ts has the layout). */
  private write(file: string, level: Level, reason: SaveReason, seconds: number): Promise<Written> {
    const links = this.links.views();
    return writeCheckpoint(
      file,
      {
        format: CHECKPOINT_FORMAT,
        version: CHECKPOINT_VERSION,
        mmrace: VERSION,
        savedAt: new Date().toISOString(),
        reason,
        modelPath: this.modelPath,
        key: this.key,
        search: {
          states: this.states,
          transitions: this.transitions,
          depth: this.depth,
          seconds,
          level: { firstId: level.firstId, n: level.n, depth: level.depth },
          recordSize: this.size,
          nextBatch: this.nextBatch,
          retire: this.table.retire,
          dropRound: level === this.redo ? this.dropRound : -1,
          shardDepth: this.shardDepth,
          found: [...this.found.values()].map(({ violation: v, seq }) => ({ violation: { ...v, path: { init: v.path.init, moves: v.path.moves.map(([k, o]) => [k, o]) } }, seq })),
        },
        run: { workers: this.pool?.workers ?? 0, memory: this.memory, timeLimit: this.opts.timeLimit ?? null },
      },
      [
        { name: 'table', parts: [new Uint8Array(this.table.set.buffer)] },
        { name: 'parents', parts: links.parents },
        { name: 'moves', parts: links.moves },
        { name: 'level', parts: [levelRecords(level, this.size)] },
      ],
    );
  }

  /**
   * Takes up the search saved in `ck` (read and checked by readCheckpoint); returns the
   * level to expand next. A set that holds the claims of an undone expansion is rebuilt
   * without them, as after an overflow; its entries are then all retired.
   */
  restore(ck: Checkpoint): Level {
    const s = ck.header.search;
    let table = SharedFingerprintSet.fromBuffer(ck.sections.table);
    if (s.dropRound >= 0) table = SharedFingerprintSet.grownFrom(table, table.capacity, s.dropRound);
    this.table.use(table, -1);
    this.table.retire = s.retire && s.dropRound < 0;
    this.links.adopt(new Int32Array(ck.sections.parents), new Int32Array(ck.sections.moves));
    this.states = s.states;
    this.transitions = s.transitions;
    this.depth = s.depth;
    this.nextBatch = s.nextBatch;
    this.shardDepth = s.shardDepth;
    for (const f of s.found) this.found.set(f.violation.property, f);
    return levelOf(s.level.firstId, s.level.depth, [{ records: new Int32Array(ck.sections.level), kept: null, count: s.level.n }]);
  }

  memoryLimit(what: string): void {
    this.limitHit = 'memory';
    this.limitMessage = `the memory limit (${mib(this.memory)}) was reached ${what}`;
  }

  /**
   * Stores the initial states (retired, as a level in this thread stores its states);
   * returns the first level. The model's init and the initial states' invariants run
   * under the step watchdog, as each level's steps do (level-thread.ts).
   */
  initial(): Level | null {
    const seconds = this.opts.stepTimeout ?? DEFAULT_STEP_TIMEOUT;
    let at = -1;
    const watch = watchThisThread(seconds, (word, cause) => {
      const e = stuckError(this.m, word, cause);
      // Init hung or filled memory before initial state `at + 1`, or an invariant of state `at`.
      const path = stuckStep(this.m, word).what === 'an invariant' && at >= 0 ? { init: at, moves: [] } : null;
      this.error = { code: e.code, message: e.message, hint: e.hint, path };
      this.opts.onStuck?.(this.outcome());
    });
    const own = this.ex.heart;
    if (watch) this.ex.heart = watch.heart;
    try {
      return this.storeInitial((i) => {
        at = i;
      });
    } finally {
      this.ex.heart = own;
      watch?.stop();
    }
  }

  private storeInitial(onState: (i: number) => void): Level | null {
    const kept: Int32Array[] = [];
    const entries: number[] = [];
    try {
      this.m.forEachInitialState((s, i) => {
        onState(i);
        const go = this.storeOneInitial(s, i, kept, entries);
        // The invariants of that state left the heart IDLE: init runs again next.
        this.ex.beatInit();
        return go;
      });
    } catch (e) {
      if (this.error === null) this.fail(e, null);
    }
    if (this.stopped) return null;
    const records = new Int32Array(new SharedArrayBuffer(Math.max(4, kept.length * this.size * 4)));
    kept.forEach((s, j) => records.set(s, j * this.size));
    entries.forEach((e, j) => (records[(j + 1) * this.size - 1] = e));
    return levelOf(0, 0, [{ records, kept: null, count: kept.length }]);
  }

  /** Stores initial state `i`; false when the search stops there. */
  private storeOneInitial(s: Int32Array, i: number, kept: Int32Array[], entries: number[]): boolean {
    try {
      this.m.canonical(s, this.sym);
    } catch (e) {
      this.fail(e, { init: i, moves: [] });
      return false;
    }
    if (!this.table.roomForOne(0)) {
      this.memoryLimit(`while storing the initial states`);
      return false;
    }
    fingerprint(s, this.m.size);
    const entry = this.table.set.insert(fp.hi, fp.lo);
    if (entry < 0) return true;
    this.table.stored++;
    if (this.opts.maxStates !== undefined && this.states >= this.opts.maxStates) {
      this.limitHit = 'max-states';
      return false;
    }
    const id = this.states++;
    this.links.push(NO_PARENT, i);
    let violated: readonly string[];
    try {
      violated = this.judge.violated(s, this.all);
    } catch (e) {
      this.fail(e, { init: i, moves: [] });
      return false;
    }
    for (const inv of violated) this.record(invariantViolation(inv, this.links.pathTo(id)));
    if (violated.length > 0 && !this.all) return false;
    kept.push(s.slice());
    entries.push(entry);
    return true;
  }

  /**
   * Cuts a level into batches. Each batch is a share of what remains (guided scheduling):
   * large batches first, then smaller ones, so that the workers finish a level close together.
   */
  private plan(level: Level, workers: number): [number, number][] {
    // A level has at most MAX_BATCH + 1 batches (the owner lanes of a round).
    const least = Math.ceil(level.n / (MAX_BATCH + 1));
    const max = Math.max(least, this.opts.batchSize ?? BATCH);
    const shares = workers * BATCHES_PER_WORKER;
    const out: [number, number][] = [];
    for (let off = 0; off < level.n; ) {
      const size = Math.max(least, 1, Math.min(max, Math.max(Math.ceil((level.n - off) / shares), Math.min(MIN_BATCH, max))));
      out.push([off, Math.min(size, level.n - off)]);
      off += size;
    }
    return out;
  }

  /** The batches of a level on the pool: their inputs, but for the states. */
  private batches(level: Level, mode: BatchMode, cuts: readonly [number, number][], firstBatch: number): PooledBatch[] {
    return cuts.map((cut, b) => ({
      batch: firstBatch + b,
      index: b,
      round: (level.depth + 1) & 1,
      retire: this.table.retire,
      offset: cut[0],
      count: cut[1],
      mode,
      allViolations: this.all,
      deadline: this.deadline,
      por: this.por,
      symmetry: this.sym,
      sleep: this.sleep,
    }));
  }

  /** The counts and violations now, to put back if the level is undone. */
  before(): Before {
    return { states: this.states, transitions: this.transitions, depth: this.depth, found: new Map(this.found) };
  }

  /** Puts the counts, links and violations back as they were before a level. */
  undo(before: Before): void {
    this.links.truncate(before.states);
    Object.assign(this, { states: before.states, transitions: before.transitions, depth: before.depth, error: null, limitHit: null, limitMessage: null });
    this.found.clear();
    for (const [k, v] of before.found) this.found.set(k, v);
  }

  /** Runs one level; returns the next one, or null when the search stops. */
  async step(level: Level): Promise<Level | null> {
    const mode: BatchMode = this.opts.maxDepth !== undefined && level.depth >= this.opts.maxDepth ? 'depth' : 'full';
    const levelBytes = level.n * this.size * 4 * 3;
    // A set prepared for the next growth is the first thing to give up at the limit.
    if (!this.table.room(levelBytes)) {
      this.memoryLimit(`at depth ${level.depth}, after ${this.states} states`);
      return this.stopBefore(level, null);
    }
    // --shard: partition at the first level of at least SHARD_SPREAD states per shard.
    if (this.shard !== null && this.shardDepth === null && level.n >= SHARD_SPREAD * this.shard.count) this.shardDepth = level.depth + 1;
    // While the pool starts, let its messages in between levels run in this thread.
    if (this.pool?.starting) await nextTurn();
    const pooled = mode === 'full' && this.pool !== null && this.pool.takes(level, this.seconds);
    const t0 = performance.now();
    const tx0 = this.transitions;
    const next = pooled ? await this.onPool(level, mode, levelBytes) : expandInThread(this, level, mode);
    if (next !== null) this.pool?.observe(pooled, this.transitions - tx0, (performance.now() - t0) / 1000);
    return next;
  }

  /** Runs a level on the pool, after growing the set for the level's claims. */
  private async onPool(level: Level, mode: BatchMode, levelBytes: number): Promise<Level | null> {
    this.workersUsed = this.pool!.workers;
    // Room for a next level twice as large as this one, at load 3/4 at most: the
    // batches claim at once, and cannot grow the set as they go.
    const want = SharedFingerprintSet.capacityFor(this.states + 2 * level.n + 1024);
    if (want > this.table.set.capacity) {
      // The largest growth the memory limit allows; at the limit, go on at a higher load
      // (the level runs again if it overflows).
      const cap = this.table.set.capacity;
      const factor = this.table.set.bytes < LARGE_TABLE ? GROWTH : 2;
      for (const c of [Math.max(want, cap * factor), Math.max(want, cap * 2), want]) if (await this.table.resize(c, -1, levelBytes)) break;
    }
    this.table.prepare(level, levelBytes, this.states);
    return this.batchesOnPool(level, mode, levelBytes);
  }

  /** Runs a level on the pool: batches, then the merge of their results; again after an overflow or a lost batch. */
  private async batchesOnPool(level: Level, mode: BatchMode, levelBytes: number): Promise<Level | null> {
    const pool = this.pool!;
    const cuts = this.plan(level, pool.workers);
    const firstBatch = this.nextBatch;
    this.nextBatch += cuts.length;
    const batches = this.batches(level, mode, cuts, firstBatch);
    const round = (level.depth + 1) & 1;
    for (;;) {
      Atomics.store(this.control, 0, 0x7fffffff);
      Atomics.store(this.control, ABORT, 0);
      // The buffers of the last level's results go back to the threads that fill the next ones.
      const stash = this.stash;
      this.stash = [];
      const pending = pool.expand(level, batches, this.table.set, this.control, stash);
      // A signal that came while the level was being started: clear the word it set.
      if (this.signal?.aborted) this.abortLevel();
      // The merge starts as soon as the first batch is done, while later ones still run.
      const before = this.before();
      this.levelAborted = false;
      const next = await mergeLevel(this, level, mode, cuts, pending).catch((e: unknown) => {
        if (e instanceof BatchLost) return 'lost' as const;
        throw e;
      });
      // A level cut short is undone when a checkpoint is to be written: a checkpoint holds
      // a level boundary, and the resumed search runs the whole level again.
      const cut = this.levelAborted && this.opts.checkpoint !== undefined;
      if (next !== 'full' && next !== 'lost' && !cut) {
        // Every batch of this level is done: the results that hold its states are free.
        this.free(level);
        this.table.retire = true;
        // A step timeout reports the counts of the completed levels, as in this thread.
        if (this.error?.code === 'E_STEP_TIMEOUT') this.keepError(before);
        return next;
      }
      // Undo the merge; the claims of the level stay in the set, in the lanes of its round.
      await Promise.allSettled(pending);
      this.undo(before);
      if (cut || this.signal?.aborted) return this.stopBefore(level, this.signal?.aborted ? 'interrupted' : 'time-limit', round);
      if (next === 'lost') {
        const end = pool.afterLoss(level, batches);
        if (end !== null) {
          this.error = { code: end.code, message: end.message, hint: end.hint, path: end.at === null ? null : this.links.pathTo(level.firstId + end.at) };
          return null;
        }
        // Run it again on a set rebuilt without the level's claims (a lost batch's claims
        // are unknown, and its takeovers unrecorded).
        if (await this.table.resize(this.table.set.capacity, round, levelBytes)) continue;
        this.memoryLimit(`at depth ${level.depth + 1}, after ${this.states} states`);
        return this.stopBefore(level, null, round);
      }
      // The set overflowed: keep only the claims of older levels, grow, run the level again.
      if (!(await this.table.resize(this.table.set.capacity * 2, round, levelBytes))) {
        this.memoryLimit(`at depth ${level.depth + 1}, after ${this.states} states`);
        return this.stopBefore(level, null, round);
      }
    }
  }

  /** Hands the buffers that hold the states of `level`, all expanded, back for reuse with the next results. */
  free(level: Level): void {
    if (this.stash.length === 0) this.stash.push([]);
    level.segs.forEach((seg, j) => this.stash[j % this.stash.length]!.push(seg.records.buffer as SharedArrayBuffer));
  }

  /** `undo`, keeping the error found (the counts of the completed levels). */
  keepError(before: Before): void {
    const error = this.error;
    this.undo(before);
    this.error = error;
  }

  /** What the search has found so far; `seconds` defaults to the time since this search began. */
  outcome(seconds = this.seconds): SearchOutcome {
    const shard: ShardInfo | undefined = this.shard ? { index: this.shard.index, count: this.shard.count, depth: this.shardDepth } : undefined;
    return {
      strategy: 'bfs',
      states: this.states,
      transitions: this.transitions,
      depth: this.depth,
      seconds,
      storeBytes: this.table.set.bytes + this.links.bytes,
      found: [...this.found.values()].sort((a, b) => a.seq - b.seq).map((f) => f.violation),
      allViolations: this.all,
      error: this.error,
      limitHit: this.limitHit,
      limitMessage: this.limitMessage,
      reductions: reductionsOf(this.por, this.sleep, this.sym),
      workers: this.workersUsed,
      fingerprintBytes: this.table.set.bytes,
      ...(shard ? { shard } : {}),
    };
  }

  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.abortLevel);
    await this.pool?.close();
  }
}

/** Why the final checkpoint of a search that stopped short is written. */
function reasonOf(stop: SearchStop | null): SaveReason {
  return stop === 'interrupted' || stop === 'time-limit' || stop === 'memory' ? stop : 'periodic';
}

/**
 * A breadth-first search of `m` (from `modelPath`, which worker threads load it from),
 * its levels on `pool` when it takes them, in this thread otherwise.
 */
export async function levelSearch(m: CompiledModel, modelPath: string, opts: LevelOptions, pool: LevelPool | null): Promise<SearchOutcome> {
  let started = performance.now();
  /** Seconds of search, over every run of a resumed search. */
  const seconds = (): number => (performance.now() - started) / 1000;
  const x = new LevelSearch(m, modelPath, opts, pool);
  try {
    let level: Level | null;
    if (opts.resume !== undefined) {
      const ck = readCheckpoint(opts.resume, x.key);
      started -= ck.header.search.seconds * 1000;
      level = x.restore(ck);
    } else level = x.initial();
    while (level !== null && !x.stopped) {
      // A level boundary: every state of `level` is stored and none is expanded, so the
      // search can be saved or stopped here. When every level runs in this thread, nothing
      // else lets a signal's handler run: yield to it.
      if (x.signal !== null) await nextTurn();
      if (x.stopsAt(level)) break;
      if (x.saveDue()) {
        await x.save(level, 'periodic', seconds());
        // A signal while the file was written: stop here, where the file is.
        if (x.stopsAt(level)) break;
      }
      x.look(level.n);
      level = await x.step(level);
    }
    if (x.redo !== null) await x.save(x.redo, reasonOf(x.limitHit), seconds());
  } finally {
    await x.close();
  }
  return x.outcome(seconds());
}
