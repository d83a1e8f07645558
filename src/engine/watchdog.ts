/**
 * The step watchdog: a step that never returns (a loop whose exit never comes) ends the
 * search with E_STEP_TIMEOUT, naming the step, instead of hanging it.
 *
 * Heartbeats. Whatever runs steps publishes, in a heart (an Int32Array of HEART_WORDS
 * words, over a SharedArrayBuffer when another thread watches it), one word per guard or
 * step it runs: the step's code and a small counter (`beatWord`). That plain store is the
 * whole per-step cost. The invariants, which run between steps, write their own code. A
 * watcher samples the word: a word that has not changed for the step timeout names the
 * step that is stuck. The other words are the caller's: STATE, where the parallel
 * explorer's batches put the index in its level of the state they expand, and WORKER,
 * where its workers put their threadId.
 *
 * Two watchers:
 * - The parallel explorer's worker threads: the main thread samples one heart per batch
 *   (`watchSlots`) and terminates the worker of a stuck batch; parallel/explore.ts
 *   reports the step with the path to its state.
 * - This thread (the sequential engine, DFS, the bug-hunting walks, the parallel
 *   explorer's in-thread levels): JavaScript cannot interrupt itself, so a watchdog thread
 *   samples the heart (`watchThisThread`). When the step is stuck, it asks the inspector to
 *   call the search's `onStuck` in this thread: V8 runs inspector requests as interrupts,
 *   between two iterations of the stuck loop. `onStuck` belongs to the caller above the
 *   engine, which reports what the search found, with the trace to the stuck step, and
 *   ends the process (`endProcess`): the step cannot be stopped. Only when the inspector
 *   cannot reach this thread does the watchdog thread end the process itself, with one
 *   line on stderr.
 *
 * The time counted is from the start of the last step, so a pause of the engine between
 * steps (a garbage collection, growing the fingerprint set) counts against it: the
 * default, DEFAULT_STEP_TIMEOUT, is far above those.
 */
import { closeSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { MmraceError } from '../errors.js';
import type { CompiledModel } from '../model/compile.js';
import { realExit } from '../model/exit.js';
import type { FoundError } from './result.js';

/** Seconds a step may run (CheckOptions.stepTimeout; --step-timeout). */
export const DEFAULT_STEP_TIMEOUT = 60;

/** Word of a heart that the expander writes at each guard and step (`beatWord`). */
export const BEAT = 0;
/** Word of a heart that the caller writes: the parallel explorer's state index in its level. */
export const STATE = 1;
/** Word of a heart of a worker task: the threadId of the worker thread that runs it. */
export const WORKER = 2;
/** Word of a heart that the expander writes with BEAT: the ordinal (choice vector) of the body's run, -1 for a guard. */
export const ORDINAL = 3;
export const HEART_WORDS = 4;
/**
 * Words from one heart to the next in a buffer of several (one per batch of a level):
 * 128 bytes, so that two workers never beat on one cache line, where each step's store
 * would take the line from the other's core (on s-n16 at 2 workers the difference was
 * within the noise of a shared 2-core machine; the padding costs a few KiB per level).
 */
export const HEART_STRIDE = 32;
/** The beat word of a worker task that has ended (parallel/worker.ts): nothing to watch. */
export const DONE = -1;
/**
 * The beat word between two pieces of model code (the expander writes it when a guard,
 * step or the invariants return): the engine's own work, which no watcher times or
 * charges memory to.
 */
export const IDLE = -2;

/** Low bits of a beat word: a counter, so that the same step run again is progress too. */
const COUNT_BITS = 8;
const COUNT_MASK = (1 << COUNT_BITS) - 1;
/** Code of the invariants; 0 is no step yet (the model's init); steps are 2 + 2 × id (+ 1 for the guard). */
const INVARIANTS = 1;
/** The beat word of a batch that has started and has run no step yet (parallel/batch.ts). */
export const STARTED = 1;

/** Whether beat word `word` names a piece of model code that was running (not the engine's own work). */
export function inModelCode(word: number): boolean {
  return word !== 0 && word !== STARTED && word !== DONE && word !== IDLE;
}

/** The beat word of code `code` at count `count`. */
export function beatWord(code: number, count: number): number {
  return (code << COUNT_BITS) | (count & COUNT_MASK);
}

/** The code of beat word `word` without its counter: which piece of model code it names. */
export function beatCode(word: number): number {
  return word >>> COUNT_BITS;
}

/** The beat word of the invariants at count `count`. */
export function invariantsWord(count: number): number {
  return beatWord(INVARIANTS, count);
}

/**
 * Per instance k, the code of the body of its step at pc 0: the body at pc is
 * `codes[k] + 2 × pc`, its guard one more. Steps are numbered over every instance in
 * order (as the watchdog decodes them: `stuckStep`).
 */
export function stepCodes(m: CompiledModel): Int32Array {
  const codes = new Int32Array(m.instances.length);
  let id = 0;
  for (const inst of m.instances) {
    codes[inst.k] = 2 + 2 * id;
    id += inst.steps.length;
  }
  return codes;
}

/** What a beat word names. */
export interface StuckStep {
  /** `step a[0] spin`, `the await of a[0] spin`, `an invariant`, `the model's init`. */
  readonly what: string;
  /** The instance and pc of the step (-1 for the invariants and the init). */
  readonly k: number;
  readonly pc: number;
  /** The step's guard (await) was running, not its body. */
  readonly guard: boolean;
}

/** Decodes a beat word of model `m`. */
export function stuckStep(m: CompiledModel, word: number): StuckStep {
  const code = word >>> COUNT_BITS;
  if (code === 0) return { what: "the model's init", k: -1, pc: -1, guard: false };
  if (code === INVARIANTS) return { what: 'an invariant', k: -1, pc: -1, guard: false };
  const guard = (code & 1) === 1;
  let id = (code - 2) >> 1;
  for (const inst of m.instances) {
    if (id < inst.steps.length) {
      const name = `${inst.actor}[${inst.index}] ${inst.steps[id]!.label}`;
      return { what: guard ? `the await of ${name}` : `step ${name}`, k: inst.k, pc: id, guard };
    }
    id -= inst.steps.length;
  }
  return { what: 'a step', k: -1, pc: -1, guard };
}

/** Why a watcher stopped a step: it ran too long, or grew the process's memory too much. */
export type StuckCause =
  | { readonly kind: 'time'; readonly seconds: number }
  /** `bytes`: what it added to the process's memory; null: it filled its worker thread's heap. */
  | { readonly kind: 'memory'; readonly bytes: number | null };

/** The error of the step that beat word `word` names, stopped for `cause`: E_STEP_TIMEOUT or E_MODEL_MEMORY. */
export function stuckError(m: CompiledModel, word: number, cause: StuckCause): MmraceError {
  const s = stuckStep(m, word);
  if (cause.kind === 'memory') {
    return new MmraceError(
      'E_MODEL_MEMORY',
      cause.bytes === null
        ? `${s.what} filled the heap of its worker thread while it ran, twice from the same state`
        : `${s.what} used more than ${mib(cause.bytes)} of memory while it ran and was stopped`,
      'a step works on a small state: look in it for data that grows without end (an array or string built in a loop whose exit condition never holds, a cache kept across steps)',
    );
  }
  return new MmraceError(
    'E_STEP_TIMEOUT',
    `${s.what} ran for more than ${cause.seconds} s and was stopped`,
    'a step must end: look in it for a loop whose exit condition never holds (a wait for another actor is an await, not a loop), or raise --step-timeout',
  );
}

/** Bytes as MiB or GiB, for messages. */
function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${+(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** Checks CheckOptions.stepTimeout: seconds > 0 (Infinity: no watchdog). */
export function checkStepTimeout(v: number | undefined): void {
  if (v !== undefined && !(typeof v === 'number' && v > 0)) {
    throw new MmraceError('E_USAGE', `stepTimeout = ${String(v)}: must be a number of seconds > 0`);
  }
}

/** Milliseconds of a timeout in seconds, as an Int32 word (Infinity: 0, no watch). */
function timeoutMs(seconds: number): number {
  return Number.isFinite(seconds) ? Math.max(1, Math.min(2 ** 31 - 1, Math.round(seconds * 1000))) : 0;
}

/** How often a watcher samples a heart: a quarter of the timeout, from 10 ms to 1 s. */
function samplePeriod(ms: number): number {
  return Math.max(10, Math.min(1000, Math.floor(ms / 4)));
}

/**
 * A search in this thread under the watchdog: the heart its expander beats, and what it
 * has found, which it sets as it starts (before any model code runs): its result so far,
 * ending with `error` at the state the stuck step runs from.
 */
export interface Watch<T> {
  readonly heart: Int32Array;
  found: ((error: Omit<FoundError, 'path'>) => T) | null;
}

// ---------------------------------------------------------------------------------------
// Watching worker threads from this thread.

/** Watches the hearts of worker tasks; `stop` it when they are settled. */
export interface SlotWatch {
  stop(): void;
}

/**
 * Samples `slots` hearts of `hearts` (HEART_STRIDE words apart) from this thread's event
 * loop, and calls `onStuck(slot)` once for each slot whose beat word, once started
 * (non-zero) and until DONE, stays the same for `seconds`. This thread must be free to
 * run timers: it is, while it awaits the workers. Nothing when `seconds` is Infinity.
 */
export function watchSlots(hearts: Int32Array, slots: number, seconds: number, onStuck: (slot: number) => void): SlotWatch {
  const ms = timeoutMs(seconds);
  if (ms === 0) return { stop() {} };
  const last = new Int32Array(slots);
  const since = new Float64Array(slots);
  const fired = new Uint8Array(slots);
  const timer = setInterval(() => {
    const now = performance.now();
    for (let b = 0; b < slots; b++) {
      const v = Atomics.load(hearts, b * HEART_STRIDE + BEAT);
      if (v === 0 || v === DONE || v === IDLE || fired[b] === 1) continue;
      if (v !== last[b] || since[b] === 0) {
        last[b] = v;
        since[b] = now;
      } else if (now - since[b]! >= ms) {
        fired[b] = 1;
        onStuck(b);
      }
    }
  }, samplePeriod(ms));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

// ---------------------------------------------------------------------------------------
// Watching this thread from a watchdog thread.

/** Words of the watchdog's buffer, after the heart (on another cache line). */
const ARMED = HEART_STRIDE; // the generation of the current watch, 0 when none
const TIMEOUT = HEART_STRIDE + 1; // milliseconds (0: no time watch)
const QUIT = HEART_STRIDE + 2; // 1: the watchdog thread ends
const GROWTH = HEART_STRIDE + 3; // MiB one piece of model code may add to the process's memory (0: no memory watch)
const CAUSE = HEART_STRIDE + 4; // why the watchdog fired: 1 time, 2 memory
const GROWN = HEART_STRIDE + 5; // MiB the piece of code had added when the watchdog fired for memory
const WATCHDOG_WORDS = HEART_STRIDE + 6;
/** Where the watchdog thread finds `fire` in this thread (through the inspector). */
const KEY = 'mmrace.stepWatchdog';
/** Milliseconds the watchdog waits for this thread to report, before it kills the process itself. */
const GRACE_MS = 10_000;
/** Milliseconds the watchdog thread lingers after a search, for the next one to use. */
const LINGER_MS = 1000;
/**
 * Milliseconds between two readings of the process's memory while one piece of model
 * code runs: a step filling memory at 2 GB/s adds 40 MB between two readings.
 */
const MEMORY_PERIOD_MS = 20;
/** The most one piece of model code may add to the process's resident memory. */
const MAX_GROWTH = 2 ** 30;

/**
 * The watchdog thread, as a CommonJS script: it needs no tsx, so it starts in a few
 * milliseconds. While a watch is armed it samples the beat word; a word unchanged for the
 * timeout, or under which the process's resident memory grew more than GROWTH MiB, makes
 * it call `fire(generation)` in the main thread through the inspector. IDLE (the
 * engine's own work between two pieces of model code) is neither timed nor charged.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const w = new Int32Array(workerData.buffer);
const { BEAT, ARMED, TIMEOUT, QUIT, GROWTH, CAUSE, GROWN, IDLE, KEY, GRACE_MS, MEMORY_PERIOD_MS } = workerData;
const MIB = 1048576;
function watch() {
  let gen = 0, last = 0, since = 0, rssAt = 0;
  for (;;) {
    if (Atomics.load(w, QUIT) !== 0) return;
    const g = Atomics.load(w, ARMED);
    if (g === 0) { Atomics.wait(w, ARMED, 0); continue; }
    const ms = Atomics.load(w, TIMEOUT);
    const growth = Atomics.load(w, GROWTH);
    const now = performance.now();
    const v = Atomics.load(w, BEAT);
    const rss = growth > 0 ? process.memoryUsage.rss() : 0;
    if (g !== gen || v !== last || v === IDLE) { gen = g; last = v; since = now; rssAt = rss; }
    else if (growth > 0 && rss - rssAt > growth * MIB) {
      Atomics.store(w, CAUSE, 2);
      Atomics.store(w, GROWN, Math.floor((rss - rssAt) / MIB));
      return fire(g);
    } else if (ms > 0 && now - since >= ms) {
      Atomics.store(w, CAUSE, 1);
      return fire(g);
    }
    const period = ms > 0 ? Math.max(10, Math.min(1000, Math.floor(ms / 4))) : 1000;
    Atomics.wait(w, ARMED, g, growth > 0 ? Math.min(period, MEMORY_PERIOD_MS) : period);
  }
}
function kill() {
  const memory = Atomics.load(w, CAUSE) === 2;
  writeSync(2, memory
    ? 'mmrace: error E_MODEL_MEMORY: a step used more than ' + Atomics.load(w, GROWN) + ' MiB of memory and the watchdog could not stop it in the main thread (a step works on a small state: look for data that grows without end)\\n'
    : 'mmrace: error E_STEP_TIMEOUT: a step ran for more than ' + Atomics.load(w, TIMEOUT) / 1000 + ' s and the watchdog could not stop it in the main thread (a step must end: look for a loop whose exit condition never holds)\\n');
  process.kill(process.pid, 'SIGKILL');
}
function fire(gen) {
  let inspector = null;
  try { inspector = require('node:inspector'); } catch {}
  if (inspector === null || typeof inspector.Session !== 'function') return kill();
  const s = new inspector.Session();
  try { s.connectToMainThread(); } catch { return kill(); }
  const timer = setTimeout(kill, GRACE_MS);
  s.post('Runtime.evaluate', { expression: 'globalThis[Symbol.for(' + JSON.stringify(KEY) + ')](' + gen + ')' }, () => {
    // The main thread returned: its search ended before the request ran. Watch again.
    clearTimeout(timer);
    s.disconnect();
    setImmediate(watch);
  });
}
watch();
`;

interface Watchdog {
  readonly worker: Worker;
  readonly words: Int32Array;
  readonly heart: Int32Array;
}

let watchdog: Watchdog | null = null;
let linger: NodeJS.Timeout | null = null;
let generation = 0;
/** The armed watch's report (called in this thread when its step is stuck). */
let armed: ((word: number, cause: StuckCause) => void) | null = null;

/** Starts the watchdog thread (unreferenced: it never keeps the process alive). */
function startWatchdog(): Watchdog {
  const buffer = new SharedArrayBuffer(WATCHDOG_WORDS * 4);
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { buffer, BEAT, ARMED, TIMEOUT, QUIT, GROWTH, CAUSE, GROWN, IDLE, KEY, GRACE_MS, MEMORY_PERIOD_MS },
  });
  worker.unref();
  // A watchdog that fails is not worth a crash of the search it watches.
  worker.on('error', () => {
    if (watchdog?.worker === worker) watchdog = null;
  });
  (globalThis as Record<symbol, unknown>)[Symbol.for(KEY)] = fire;
  return { worker, words: new Int32Array(buffer), heart: new Int32Array(buffer, 0, HEART_WORDS) };
}

/**
 * Called by the watchdog thread, through the inspector, in this thread, between two
 * iterations of a stuck step: hands the beat word to the watch's `onStuck`, which ends
 * the process. Returns at once when watch `gen` is no longer armed (the search ended
 * meanwhile).
 */
function fire(gen: number): void {
  const w = watchdog;
  const onStuck = armed;
  if (w === null || onStuck === null || Atomics.load(w.words, ARMED) !== gen) return;
  const cause: StuckCause =
    Atomics.load(w.words, CAUSE) === 2
      ? { kind: 'memory', bytes: Atomics.load(w.words, GROWN) * 2 ** 20 }
      : { kind: 'time', seconds: Atomics.load(w.words, TIMEOUT) / 1000 };
  onStuck(Atomics.load(w.heart, BEAT), cause);
}

/**
 * Ends the process with `code` from the middle of a stuck step (an `onStuck`): stderr is
 * closed first, since with the watchdog's inspector session open Node would print
 * "Waiting for the debugger to disconnect..." on it.
 */
export function endProcess(code: number): never {
  try {
    closeSync(2);
  } catch {
    /* already closed */
  }
  // The original process.exit: the model's is guarded (model/exit.ts).
  realExit(code);
}

/** A watch of this thread: its heart (for Expander.heart); `stop` it when the search is over. */
export interface ThreadWatch {
  readonly heart: Int32Array;
  stop(): void;
}

/**
 * The most one piece of model code in this thread may add to the process's memory: half
 * the room left in this thread's heap (V8 ends the process, with no way to catch it, when
 * the heap is full), at most MAX_GROWTH. What a step legitimately allocates is a few
 * objects; the engine's own large buffers grow between steps (IDLE), uncharged.
 */
export function memoryGrowthLimit(): number {
  const h = getHeapStatistics();
  return Math.max(2 ** 20, Math.min(MAX_GROWTH, Math.floor((h.heap_size_limit - h.used_heap_size) / 2)));
}

/**
 * Arms the watchdog over this thread for a synchronous search: `onStuck(word, cause)`
 * runs in this thread, in the middle of the piece of model code that beat word `word`
 * names, when that word stays the same for `seconds` (cause `time`; Infinity: never), or
 * while the process's resident memory grows by more than `growth` bytes under it (cause
 * `memory`; default `memoryGrowthLimit()`, 0: never). It must end the process
 * (`endProcess`), since the stuck step cannot be stopped. Null when neither is watched.
 * One watch at a time: a search runs in this thread until it ends. The watchdog thread
 * starts with the first watch and ends a second after the last one is stopped.
 */
export function watchThisThread(seconds: number, onStuck: (word: number, cause: StuckCause) => void, growth = memoryGrowthLimit()): ThreadWatch | null {
  const ms = timeoutMs(seconds);
  const growthMiB = growth > 0 ? Math.max(1, Math.min(2 ** 31 - 1, Math.floor(growth / 2 ** 20))) : 0;
  if (ms === 0 && growthMiB === 0) return null;
  if (linger !== null) {
    clearTimeout(linger);
    linger = null;
  }
  const w = (watchdog ??= startWatchdog());
  armed = onStuck;
  const gen = (generation = (generation % 0x7fff_fffe) + 1);
  Atomics.store(w.heart, BEAT, 0);
  Atomics.store(w.words, TIMEOUT, ms);
  Atomics.store(w.words, GROWTH, growthMiB);
  Atomics.store(w.words, CAUSE, 0);
  Atomics.store(w.words, ARMED, gen);
  Atomics.notify(w.words, ARMED);
  let stopped = false;
  return {
    heart: w.heart,
    stop() {
      if (stopped) return;
      stopped = true;
      if (Atomics.load(w.words, ARMED) !== gen) return;
      armed = null;
      Atomics.store(w.words, ARMED, 0);
      Atomics.notify(w.words, ARMED);
      linger = setTimeout(endWatchdog, LINGER_MS);
      linger.unref();
    },
  };
}

/** Ends the watchdog thread (no watch is armed). */
function endWatchdog(): void {
  linger = null;
  const w = watchdog;
  if (w === null || Atomics.load(w.words, ARMED) !== 0) return;
  watchdog = null;
  Atomics.store(w.words, QUIT, 1);
  Atomics.notify(w.words, ARMED);
}
