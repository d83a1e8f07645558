/**
 * Parallel exhaustive search: level-synchronous BFS on a pool of worker threads that
 * gives exactly the sequential engine's result (verdict, counts, counterexample) at any
 * number of workers.
 *
 * A level's states (consecutive ids, in the sequential engine's order) stay where the
 * batches of the level before wrote them, in the SharedArrayBuffers of their results (one
 * segment each: `Level`). They are cut into batches whose ids increase with the state ids;
 * each batch expands its states and claims every successor in the shared fingerprint
 * set for its batch id. A state claimed by several batches belongs to the smallest batch
 * id, the batch in which sequential BFS meets it first: the set lowers the owner
 * atomically, and the batch that takes a state over logs the takeover, so the younger
 * batch drops its copy. There is one barrier per level. The main thread then walks the
 * batches in order and replays the level as the sequential engine would run it: it
 * numbers the kept successors, pushes their parent links, and finds the first event
 * (violation, fault, error, deadlock, limit) by (batch, state, transition), with the
 * counts at that point (batch.ts records the positions).
 *
 * The set's owner lanes are 16 bits: a batch is named by its number in its level, in the
 * lanes of the level's round (the parity of the depth it claims; shared-fpset.ts). Each
 * state of a level carries the number of its entry in the set, and the batch that expands
 * it retires that entry, so that when the round comes again, two levels on, no entry is
 * left in its lanes.
 *
 * Small levels run in the main thread (the same batch code), so small searches never
 * start a thread; the pool starts with the first level of `inThreadBelow` states or more.
 *
 * What is serial, per level: the walk over the batch results (the parent links, a few
 * bytes per state; the states themselves are not copied), deciding
 * whether the set must grow and growing it, and the barrier itself.
 *
 * Between two levels the search is whole (every state of the next level stored, none
 * expanded): that is where it stops for a signal and where a checkpoint saves it
 * (checkpoint.ts). A signal also cuts short a level running on the pool; with a
 * checkpoint to write, that level is undone as after an overflow, and the resumed search
 * runs it again.
 */
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MmraceError } from '../errors.js';
import type { SearchOptions } from '../engine/search.js';
import { reductionsOf, type SearchOutcome } from '../engine/result.js';
import { Expander } from '../engine/transitions.js';
import { DEADLOCK, invariantViolation } from '../engine/judge.js';
import { BEAT, DEFAULT_STEP_TIMEOUT, HEART_STRIDE, STATE, WORKER, stepTimeoutError, stuckStep, watchSlots, watchThisThread } from '../engine/watchdog.js';
import { Links, NO_PARENT, defaultMemory, sleepApplies, type FoundError, type FoundViolation, type LimitKind, type Path } from '../engine/explore.js';
import type { CompiledModel } from '../model/compile.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import { MAX_BATCH, MAX_CAPACITY, SharedFingerprintSet } from '../state/shared-fpset.js';
import { ABORT, CONTROL_WORDS, NO_STOP, STOP, addSpares, expandBatch, lowerStop, recordSize, resultBuffers, type BatchMode, type BatchResult, type StuckAt } from './batch.js';
import type { ExpandResult, ModelRef, MoveResult } from './protocol.js';
import { WORKER_HINT, WorkerLost, createPool, lostWhy, run, warmPool, type Pool } from './pool.js';
import { countBelow, countUpToTx, identity, levelOf, levelRecords, piecesOf, sharedPiece, type Level, type Segment } from './level.js';
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
import { VERSION } from '../version.js';

/** Largest batch (states) of a level run on the pool. */
export const BATCH = 8192;
/** Smallest batch of a level run on the pool, unless `batchSize` is smaller. */
const MIN_BATCH = 256;
/** Batches per worker a level is cut into, at least (load balance at the barrier). */
const BATCHES_PER_WORKER = 4;
/** Levels smaller than this run in the main thread. */
export const IN_THREAD_BELOW = 4096;
/**
 * Growing a set of fewer entries than this runs in the main thread. Moving the entries on
 * the workers was measured slower on a 2-core virtual machine (the first touches of the
 * new buffer's pages are serialised by the kernel, and each move is a CAS), so by default
 * the main thread moves them; `moveInThreadBelow` selects the workers.
 */
const MOVE_IN_THREAD_BELOW = Infinity;
/**
 * Initial capacity of the fingerprint set (640 KiB). Small, so that the first levels'
 * claims do not each fault in a page of a large buffer: page faults are slow while the
 * workers start (their own memory mappings contend with them), and a small set's
 * growths cost little.
 */
const FIRST_CAPACITY = 1 << 16;
/**
 * The set grows 4 times while it is small (each growth moves every entry, so grow seldom),
 * then 2 times from LARGE_TABLE bytes on, so that a large set is never below load 3/8
 * (10-byte entries: at most 26.7 bytes per state right after a growth, 16 from load 5/8,
 * 13.3 at load 3/4).
 */
const GROWTH = 4;
const LARGE_TABLE = 64 * 2 ** 20;
/**
 * Pages (4 KiB) of a prepared set (Search.prepared) touched each time the walk takes a
 * batch result: 2 MiB, about a millisecond, so that the workers' next tasks, which this
 * thread hands out, are not held up.
 */
const TOUCH_PAGES = 512;

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
  /** Largest batch (a small one makes many batches; the default is BATCH). */
  readonly batchSize?: number | undefined;
  /** Levels smaller than this run in the main thread (0 sends every level to the pool). */
  readonly inThreadBelow?: number | undefined;
  /** First capacity of the fingerprint set (a small one makes levels overflow it). */
  readonly tableCapacity?: number | undefined;
  /** Sets smaller than this grow in the main thread (0 makes every growth run on the workers). */
  readonly moveInThreadBelow?: number | undefined;
}

