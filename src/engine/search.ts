/**
 * The searches that run in this thread, by strategy: the exhaustive orders (bfs, dfs)
 * over the explorer's store (explore.ts), and the bug-hunting walks (walks.ts). Each
 * returns a SearchOutcome; results and traces are built above the engine.
 *
 * The step watchdog (watchdog.ts) watches the search: a step that runs longer than
 * `stepTimeout` makes it call `onStuck` with what it found so far, ending in
 * E_STEP_TIMEOUT at the state whose step hangs, in this thread, in the middle of that
 * step; `onStuck` must end the process (the step cannot be stopped).
 */
import type { CompiledModel } from '../model/compile.js';
import { WALKS, isWalk, type StrategyName } from '../strategy/index.js';
import { dfs } from './dfs.js';
import { Exploration, bfs, type Limits } from './explore.js';
import { reductionsOf, type Progress, type SearchOutcome } from './result.js';
import { DEFAULT_STEP_TIMEOUT, stepTimeoutError, watchThisThread, type Watch } from './watchdog.js';
import { walkSearch } from './walks.js';

/** The options of a search: limits, reductions, the strategy and its own options, progress, the watchdog. */
export interface SearchOptions extends Limits {
  readonly strategy?: StrategyName | undefined;
  readonly onProgress?: ((p: Progress) => void) | undefined;
  /** Seconds between progress reports (default 2; the live line on a terminal asks for 0.1). */
  readonly progressEvery?: number | undefined;
  /** random, pct, bounded: the seed of their choices (default WALK_DEFAULTS.seed). */
  readonly seed?: number | undefined;
  /** random, pct: runs to make (default 1000); bounded: at most this many schedules (default: no bound). */
  readonly runs?: number | undefined;
  /** pct: the bug depth d (default 3). */
  readonly pctDepth?: number | undefined;
  /**
   * Seconds a step (or guard, or the invariants of a state) may run (default
   * DEFAULT_STEP_TIMEOUT; Infinity: no watchdog). A step that runs longer ends the search
   * with error E_STEP_TIMEOUT naming it, with the path to the state it ran from.
   */
  readonly stepTimeout?: number | undefined;
  /**
   * Called with the outcome of a search whose step in this thread ran longer than
   * `stepTimeout`, in the middle of that step, which cannot be stopped: it must end the
   * process. (Steps on worker threads are stopped, and that search returns the error.)
   */
  readonly onStuck?: ((o: SearchOutcome) => void) | undefined;
}

/** Runs the search of `opts.strategy` (default bfs) on `m` in this thread. */
export function searchInThread(m: CompiledModel, opts: SearchOptions): SearchOutcome {
  const strategy = opts.strategy ?? 'bfs';
  const seconds = opts.stepTimeout ?? DEFAULT_STEP_TIMEOUT;
  // The search runs watched by the step watchdog; `watch.found` is set by the search
  // before any model code runs.
  let watch: Watch<SearchOutcome> | undefined;
  const thread = watchThisThread(seconds, (word) => {
    const e = stepTimeoutError(m, word, seconds);
    opts.onStuck?.(watch!.found!({ code: e.code, message: e.message, hint: e.hint }));
  });
  watch = thread ? { heart: thread.heart, found: null } : undefined;
  try {
    // The bug-hunting strategies: runs, never a proof of safety.
    if (isWalk(strategy)) return walkSearch(m, strategy, WALKS[strategy], opts, watch);
    const x = new Exploration(m, opts, opts.onProgress, opts.progressEvery);
    if (watch) {
      x.ex.heart = watch.heart;
      // The stuck step is one of the state being expanded (or of an initial state's invariants).
      watch.found = (error) => ({ ...exhaustiveOutcome(x, strategy), error: { ...error, path: x.currentId >= 0 ? x.pathTo(x.currentId) : null } });
    }
    (strategy === 'dfs' ? dfs : bfs)(x);
    return exhaustiveOutcome(x, strategy);
  } finally {
    thread?.stop();
  }
}

/** What an exhaustive search has found so far. */
function exhaustiveOutcome(x: Exploration, strategy: string): SearchOutcome {
  return {
    strategy,
    reductions: reductionsOf(x.por, x.useSleep, x.sym),
    states: x.states,
    transitions: x.transitions,
    depth: x.depth,
    seconds: x.seconds,
    storeBytes: x.storeBytes,
    found: x.all ? x.allFound : x.violation ? [x.violation] : [],
    allViolations: x.all,
    error: x.error,
    limitHit: x.limitHit,
    limitMessage: x.limitMessage,
  };
}
