/**
 * What a search finds and returns, for every search of the engine (breadth-first levels
 * at any worker count, depth-first, the bug-hunting walks): paths, found violations and
 * errors, limits and stop kinds, progress, and the outcome. Traces and reports are built
 * from an outcome above the engine (run/result.ts), never in it.
 */

export type Verdict = 'safe' | 'violation' | 'incomplete' | 'error';

/** A limit that stops a search short: the verdict is then incomplete, never safe. */
export type LimitKind = 'max-states' | 'max-depth' | 'time-limit' | 'memory';

/**
 * Why a search ended without a violation: a limit, a signal (`interrupted`), or for the
 * bug-hunting strategies, `runs` (--runs were made) or `exhausted` (bounded tried every
 * schedule). The verdict is then incomplete, never safe.
 */
export type StopKind = LimitKind | 'runs' | 'exhausted' | 'interrupted';

/** A path from an initial state: which initial state, then (instance k, ordinal) moves. */
export interface Path {
  readonly init: number;
  readonly moves: readonly (readonly [k: number, ordinal: number])[];
}

export type ViolationKind = 'invariant' | 'fault' | 'deadlock';

export interface FoundViolation {
  readonly kind: ViolationKind;
  readonly property: string;
  readonly message: string;
  readonly path: Path;
}

export interface FoundError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string | undefined;
  /** Path to the state where the model failed, with the failing step last (if any). */
  readonly path: Path | null;
}

/** A progress report, now and then while a search runs. */
export interface Progress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  /** States waiting to be expanded (a level, the depth-first stack; 0 for the walks). */
  readonly queued: number;
  readonly seconds: number;
  /** Worker threads expanding the current level (0: this thread). */
  readonly workers?: number;
}

/** What a bug-hunting search adds to its outcome. */
export interface Sampling {
  /** The seed of the strategy's choices. */
  readonly seed: number;
  /** Runs made (bounded: schedules tried, each cut at the state cache). */
  readonly runs: number;
  /** pct: the bug depth d. */
  readonly pctDepth?: number;
  /** bounded, for a violation: the preemptions of the counterexample, the fewest of any violation. */
  readonly preemptions?: number;
  /** bounded: every schedule with at most this many preemptions was tried (absent: not even 0). */
  readonly preemptionBound?: number;
}

/** With --shard: which part of the search this is, and the depth whose states were partitioned (null: not reached). */
export interface ShardInfo {
  readonly index: number;
  readonly count: number;
  readonly depth: number | null;
}

/** What a search ended with: the same shape for every search. */
export interface SearchOutcome {
  /** bfs, dfs, random, pct or bounded. */
  readonly strategy: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  /** Bytes of the seen-set, the parent links and what the search holds besides. */
  readonly storeBytes: number;
  /** Violations in the order found (with allViolations, the first of each property). */
  readonly found: readonly FoundViolation[];
  readonly allViolations: boolean;
  readonly error: FoundError | null;
  readonly limitHit: StopKind | null;
  readonly limitMessage: string | null;
  /** Reductions the search used: 'por', 'sleep-sets', 'symmetry'. */
  readonly reductions: readonly string[];
  /** Breadth-first search: the worker threads that expanded levels (0: every level ran in this thread). */
  readonly workers?: number;
  /** Bytes of the fingerprint set at the end (breadth-first search). */
  readonly fingerprintBytes?: number;
  readonly shard?: ShardInfo;
  /** The bug-hunting strategies' seed, runs and own fields. */
  readonly sampling?: Sampling;
}

/** The verdict of an outcome: an error, then a violation, then a limit; else safe. */
export function verdictOf(o: SearchOutcome): Verdict {
  return o.error !== null ? 'error' : o.found.length > 0 ? 'violation' : o.limitHit !== null ? 'incomplete' : 'safe';
}

/** The reductions a search used, in the order results name them. */
export function reductionsOf(por: boolean, sleep: boolean, symmetry: boolean): string[] {
  return [...(por ? ['por'] : []), ...(sleep ? ['sleep-sets'] : []), ...(symmetry ? ['symmetry'] : [])];
}
