/**
 * Replay: re-executes a trace's schedule on its model, step by step, and says whether
 * the recorded violation reproduces. Each step is run twice from the same state; two
 * different results mean the model is nondeterministic (Math.random, Date, iteration
 * over unordered data), and replay stops with E_TRACE_DIVERGED naming the step. With an
 * unchanged model source, a state whose fingerprint differs from the recorded one is a
 * divergence too, and a step naming an actor, instance or label the model does not have
 * is a trace that does not describe its model (E_TRACE_FORMAT).
 *
 * Model drift: when the model file changed since the trace was recorded, the replay is
 * best effort. A divergence then is not a bug of the model but the edit showing, so the
 * error (TraceDiverged) carries the steps that did replay, to show where the new model
 * parts from the old.
 */
import { MmraceError } from '../errors.js';
import { Expander } from '../engine/transitions.js';
import { DEADLOCK, Judge, deadlockMessage, invariantMessage } from '../engine/judge.js';
import { Recording, type ChoiceMade, type CompiledModel, type StepNote } from '../model/compile.js';
import { formatSlotValue, readSlot } from '../model/layout.js';
import { fingerprintHex } from '../state/fingerprint.js';
import { hashSource } from '../model/load.js';
import { guardExit } from '../model/exit.js';
import type { Trace, TraceStep } from './trace.js';

export interface SlotChange {
  readonly slot: string;
  readonly from: string;
  readonly to: string;
}

export interface ReplayStep {
  /** 1-based step number. */
  readonly n: number;
  readonly actor: string;
  readonly instance: number;
  readonly label: string;
  readonly choice?: readonly number[];
  /** The step's choices by value (and name), one per index of `choice`. */
  readonly values?: readonly ChoiceMade[];
  /** The step's notes (`c.note`): about itself, or what another party did. */
  readonly notes?: readonly StepNote[];
  readonly changes: readonly SlotChange[];
  /** The fault the step raised, if any. */
  readonly fault?: { readonly property: string; readonly message: string };
}

export interface ReplayResult {
  /** True when the recorded violation (or model error) happened again. */
  readonly reproduced: boolean;
  readonly kind?: 'invariant' | 'fault' | 'deadlock' | 'error';
  readonly property?: string;
  readonly message?: string;
  /** The initial state, slot by slot. */
  readonly initial: readonly { readonly slot: string; readonly value: string }[];
  /** What init chose, by value (and name), and what it noted. */
  readonly init?: { readonly values: readonly ChoiceMade[]; readonly notes: readonly string[] };
  readonly steps: readonly ReplayStep[];
  /** The model file differs from the one the trace was recorded with. */
  readonly sourceChanged: boolean;
  /** Set on the partial result a TraceDiverged carries: where and why the replay stopped. */
  readonly diverged?: Divergence;
  /**
   * The trace ends where a step was stopped (E_STEP_TIMEOUT, E_MODEL_MEMORY): the
   * schedule replayed to the state it ran from, and replay does not run it again.
   */
  readonly notRun?: boolean;
}

/** Errors of a step that was stopped, not ended: its trace leads to the state it ran from. */
export const STOPPED_STEP_ERRORS: ReadonlySet<string> = new Set(['E_STEP_TIMEOUT', 'E_MODEL_MEMORY']);

/** Where a replay parted from its trace, and why. */
export interface Divergence {
  /** 1-based step number; 0 for the initial state. */
  readonly step: number;
  /** `step 3 (U1[0] contpte_convert:xchg)` or `the initial state`. */
  readonly where: string;
  readonly reason: string;
}

/**
 * E_TRACE_DIVERGED with what replayed before the divergence (`partial`: the initial state
 * and the steps that ran, `diverged` set). `replay` shows it on a changed model source,
 * where a divergence is the edit showing rather than a bug to report alone.
 */
export class TraceDiverged extends MmraceError {
  readonly partial: ReplayResult;
  /** `nondeterministic`: the model gave two results for one step, whatever its source. */
  constructor(partial: ReplayResult & { readonly diverged: Divergence }, nondeterministic = false) {
    const d = partial.diverged;
    super(
      'E_TRACE_DIVERGED',
      `replay diverged at ${d.where}: ${d.reason}`,
      partial.sourceChanged && !nondeterministic
        ? 'the model source changed since the trace was recorded; check the model again to get a fresh trace'
        : 'the model behaves differently on re-execution: look for Math.random, Date, or iteration over unordered data in its steps',
    );
    this.partial = partial;
  }
}

