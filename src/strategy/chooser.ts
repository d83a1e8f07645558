/**
 * What a bug-hunting strategy is: a chooser (shuttle's `Scheduler`, stateright's
 * `Chooser`, fast-check's scheduler) that picks each step of a run among the enabled
 * transitions, from what it sees of the run (the enabled transitions, the run so far, the
 * state's fingerprint). It never sees a state and never runs a step: the engine's walk
 * driver (engine/walks.ts) executes what it picks and judges every state it reaches.
 * The three choosers are one file each: random.ts (random walks), pct.ts (probabilistic
 * concurrency testing), bounded.ts (iterative preemption bounding).
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** Defaults of the bug-hunting strategies' options. */
export const WALK_DEFAULTS = {
  /** The seed when none is given: the same command gives the same result. */
  seed: 1,
  /** Runs of random and pct (bounded has no default: it stops when it has tried everything). */
  runs: 1000,
  /** pct's bug depth d (d − 1 priority change points per run). */
  pctDepth: 3,
  /**
   * Longest run of random and pct without --max-depth: a model that loops (goto) would
   * otherwise never end a run. bounded needs none: its state cache cuts cycles.
   */
  walkDepth: 1000,
} as const;

/** Largest seed: pure-rand's xoroshiro128+ takes a 32-bit seed. */
export const MAX_SEED = 0xffff_ffff;

/** `choose` may return PRUNE: end the run here, nothing new lies below (bounded's state cache). */
export const PRUNE = -1;
/** `startRun` may return FRESH: start the run from an initial state (chosen by `chooseInit`). */
export const FRESH = -1;

/**
 * The transitions enabled in the current state of a run, numbered 0 .. length − 1: by
 * instance k (ascending), then by ordinal (the step's choice vectors in odometer order).
 * Every enabled instance has at least one transition.
 */
export interface Enabled {
  readonly length: number;
  /** Number of enabled instances. */
  readonly width: number;
  /** The j-th enabled instance (0 ≤ j < width), ascending. */
  instance(j: number): number;
  /** Transitions of the j-th enabled instance: first(j) .. first(j + 1) − 1 (first(width) = length). */
  first(j: number): number;
  /** j of instance k, or −1 when k is not enabled. */
  indexOf(k: number): number;
  /** Instance and ordinal of transition i. */
  k(i: number): number;
  ordinal(i: number): number;
}

/** What a strategy sees of the run in progress. */
export interface RunView {
  /** Runs started so far, this one included (1 for the first). */
  readonly run: number;
  /** Moves made in this run so far. */
  readonly depth: number;
  /** Instance of the last move, −1 before the first. */
  readonly last: number;
  /** Whether that instance is enabled in the current state (false before the first move). */
  readonly lastEnabled: boolean;
  /** The 64-bit fingerprint of the current state, as two 32-bit lanes. */
  readonly fpHi: number;
  readonly fpLo: number;
}

/** How a run ended. */
export type RunEnd = 'finished' | 'depth' | 'pruned' | 'violation';

/** What a chooser adds to the result (the seed and the runs are added by the driver). */
export interface ChooserSummary {
  readonly pctDepth?: number;
  readonly preemptions?: number;
  readonly preemptionBound?: number;
}

export interface Chooser {
  /**
   * Starts the next run. Returns null when the strategy has tried everything it can
   * (bounded); else how many moves of the previous run the new run keeps (their states
   * are restored, not re-executed), or FRESH to start from an initial state.
   */
  startRun(): number | null;
  /** Which initial state (0 .. count − 1) a FRESH run starts from. */
  chooseInit(count: number): number;
  /**
   * Optional: called when a run stands at a state whose transitions are to be chosen,
   * before they are enumerated (they may be known from an earlier run). PRUNE ends the
   * run here; anything else goes on to `choose`.
   */
  enter?(run: RunView): number;
  /** The transition to take (an index into `enabled`), or PRUNE to end the run here. */
  choose(enabled: Enabled, run: RunView): number;
  /** The run ended. */
  endRun(end: RunEnd, run: RunView): void;
  /** Bytes the strategy holds (bounded's state cache), for the memory limit. */
  readonly bytes: number;
  /** Strategy-specific fields of the result. */
  summary(): ChooserSummary;
}

/** The options every chooser is built from. */
export interface ChooserOptions {
  readonly seed: number;
  readonly pctDepth: number;
  /** Number of actor instances of the model. */
  readonly instances: number;
  /** The run length bound (Infinity: none). */
  readonly maxDepth: number;
}

/** The seeded pseudo-random numbers of a strategy (pure-rand's xoroshiro128+). */
export class Rng {
  private readonly g: RandomGenerator;
  constructor(seed: number) {
    this.g = xoroshiro128plus(seed);
  }
  /** A uniform integer in 0 .. n − 1 (n ≥ 1). */
  below(n: number): number {
    return n <= 1 ? 0 : uniformInt(this.g, 0, n - 1);
  }
  /** Shuffles `xs` in place (Fisher–Yates). */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }
}
