/**
 * The worker threads of the breadth-first search (engine/levels.ts LevelPool): when they
 * start, which levels they take, how a level's batches reach them (piscina, pool.ts),
 * and what happens when one does not come back.
 *
 * When. With a number of workers given, no thread starts before a level is handed to the
 * threads: the level that starts them, the first of `inThreadBelow` states or more, is the
 * first they run (it waits while they load the model), so a search whose levels all stay
 * in this thread never starts one. With `auto` (the default), the threads load the model
 * while this thread runs levels, and they must pay for themselves, so that the default is
 * never slower than `--workers 0`:
 * - a search that ends within START_AFTER seconds never starts a thread (booting one and
 *   loading the model in it take about 0.4 s, and the levels in this thread slow down
 *   meanwhile), nor does one whose levels stay below AUTO_LEVEL states (too few batches to
 *   keep the threads busy between barriers), nor one whose levels no longer grow (the
 *   last TREND levels hold less than GROWING times the states of the TREND before them: a
 *   search past its widest, or whose levels stay flat and may end at any level, has too
 *   little of it left for sure to pay for the threads' start);
 * - they start only when cores are idle (the machine's CPU times since the search began,
 *   or since the last look: at least MIN_IDLE of a core besides this thread's), one per
 *   idle core and one for the core this thread leaves while the workers expand a level;
 * - the levels they run are timed against the large levels this thread ran (transitions
 *   per second, over the last TREND such levels: one level's rate varies with its shape,
 *   and a state costs more as the set grows): when the
 *   threads have run JUDGE_AFTER seconds of levels, after their first, at less than
 *   MIN_GAIN times this thread's rate, the search goes on in this thread and they end.
 *
 * Lost batches. Each batch has a heart (engine/watchdog.ts) that its worker beats and this
 * thread watches: a batch whose step hangs is stopped (its worker terminated) and the state
 * recorded; a batch whose worker dies is recorded too. The search undoes the level and
 * asks `afterLoss` whether to run it again: a batch whose worker died is run again
 * RETRIES times, then the search ends with E_WORKER; a state whose step hung is recorded
 * as E_STEP_TIMEOUT where the sequential search meets it (batch.ts StuckAt).
 */
import { cpus } from 'node:os';
import { lowerStop, type BatchResult, type StuckAt } from '../engine/batch.js';
import { BatchLost, type LevelPool, type PooledBatch } from '../engine/levels.js';
import { piecesOf, type Level } from '../engine/level.js';
import { BEAT, DEFAULT_STEP_TIMEOUT, HEART_STRIDE, STATE, WORKER, beatCode, inModelCode, stuckError, stuckStep, watchSlots, type StuckCause } from '../engine/watchdog.js';
import type { CompiledModel } from '../model/compile.js';
import type { SharedFingerprintSet } from '../state/shared-fpset.js';
import { WORKER_HINT, WorkerLost, createPool, lostWhy, run, warmPool, type Pool } from './pool.js';
import { sharedPiece, type ExpandResult, type ModelFile, type ModelRef, type MoveResult } from './protocol.js';

/** Levels smaller than this run in this thread. */
export const IN_THREAD_BELOW = 4096;
/**
 * With `auto`, the threads start only once the search has run this long in this thread:
 * a worker boots and loads the model in about 0.4 s (bench/RESULTS.md, "Scaling"), so a
 * shorter search would end before they helped, and on a 2-core machine their start takes
 * the other core from nothing else but costs the process's exit waiting for them.
 */
export const START_AFTER = 3;
/** With `auto`: levels compared to tell a search that grows from one that shrinks (the counter's levels come in fours). */
const TREND = 4;
/** With `auto`: the growth of the last TREND levels over the TREND before them that still starts the threads. */
const GROWING = 1.1;
/** With `auto`: levels of fewer states than this run in this thread (4 batches for each of 2 workers). */
export const AUTO_LEVEL = 8 * 8192;
/** With `auto`: seconds of levels on the threads, their first level aside, before they are judged. */
const JUDGE_AFTER = 0.5;
/** With `auto`: the threads are kept when they run levels at least this many times faster than this thread. */
const MIN_GAIN = 1.2;
/** Times a batch whose worker died is run again before the search ends with E_WORKER. */
const RETRIES = 1;
/** Runs of a level that lost batches before the search ends. */
const MAX_RERUNS = 4;

export interface LevelPoolOptions {
  /** Worker threads (at least 1). */
  readonly workers: number;
  /** Decide when to start them (see the file comment), rather than at the first large level. */
  readonly auto?: boolean | undefined;
  /** A pool to run on (kept open), instead of one made for the search. */
  readonly pool?: Pool | undefined;
  /** Levels smaller than this run in this thread (tests: 0 sends every level to the pool, which levels then wait for). */
  readonly inThreadBelow?: number | undefined;
  readonly stepTimeout?: number | undefined;
}

