/**
 * Random walks: each run starts from a uniformly chosen initial state and, at each step,
 * takes a uniformly chosen enabled instance, then a uniformly chosen one of that step's
 * choices (its choice vectors). Seeded: the same seed gives the same runs.
 *
 * No guarantee beyond the obvious: a schedule of n steps with at most b enabled
 * transitions per step is drawn with probability at least b^−n per run.
 */
import { FRESH, Rng, type Enabled, type ChooserOptions, type Chooser, type ChooserSummary } from './chooser.js';

export class RandomWalk implements Chooser {
  private readonly rng: Rng;
  readonly bytes = 0;

  constructor(o: ChooserOptions) {
    this.rng = new Rng(o.seed);
  }

  startRun(): number {
    return FRESH;
  }

  chooseInit(count: number): number {
    return this.rng.below(count);
  }

  choose(e: Enabled): number {
    const j = this.rng.below(e.width);
    const first = e.first(j);
    return first + this.rng.below(e.first(j + 1) - first);
  }

  endRun(): void {}

  summary(): ChooserSummary {
    return {};
  }
}

export function random(o: ChooserOptions): Chooser {
  return new RandomWalk(o);
}
