/**
 * Transition enumeration, the hot primitive: for a state, every enabled step of every
 * actor instance, each choice of each step, run into one scratch buffer. The engine
 * never chooses: it hands every successor, in a fixed order, to a sink.
 *
 * Order: instances in declaration order (k), then choice vectors in odometer order;
 * `ordinal` numbers the successors of one instance from 0, and (k, ordinal) names a
 * transition from a given state.
 */
import { MmraceError } from '../errors.js';
import type { CompiledModel, Ctx, Instance } from '../model/compile.js';
import { wrapThrown } from '../model/compile.js';
import { MODE_READONLY } from '../model/layout.js';

export interface SuccessorSink {
  /**
   * Called with the successor in `work` (valid until the call returns). `ctx.faultMsg` is
   * non-null when the step raised a fault. Return false to stop enumerating.
   */
  successor(k: number, ordinal: number, work: Int32Array, ctx: Ctx): boolean;
}

/** A step threw or broke a rule of the model API; carries where, for the trace. */
export class StepError extends MmraceError {
  readonly k: number;
  readonly ordinal: number;
  constructor(base: MmraceError, k: number, ordinal: number) {
    super(base.code, base.message, base.hint);
    this.k = k;
    this.ordinal = ordinal;
  }
}

export class Expander {
  readonly m: CompiledModel;
  readonly work: Int32Array;
  private readonly instances: readonly Instance[];

  constructor(m: CompiledModel) {
    this.m = m;
    this.work = new Int32Array(m.size);
    this.instances = m.instances;
  }

  /** True when instance k's next step is enabled in `src`. */
  enabled(src: Int32Array, k: number): boolean {
    const inst = this.instances[k]!;
    const pc = inst.pcIn(src);
    if (pc === inst.done) return false;
    const step = inst.steps[pc]!;
    return step.guard === null || this.guard(src, inst, step.guard, k);
  }

  private guard(src: Int32Array, inst: Instance, g: (c: Ctx) => boolean, k: number): boolean {
    const $ = this.m.store;
    const ch = this.m.choices;
    $.bind(src);
    const saved = $.m;
    $.m = saved | MODE_READONLY;
    $.readOnlyWhat = inst.guardNames[inst.pcIn(src)]!;
    ch.inGuard = true;
    let ok: boolean;
    try {
      ok = g(inst.ctx);
    } catch (e) {
      throw new StepError(wrapThrown(e, `${inst.name} ${inst.steps[inst.pcIn(src)]!.label} (await)`), k, -1);
    } finally {
      $.m = saved;
      ch.inGuard = false;
    }
    if (ok !== true && ok !== false) {
      throw new StepError(
        new MmraceError('E_MODEL_DEF', `${inst.name} ${inst.steps[inst.pcIn(src)]!.label}: await returned ${String(ok)}, not a boolean`),
        k,
        -1,
      );
    }
    return ok;
  }

  /**
   * Enumerates the successors of `src` into `sink`. Returns the number of enabled
   * instances (0 means: no step enabled). Stops early when the sink returns false.
   */
  expand(src: Int32Array, sink: SuccessorSink): number {
    const instances = this.instances;
    let enabled = 0;
    for (let k = 0; k < instances.length; k++) {
      const inst = instances[k]!;
      const pc = inst.pcIn(src);
      if (pc === inst.done) continue;
      const step = inst.steps[pc]!;
      if (step.guard !== null && !this.guard(src, inst, step.guard, k)) continue;
      enabled++;
      if (!this.runAll(src, inst, pc, step.body, sink)) return enabled;
    }
    return enabled;
  }

  /** Runs every choice of one enabled step; false when the sink asked to stop. */
  private runAll(src: Int32Array, inst: Instance, pc: number, body: ((c: Ctx) => void) | null, sink: SuccessorSink): boolean {
    const work = this.work;
    const ctx = inst.ctx;
    const k = inst.k;
    if (body === null) {
      work.set(src);
      inst.setPc(work, pc + 1);
      ctx.faultMsg = null;
      return sink.successor(k, 0, work, ctx);
    }
    const ch = this.m.choices;
    ch.reset();
    let ordinal = 0;
    do {
      this.runBody(src, inst, pc, body, ordinal);
      if (!sink.successor(k, ordinal, work, ctx)) return false;
      ordinal++;
    } while (ch.advance());
    return true;
  }

  private runBody(src: Int32Array, inst: Instance, pc: number, body: (c: Ctx) => void, ordinal: number): void {
    const work = this.work;
    const ctx = inst.ctx;
    work.set(src);
    this.m.store.bind(work);
    ctx.next = -1;
    ctx.faultMsg = null;
    this.m.choices.ci = 0;
    try {
      body(ctx);
    } catch (e) {
      throw new StepError(wrapThrown(e, `${inst.name} ${inst.steps[pc]!.label}`), inst.k, ordinal);
    }
    inst.setPc(work, ctx.next >= 0 ? ctx.next : pc + 1);
  }

  /**
   * Runs the transition (k, ordinal) from `src` into `work`. Returns the choice vector
   * taken, or null when instance k is not enabled or has fewer successors.
   */
  runOrdinal(src: Int32Array, k: number, ordinal: number): number[] | null {
    if (!this.enabled(src, k)) return null;
    const inst = this.instances[k]!;
    const pc = inst.pcIn(src);
    const body = inst.steps[pc]!.body;
    if (body === null) {
      if (ordinal !== 0) return null;
      this.work.set(src);
      inst.setPc(this.work, pc + 1);
      inst.ctx.faultMsg = null;
      return [];
    }
    const ch = this.m.choices;
    ch.reset();
    let o = 0;
    do {
      if (o === ordinal) {
        // Run with the vector that this ordinal denotes (advance() computed it).
        this.runBody(src, inst, pc, body, o);
        return ch.taken();
      }
      this.runBody(src, inst, pc, body, o);
      o++;
    } while (ch.advance());
    return null;
  }

  /**
   * Runs instance k's step from `src` with a given choice vector (replay). Returns null
   * when the step is not enabled, 'choice' when the vector does not fit the choices the
   * step makes now, else the ordinal-free result in `work`.
   */
  runChoice(src: Int32Array, k: number, choice: readonly number[]): 'disabled' | 'choice' | 'ok' {
    if (!this.enabled(src, k)) return 'disabled';
    const inst = this.instances[k]!;
    const pc = inst.pcIn(src);
    const body = inst.steps[pc]!.body;
    if (body === null) {
      if (choice.length !== 0) return 'choice';
      this.work.set(src);
      inst.setPc(this.work, pc + 1);
      inst.ctx.faultMsg = null;
      return 'ok';
    }
    const ch = this.m.choices;
    ch.follow(choice);
    this.runBody(src, inst, pc, body, -1);
    if (ch.outOfRange || ch.ci !== choice.length) return 'choice';
    return 'ok';
  }
}