/**
 * What a pooled level lost, over its runs: the batches whose worker died (each is run
 * again RETRIES times; one more failure ends the search, E_WORKER), and the states on which
 * a step hung (the next run records the step timeout there: batch.ts StuckAt).
 */
/** Where a worker's heap filled: the state's index in its batch, and the beat word of the model code running. */
interface OutOfMemoryAt {
  readonly i: number;
  readonly word: number;
}

class LevelLosses {
  /** Per batch: how often its worker died while it ran. */
  private readonly failures = new Map<number, number>();
  /** Per batch: the first state known on which a step hung. */
  readonly stuck = new Map<number, StuckAt>();
  /** Runs of the level that lost batches. */
  runs = 0;
  /** The worker threads the watchdog terminated in the run under way. */
  private stopped = new Set<number>();
  /** The batches lost in the run under way: whether they had started, on which thread, why; where its heap filled. */
  private now: { b: number; started: boolean; thread: number; why: string; oom: OutOfMemoryAt | null }[] = [];
  /** Per batch: where its worker's heap last filled in model code. */
  private readonly oom = new Map<number, OutOfMemoryAt>();

  constructor(readonly level: Level) {}

  /** A step hung at state `i` of batch `b`, whose worker `thread` is then terminated. */
  stuckAt(b: number, i: number, e: Omit<StuckAt, 'i'>, thread: number): void {
    const old = this.stuck.get(b);
    if (old === undefined || i < old.i) this.stuck.set(b, { i, ...e });
    this.stopped.add(thread);
  }

  /**
   * Batch `b` did not come back, for `why`; `started`: its heart says it had begun, on
   * `thread`; `oom`: its worker's heap filled while that model code ran from that state.
   */
  lost(b: number, why: string, started: boolean, thread: number, oom: OutOfMemoryAt | null): void {
    this.now.push({ b, started, thread, why, oom });
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
   * Returns a batch that failed once too often, with why, or null. `memoryError` gives
   * the error of model code whose worker's heap filled.
   */
  endRun(memoryError: (word: number) => Omit<StuckAt, 'i'>): { b: number; why: string } | null {
    this.runs++;
    const died = this.now.filter((x) => !(x.started && this.stopped.has(x.thread)));
    const running = died.filter((x) => x.started);
    const blamed = running.length > 0 ? running : this.stopped.size > 0 ? [] : died;
    this.now = [];
    this.stopped = new Set();
    for (const x of blamed) {
      // The heap filled twice in the same model code from the same state: the model's
      // error there (E_MODEL_MEMORY), which the next run records as a step timeout is.
      const before = this.oom.get(x.b);
      if (x.oom !== null && before !== undefined && before.i === x.oom.i && beatCode(before.word) === beatCode(x.oom.word)) {
        const old = this.stuck.get(x.b);
        if (old === undefined || x.oom.i < old.i) this.stuck.set(x.b, { i: x.oom.i, ...memoryError(x.oom.word) });
        continue;
      }
      if (x.oom !== null) this.oom.set(x.b, x.oom);
      const n = (this.failures.get(x.b) ?? 0) + 1;
      this.failures.set(x.b, n);
      if (n > RETRIES) return x;
    }
    return null;
  }
}

/** Adds a level's transitions and seconds to a tally. */
function add(t: { transitions: number; seconds: number }, transitions: number, seconds: number): void {
  t.transitions += transitions;
  t.seconds += seconds;
}

/** Idle cores, at least, below which `auto` starts no thread: most of a core must be free. */
const MIN_IDLE = 0.75;

/** The machine's idle and total CPU time, per core (milliseconds, as the kernel counts them). */
function cpuTimes(): { idle: number; total: number }[] {
  return cpus().map(({ times: t }) => ({ idle: t.idle, total: t.user + t.nice + t.sys + t.idle + t.irq }));
}

/** Cores idle on average between two readings of the machine's CPU times. */
class IdleMeter {
  private last = cpuTimes();
  /** Idle cores since the last reading (0 up to the number of cores); the next reading starts from now. */
  read(): number {
    const now = cpuTimes();
    let idle = 0;
    now.forEach((c, i) => {
      const before = this.last[i];
      const total = before ? c.total - before.total : 0;
      if (before && total > 0) idle += Math.min(1, Math.max(0, (c.idle - before.idle) / total));
    });
    this.last = now;
    return idle;
  }
}

class PiscinaLevels implements LevelPool {
  private pool: Pool | null;
  private readonly own: boolean;
  private warming: Promise<void> | null = null;
  private ready = false;
  private losses: LevelLosses | null = null;
  private readonly ref: ModelRef;
  private readonly idle = new IdleMeter();
  /**
   * Transitions and seconds of the last TREND large levels run here (the set grows and
   * each state costs more as the search goes on: the threads are judged against this
   * thread's recent levels, not its first), and of the levels on the threads but their first.
   */
  private readonly here: { transitions: number; seconds: number }[] = [];
  private there = { transitions: 0, seconds: 0 };
  /** Levels run on the threads. */
  private pooledLevels = 0;
  /** The size of every level the search asked about. */
  private readonly sizes: number[] = [];

