/**
 * A search, by strategy: breadth-first level by level (levels.ts, in this thread or on
 * worker threads), depth-first (dfs.ts), or the bug-hunting walks (walks.ts). Each
 * returns a SearchOutcome; results and traces are built above the engine.
 *
 * The step watchdog (watchdog.ts) watches every step run in this thread: a step that
 * runs longer than `stepTimeout` makes the search call `onStuck` with what it found so
 * far, ending in E_STEP_TIMEOUT at the state whose step hangs, in the middle of that
 * step; `onStuck` must end the process (the step cannot be stopped). Steps on worker
 * threads are stopped, and the search returns the error.
 */
import type { CompiledModel } from '../model/compile.js';
import { WALKS, isWalk, type StrategyName } from '../strategy/index.js';
import { Clock } from './clock.js';
import { dfsSearch } from './dfs.js';
import { levelSearch, type LevelOptions, type LevelPool } from './levels.js';
import type { Limits } from './limits.js';
import type { Progress, SearchOutcome } from './result.js';
import { DEFAULT_STEP_TIMEOUT, stuckError, watchThisThread, type Watch } from './watchdog.js';
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
   * process.
   */
  readonly onStuck?: ((o: SearchOutcome) => void) | undefined;
}

/**
 * Searches `m` (loaded from `modelPath`, where worker threads load it from) with
 * `opts.strategy` (default bfs); a breadth-first search runs its large levels on `pool`
 * when it takes them.
 */
export async function search(m: CompiledModel, modelPath: string, opts: LevelOptions, pool: LevelPool | null = null): Promise<SearchOutcome> {
  const strategy = opts.strategy ?? 'bfs';
  if (strategy === 'bfs') return levelSearch(m, modelPath, opts, pool);
  // Depth-first and the walks look at the clock every so often: the time limit, progress,
  // and the signal (they give the event loop a turn now and then for its handler).
  const clock = new Clock(opts);
  const seconds = opts.stepTimeout ?? DEFAULT_STEP_TIMEOUT;
  // The search runs watched by the step watchdog; `watch.found` is set by the search
  // before any model code runs.
  let watch: Watch<SearchOutcome> | undefined;
  const thread = watchThisThread(seconds, (word, cause) => {
    const e = stuckError(m, word, cause);
    opts.onStuck?.(watch!.found!({ code: e.code, message: e.message, hint: e.hint }));
  });
  watch = thread ? { heart: thread.heart, found: null } : undefined;
  try {
    // The bug-hunting strategies: runs, never a proof of safety.
    if (isWalk(strategy)) return await walkSearch(m, strategy, WALKS[strategy], opts, clock, watch);
    return await dfsSearch(m, opts, clock, watch);
  } finally {
    thread?.stop();
  }
}
