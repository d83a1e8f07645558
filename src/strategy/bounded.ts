/**
 * Iterative preemption bounding, after CHESS (M. Musuvathi, S. Qadeer, "Iterative Context
 * Bounding for Systematic Testing of Multithreaded Programs", PLDI 2007): for c = 0, 1,
 * 2, … every schedule with at most c preemptions is tried, depth first, before any with
 * c + 1. A preemption is a switch away from the instance that made the last move while
 * it is still enabled; a switch after it finished or blocked (its next step's await
 * does not hold) is free, and so is the first move. Data choices (c.choose) are all
 * tried and cost nothing.
 *
 * So the first violation found has the fewest preemptions of any violation (within
 * --max-depth): the iterations below c were complete and found none.
 *
 * State cache, per iteration: a decision point is (state fingerprint, last instance if
 * still enabled else none, preemptions used p, depth t). What can follow depends on the
 * state, on whether switching costs a preemption (the last instance, when enabled) and on
 * the budget c − p left (and, with --max-depth, the depth left). A point is pruned when
 * one with the same state and last instance was met with p' ≤ p (and, with --max-depth,
 * at a depth t' ≤ t): everything reachable from it was or is being tried from there.
 * Without --max-depth, cycles end at the cache. Iterations stop when the bound skipped no
 * transition that was not also tried from the same point with fewer preemptions: every
 * schedule was then tried (up to the cache), and more preemptions add none. Each point is
 * eventually expanded with the fewest preemptions that reach it, so this happens at the
 * latest one bound past the largest of those: the iterations always end.
 *
 * The seed orders the other instances at each decision (the one that moved last comes
 * first): different seeds may give different counterexamples, always with the fewest
 * preemptions.
 */
import { FRESH, PRUNE, Rng, type Enabled, type RunEnd, type RunView, type ChooserOptions, type Chooser, type ChooserSummary } from './chooser.js';

/** One decision of the run in progress and what is left to try there. */
interface Frame {
  /** Transitions (indices into the enabled set there, or initial states), in the order tried. */
  readonly alts: number[];
  /** Preemptions each costs (0 or 1). */
  readonly costs: number[];
  next: number;
}

/** Estimated bytes of one cache entry (a Map entry with a short string key and a small array). */
const ENTRY_BYTES = 160;

export class Bounded implements Chooser {
  private readonly rng: Rng;
  private readonly depthMatters: boolean;
  /** The bound of the current iteration. */
  private c = 0;
  /** frames[0]: the initial state; frames[t + 1]: move t of the current run. */
  private readonly frames: Frame[] = [];
  /** pAt[t]: preemptions of the first t moves of the current run. */
  private readonly pAt: number[] = [0];
  /**
   * Decision points of this iteration where a preemption was skipped for want of budget:
   * cache key → least depth. Such a cut matters only if the point was never expanded with
   * fewer preemptions (at no greater depth) in the same iteration: then the preempting
   * transitions were tried from there.
   */
  private cuts = new Map<string, number>();
  /** (fingerprint, last) → least depth met, by preemptions used. */
  private cache = new Map<string, (number | undefined)[]>();
  private started = false;
  /** The largest bound whose iteration completed (−1: none yet). */
  private complete = -1;
  private found: number | null = null;

  constructor(o: ChooserOptions) {
    this.rng = new Rng(o.seed);
    this.depthMatters = Number.isFinite(o.maxDepth);
  }

  get bytes(): number {
    return (this.cache.size + this.cuts.size) * ENTRY_BYTES;
  }

  startRun(): number | null {
    if (!this.started) {
      this.started = true;
      return FRESH;
    }
    const f = this.frames;
    while (f.length > 0 && f[f.length - 1]!.next >= f[f.length - 1]!.alts.length) f.pop();
    if (f.length === 0) {
      this.complete = this.c;
      if (!this.cutMatters()) return null;
      this.c++;
      this.cuts = new Map();
      this.cache = new Map();
      return FRESH;
    }
    // The top frame decides move f.length − 2: keep the moves before it.
    return f.length === 1 ? FRESH : f.length - 2;
  }