/** The step as the trace names it, for messages: `step 3 (U1[0] contpte_convert:xchg)`. */
export function stepName(i: number, st: TraceStep): string {
  return `step ${i + 1} (${st.actor}[${st.instance}] ${st.label})`;
}

/**
 * Why step `st` names something `m` does not have (an actor, an instance, a label), or
 * null when the names fit. A label an actor has is checked on replay: whether the
 * instance stands at it there.
 */
export function missingName(m: CompiledModel, st: TraceStep): string | null {
  const list = m.byActor.get(st.actor);
  if (!list) return `the model has no instance ${st.actor}[${st.instance}]: model ${m.id} has no actor ${st.actor} (its actors: ${[...m.byActor.keys()].join(', ')})`;
  const inst = list[st.instance];
  if (!inst) return `the model has no instance ${st.actor}[${st.instance}]: actor ${st.actor} has ${list.length} instance${list.length === 1 ? '' : 's'}`;
  if (!inst.labels.has(st.label)) {
    return `actor ${st.actor} has no label ${st.label} (its labels: ${[...inst.labels.keys()].join(', ')})`;
  }
  return null;
}

/**
 * Every step of a trace recorded with this very model source must name an actor,
 * instance and label of the model: one that does not is a trace edited or written for
 * other parameters, E_TRACE_FORMAT naming the first such step before anything runs.
 */
function checkNames(trace: Trace, m: CompiledModel): void {
  for (let i = 0; i < trace.schedule.length; i++) {
    const st = trace.schedule[i]!;
    const why = missingName(m, st);
    if (why !== null) {
      throw new MmraceError(
        'E_TRACE_FORMAT',
        `the trace does not describe its model: ${stepName(i, st)}: ${why}`,
        'the trace was edited, or written for other parameters; check the model again for a fresh trace',
      );
    }
  }
}

export function replay(trace: Trace, m: CompiledModel): ReplayResult {
  const sourceChanged = hashSource(trace.model.path) !== trace.model.sourceHash;
  if (!sourceChanged) checkNames(trace, m);
  const steps: ReplayStep[] = [];
  let initial: ReplayResult['initial'] = [];
  // The model's process.exit is an error of the model here too (E_MODEL_EXIT, model/exit.ts).
  const restore = guardExit();
  try {
    return run(trace, m, sourceChanged, steps, (i) => (initial = i));
  } catch (e) {
    // An error trace reproduces when the model fails again with the same code.
    if (trace.verdict === 'error' && e instanceof MmraceError && e.code !== 'E_TRACE_DIVERGED') {
      return { reproduced: trace.error?.code === e.code, kind: 'error', property: e.code, message: e.message, initial, steps, sourceChanged };
    }
    throw e;
  } finally {
    restore();
  }
}

