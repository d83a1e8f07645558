/**
 * A plan: every option of one check, as the command line, `mmrace ci`, `mmrace/testing`
 * and a program that embeds mmrace give it. `resolvePlan` merges a scenario into it and
 * applies the option rules, once, for every caller: a caller names the options its own
 * way (the command line says `--seed`, a program `seed`), and the rules are the same.
 */
import { availableParallelism } from 'node:os';
import { MmraceError } from '../errors.js';
import type { Progress } from '../engine/result.js';
import { DEFAULT_STEP_TIMEOUT } from '../engine/watchdog.js';
import type { ParamValue } from '../model/define.js';
import type { CheckpointOptions, LevelTuning, Shard } from '../engine/levels.js';
import type { Pool } from '../parallel/pool.js';
import type { CheckResult } from '../report/verdict.js';
import { MAX_SEED } from '../strategy/chooser.js';
import { STRATEGIES, isWalk, type StrategyName } from '../strategy/index.js';
import type { Scenario } from './scenario.js';

export interface Plan {
  /** Model parameters, over the scenario's. */
  readonly params?: Readonly<Record<string, ParamValue>> | undefined;
  /** bfs (the default), dfs; random, pct, bounded. Over the scenario's. */
  readonly strategy?: StrategyName | undefined;
  /** random, pct, bounded: the seed of their choices (default 1). */
  readonly seed?: number | undefined;
  /** random, pct: runs to make (default 1000); bounded: at most this many schedules. */
  readonly runs?: number | undefined;
  /** pct: the bug depth d (default 3). */
  readonly pctDepth?: number | undefined;
  /** Stop after this many distinct states (incomplete). */
  readonly maxStates?: number | undefined;
  /** Do not expand states at this depth (incomplete if any could move). */
  readonly maxDepth?: number | undefined;
  /** Stop after this many seconds (incomplete). */
  readonly timeLimit?: number | undefined;
  /** Bytes the search may hold (default: half the machine's memory). */
  readonly memory?: number | undefined;
  /** Go on after a violation: the first counterexample of every violated property. */
  readonly allViolations?: boolean | undefined;
  /** Partial-order reduction (default on). */
  readonly por?: boolean | undefined;
  /** Symmetry reduction (default on). */
  readonly symmetry?: boolean | undefined;
  /** Sleep sets, with partial-order reduction, in breadth-first search (default off). */
  readonly sleep?: boolean | undefined;
  /**
   * Worker threads of a breadth-first search: a number (0: none), or auto (the default).
   * A number above the cores available (os.availableParallelism()) is taken as that many:
   * more threads than cores only take turns on them, each with its own heap, and the
   * result is the same at any count. A number above 0 is refused for dfs and the
   * bug-hunting strategies, which run in the calling thread.
   */
  readonly workers?: number | 'auto' | undefined;
  /** Seconds a step may run (default 60; Infinity: no watchdog). */
  readonly stepTimeout?: number | undefined;
  /**
   * Told the result of a search whose step in this thread ran longer than `stepTimeout`,
   * before the process ends with exit code 2 (the step cannot be stopped). Default: one
   * line on stderr.
   */
  readonly onStepTimeout?: ((r: CheckResult) => void) | undefined;
  readonly onProgress?: ((p: Progress) => void) | undefined;
  /** Seconds between progress reports (default 2). */
  readonly progressEvery?: number | undefined;
  /** Stops the search at its next safe point: verdict incomplete, limit `interrupted`. */
  readonly signal?: AbortSignal | undefined;
  /** Breadth-first search: save the search to a file now and then, and where it stops short. */
  readonly checkpoint?: CheckpointOptions | undefined;
  /** Breadth-first search: go on with the search saved in this checkpoint file. */
  readonly resume?: string | undefined;
  /** Breadth-first search: explore part `index` of `count` of the state space. */
  readonly shard?: Shard | undefined;
  /** Shrink a counterexample that need not be the shortest (default true). */
  readonly shrink?: boolean | undefined;
  /** On a safe result with partial-order reduction, search again without it (statesWithoutPor). */
  readonly comparePor?: boolean | undefined;
  /** A pool of worker threads to run on (kept open), instead of one made for this check. */
  readonly pool?: Pool | undefined;
  /**
   * Breadth-first search: the level explorer's sizes, for tests that make it cut levels
   * into many batches, send small levels to the pool, or overflow its table. Never
   * changes a result.
   */
  readonly tuning?: LevelTuning | undefined;
}

/** How a caller names the options in errors: the command line by its flags, a program by the option names. */
export type OptionNames = Readonly<Partial<Record<keyof Plan | 'shardDepth' | 'checkpointEvery', string>>>;

