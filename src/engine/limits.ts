/** The limits and reductions every search takes, and their defaults. */
import { totalmem } from 'node:os';
import type { CompiledModel } from '../model/compile.js';

export interface Limits {
  /** Stop after this many distinct states (the search is then incomplete). */
  readonly maxStates?: number | undefined;
  /** Do not expand states at this depth (the search is incomplete if any could move). */
  readonly maxDepth?: number | undefined;
  /** Stop after this many seconds. */
  readonly timeLimit?: number | undefined;
  /** Bytes the seen-set, parent links and frontier may take (default: half the machine's memory). */
  readonly memory?: number | undefined;
  /** Go on after a violation, to report the first violation of every property. */
  readonly allViolations?: boolean | undefined;
  /** Partial-order reduction (Expander.expandPor): used when the model declares a private actor. */
  readonly por?: boolean | undefined;
  /** Symmetry reduction (CompiledModel.canonical): used when the model declares a symmetric actor. */
  readonly symmetry?: boolean | undefined;
  /**
   * Sleep sets (Expander.expandSleep), with `por`, in breadth-first searches: off unless
   * true; used when no symmetry reduction is on and the model has at most 31 instances.
   * They explore fewer transitions, never fewer states, and cost more time than they save
   * on the seed models (docs/por.md).
   */
  readonly sleep?: boolean | undefined;
}

/** Whether a breadth-first search may use sleep sets (Limits.sleep). */
export function sleepApplies(m: CompiledModel, limits: Limits, symmetry: boolean): boolean {
  return limits.por === true && limits.sleep === true && !symmetry && m.instances.length <= 31;
}

/** The default memory budget: half of the machine's memory (or of the process's cgroup limit). */
export function defaultMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const total = totalmem();
  return Math.floor((limit > 0 && limit < total ? limit : total) / 2);
}