export interface ParallelOptions extends SearchOptions, LevelTuning {
  /** Explore only part `index` of `count` of the state space beyond the partition depth. */
  readonly shard?: Shard;
  /** Worker threads (default: the machine's available parallelism). */
  readonly workers?: number;
  /** A pool to run on (from createPool; kept open), instead of one made for this check. */
  readonly pool?: Pool;
  /**
   * Stops the search at its next safe point (the CLI aborts it on SIGINT and SIGTERM): the
   * level under way is cut short (with `checkpoint`, undone, to be run again on resume),
   * and the verdict is incomplete, limit `interrupted`, unless a violation was found first.
   */
  readonly signal?: AbortSignal;
  /** Save the search to a file now and then, and where it stops before its end (checkpoint.ts). */
  readonly checkpoint?: CheckpointOptions;
  /** Go on with the search saved in this checkpoint file (refused, E_CHECKPOINT, if it is of another search). */
  readonly resume?: string;
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

/** Why the search stopped short: a limit, or an interrupt (SIGINT, SIGTERM). */
export type SearchStop = LimitKind | 'interrupted';

export { defaultMemory };
export { createPool, warmPool, type Pool };

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** An event of a level, at a position of one batch (see batch.ts). */
interface Event {
  readonly i: number;
  readonly tx: number;
  /**
   * Order at one position: 0, the --max-states cut (checked before the new state's
   * invariants); 1, an event of a transition; 2, an event of a whole state.
   */
  readonly rank: 0 | 1 | 2;
  readonly what:
    | { readonly kind: 'mark'; readonly c: number }
    | { readonly kind: 'fault'; readonly f: BatchResult['faults'][number] }
    | { readonly kind: 'error'; readonly e: NonNullable<BatchResult['error']> }
    | { readonly kind: 'deadlock' }
    | { readonly kind: 'truncated' }
    | { readonly kind: 'cut'; readonly c: number };
}

function earlier(a: Event, b: Event): boolean {
  if (a.i !== b.i) return a.i < b.i;
  if (a.tx !== b.tx) return a.tx < b.tx;
  return a.rank < b.rank;
}

interface Found {
  readonly violation: FoundViolation;
  /** Order of discovery (for the order of the report). */
  readonly seq: number;
}

/** Times a batch whose worker died is run again before the search ends with E_WORKER. */
const RETRIES = 1;
/** Runs of a level that lost batches before the search ends (rerunLost). */
const MAX_RERUNS = 4;

/** The walk of a level threw: 'lost' when a batch did not come back (WorkerLost). */
function lostBatch(e: unknown): 'lost' {
  if (e instanceof WorkerLost) return 'lost';
  throw e;
}

/**
 * What a pooled level lost, over its runs: the batches whose worker died (each is run
 * again RETRIES times; one more failure ends the search, E_WORKER), and the states on which
 * a step hung (the next run records the step timeout there: batch.ts StuckAt).
 */
class LevelLosses {
  /** Per batch: how often its worker died while it ran. */
  private readonly failures = new Map<number, number>();
  /** Per batch: the first state known on which a step hung. */
  readonly stuck = new Map<number, StuckAt>();
  /** Runs of the level that lost batches. */
  runs = 0;
  /** The worker threads the watchdog terminated in the run under way. */
  private stopped = new Set<number>();
  /** The batches lost in the run under way: whether they had started, on which thread, why. */
  private now: { b: number; started: boolean; thread: number; why: string }[] = [];

  constructor(readonly level: Level) {}

  /** A step hung at state `i` of batch `b`, whose worker `thread` is then terminated. */
  stuckAt(b: number, i: number, e: Omit<StuckAt, 'i'>, thread: number): void {
    const old = this.stuck.get(b);
    if (old === undefined || i < old.i) this.stuck.set(b, { i, ...e });
    this.stopped.add(thread);
  }

  /** Batch `b` did not come back, for `why`; `started`: its heart says it had begun, on `thread`. */
  lost(b: number, why: string, started: boolean, thread: number): void {
    this.now.push({ b, started, thread, why });
  }

  /** The first batch with a hung step, or -1. */
  firstStuck(): number {
    let first = -1;
    for (const b of this.stuck.keys()) if (first < 0 || b < first) first = b;
    return first;
  }

  /**
   * Ends a run that lost batches: a failure for each batch whose worker died while it ran,
   * but for the workers the watchdog stopped. A batch that had not started died with the
   * worker of another (each worker holds a next task), so it counts only when no batch had
   * started and the watchdog stopped none (a worker that dies as it loads the model).
   * Returns a batch that failed once too often, with why, or null.
   */
  endRun(): { b: number; why: string } | null {
    this.runs++;
    const died = this.now.filter((x) => !(x.started && this.stopped.has(x.thread)));
    const running = died.filter((x) => x.started);
    const blamed = running.length > 0 ? running : this.stopped.size > 0 ? [] : died;
    this.now = [];
    this.stopped = new Set();
    for (const x of blamed) {
      const n = (this.failures.get(x.b) ?? 0) + 1;
      this.failures.set(x.b, n);
      if (n > RETRIES) return x;
    }
    return null;
  }
}

class Search {
  readonly size: number;
  readonly nInst: number;
  readonly links: Links;
  readonly ex: Expander;
  readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  readonly modelRef: ModelRef;
  readonly all: boolean;
  /** Partial-order reduction is on (and the model has a private actor for it to use). */
  readonly por: boolean;
  /** Symmetry reduction is on (and the model has a symmetric actor with two instances or more). */
  readonly sym: boolean;
  /** Sleep sets (sleepApplies): each state of a level carries its sleep set (recordSize). */
  readonly sleep: boolean;
  readonly memory: number;
  readonly deadline: number;
  table: SharedFingerprintSet;
  pool: Pool | null;
  readonly ownPool: boolean;
  /** The pool's threads have loaded the model (usePool). */
  poolReady = false;
  warming: Promise<void> | null = null;
  readonly workers: number;
  states = 0;
  transitions = 0;
  depth = 0;
  /**
   * The entry numbers the current level holds are of the current set: its batches retire
   * them (batch.ts). False after the set was rebuilt (every entry of a rebuilt set is retired).
   */
  retire = true;
  /**
   * The set the next growth moves into, allocated a level ahead (`prepare`) and its pages
   * touched a few at a time while the walk waits for results: the first write to a page
   * of a fresh buffer faults, and a growth with the workers waiting would otherwise take
   * every fault of the new set, in random order.
   */
  private prepared: { readonly set: SharedFingerprintSet; readonly view: Int32Array; at: number } | null = null;
  /** The size of the level before the one `prepare` last saw. */
  private lastLevel = 0;
  /** The buffers of the last level's results, per batch, to reuse (batch.ts addSpares). */
  stash: SharedArrayBuffer[][] = [];
  /** What the pooled level under way lost: dead workers, hung steps (runOnPool). */
  losses: LevelLosses | null = null;
  /** When the search started (for a step timeout's report). */
  readonly born = performance.now();
  nextBatch = 1;
  /** First violation (or, with allViolations, the first of each property). */
  readonly found = new Map<string, Found>();
  error: FoundError | null = null;
  limitHit: SearchStop | null = null;
  limitMessage: string | null = null;
  readonly shard: Shard | null;
  /** Depth of the states partitioned among shards (null: not reached yet). */
  shardDepth: number | null;
  /** Aborted to stop the search (ParallelOptions.signal). */
  readonly signal: AbortSignal | null;
  /** Some batch of the level being walked returned early: the ABORT word or the deadline. */
  private levelAborted = false;
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

