/**
 * Probabilistic concurrency testing: S. Burckhardt, P. Kothari, M. Musuvathi,
 * S. Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs",
 * ASPLOS 2010.
 *
 * Each run, for n actor instances, bug depth d and an estimate k of the run length:
 * - the instances get the priorities d .. d + n − 1 in a uniformly random order;
 * - d − 1 distinct change points k_1 .. k_{d−1} are drawn uniformly from 1 .. k;
 * - each step runs the enabled instance of highest priority (a data choice inside the
 *   step, c.choose, is uniform among the step's choice vectors);
 * - after the k_i-th step, the instance that took it drops to priority i, below every
 *   initial priority (as the paper, and shuttle's and Coyote's PCT, do).
 * A bug of depth d (d ordering constraints) is then found by one run with probability at
 * least 1 / (n · k^(d−1)).
 *
 * k is not known in advance: the first run uses DEFAULT_STEPS, later runs the longest run
 * seen so far (shuttle and Coyote estimate it the same way).
 */
import { FRESH, Rng, type Enabled, type RunEnd, type RunView, type ChooserOptions, type Chooser, type ChooserSummary } from './chooser.js';

/** k for the first run, before any run length is known. */
export const DEFAULT_STEPS = 32;

export class Pct implements Chooser {
  private readonly rng: Rng;
  private readonly d: number;
  readonly bytes = 0;
  /** Priority of each instance; higher runs first. Invariant: all distinct. */
  private readonly prio: Int32Array;
  /** Change points of this run: step number → the priority (1 .. d − 1) it gives. */
  private readonly change = new Map<number, number>();
  /** The step bound k of this run. */
  private k = DEFAULT_STEPS;
  private longest = 0;
  private runs = 0;

  constructor(o: ChooserOptions) {
    this.rng = new Rng(o.seed);
    this.d = o.pctDepth;
    this.prio = new Int32Array(o.instances);
  }

  /** The step bound the current run uses (for tests). */
  get stepBound(): number {
    return this.k;
  }

  startRun(): number {
    if (this.runs++ > 0) this.k = Math.max(1, this.longest);
    const n = this.prio.length;
    const order: number[] = [];
    for (let i = 0; i < n; i++) order.push(this.d + i);
    this.rng.shuffle(order);
    for (let i = 0; i < n; i++) this.prio[i] = order[i]!;
    this.change.clear();
    const points = Math.min(this.d - 1, this.k);
    for (let i = 1; i <= points; i++) {
      let step: number;
      do step = 1 + this.rng.below(this.k);
      while (this.change.has(step));
      this.change.set(step, i);
    }
    return FRESH;
  }

  chooseInit(count: number): number {
    return this.rng.below(count);
  }

  choose(e: Enabled, run: RunView): number {
    const drop = run.depth > 0 ? this.change.get(run.depth) : undefined;
    if (drop !== undefined) this.prio[run.last] = drop;
    let best = 0;
    for (let j = 1; j < e.width; j++) if (this.prio[e.instance(j)]! > this.prio[e.instance(best)]!) best = j;
    const first = e.first(best);
    return first + this.rng.below(e.first(best + 1) - first);
  }

  endRun(_end: RunEnd, run: RunView): void {
    if (run.depth > this.longest) this.longest = run.depth;
  }

  summary(): ChooserSummary {
    return { pctDepth: this.d };
  }
}

export function pct(o: ChooserOptions): Chooser {
  return new Pct(o);
}