  /**
   * Whether the levels still grow: the last TREND levels (fewer when the search has not
   * had twice as many) hold at least GROWING times the states of as many before them.
   */
  private growing(): boolean {
    const n = this.sizes.length;
    const k = Math.min(TREND, Math.floor(n / 2));
    if (k === 0) return false;
    let last = 0;
    let before = 0;
    for (let i = 0; i < k; i++) {
      last += this.sizes[n - 1 - i]!;
      before += this.sizes[n - 1 - k - i]!;
    }
    return last >= GROWING * before;
  }
  /** `auto` gave the threads up: they did not pay. */
  private given = false;
  /** Whether `auto` gave the threads up (for tests). */
  get gaveUp(): boolean {
    return this.given;
  }
  /** Threads: the given number, or with `auto`, as many as idle cores allowed when they started. */
  workers: number;

  constructor(
    private readonly m: CompiledModel,
    file: ModelFile,
    private readonly o: LevelPoolOptions,
  ) {
    this.pool = o.pool ?? null;
    this.own = o.pool === undefined;
    this.workers = o.pool ? o.pool.options.maxThreads : o.workers;
    this.ref = { path: file.path, url: file.url, params: { ...m.params } };
  }

  get starting(): boolean {
    return this.warming !== null && !this.ready;
  }

  private get stepTimeout(): number {
    return this.o.stepTimeout ?? DEFAULT_STEP_TIMEOUT;
  }

  takes(level: Level, seconds: number): boolean {
    this.sizes.push(level.n);
    if (level.n < (this.o.inThreadBelow ?? (this.o.auto ? AUTO_LEVEL : IN_THREAD_BELOW))) return false;
    if (this.given) return false;
    if (this.pool === null) {
      if (this.o.auto) {
        if (seconds < START_AFTER || !this.growing()) return false;
        const idle = this.idle.read();
        if (idle < MIN_IDLE) return false;
        this.workers = Math.max(1, Math.min(this.workers, Math.round(idle) + 1));
      }
      this.pool = createPool(this.workers);
    }
    if (this.warming === null) this.warming = warmPool(this.pool, this.ref).then(() => void (this.ready = true));
    // With a number of workers given, the level is theirs: started for it, the threads load
    // the model first, then run it (warmed while this thread ran levels instead, they would
    // start for a search that may end before it hands them any). With `auto`, the search
    // has run START_AFTER seconds and still grows: this thread runs levels while they load
    // (unless a tuning says which levels are theirs).
    return this.o.auto && this.o.inThreadBelow === undefined ? this.ready : true;
  }

  expand(level: Level, batches: readonly PooledBatch[], table: SharedFingerprintSet, control: Int32Array, spare: readonly (readonly SharedArrayBuffer[])[]): Promise<BatchResult>[] {
    const pool = this.pool!;
    if (this.losses?.level !== level) this.losses = new LevelLosses(level);
    const losses = this.losses;
    const firstBatch = batches[0]?.batch ?? 0;
    // The batches after the first whose step hung only drain: that batch has an event.
    const firstStuck = losses.firstStuck();
    if (firstStuck >= 0) lowerStop(control, firstBatch + firstStuck);
    const hearts = new Int32Array(new SharedArrayBuffer(Math.max(1, batches.length) * HEART_STRIDE * 4));
    const word = (b: number, w: number): number => Atomics.load(hearts, b * HEART_STRIDE + w);
    const watch = watchSlots(hearts, batches.length, this.stepTimeout, (b) => {
      const thread = word(b, WORKER);
      losses.stuckAt(b, word(b, STATE) - batches[b]!.offset, this.stuckError(word(b, BEAT)), thread);
      // The level runs again: the younger batches only drain now, and the stuck one's
      // worker is terminated (piscina starts another).
      lowerStop(control, firstBatch + b);
      void pool.threads.find((t) => t.threadId === thread)?.terminate();
    });
    const all = batches.map((input, b) => {
      const task = {
        kind: 'expand',
        model: this.ref,
        table: table.buffer,
        control: control.buffer as SharedArrayBuffer,
        pieces: piecesOf(level, input.offset, input.count).map(sharedPiece),
        ...input,
        spare: [...(spare[b] ?? [])] as SharedArrayBuffer[],
        heart: hearts.buffer as SharedArrayBuffer,
        slot: b,
        stuck: losses.stuck.get(b) ?? null,
      } as const;
      return run<ExpandResult>(pool, task).catch((e: unknown): never => {
        if (e instanceof WorkerLost) {
          const beat = word(b, BEAT);
          const oom = e.outOfMemory && inModelCode(beat) ? { i: word(b, STATE) - batches[b]!.offset, word: beat } : null;
          losses.lost(b, lostWhy(pool, e), beat !== 0, word(b, WORKER), oom);
          // The level runs again: the younger batches need only drain.
          lowerStop(control, firstBatch + b);
          throw new BatchLost(e.message);
        }
        throw e;
      });
    });
    void Promise.allSettled(all).then(() => watch.stop());
    // The merge awaits them in order; a failure of a later one is seen when it gets there.
    for (const p of all) p.catch(() => {});
    return all;
  }