  constructor(
    readonly m: CompiledModel,
    modelPath: string,
    readonly opts: ParallelOptions,
  ) {
    this.nInst = m.instances.length;
    this.links = new Links(this.nInst);
    this.ex = new Expander(m);
    this.modelRef = { path: modelPath, params: { ...m.params } };
    this.all = opts.allViolations === true;
    this.por = opts.por === true && m.hasPrivate;
    this.sym = opts.symmetry === true && m.symmetry !== null;
    this.sleep = sleepApplies(m, opts, this.sym);
    this.size = recordSize(m, this.sleep);
    this.shard = opts.shard ?? null;
    this.shardDepth = opts.shard?.depth ?? null;
    this.memory = opts.memory ?? defaultMemory();
    this.deadline = opts.timeLimit !== undefined ? Date.now() + opts.timeLimit * 1000 : Infinity;
    this.pool = opts.pool ?? null;
    this.ownPool = opts.pool === undefined;
    this.workers = opts.pool ? opts.pool.options.maxThreads : (opts.workers ?? defaultWorkers());
    const first = opts.tableCapacity ?? (opts.maxStates !== undefined ? Math.min(SharedFingerprintSet.capacityFor(opts.maxStates + 16), FIRST_CAPACITY) : FIRST_CAPACITY);
    // At most a quarter of the memory limit to start with.
    const fit = Math.max(1024, Math.floor(this.memory / 4 / SharedFingerprintSet.bytesFor(1)));
    this.table = this.allocate(Math.min(first, fit)) ?? this.tooBig(Math.min(first, fit));
    this.signal = opts.signal ?? null;
    // Batches running on the workers see the word and return early.
    this.signal?.addEventListener('abort', this.abortLevel);
  }

  private readonly abortLevel = (): void => {
    Atomics.store(this.control, ABORT, 1);
  };