/** The command line's names of the options. */
export const FLAG_NAMES: OptionNames = {
  strategy: '--strategy',
  seed: '--seed',
  runs: '--runs',
  pctDepth: '--pct-depth',
  maxStates: '--max-states',
  maxDepth: '--max-depth',
  timeLimit: '--time-limit',
  memory: '--memory',
  allViolations: '--all-violations',
  sleep: '--sleep-sets',
  por: '--por',
  symmetry: '--symmetry',
  workers: '--workers',
  stepTimeout: '--step-timeout',
  checkpoint: '--checkpoint',
  resume: '--resume',
  shard: '--shard',
  comparePor: '--compare-por',
};

/** A plan with the scenario merged in and the rules applied: what a search is run with. */
export interface ResolvedPlan extends Plan {
  readonly strategy: StrategyName;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly por: boolean;
  readonly symmetry: boolean;
  readonly stepTimeout: number;
  /** Worker threads (0: the search runs in this thread only), at most the cores available. */
  readonly workers: number;
  /** The workers were not given (auto): the search starts them only when they pay (parallel/levels-pool.ts). */
  readonly autoWorkers: boolean;
}

/**
 * --workers auto: one worker per core, or none on a single core, where the threads
 * would only take turns with this one.
 */
export function autoWorkers(): number {
  const n = availableParallelism();
  return n > 1 ? n : 0;
}

/**
 * The worker threads a search runs on when `workers` are asked for: as many, up to the
 * cores available. Above that the threads would only take turns, each with a heap of its
 * own, for the same result.
 */
export function cappedWorkers(workers: number): number {
  return Math.min(workers, availableParallelism());
}

/**
 * The options of a plan given for a whole suite of scenarios (`mmrace ci --workers 2
 * --no-por`) that fit a scenario of `strategy`: worker threads only for breadth-first
 * search, the reductions not for the bug-hunting strategies. A suite's option applies
 * to the scenarios it fits; the option rules refuse it only where one check asks for it.
 */
export function fitting(plan: Plan, strategy: StrategyName): Plan {
  const { workers, por, symmetry, ...rest } = plan;
  return {
    ...rest,
    ...(strategy === 'bfs' || workers === 'auto' || workers === 0 ? { workers } : {}),
    ...(isWalk(strategy) ? {} : { por, symmetry }),
  };
}

/**
 * Merges scenario `sc` (null for a bare model) under `plan`: the plan's options win;
 * the scenario's seed, runs and pct depth belong to its strategy, and apply only when
 * the plan asks for no other. Then applies the option rules (E_USAGE naming the options
 * as `names` does).
 */
export function resolvePlan(plan: Plan, sc: Scenario | null, names: OptionNames = {}): ResolvedPlan {
  const strategy = plan.strategy ?? (sc?.strategy as StrategyName | undefined) ?? 'bfs';
  const own = sc !== null && strategy === sc.strategy;
  const merged: ResolvedPlan = {
    ...plan,
    strategy,
    params: { ...sc?.params, ...plan.params },
    seed: plan.seed ?? (own ? sc.seed : undefined),
    runs: plan.runs ?? (own ? sc.limits.runs : undefined),
    pctDepth: plan.pctDepth ?? (own ? sc.pctDepth : undefined),
    maxStates: plan.maxStates ?? sc?.limits.maxStates,
    maxDepth: plan.maxDepth ?? sc?.limits.maxDepth,
    timeLimit: plan.timeLimit ?? sc?.limits.timeLimit,
    por: plan.por !== false,
    symmetry: plan.symmetry !== false,
    stepTimeout: plan.stepTimeout ?? DEFAULT_STEP_TIMEOUT,
    workers: plan.workers === undefined || plan.workers === 'auto' ? autoWorkers() : cappedWorkers(plan.workers),
    autoWorkers: plan.workers === undefined || plan.workers === 'auto',
  };
  checkPlan(merged, plan, names);
  return merged;
}