  chooseInit(count: number): number {
    if (this.frames.length === 0) {
      const alts: number[] = [];
      for (let i = 0; i < count; i++) alts.push(i);
      this.frames.push({ alts, costs: alts.map(() => 0), next: 0 });
    }
    const f = this.frames[0]!;
    this.pAt[0] = 0;
    return f.alts[f.next++]!;
  }

  /** The cache key of the decision point entered last, and its last instance if enabled. */
  private key = '';
  private lastOn = -1;

  /** A new decision point: pruned when the cache has one that subsumes it (before its transitions are enumerated). */
  enter(run: RunView): number {
    const t = run.depth;
    if (this.frames.length - 1 > t) return 0;
    this.lastOn = run.lastEnabled ? run.last : -1;
    this.key = `${run.fpHi}:${run.fpLo}:${this.lastOn}`;
    return this.seenBefore(this.key, this.pAt[t]!, t) ? PRUNE : 0;
  }

  choose(e: Enabled, run: RunView): number {
    const t = run.depth;
    if (this.frames.length - 1 > t) {
      // Back at a decision of an earlier run: its next alternative.
      const f = this.frames[t + 1]!;
      const a = f.next++;
      this.pAt[t + 1] = this.pAt[t]! + f.costs[a]!;
      return f.alts[a]!;
    }
    const p = this.pAt[t]!;
    const lastOn = this.lastOn;
    const key = this.key;
    const alts: number[] = [];
    const costs: number[] = [];
    const add = (j: number, cost: number) => {
      for (let i = e.first(j); i < e.first(j + 1); i++) {
        alts.push(i);
        costs.push(cost);
      }
    };
    const others: number[] = [];
    for (let j = 0; j < e.width; j++) if (e.instance(j) !== lastOn) others.push(j);
    this.rng.shuffle(others);
    if (lastOn >= 0) {
      add(e.indexOf(lastOn), 0);
      if (others.length > 0) {
        if (p < this.c) for (const j of others) add(j, 1);
        else {
          const depth = this.depthMatters ? t : 0;
          const before = this.cuts.get(key);
          if (before === undefined || depth < before) this.cuts.set(key, depth);
        }
      }
    } else for (const j of others) add(j, 0);
    this.frames.push({ alts, costs, next: 1 });
    this.pAt[t + 1] = p + costs[0]!;
    return alts[0]!;
  }

  /**
   * True when the bound skipped a transition that was not tried from the same point with
   * fewer preemptions: the next bound may reach more. False means every schedule was
   * tried (iterations stop: each point is eventually expanded with its fewest
   * preemptions, so the bound ends at most at the largest of those, plus one).
   */
  private cutMatters(): boolean {
    for (const [key, depth] of this.cuts) {
      const byP = this.cache.get(key)!;
      let covered = false;
      for (let q = 0; q < this.c && q < byP.length && !covered; q++) {
        const d = byP[q];
        covered = d !== undefined && d <= depth;
      }
      if (!covered) return true;
    }
    return false;
  }

  /** True when a decision point subsuming (key, p, t) was met in this iteration; else records it. */
  private seenBefore(key: string, p: number, t: number): boolean {
    const depth = this.depthMatters ? t : 0;
    let byP = this.cache.get(key);
    if (byP === undefined) {
      byP = [];
      this.cache.set(key, byP);
    }
    for (let q = 0; q <= p && q < byP.length; q++) {
      const d = byP[q];
      if (d !== undefined && d <= depth) return true;
    }
    while (byP.length <= p) byP.push(undefined);
    byP[p] = depth;
    return false;
  }

  endRun(end: RunEnd, run: RunView): void {
    if (end === 'violation') this.found = this.pAt[run.depth]!;
  }

  summary(): ChooserSummary {
    return {
      ...(this.found !== null ? { preemptions: this.found } : {}),
      ...(this.complete >= 0 ? { preemptionBound: this.complete } : {}),
    };
  }
}

export function bounded(o: ChooserOptions): Chooser {
  return new Bounded(o);
}
