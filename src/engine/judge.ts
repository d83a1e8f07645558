/**
 * The judge: what a state or a transition means, for every search, for replay and for
 * shrinking. A state that violates an invariant, a transition that raised a fault, a
 * state where no step is enabled while some actor has not finished (a deadlock, naming
 * the instances that wait), a model that threw (an error, with the path to the failing
 * step). The searches differ in the order they meet states, never in what a state means.
 */
import { MmraceError, isMmraceError } from '../errors.js';
import type { CompiledModel } from '../model/compile.js';
import type { FoundError, FoundViolation, Path } from './result.js';
import { StepError, type Expander } from './transitions.js';

/** The property of a deadlock. */
export const DEADLOCK = 'deadlock';

/** The path `base` followed by the move (k, ordinal). */
export function pathPlus(base: Path, k: number, ordinal: number): Path {
  return { init: base.init, moves: [...base.moves, [k, ordinal]] };
}

/** The message of an invariant violated in a state (`initial`: an initial state). */
export function invariantMessage(property: string, initial: boolean): string {
  return `${property} does not hold${initial ? ' in an initial state' : ''}`;
}

export function invariantViolation(property: string, path: Path): FoundViolation {
  return { kind: 'invariant', property, message: invariantMessage(property, path.moves.length === 0), path };
}

/** A fault raised by the last move of `path`. */
export function faultViolation(property: string, message: string, path: Path): FoundViolation {
  return { kind: 'fault', property, message, path };
}

/**
 * The message of a deadlock in state `s`: no step is enabled, and the instances that
 * have not finished, each with the label where it waits (`t[0] waits at lock`).
 */
export function deadlockMessage(m: CompiledModel, s: Int32Array): string {
  const stuck = m.instances.filter((inst) => !inst.optional && inst.pcIn(s) !== inst.done).map((inst) => `${inst.name} waits at ${inst.labelIn(s)}`);
  return `no step is enabled and some actor has not finished: ${stuck.join(', ')}`;
}

/** A deadlock in state `s` at the end of `path`. */
export function deadlockViolation(m: CompiledModel, s: Int32Array, path: Path): FoundViolation {
  return { kind: 'deadlock', property: DEADLOCK, message: deadlockMessage(m, s), path };
}

/**
 * The error of a model that threw: its code and message when it is an MmraceError,
 * E_INTERNAL otherwise. `path` leads to the state where it happened; a StepError adds
 * the step that threw.
 */
export function foundError(e: unknown, path: Path | null): FoundError {
  const err = isMmraceError(e) ? e : new MmraceError('E_INTERNAL', e instanceof Error ? e.message : String(e));
  const full = e instanceof StepError && path !== null ? pathPlus(path, e.k, e.ordinal) : path;
  return { code: err.code, message: err.message, hint: err.hint, path: full };
}

const NONE: readonly string[] = [];

/** The checks of one state, with an expander's guards and heartbeat. */
export class Judge {
  private readonly nInst: number;
  constructor(
    readonly m: CompiledModel,
    readonly ex: Expander,
  ) {
    this.nInst = m.instances.length;
  }

  /** The first invariant `s` violates, or null; throws what an invariant throws. */
  invariant(s: Int32Array): string | null {
    this.ex.beatInvariants();
    const violated = this.m.violatedInvariant(s);
    this.ex.idle();
    return violated;
  }

  /**
   * The invariants `s` violates: with `all` (--all-violations) every one, in declaration
   * order; else the first, or none. Throws what an invariant throws.
   */
  violated(s: Int32Array, all: boolean): readonly string[] {
    if (!all) {
      const inv = this.invariant(s);
      return inv === null ? NONE : [inv];
    }
    this.ex.beatInvariants();
    const violated = this.m.violatedInvariants(s);
    this.ex.idle();
    return violated;
  }

  /** Whether some step is enabled in `s`; throws what a guard throws. */
  anyEnabled(s: Int32Array): boolean {
    for (let k = 0; k < this.nInst; k++) if (this.ex.enabled(s, k)) return true;
    return false;
  }

  /** Whether every instance has finished in `s`, but those of optional actors, which may end unfinished (ActorDef.optional). */
  allDone(s: Int32Array): boolean {
    const inst = this.m.instances;
    for (let k = 0; k < this.nInst; k++) if (!inst[k]!.optional && inst[k]!.pcIn(s) !== inst[k]!.done) return false;
    return true;
  }

  /** Whether `s` is a deadlock: no step enabled, some instance not finished (of an actor that is not optional). Throws what a guard throws. */
  deadlocked(s: Int32Array): boolean {
    return !this.anyEnabled(s) && !this.allDone(s);
  }

  /** A deadlock in state `s` at the end of `path`. */
  deadlock(s: Int32Array, path: Path): FoundViolation {
    return deadlockViolation(this.m, s, path);
  }
}
