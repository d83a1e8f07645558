/**
 * One exhaustive check: compile, explore with a strategy under limits, and turn what
 * was found into a verdict, a result and (for a violation) a trace.
 */
import { MmraceError } from '../errors.js';
import { CompiledModel } from '../model/compile.js';
import { collisionProbability } from '../state/fingerprint.js';
import { EXHAUSTIVE, STRATEGIES, WALKS, isWalk, type StrategyName } from '../strategy/index.js';
import { MAX_SEED, walkSearch } from '../strategy/walk.js';
import { buildTrace } from '../trace/trace.js';
import { replay } from '../trace/replay.js';
import type { CheckResult, StopKind, Verdict } from '../report/verdict.js';
import { Exploration, type FoundError, type FoundViolation, type Limits, type Progress } from './explore.js';
import { DEFAULT_STEP_TIMEOUT, checkStepTimeout, reportStepTimeout, stepTimeoutError, watchThisThread, type Watch } from './watchdog.js';

export interface CheckOptions extends Limits {
  readonly strategy?: StrategyName;
  readonly onProgress?: (p: Progress) => void;
  /** Seconds between progress reports (default 2; the live line on a terminal asks for 0.1). */
  readonly progressEvery?: number | undefined;
  /** random, pct, bounded: the seed of their choices (default WALK_DEFAULTS.seed). */
  readonly seed?: number | undefined;
  /** random, pct: runs to make (default 1000); bounded: at most this many schedules (default: no bound). */
  readonly runs?: number | undefined;
  /** pct: the bug depth d (default 3). */
  readonly pctDepth?: number | undefined;
  /**
   * Seconds a step (or guard, or the invariants of a state) may run: a step that runs
   * longer ends the search with verdict error, E_STEP_TIMEOUT, naming it, with a trace to
   * the state it ran from (engine/watchdog.ts). Default DEFAULT_STEP_TIMEOUT (60);
   * Infinity: no watchdog.
   */
  readonly stepTimeout?: number | undefined;
  /**
   * Reports a step timeout of a search in this thread: called with the error result in
   * the middle of the stuck step (which cannot be stopped), after which the process ends
   * with exit code 2. Default: `reportStepTimeout(r)`, one line on stderr. (Steps on the
   * parallel explorer's worker threads are stopped: that search returns the error result.)
   */
  readonly onStepTimeout?: ((r: CheckResult) => void) | undefined;
}

export function checkLimits(opts: CheckOptions): void {
  const bad = (name: string, v: unknown, what: string) =>
    new MmraceError('E_USAGE', `${name} = ${String(v)}: must be ${what}`);
  const { maxStates, maxDepth, timeLimit, strategy, memory } = opts;
  if (memory !== undefined && !(Number.isSafeInteger(memory) && memory >= 1 << 20)) throw bad('memory', memory, 'a number of bytes of at least 1 MiB');
  if (maxStates !== undefined && !(Number.isSafeInteger(maxStates) && maxStates >= 1)) throw bad('maxStates', maxStates, 'a positive integer');
  if (maxDepth !== undefined && !(Number.isSafeInteger(maxDepth) && maxDepth >= 0)) throw bad('maxDepth', maxDepth, 'a whole number');
  if (timeLimit !== undefined && !(timeLimit >= 0 && Number.isFinite(timeLimit))) throw bad('timeLimit', timeLimit, 'a number of seconds >= 0');
  if (strategy !== undefined && !STRATEGIES.includes(strategy)) throw bad('strategy', strategy, `one of ${STRATEGIES.join(', ')}`);
  const { seed, runs, pctDepth } = opts;
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed <= MAX_SEED)) throw bad('seed', seed, `a whole number from 0 to ${MAX_SEED}`);
  if (runs !== undefined && !(Number.isSafeInteger(runs) && runs >= 1)) throw bad('runs', runs, 'a positive integer');
  if (pctDepth !== undefined && !(Number.isSafeInteger(pctDepth) && pctDepth >= 1)) throw bad('pctDepth', pctDepth, 'a positive integer');
  checkStepTimeout(opts.stepTimeout);
  const name = strategy ?? 'bfs';
  const walk = isWalk(name);
  if (!walk && (seed !== undefined || runs !== undefined)) {
    throw new MmraceError('E_USAGE', `${seed !== undefined ? 'seed' : 'runs'} applies to the strategies random, pct and bounded, not ${name}`);
  }
  if (pctDepth !== undefined && name !== 'pct') throw new MmraceError('E_USAGE', `pctDepth applies to the strategy pct, not ${name}`);
  if (walk && opts.allViolations) {
    throw new MmraceError('E_USAGE', `allViolations needs an exhaustive strategy (bfs or dfs), not ${name}`, `${name} stops at its first violation`);
  }
}

export function check(m: CompiledModel, modelPath: string, opts: CheckOptions = {}): CheckResult {
  checkLimits(opts);
  const strategy = opts.strategy ?? 'bfs';
  // The search runs in this thread, watched by the step watchdog; the result (whose trace
  // re-executes steps, unwatched) is built once the watch is over.
  let watch: Watch<SearchOutcome> | undefined;
  const thread = watchThisThread(opts.stepTimeout ?? DEFAULT_STEP_TIMEOUT, (word) => reportStuck(m, modelPath, opts, word, watch?.found ?? null));
  watch = thread ? { heart: thread.heart, found: null } : undefined;
  let outcome: SearchOutcome;
  try {
    outcome = search(m, strategy, opts, watch);
  } finally {
    thread?.stop();
  }
  return buildResult(m, modelPath, outcome);
}