  /** What a checkpoint of this search must match (hashes the model's source once). */
  get key(): CheckpointKey {
    return (this.keyOf ??= checkpointKey(this.m, this.modelRef.path, {
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

  private tooBig(capacity: number): never {
    throw new MmraceError(
      'E_LIMIT',
      `the memory limit (${mib(this.memory)}) cannot hold a fingerprint set of ${capacity} entries`,
      'raise --memory',
    );
  }

  /** Bytes in use besides the fingerprint set: parent links, the current level, and a set prepared for the next growth. */
  private otherBytes(levelBytes: number): number {
    return this.links.bytes + levelBytes + (this.prepared?.set.bytes ?? 0);
  }

  /** A new set of `capacity` entries, or null when the memory limit forbids it. */
  private allocate(capacity: number, levelBytes = 0): SharedFingerprintSet | null {
    const keep = this.table === undefined ? 0 : this.table.bytes;
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
  private prepare(level: Level, levelBytes: number): void {
    // The next level's size, guessed from this level's growth (between half and twice
    // this one): the next step grows the set when the states stored by then (`this.states
    // + next`) and room for twice the next level exceed load 3/4. A set prepared and never
    // used costs its page faults for nothing (the last levels of the reference scenario
    // would prepare 320 MiB with a guess of twice).
    const next = level.n * Math.min(2, Math.max(0.5, this.lastLevel > 0 ? level.n / this.lastLevel : 2));
    this.lastLevel = level.n;
    if (this.prepared !== null || this.states + 3 * next + 1024 <= this.table.capacity * 0.75) return;
    const cap = this.table.capacity;
    const set = this.allocate(cap * (this.table.bytes < LARGE_TABLE ? GROWTH : 2), levelBytes);
    if (set !== null) this.prepared = { set, view: new Int32Array(set.buffer), at: 0 };
  }

  /**
   * Touches the next pages of the prepared set (plain writes of 0: no other thread has it
   * yet): TOUCH_PAGES, or more when a level of `batches` batches would not touch it all.
   */
  private touch(batches: number): void {
    const p = this.prepared;
    if (p === null || p.at >= p.view.length) return;
    const pages = Math.max(TOUCH_PAGES, Math.ceil(p.view.length / 1024 / batches));
    const end = Math.min(p.view.length, p.at + pages * 1024);
    const v = p.view;
    let i = p.at;
    for (; i < end; i += 1024) v[i] = 0;
    p.at = i;
  }

  private record(v: FoundViolation): void {
    if (!this.found.has(v.property)) this.found.set(v.property, { violation: v, seq: this.found.size });
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
        modelPath: this.modelRef.path,
        key: this.key,
        search: {
          states: this.states,
          transitions: this.transitions,
          depth: this.depth,
          seconds,
          level: { firstId: level.firstId, n: level.n, depth: level.depth },
          recordSize: this.size,
          nextBatch: this.nextBatch,
          retire: this.retire,
          dropRound: level === this.redo ? this.dropRound : -1,
          shardDepth: this.shardDepth,
          found: [...this.found.values()].map(({ violation: v, seq }) => ({ violation: { ...v, path: { init: v.path.init, moves: v.path.moves.map(([k, o]) => [k, o]) } }, seq })),
        },
        run: { workers: this.workers, memory: this.memory, timeLimit: this.opts.timeLimit ?? null },
      },
      [
        { name: 'table', parts: [new Uint8Array(this.table.buffer)] },
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
    this.table = table;
    this.retire = s.retire && s.dropRound < 0;
    this.links.adopt(new Int32Array(ck.sections.parents), new Int32Array(ck.sections.moves));
    this.states = s.states;
    this.transitions = s.transitions;
    this.depth = s.depth;
    this.nextBatch = s.nextBatch;
    this.shardDepth = s.shardDepth;
    for (const f of s.found) this.found.set(f.violation.property, f);
    return levelOf(s.level.firstId, s.level.depth, [{ records: new Int32Array(ck.sections.level), kept: null, count: s.level.n }]);
  }

  private memoryLimit(what: string): void {
    this.limitHit = 'memory';
    this.limitMessage = `the memory limit (${mib(this.memory)}) was reached ${what}`;
  }

  /** Stores the initial states as batch 0; returns the first level. */
  initial(): Level | null {
    const kept: Int32Array[] = [];
    const entries: number[] = [];
    this.table.round = 0;
    try {
      this.m.forEachInitialState((s, i) => {
        try {
          this.m.canonical(s, this.sym);
        } catch (e) {
          this.fail(e, { init: i, moves: [] });
          return false;
        }
        fingerprint(s, this.m.size);
        const entry = this.table.claimEntry(fp.hi, fp.lo, 0);
        if (entry < 0) return true;
        if (this.opts.maxStates !== undefined && this.states >= this.opts.maxStates) {
          this.limitHit = 'max-states';
          return false;
        }
        if (this.states + 1 > this.table.capacity * 0.75) {
          const bigger = this.grow(this.table.capacity * 2, Infinity, 0, false);
          if (bigger === null) {
            this.memoryLimit(`while storing the initial states`);
            return false;
          }
          this.table = bigger;
        }
        const id = this.states++;
        this.links.push(NO_PARENT, i);
        let inv: string | null;
        try {
          inv = this.m.violatedInvariant(s);
        } catch (e) {
          this.fail(e, { init: i, moves: [] });
          return false;
        }
        if (inv !== null) {
          this.record(invariantViolation(inv, this.links.pathTo(id)));
          if (!this.all) return false;
        }
        kept.push(s.slice());
        entries.push(entry);
        return true;
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

  /** A copy of the set, with room for `capacity` entries, in parallel when it is large. */
  private grow(capacity: number, drop: number, levelBytes: number, parallel: boolean): SharedFingerprintSet | null {
    const old = this.table;
    const next = this.allocate(Math.min(capacity, MAX_CAPACITY), levelBytes);
    if (next !== null && !parallel) next.copyFrom(old, drop);
    // Every entry of the new set is retired: the entry numbers levels hold are of the old one.
    this.retire = false;
    return next;
  }

  private async growParallel(next: SharedFingerprintSet, drop: number): Promise<void> {
    const old = this.table;
    const parts = this.workers * 4;
    const step = Math.ceil(old.capacity / parts);
    const tasks: Promise<MoveResult>[] = [];
    for (let start = 0; start < old.capacity; start += step) {
      tasks.push(run<MoveResult>(this.pool!, { kind: 'move', from: old.buffer, to: next.buffer, start, end: Math.min(old.capacity, start + step), drop }));
    }
    await Promise.all(tasks);
  }

  /**
   * Replaces the set by one of at least `capacity` entries, without the entries of round
   * `drop` (-1: none); false at the memory limit.
   */
  private async resize(capacity: number, drop: number, levelBytes: number): Promise<boolean> {
    const parallel = this.pool !== null && this.table.capacity >= (this.opts.moveInThreadBelow ?? MOVE_IN_THREAD_BELOW);
    const next = this.grow(capacity, drop, levelBytes, parallel);
    if (next === null) return false;
    if (parallel) await this.growParallel(next, drop);
    this.table = next;
    return true;
  }

  private fail(e: unknown, path: Path | null): void {
    const err = e instanceof MmraceError ? e : new MmraceError('E_INTERNAL', e instanceof Error ? e.message : String(e));
    this.error = { code: err.code, message: err.message, hint: err.hint, path };
  }

  /**
   * Whether a level runs on the pool. The first level large enough starts the pool (and
   * its threads loading the model); until they have, levels run in this thread, which
   * would otherwise wait for them. With `inThreadBelow` set (tests), levels wait for the pool.
   */
  private usePool(level: Level): boolean {
    if (level.n < (this.opts.inThreadBelow ?? IN_THREAD_BELOW)) return false;
    this.pool ??= createPool(this.workers);
    if (this.warming === null) this.warming = warmPool(this.pool, this.modelRef.path).then(() => void (this.poolReady = true));
    return this.poolReady || this.opts.inThreadBelow !== undefined;
  }

  /**
   * Cuts a level into [offset, count] batches. On the pool, each batch is a share of what
   * remains (guided scheduling): large batches first, then smaller ones, so that the
   * workers finish a level close together.
   */
  private plan(level: Level, pooled: boolean): [number, number][] {
    // A level has at most MAX_BATCH + 1 batches (the owner lanes of a round).
    const least = Math.ceil(level.n / (MAX_BATCH + 1));
    const max = Math.max(least, this.opts.batchSize ?? (pooled ? BATCH : level.n));
    const shares = pooled ? this.workers * BATCHES_PER_WORKER : 1;
    const out: [number, number][] = [];
    for (let off = 0; off < level.n; ) {
      const size = Math.max(least, 1, Math.min(max, Math.max(Math.ceil((level.n - off) / shares), Math.min(MIN_BATCH, max))));
      out.push([off, Math.min(size, level.n - off)]);
      off += size;
    }
    return out;
  }

  /** Starts the level's batches; each result arrives on its own (the walk takes them in order). */
  private runLevel(level: Level, mode: BatchMode, cuts: [number, number][], firstBatch: number, pooled: boolean): Promise<BatchResult>[] {
    Atomics.store(this.control, STOP, NO_STOP);
    Atomics.store(this.control, ABORT, 0);
    // The buffers of the last level's results go back to the threads that fill the next ones.
    const stash = this.stash;
    this.stash = [];
    if (!pooled) {
      addSpares(stash.flat());
      return this.runInThread(level, mode, cuts, firstBatch);
    }
    return this.runOnPool(level, mode, cuts, firstBatch, stash);
  }

  /** The input of batch `b` of a level, but for its states. */
  private batchInput(level: Level, mode: BatchMode, cut: [number, number], firstBatch: number, b: number) {
    return {
      batch: firstBatch + b,
      index: b,
      round: (level.depth + 1) & 1,
      retire: this.retire,
      offset: cut[0],
      count: cut[1],
      mode,
      allViolations: this.all,
      deadline: this.deadline,
      por: this.por,
      symmetry: this.sym,
      sleep: this.sleep,
    } as const;
  }

  /**
   * Runs a level's batches in this thread, one after the other, under the step watchdog
   * (engine/watchdog.ts): a step that hangs ends the process with E_STEP_TIMEOUT and the
   * trace to its state, with the counts of the completed levels.
   */
  private runInThread(level: Level, mode: BatchMode, cuts: [number, number][], firstBatch: number): Promise<BatchResult>[] {
    const own = this.ex.heart;
    const thread = watchThisThread(this.stepTimeout, (word) => this.reportStuckInThread(level, word));
    if (thread) this.ex.heart = thread.heart;
    try {
      return cuts.map((cut, b) =>
        Promise.resolve(expandBatch(this.m, this.ex, this.table, this.control, { ...this.batchInput(level, mode, cut, firstBatch, b), pieces: piecesOf(level, cut[0], cut[1]) })),
      );
    } finally {
      thread?.stop();
      this.ex.heart = own;
    }
  }

  /** Seconds a step may run (ParallelOptions.stepTimeout). */
  private get stepTimeout(): number {
    return this.opts.stepTimeout ?? DEFAULT_STEP_TIMEOUT;
  }

  /**
   * Reports a step of an in-thread level that hangs (called by the watchdog in the middle
   * of it; the process then ends): the error, with the path to the state whose expansion
   * hangs (the heart's STATE) and the counts of the completed levels.
   */
  private reportStuckInThread(level: Level, word: number): void {
    const e = stepTimeoutError(this.m, word, this.stepTimeout);
    const state = Atomics.load(this.ex.heart, STATE);
    const error = { code: e.code, message: e.message, hint: e.hint, path: this.links.pathTo(level.firstId + state) };
    this.opts.onStuck?.({ ...this.outcomeSoFar(), error });
  }

  /**
   * What the search has found so far, as parallelCheck reports it (at its end, or for a
   * step timeout in this thread); `seconds` defaults to the time since this search began.
   */
  outcomeSoFar(seconds = (performance.now() - this.born) / 1000): SearchOutcome {
    return {
      strategy: 'bfs',
      states: this.states,
      transitions: this.transitions,
      depth: this.depth,
      seconds,
      storeBytes: this.table.bytes + this.links.bytes,
      found: [...this.found.values()].sort((a, b) => a.seq - b.seq).map((f) => f.violation),
      allViolations: this.all,
      error: this.error,
      limitHit: this.limitHit,
      limitMessage: this.limitMessage,
      reductions: reductionsOf(this.por, this.sleep, this.sym),
      workers: this.workers,
      fingerprintBytes: this.table.bytes,
      ...(this.shard ? { shard: { index: this.shard.index, count: this.shard.count, depth: this.shardDepth } } : {}),
    };
  }

  /**
   * Runs a level's batches on the pool. Each batch has a heart (engine/watchdog.ts) that
   * its worker beats and this thread watches: a batch whose step hangs is stopped (its
   * worker terminated) and the state recorded (`LevelLosses`); a batch whose worker dies
   * is recorded too; the walk then sees a lost batch, and the level runs again (`rerunLost`).
   */
  private runOnPool(level: Level, mode: BatchMode, cuts: [number, number][], firstBatch: number, stash: SharedArrayBuffer[][]): Promise<BatchResult>[] {
    const pool = this.pool!;
    if (this.losses?.level !== level) this.losses = new LevelLosses(level);
    const losses = this.losses;
    // The batches after the first whose step hung only drain: that batch has an event.
    const firstStuck = losses.firstStuck();
    if (firstStuck >= 0) lowerStop(this.control, firstBatch + firstStuck);
    const hearts = new Int32Array(new SharedArrayBuffer(Math.max(1, cuts.length) * HEART_STRIDE * 4));
    const word = (b: number, w: number): number => Atomics.load(hearts, b * HEART_STRIDE + w);
    const watch = watchSlots(hearts, cuts.length, this.stepTimeout, (b) => {
      const thread = word(b, WORKER);
      losses.stuckAt(b, word(b, STATE) - cuts[b]![0], this.stuckError(word(b, BEAT)), thread);
      // The level runs again (rerunLost): the younger batches only drain now, and the stuck
      // one's worker is terminated (piscina starts another).
      lowerStop(this.control, firstBatch + b);
      void pool.threads.find((t) => t.threadId === thread)?.terminate();
    });
    const all = cuts.map((cut, b) => {
      const spare = stash[b] ?? [];
      const task = {
        kind: 'expand',
        model: this.modelRef,
        table: this.table.buffer,
        control: this.control.buffer as SharedArrayBuffer,
        pieces: piecesOf(level, cut[0], cut[1]).map(sharedPiece),
        ...this.batchInput(level, mode, cut, firstBatch, b),
        spare,
        heart: hearts.buffer as SharedArrayBuffer,
        slot: b,
        stuck: losses.stuck.get(b) ?? null,
      } as const;
      return run<ExpandResult>(pool, task).catch((e: unknown) => {
        if (e instanceof WorkerLost) {
          losses.lost(b, lostWhy(pool, e), word(b, BEAT) !== 0, word(b, WORKER));
          // The level runs again: the younger batches need only drain.
          lowerStop(this.control, firstBatch + b);
        }
        throw e;
      });
    });
    void Promise.allSettled(all).then(() => watch.stop());
    // The walk awaits them in order; a failure of a later one is seen when it gets there.
    for (const p of all) p.catch(() => {});
    return all;
  }

  /** The step timeout of the step that beat word `word` names, for a batch to record (StuckAt). */
  private stuckError(word: number): Omit<StuckAt, 'i'> {
    const e = stepTimeoutError(this.m, word, this.stepTimeout);
    return { guard: stuckStep(this.m, word).guard, code: e.code, message: e.message, hint: e.hint };
  }

  /**
   * After a pooled level lost batches (`LevelLosses`), with its walk undone: runs it again
   * on a set rebuilt without the level's claims (a lost batch's claims are unknown, and
   * its takeovers unrecorded), or ends the search: false, with E_WORKER when a batch
   * failed twice, E_STEP_TIMEOUT when hung steps were still found after MAX_RERUNS runs,
   * or at the memory limit.
   */
  private async rerunLost(level: Level, cuts: [number, number][], levelBytes: number): Promise<boolean> {
    const losses = this.losses!;
    const failed = losses.endRun();
    if (failed !== null) {
      const [offset, count] = cuts[failed.b]!;
      this.error = {
        code: 'E_WORKER',
        message: `a worker thread of the parallel explorer failed: ${failed.why}; the batch of ${count} states at depth ${level.depth} (from state ${level.firstId + offset}) failed again when run a second time`,
        hint: WORKER_HINT,
        path: null,
      };
      return false;
    }
    if (losses.runs > MAX_RERUNS) {
      const b = losses.firstStuck();
      const st = b >= 0 ? losses.stuck.get(b)! : null;
      this.error = st
        ? { code: st.code, message: st.message, hint: st.hint, path: this.links.pathTo(level.firstId + cuts[b]![0] + st.i) }
        : { code: 'E_WORKER', message: `a worker thread of the parallel explorer failed: the level at depth ${level.depth} lost batches in ${losses.runs} runs`, hint: WORKER_HINT, path: null };
      return false;
    }
    if (!(await this.resize(this.table.capacity, (level.depth + 1) & 1, levelBytes))) {
      this.memoryLimit(`at depth ${level.depth + 1}, after ${this.states} states`);
      return false;
    }
    return true;
  }

  /** Runs one level; returns the next one, or null when the search stops. */
  async step(level: Level): Promise<Level | null> {
    const mode: BatchMode = this.opts.maxDepth !== undefined && level.depth >= this.opts.maxDepth ? 'depth' : 'full';
    const levelBytes = level.n * this.size * 4 * 3;
    // A set prepared for the next growth is the first thing to give up at the limit.
    if (this.prepared !== null && this.table.bytes + this.otherBytes(levelBytes) > this.memory) this.prepared = null;
    if (this.table.bytes + this.otherBytes(levelBytes) > this.memory) {
      this.memoryLimit(`at depth ${level.depth}, after ${this.states} states`);
      return this.stopBefore(level, null);
    }
    // Room for a next level twice as large as this one, at load 3/4 at most.
    const want = SharedFingerprintSet.capacityFor(this.states + 2 * level.n + 1024);
    if (mode === 'full' && want > this.table.capacity) {
      // The largest growth the memory limit allows; at the limit, go on at a higher load
      // (the level runs again if it overflows).
      const cap = this.table.capacity;
      const factor = this.table.bytes < LARGE_TABLE ? GROWTH : 2;
      for (const c of [Math.max(want, cap * factor), Math.max(want, cap * 2), want]) if (await this.resize(c, -1, levelBytes)) break;
    }
    if (mode === 'full' && this.pool !== null) this.prepare(level, levelBytes);
    // --shard: partition at the first level of at least SHARD_SPREAD states per shard.
    if (this.shard !== null && this.shardDepth === null && level.n * 1 >= SHARD_SPREAD * this.shard.count) this.shardDepth = level.depth + 1;
    // While the pool starts, let its messages in between levels run in this thread.
    if (this.warming !== null && !this.poolReady) await nextTurn();
    const pooled = this.usePool(level);
    const cuts = this.plan(level, pooled);
    const firstBatch = this.nextBatch;
    this.nextBatch += cuts.length;
    const round = (level.depth + 1) & 1;
    for (;;) {
      const pending = this.runLevel(level, mode, cuts, firstBatch, pooled);
      // A signal that came while the level was being started: runLevel cleared the word.
      if (this.signal?.aborted) this.abortLevel();
      // The walk starts as soon as the first batch is done, while later ones still run.
      const before = { states: this.states, transitions: this.transitions, depth: this.depth, found: new Map(this.found) };
      this.levelAborted = false;
      // 'lost': a batch did not come back (its worker died, or a step hung: runOnPool).
      const next = await this.walk(level, mode, cuts, pending).catch(lostBatch);
      // A level cut short is undone when a checkpoint is to be written: a checkpoint holds
      // a level boundary, and the resumed search runs the whole level again.
      const cut = this.levelAborted && this.opts.checkpoint !== undefined;
      if (next !== 'full' && next !== 'lost' && !cut) {
        // Every batch of this level is done: the results that hold its states are free.
        this.free(level);
        this.retire = true;
        // A step timeout reports the counts of the completed levels, as in this thread.
        if (this.error?.code === 'E_STEP_TIMEOUT') this.keepError(before);
        return next;
      }
      // Undo the walk; the claims of the level stay in the set, in the lanes of its round.
      await Promise.allSettled(pending);
      this.undo(before);
      if (cut || this.signal?.aborted) return this.stopBefore(level, this.signal?.aborted ? 'interrupted' : 'time-limit', round);
      if (next === 'lost') {
        if (await this.rerunLost(level, cuts, levelBytes)) continue;
        return this.error !== null ? null : this.stopBefore(level, null, round);
      }
      // The set overflowed: keep only the claims of older levels, grow, run the level again.
      if (!(await this.resize(this.table.capacity * 2, round, levelBytes))) {
        this.memoryLimit(`at depth ${level.depth + 1}, after ${this.states} states`);
        return this.stopBefore(level, null, round);
      }
    }
  }

  /** Hands the buffers that hold the states of `level`, all expanded, back for reuse with the next results. */
  private free(level: Level): void {
    if (this.stash.length === 0) this.stash.push([]);
    level.segs.forEach((seg, j) => this.stash[j % this.stash.length]!.push(seg.records.buffer as SharedArrayBuffer));
  }

  /** `undo`, keeping the error found (the counts of the completed levels). */
  private keepError(before: { states: number; transitions: number; depth: number; found: Map<string, Found> }): void {
    const error = this.error;
    this.undo(before);
    this.error = error;
  }

  /** Puts the counts, links and violations back as they were before a level's walk. */
  private undo(before: { states: number; transitions: number; depth: number; found: Map<string, Found> }): void {
    this.links.truncate(before.states);
    Object.assign(this, { states: before.states, transitions: before.transitions, depth: before.depth, error: null, limitHit: null });
    this.found.clear();
    for (const [k, v] of before.found) this.found.set(k, v);
  }

  /**
   * Replays a level's results in sequential order: numbers kept successors, finds the
   * first event and the counts at it, builds the next level.
   */
  private async walk(level: Level, mode: BatchMode, cuts: [number, number][], pending: Promise<BatchResult>[]): Promise<Level | null | 'full'> {
    const size = this.size;
    const results: BatchResult[] = [];
    // Which candidates each batch lost to an older batch. Only older batches take states
    // over, so once batches 0..b are done, batch b's losses are all known.
    const lost: (Set<number> | undefined)[] = new Array(pending.length);
    const arrive = async (b: number): Promise<BatchResult | 'full'> => {
      const r = await pending[b]!;
      if (r.aborted) this.levelAborted = true;
      if (r.full) return 'full';
      results[b] = r;
      const firstBatch = r.batch - b;
      for (let j = 0; j < r.stolenCount; j++) {
        const v = r.stolen[2 * j]! - firstBatch;
        if (v <= b || v >= pending.length) throw new MmraceError('E_INTERNAL', `parallel explorer: batch ${r.batch} took a state from batch ${v + firstBatch}, not a younger batch of the level`);
        (lost[v] ??= new Set()).add(r.stolen[2 * j + 1]!);
      }
      return r;
    };
    const nextFirst = level.firstId + level.n;
    const levelStates = this.states;
    const segs: Segment[] = [];
    let stopAt: { b: number; ev: Event } | null = null;
    for (let b = 0; b < pending.length && stopAt === null; b++) {
      const r = await arrive(b);
      if (r === 'full') return 'full';
      this.touch(pending.length);
      const stolen = lost[b];
      // Kept candidates, in order.
      let kept: Int32Array;
      if (stolen === undefined) {
        kept = identity(r.candCount);
      } else {
        const ks: number[] = [];
        for (let c = 0; c < r.candCount; c++) if (!stolen.has(r.entries[c]!)) ks.push(c);
        kept = Int32Array.from(ks);
        if (ks.length !== r.candCount - stolen.size) throw new MmraceError('E_INTERNAL', `parallel explorer: batch ${r.batch} lost states it never claimed`);
      }
      // --shard: the states of the partition depth that belong to other shards are dropped.
      let other: Set<number> | null = null;
      if (this.shard !== null && level.depth + 1 === this.shardDepth) {
        const mine: number[] = [];
        other = new Set();
        for (const c of kept) {
          fingerprint(r.cand.subarray(c * size, c * size + this.m.size), this.m.size);
          if (shardOf(fp.hi, fp.lo, this.shard.count) === this.shard.index) mine.push(c);
          else {
            other.add(c);
            // Never expanded here, so never retired by a batch: retire it now.
            this.table.retire(r.entries[c]!);
          }
        }
        kept = Int32Array.from(mine);
      }
      const evs: Event[] = [];
      const isKept = (c: number): boolean => stolen === undefined || !stolen.has(r.entries[c]!);
      for (const mk of r.marks) evs.push({ i: r.parents[mk.c]!, tx: r.tx[mk.c]!, rank: 1, what: { kind: 'mark', c: mk.c } });
      for (const f of r.faults) evs.push({ i: f.i, tx: f.tx, rank: 1, what: { kind: 'fault', f } });
      if (r.error) evs.push({ i: r.error.i, tx: r.error.tx, rank: 2, what: { kind: 'error', e: r.error } });
      if (r.deadlock) evs.push({ i: r.deadlock.i, tx: r.deadlock.tx, rank: 2, what: { kind: 'deadlock' } });
      if (r.truncated >= 0) evs.push({ i: r.truncated, tx: 0, rank: 2, what: { kind: 'truncated' } });
      const max = this.opts.maxStates;
      if (max !== undefined && this.states + kept.length > max) {
        const c = kept[max - this.states]!;
        evs.push({ i: r.parents[c]!, tx: r.tx[c]!, rank: 0, what: { kind: 'cut', c } });
      }
      evs.sort((a, z) => (earlier(a, z) ? -1 : earlier(z, a) ? 1 : 0));
      const batchFirstId = level.firstId + cuts[b]![0];
      const firstKeptId = this.states;
      let pushed = 0;
      /** Numbers the first `n` kept candidates: parent links, state count. */
      const pushTo = (n: number): void => {
        this.links.pushKept(batchFirstId, r.parents, r.moves, kept, pushed, n);
        pushed = Math.max(pushed, n);
        this.states = firstKeptId + pushed;
      };
      // A stopping event of this batch, if any (with allViolations, violations do not stop).
      let stop: Event | null = null;
      for (const ev of evs) {
        const w = ev.what;
        if (w.kind === 'mark') {
          const mk = r.marks.find((x) => x.c === w.c)!;
          if (other?.has(w.c)) continue;
          if (!isKept(w.c)) {
            if (mk.error === null && this.found.has(mk.property!)) continue;
            throw new MmraceError('E_INTERNAL', `parallel explorer: the first violation of batch ${r.batch} was taken by an older batch that did not report it`);
          }
          if (mk.error !== null || !this.all) {
            stop = ev;
            break;
          }
          if (!this.found.has(mk.property!)) {
            pushTo(countBelow(kept, w.c) + 1);
            this.record(invariantViolation(mk.property!, this.links.pathTo(this.states - 1)));
          }
          continue;
        }
        if (w.kind === 'fault' && this.all) {
          if (!this.found.has(w.f.property)) this.record(this.faultAt(w.f, batchFirstId));
          continue;
        }
        if (w.kind === 'deadlock' && this.all) {
          this.record(deadlockAt(this.links, batchFirstId + ev.i, r.deadlock!.message));
          continue;
        }
        stop = ev;
        break;
      }
      if (stop === null) {
        pushTo(kept.length);
        this.transitions += r.transitions;
        if (mode !== 'depth' && kept.length > 0) segs.push({ records: r.cand, kept: kept.length === r.candCount ? null : kept, count: kept.length });
        if (r.aborted) {
          this.limitHit = this.signal?.aborted ? 'interrupted' : 'time-limit';
          break;
        }
        continue;
      }
      // The counts at the event: kept successors and transitions up to it.
      pushTo(stop.what.kind === 'cut' ? max! - firstKeptId : countUpToTx(kept, r.tx, stop.tx));
      this.transitions += stop.tx;
      stopAt = { b, ev: stop };
    }
    if (this.states > levelStates) this.depth = level.depth + 1;
    // The rest of the level (drained, or not needed): every batch must be done, and none full.
    for (let b = results.length; b < pending.length; b++) if ((await arrive(b)) === 'full') return 'full';
    if (stopAt !== null) {
      this.settle(level, cuts, results, stopAt.b, stopAt.ev);
      return null;
    }
    if (this.limitHit !== null || this.error !== null) return null;
    if (mode === 'depth') return null;
    // The next level: kept successors in order.
    const next = levelOf(nextFirst, level.depth + 1, segs);
    this.stash = results.map(resultBuffers);
    return next.n > 0 ? next : null;
  }

  private faultAt(f: BatchResult['faults'][number], batchFirstId: number): FoundViolation {
    const base = this.links.pathTo(batchFirstId + f.i);
    return { kind: 'fault', property: f.property, message: f.message, path: { init: base.init, moves: [...base.moves, [f.k, f.ordinal]] } };
  }

  /** The verdict of the level's stopping event (and the drain after a violation). */
  private settle(level: Level, cuts: [number, number][], results: BatchResult[], b: number, ev: Event): void {
    const r = results[b]!;
    const batchFirstId = level.firstId + cuts[b]![0];
    const w = ev.what;
    const pathPlus = (id: number, k: number, ordinal: number): Path => {
      const base = this.links.pathTo(id);
      return k >= 0 ? { init: base.init, moves: [...base.moves, [k, ordinal]] } : base;
    };
    switch (w.kind) {
      case 'cut':
        this.limitHit = 'max-states';
        return;
      case 'truncated':
        this.limitHit = 'max-depth';
        return;
      case 'deadlock':
        this.record(deadlockAt(this.links, batchFirstId + ev.i, r.deadlock!.message));
        return;
      case 'error':
        this.error = { code: w.e.code, message: w.e.message, hint: w.e.hint, path: pathPlus(batchFirstId + w.e.i, w.e.k, w.e.ordinal) };
        return;
      case 'mark': {
        const mk = r.marks.find((x) => x.c === w.c)!;
        const mv = r.moves[w.c]!;
        if (mk.error !== null) {
          this.error = { ...mk.error, path: pathPlus(batchFirstId + r.parents[w.c]!, mv % this.nInst, Math.floor(mv / this.nInst)) };
          return;
        }
        this.record(invariantViolation(mk.property!, this.links.pathTo(this.states - 1)));
        break;
      }
      case 'fault':
        this.record(this.faultAt(w.f, batchFirstId));
        break;
    }
    // A violation found while expanding level d has a counterexample of d + 1 steps; the
    // first deadlock among the rest of the level has one of d steps and is reported instead.
    for (let a = b; a < results.length; a++) {
      const x = results[a]!;
      const first = a === b ? ev.i : -1;
      const dl = x.deadlock && x.deadlock.i > first ? x.deadlock.i : Infinity;
      const de = x.drainError && x.drainError.i > first ? x.drainError.i : Infinity;
      if (dl === Infinity && de === Infinity) continue;
      const at = level.firstId + cuts[a]![0];
      this.found.clear();
      if (dl < de) this.record(deadlockAt(this.links, at + dl, x.deadlock!.message));
      else {
        const e = x.drainError!;
        this.error = { code: e.code, message: e.message, hint: e.hint, path: pathPlus(at + e.i, e.k, e.ordinal) };
      }
      return;
    }
  }

  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.abortLevel);
    if (this.ownPool && this.pool !== null) await this.pool.destroy();
  }
}

function deadlockAt(links: Links, id: number, message: string): FoundViolation {
  return { kind: 'deadlock', property: DEADLOCK, message, path: links.pathTo(id) };
}

function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** Why the final checkpoint of a search that stopped short is written. */
function reasonOf(stop: SearchStop | null): SaveReason {
  return stop === 'interrupted' || stop === 'time-limit' || stop === 'memory' ? stop : 'periodic';
}

/** A breadth-first search on the level explorer (see the file comment): what it found. */
export async function parallelSearch(m: CompiledModel, modelPath: string, opts: ParallelOptions = {}): Promise<SearchOutcome> {
  let started = performance.now();
  /** Seconds of search, over every run of a resumed search. */
  const seconds = (): number => (performance.now() - started) / 1000;
  const x = new Search(m, modelPath, opts);
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
      opts.onProgress?.({ states: x.states, transitions: x.transitions, depth: x.depth, queued: level.n, seconds: seconds() });
      level = await x.step(level);
    }
    if (x.redo !== null) await x.save(x.redo, reasonOf(x.limitHit), seconds());
  } finally {
    await x.close();
  }
  return x.outcomeSoFar(seconds());
}