/** The option rules: values in range, and each option with a strategy it applies to. */
function checkPlan(p: ResolvedPlan, given: Plan, names: OptionNames): void {
  const name = (k: keyof OptionNames): string => names[k] ?? k;
  const bad = (k: keyof OptionNames, v: unknown, what: string) => new MmraceError('E_USAGE', `${name(k)} = ${String(v)}: must be ${what}`);
  const { maxStates, maxDepth, timeLimit, strategy, memory, seed, runs, pctDepth, stepTimeout } = p;
  if (!STRATEGIES.includes(strategy)) throw bad('strategy', strategy, `one of ${STRATEGIES.join(', ')}`);
  if (memory !== undefined && !(Number.isSafeInteger(memory) && memory >= 1 << 20)) throw bad('memory', memory, 'a number of bytes of at least 1 MiB');
  if (maxStates !== undefined && !(Number.isSafeInteger(maxStates) && maxStates >= 1)) throw bad('maxStates', maxStates, 'a positive integer');
  if (maxDepth !== undefined && !(Number.isSafeInteger(maxDepth) && maxDepth >= 0)) throw bad('maxDepth', maxDepth, 'a whole number');
  if (timeLimit !== undefined && !(timeLimit >= 0 && Number.isFinite(timeLimit))) throw bad('timeLimit', timeLimit, 'a number of seconds >= 0');
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed <= MAX_SEED)) throw bad('seed', seed, `a whole number from 0 to ${MAX_SEED}`);
  if (runs !== undefined && !(Number.isSafeInteger(runs) && runs >= 1)) throw bad('runs', runs, 'a positive integer');
  if (pctDepth !== undefined && !(Number.isSafeInteger(pctDepth) && pctDepth >= 1)) throw bad('pctDepth', pctDepth, 'a positive integer');
  if (!(typeof stepTimeout === 'number' && stepTimeout > 0)) throw bad('stepTimeout', stepTimeout, 'a number of seconds > 0');
  // The number asked for: above the cores available it is capped (cappedWorkers), not refused.
  const asked = given.workers === undefined || given.workers === 'auto' ? 0 : given.workers;
  if (!(Number.isSafeInteger(asked) && asked >= 0)) throw bad('workers', given.workers, 'a whole number, or auto');
  const walk = isWalk(strategy);
  const notFor = (k: keyof OptionNames, hint: string): MmraceError =>
    new MmraceError('E_USAGE', `${name(k)} does not apply to ${name('strategy')} ${strategy}`, hint);
  // The scenario's own seed, runs and pct depth were dropped for another strategy: only the plan's count here.
  if (given.seed !== undefined && !walk) throw notFor('seed', 'it applies to random, pct and bounded');
  if (given.runs !== undefined && !walk) throw notFor('runs', 'it applies to random, pct and bounded');
  if (given.pctDepth !== undefined && strategy !== 'pct') throw notFor('pctDepth', 'it applies to pct');
  if (p.allViolations && walk) throw notFor('allViolations', 'the bug-hunting strategies stop at their first violation: use bfs or dfs');
  // Options that ask for something a strategy does not do. Saying "none" of it (workers
  // 0, the reductions off) is what the strategy does anyway, and stays accepted.
  if (typeof given.workers === 'number' && given.workers > 0 && strategy !== 'bfs') {
    throw notFor('workers', `worker threads run breadth-first search (bfs, the default); ${strategy} runs in the main thread: leave ${name('workers')} out`);
  }
  if (walk && given.por === true) throw notFor('por', 'partial-order reduction applies to bfs and dfs; the bug-hunting strategies walk the full state graph');
  if (walk && given.symmetry === true) throw notFor('symmetry', 'symmetry reduction applies to bfs and dfs; the bug-hunting strategies walk the full state graph');
  if (p.comparePor && walk) throw notFor('comparePor', 'it compares the states of a safe result with and without partial-order reduction: use bfs or dfs, which can prove safe');
  if (p.comparePor && !p.por) {
    throw new MmraceError('E_USAGE', `${name('comparePor')} needs partial-order reduction (${name('por')}, the default)`, 'it compares a search with the reduction to one without it');
  }
  if (p.sleep && (strategy !== 'bfs' || !p.por)) {
    throw new MmraceError('E_USAGE', `${name('sleep')} needs partial-order reduction (${name('por')}, the default) and breadth-first search`, 'sleep sets extend the reduction of a breadth-first search');
  }
  if (p.shard !== undefined && strategy !== 'bfs') throw new MmraceError('E_USAGE', `${name('shard')} splits a breadth-first search: use ${name('strategy')} bfs`);
  for (const k of ['checkpoint', 'resume'] as const) {
    if (p[k] !== undefined && strategy !== 'bfs') {
      throw new MmraceError(
        'E_USAGE',
        `${name(k)} saves and continues a breadth-first search, not ${name('strategy')} ${strategy}`,
        walk
          ? `a ${strategy} run is repeated exactly by its ${name('seed')}: split a long one into several ${name('runs')} with other seeds instead`
          : `use ${name('strategy')} bfs (the default), which gives the same verdict with a shortest counterexample`,
      );
    }
  }
}