function run(
  trace: Trace,
  m: CompiledModel,
  sourceChanged: boolean,
  steps: ReplayStep[],
  setInitial: (i: ReplayResult['initial']) => void,
): ReplayResult {
  let initial: ReplayResult['initial'] = [];
  /** Stops the replay at `step` (0: the initial state), with what replayed so far. */
  const diverged = (step: number, where: string, reason: string, nondeterministic = false): TraceDiverged =>
    new TraceDiverged({ reproduced: false, initial, steps: [...steps], sourceChanged, diverged: { step, where, reason } }, nondeterministic);
  const initChoice = trace.init.choice ?? [];
  const initRec = new Recording();
  const init = recording(m, initRec, () => m.initialState(initChoice));
  if (init === null) throw diverged(0, 'the initial state', `init makes other choices than [${initChoice.join(', ')}]`);
  const again = m.initialState(initChoice);
  if (again === null || fingerprintHex(again) !== fingerprintHex(init)) {
    throw diverged(0, 'the initial state', 'init gave two different states for the same choices', true);
  }
  if (!sourceChanged && trace.init.fp !== undefined && fingerprintHex(init) !== trace.init.fp) {
    throw diverged(0, 'the initial state', 'it differs from the recorded one');
  }
  initial = m.slots.map((slot) => ({ slot: slot.path, value: formatSlotValue(slot.type, readSlot(init, slot)) }));
  setInitial(initial);
  const initSaid = initRec.choices.length || initRec.notes.length ? { init: { values: initRec.choices, notes: initRec.notes.map((n) => n.text) } } : {};
  const ex = new Expander(m);
  let s = init;
  for (let i = 0; i < trace.schedule.length; i++) {
    const st = trace.schedule[i]!;
    const where = stepName(i, st);
    const stop = (reason: string, nondeterministic = false) => diverged(i + 1, where, reason, nondeterministic);
    const missing = missingName(m, st);
    if (missing !== null) throw stop(missing);
    const inst = m.byActor.get(st.actor)![st.instance]!;
    const at = inst.labelIn(s);
    if (at !== st.label) throw stop(`${inst.name} stands at ${at}, not ${st.label}`);
    const last = i === trace.schedule.length - 1;
    const choice = st.choice ?? [];
    let outcome: 'disabled' | 'choice' | 'ok';
    const rec = new Recording();
    if (st.guard) {
      ex.enabled(s, inst.k);
      outcome = 'ok';
    } else outcome = recording(m, rec, () => ex.runChoice(s, inst.k, choice));
    if (st.guard) throw stop('the guard that threw when recorded did not throw');
    if (outcome === 'disabled') throw stop('the step is not enabled');
    if (outcome === 'choice') throw stop(`the step makes other choices than [${choice.join(', ')}]`);
    const next = ex.work.slice();
    const faultMsg = inst.ctx.faultMsg;
    const faultProp = inst.ctx.faultProp;
    // The same step again from the same state must give the same state.
    ex.runChoice(s, inst.k, choice);
    if (fingerprintHex(ex.work) !== fingerprintHex(next) || inst.ctx.faultMsg !== faultMsg) {
      throw stop('two runs of the step from the same state gave different results', true);
    }
    if (!sourceChanged && st.fp !== undefined && fingerprintHex(next) !== st.fp) {
      throw stop('the state after the step differs from the recorded one');
    }
    const changes: SlotChange[] = [];
    for (const slot of m.slots) {
      const from = readSlot(s, slot);
      const to = readSlot(next, slot);
      if (from !== to) changes.push({ slot: slot.path, from: formatSlotValue(slot.type, from), to: formatSlotValue(slot.type, to) });
    }
    steps.push({
      n: i + 1,
      actor: st.actor,
      instance: st.instance,
      label: st.label,
      ...(choice.length ? { choice } : {}),
      ...(rec.choices.length ? { values: rec.choices } : {}),
      ...(rec.notes.length ? { notes: rec.notes } : {}),
      changes,
      ...(faultMsg !== null ? { fault: { property: faultProp, message: faultMsg } } : {}),
    });
    s = next;
    if (faultMsg !== null) {
      const want = trace.violation;
      const reproduced = last && want?.kind === 'fault' && want.property === faultProp;
      return { reproduced, kind: 'fault', property: faultProp, message: faultMsg, initial, ...initSaid, steps, sourceChanged };
    }
  }
  const want = trace.violation;
  const judge = new Judge(m, ex);
  const violated = judge.violated(s, want?.kind === 'invariant');
  // --all-violations reports a deadlocked state that also violates an invariant for both:
  // a recorded deadlock is the deadlock, checked below.
  if (violated.length > 0 && !(want?.kind === 'deadlock' && judge.deadlocked(s))) {
    // The recorded invariant when the state violates it, also after an earlier one
    // (--all-violations reports each); else the first.
    const inv = want?.kind === 'invariant' && violated.includes(want.property) ? want.property : violated[0]!;
    return {
      reproduced: want?.kind === 'invariant' && want.property === inv,
      kind: 'invariant',
      property: inv,
      message: invariantMessage(inv, trace.schedule.length === 0),
      initial,
      ...initSaid,
      steps,
      sourceChanged,
    };
  }
  if (judge.deadlocked(s)) {
    return {
      reproduced: want?.kind === 'deadlock',
      kind: 'deadlock',
      property: DEADLOCK,
      message: deadlockMessage(m, s),
      initial,
      ...initSaid,
      steps,
      sourceChanged,
    };
  }
  // A step that was stopped (it would not end, or it filled memory) is not run again:
  // the replay ends at the state it ran from, which the fingerprints above confirmed.
  if (trace.verdict === 'error' && trace.error !== undefined && STOPPED_STEP_ERRORS.has(trace.error.code)) {
    return { reproduced: false, notRun: true, kind: 'error', property: trace.error.code, message: trace.error.message, initial, ...initSaid, steps, sourceChanged };
  }
  return { reproduced: false, initial, ...initSaid, steps, sourceChanged };
}

/** Runs `f` with `rec` recording the model's choices by value and notes (replay only). */
function recording<T>(m: CompiledModel, rec: Recording, f: () => T): T {
  m.recording = rec;
  try {
    return f();
  } finally {
    m.recording = null;
  }
}
