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
export const HEART_WORDS = 3;
/**
 * Words from one heart to the next in a buffer of several (one per batch of a level):
 * 128 bytes, so that two workers never beat on one cache line, where each step's store
 * would take the line from the other's core (on s-n16 at 2 workers the difference was
 * within the noise of a shared 2-core machine; the padding costs a few KiB per level).
 */
export const HEART_STRIDE = 32;
/** The beat word of a worker task that has ended (parallel/worker.ts): nothing to watch. */
export const DONE = -1;

/** Low bits of a beat word: a counter, so that the same step run again is progress too. */
const COUNT_BITS = 8;
const COUNT_MASK = (1 << COUNT_BITS) - 1;
/** Code of the invariants; 0 is no step yet (the model's init); steps are 2 + 2 × id (+ 1 for the guard). */
const INVARIANTS = 1;
/** The beat word of a batch that has started and has run no step yet (parallel/batch.ts). */
export const STARTED = 1;

/** The beat word of code `code` at count `count`. */
export function beatWord(code: number, count: number): number {
  return (code << COUNT_BITS) | (count & COUNT_MASK);
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

/** The E_STEP_TIMEOUT error of the step that beat word `word` names. */
export function stepTimeoutError(m: CompiledModel, word: number, seconds: number): MmraceError {
  const s = stuckStep(m, word);
  return new MmraceError(
    'E_STEP_TIMEOUT',
    `${s.what} ran for more than ${seconds} s and was stopped`,
    'a step must end: look in it for a loop whose exit condition never holds (a wait for another actor is an await, not a loop), or raise --step-timeout',
  );
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
      if (v === 0 || v === DONE || fired[b] === 1) continue;
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
const TIMEOUT = HEART_STRIDE + 1; // milliseconds
const QUIT = HEART_STRIDE + 2; // 1: the watchdog thread ends
const WATCHDOG_WORDS = HEART_STRIDE + 3;
/** Where the watchdog thread finds `fire` in this thread (through the inspector). */
const KEY = 'mmrace.stepWatchdog';
/** Milliseconds the watchdog waits for this thread to report, before it kills the process itself. */
const GRACE_MS = 10_000;
/** Milliseconds the watchdog thread lingers after a search, for the next one to use. */
const LINGER_MS = 1000;

/**
 * The watchdog thread, as a CommonJS script: it needs no tsx, so it starts in a few
 * milliseconds. While a watch is armed it samples the beat word; a word unchanged for the
 * timeout makes it call `fire(generation)` in the main thread through the inspector.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const w = new Int32Array(workerData.buffer);
const { BEAT, ARMED, TIMEOUT, QUIT, KEY, GRACE_MS } = workerData;
function watch() {
  let gen = 0, last = 0, since = 0;
  for (;;) {
    if (Atomics.load(w, QUIT) !== 0) return;
    const g = Atomics.load(w, ARMED);
    if (g === 0) { Atomics.wait(w, ARMED, 0); continue; }
    const ms = Atomics.load(w, TIMEOUT);
    const now = performance.now();
    const v = Atomics.load(w, BEAT);
    if (g !== gen || v !== last) { gen = g; last = v; since = now; }
    else if (now - since >= ms) return fire(g);
    Atomics.wait(w, ARMED, g, Math.max(10, Math.min(1000, Math.floor(ms / 4))));
  }
}
function kill() {
  writeSync(2, 'mmrace: error E_STEP_TIMEOUT: a step ran for more than ' + Atomics.load(w, TIMEOUT) / 1000 + ' s and the watchdog could not stop it in the main thread (a step must end: look for a loop whose exit condition never holds)\\n');
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
let armed: ((word: number) => void) | null = null;

/** Starts the watchdog thread (unreferenced: it never keeps the process alive). */
function startWatchdog(): Watchdog {
  const buffer = new SharedArrayBuffer(WATCHDOG_WORDS * 4);
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { buffer, BEAT, ARMED, TIMEOUT, QUIT, KEY, GRACE_MS },
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
  onStuck(Atomics.load(w.heart, BEAT));
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
 * Arms the watchdog over this thread for a synchronous search: `onStuck(word)` runs in
 * this thread when the heart's beat word stays the same for `seconds`; it must end the
 * process (`endProcess`), since the stuck step cannot be stopped. Null when `seconds` is Infinity (no watch). One watch at a
 * time: a search runs in this thread until it ends. The watchdog thread starts with the
 * first watch and ends a second after the last one is stopped.
 */
export function watchThisThread(seconds: number, onStuck: (word: number) => void): ThreadWatch | null {
  const ms = timeoutMs(seconds);
  if (ms === 0) return null;
  if (linger !== null) {
    clearTimeout(linger);
    linger = null;
  }
  const w = (watchdog ??= startWatchdog());
  armed = onStuck;
  const gen = (generation = (generation % 0x7fff_fffe) + 1);
  Atomics.store(w.heart, BEAT, 0);
  Atomics.store(w.words, TIMEOUT, ms);
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