  observe(pooled: boolean, transitions: number, seconds: number): void {
    if (!this.o.auto || seconds <= 0) return;
    if (!pooled) {
      // Only levels as large as those the threads take compare (small ones fit in caches).
      if (transitions >= AUTO_LEVEL) {
        this.here.push({ transitions, seconds });
        if (this.here.length > TREND) this.here.shift();
      }
      return;
    }
    // The first level on the threads runs while their compiler warms up: it is not judged.
    if (this.pooledLevels++ === 0) return;
    add(this.there, transitions, seconds);
    const here = { transitions: 0, seconds: 0 };
    for (const h of this.here) add(here, h.transitions, h.seconds);
    if (this.there.seconds < JUDGE_AFTER || here.seconds === 0) return;
    if (this.there.transitions / this.there.seconds < MIN_GAIN * (here.transitions / here.seconds)) {
      this.given = true;
      void this.close();
    }
  }

  /** The error of the step that beat word `word` names, stopped for `cause`, for a batch to record (StuckAt). */
  private stuckError(word: number, cause: StuckCause = { kind: 'time', seconds: this.stepTimeout }): Omit<StuckAt, 'i'> {
    const e = stuckError(this.m, word, cause);
    return { guard: stuckStep(this.m, word).guard, code: e.code, message: e.message, hint: e.hint };
  }

  afterLoss(level: Level, batches: readonly PooledBatch[]) {
    const losses = this.losses!;
    const failed = losses.endRun((word) => this.stuckError(word, { kind: 'memory', bytes: null }));
    if (failed !== null) {
      const { offset, count } = batches[failed.b]!;
      return {
        code: 'E_WORKER',
        message: `a worker thread of the parallel explorer failed: ${failed.why}; the batch of ${count} states at depth ${level.depth} (from state ${level.firstId + offset}) failed again when run a second time`,
        hint: WORKER_HINT,
        at: null,
      };
    }
    if (losses.runs > MAX_RERUNS) {
      const b = losses.firstStuck();
      const st = b >= 0 ? losses.stuck.get(b)! : null;
      return st
        ? { code: st.code, message: st.message, hint: st.hint, at: batches[b]!.offset + st.i }
        : { code: 'E_WORKER', message: `a worker thread of the parallel explorer failed: the level at depth ${level.depth} lost batches in ${losses.runs} runs`, hint: WORKER_HINT, at: null };
    }
    return null;
  }

  async move(from: SharedFingerprintSet, to: SharedFingerprintSet, drop: number): Promise<void> {
    const parts = this.workers * 4;
    const step = Math.ceil(from.capacity / parts);
    const tasks: Promise<MoveResult>[] = [];
    for (let start = 0; start < from.capacity; start += step) {
      tasks.push(run<MoveResult>(this.pool!, { kind: 'move', from: from.buffer, to: to.buffer, start, end: Math.min(from.capacity, start + step), drop }));
    }
    await Promise.all(tasks);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    if (!this.own || pool === null || this.closing !== null) return this.closing ?? undefined;
    this.closing = pool.destroy();
    return this.closing;
  }
  private closing: Promise<void> | null = null;
}

/** The worker threads of a breadth-first search of `m`, which they import from `file`. */
export function levelPool(m: CompiledModel, file: ModelFile, o: LevelPoolOptions): LevelPool {
  return new PiscinaLevels(m, file, o);
}