/** Runs the search of `strategy` in this thread; `watch`: the step watchdog's heart and report. */
function search(m: CompiledModel, strategy: StrategyName, opts: CheckOptions, watch: Watch<SearchOutcome> | undefined): SearchOutcome {
  // The bug-hunting strategies: runs, never a proof of safety.
  if (isWalk(strategy)) return walkSearch(m, strategy, WALKS[strategy], opts, watch);
  const x = new Exploration(m, opts, opts.onProgress, opts.progressEvery);
  if (watch) {
    x.ex.heart = watch.heart;
    // The stuck step is one of the state being expanded (or of an initial state's invariants).
    watch.found = (error) => ({ ...exhaustiveOutcome(x, strategy), error: { ...error, path: x.currentId >= 0 ? x.pathTo(x.currentId) : null } });
  }
  EXHAUSTIVE[strategy](x);
  return exhaustiveOutcome(x, strategy);
}

/** What an exhaustive search has found so far. */
function exhaustiveOutcome(x: Exploration, strategy: string): SearchOutcome {
  return {
    strategy,
    reductions: [...(x.por ? ['por'] : []), ...(x.useSleep ? ['sleep-sets'] : []), ...(x.sym ? ['symmetry'] : [])],
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

/**
 * Reports the stuck step that beat word `word` names (engine/watchdog.ts): called in this
 * thread, in the middle of that step, by the watchdog, which then ends the process.
 */
function reportStuck(m: CompiledModel, modelPath: string, opts: CheckOptions, word: number, found: Watch<SearchOutcome>['found']): void {
  const e = stepTimeoutError(m, word, opts.stepTimeout ?? DEFAULT_STEP_TIMEOUT);
  const error = { code: e.code, message: e.message, hint: e.hint };
  // (The search sets `found` before it runs any model code.)
  const outcome = found!(error);
  // A fresh copy of the model for the trace: the stuck step left this one's store mid-step.
  const r = buildResult(new CompiledModel(m.model, m.params), modelPath, outcome);
  (opts.onStepTimeout ?? reportStepTimeout)(r);
}

/** What a search ended with, for `buildResult`. */
export interface SearchOutcome {
  readonly strategy: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly storeBytes: number;
  /** Violations in the order found (with allViolations, the first of each property). */
  readonly found: readonly FoundViolation[];
  readonly allViolations: boolean;
  readonly error: FoundError | null;
  readonly limitHit: StopKind | null;
  readonly limitMessage: string | null;
  /** Reductions the search used ('por'). */
  readonly reductions?: readonly string[];
  /** Fields of one engine (the parallel explorer's workers and shard). */
  readonly extra?: Partial<CheckResult>;
}

/**
 * The result of a search, the same for every engine: verdict (error, then violation,
 * then a limit), counts, and the traces. With allViolations the shortest counterexample
 * comes first, then the order found; the first is the reported violation.
 */
export function buildResult(m: CompiledModel, modelPath: string, o: SearchOutcome): CheckResult {
  // Under symmetry reduction a deadlock was judged in a sorted state, whose instances may
  // not be the real ones: the message names those of the counterexample's last state.
  const canonical = { canonical: o.reductions?.includes('symmetry') === true };
  const real = (f: FoundViolation): FoundViolation => {
    if (f.kind !== 'deadlock' || !canonical.canonical) return f;
    const end = replay(buildTrace(m, modelPath, f.path, { verdict: 'violation', violation: { kind: f.kind, property: f.property, message: f.message } }, canonical), m);
    return end.kind === 'deadlock' && end.message !== undefined ? { ...f, message: end.message } : f;
  };
  const found = o.found.map(real).map((v, i) => ({ v, i })).sort((a, b) => a.v.path.moves.length - b.v.path.moves.length || a.i - b.i).map((e) => e.v);
  const e = o.error;
  const v = e === null ? (found[0] ?? null) : null;
  const verdict: Verdict = e ? 'error' : v ? 'violation' : o.limitHit ? 'incomplete' : 'safe';
  const base = {
    verdict,
    model: m.id,
    params: { ...m.params },
    strategy: o.strategy,
    reductions: [...(o.reductions ?? [])],
    states: o.states,
    transitions: o.transitions,
    depth: o.depth,
    seconds: o.seconds,
    statesPerSecond: o.seconds > 0 ? o.states / o.seconds : o.states,
    collisionProbability: collisionProbability(o.states),
    storeBytes: o.storeBytes,
    ...o.extra,
    ...(o.limitHit ? { limit: o.limitHit, ...(o.limitMessage ? { limitMessage: o.limitMessage } : {}) } : {}),
  };
  const traceOf = (f: FoundViolation) =>
    buildTrace(m, modelPath, f.path, { verdict: 'violation', violation: { kind: f.kind, property: f.property, message: f.message } }, canonical);
  if (v) {
    const all = o.allViolations ? { violations: found.map((f) => ({ property: f.property, kind: f.kind, message: f.message, trace: traceOf(f) })) } : {};
    return { ...base, property: v.property, kind: v.kind, message: v.message, trace: traceOf(v), ...all };
  }
  if (e) {
    const trace = e.path ? buildTrace(m, modelPath, e.path, { verdict: 'error', error: { code: e.code, message: e.message } }, canonical) : undefined;
    return { ...base, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(trace ? { trace } : {}) };
  }
  return base;
}
