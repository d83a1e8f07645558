/**
 * Replay: re-executes a trace's schedule on its model, step by step, and says whether
 * the recorded violation reproduces. Each step is run twice from the same state; two
 * different results mean the model is nondeterministic (Math.random, Date, iteration
 * over unordered data), and replay stops with E_TRACE_DIVERGED naming the step. With an
 * unchanged model source, a state whose fingerprint differs from the recorded one is a
 * divergence too.
 */
import { MmraceError } from '../errors.js';
import { Expander } from '../engine/transitions.js';
import type { CompiledModel } from '../model/compile.js';
import { formatSlotValue, readSlot } from '../model/layout.js';
import { fingerprintHex } from '../state/fingerprint.js';
import { hashSource, type Trace } from './trace.js';

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
  readonly steps: readonly ReplayStep[];
  /** The model file differs from the one the trace was recorded with. */
  readonly sourceChanged: boolean;
}

function diverged(where: string, what: string, sourceChanged: boolean): MmraceError {
  return new MmraceError(
    'E_TRACE_DIVERGED',
    `replay diverged at ${where}: ${what}`,
    sourceChanged
      ? 'the model source changed since the trace was recorded; check the model again to get a fresh trace'
      : 'the model behaves differently on re-execution: look for Math.random, Date, or iteration over unordered data in its steps',
  );
}

export function replay(trace: Trace, m: CompiledModel): ReplayResult {
  const sourceChanged = hashSource(trace.model.path) !== trace.model.sourceHash;
  const steps: ReplayStep[] = [];
  let initial: ReplayResult['initial'] = [];
  try {
    return run(trace, m, sourceChanged, steps, (i) => (initial = i));
  } catch (e) {
    // An error trace reproduces when the model fails again with the same code.
    if (trace.verdict === 'error' && e instanceof MmraceError && e.code !== 'E_TRACE_DIVERGED') {
      return { reproduced: trace.error?.code === e.code, kind: 'error', property: e.code, message: e.message, initial, steps, sourceChanged };
    }
    throw e;
  }
}

function run(
  trace: Trace,
  m: CompiledModel,
  sourceChanged: boolean,
  steps: ReplayStep[],
  setInitial: (i: ReplayResult['initial']) => void,
): ReplayResult {
  const initChoice = trace.init.choice ?? [];
  const init = m.initialState(initChoice);
  if (init === null) throw diverged('the initial state', `init makes other choices than [${initChoice.join(', ')}]`, sourceChanged);
  const again = m.initialState(initChoice);
  if (again === null || fingerprintHex(again) !== fingerprintHex(init)) {
    throw diverged('the initial state', 'init gave two different states for the same choices', false);
  }
  if (!sourceChanged && trace.init.fp !== undefined && fingerprintHex(init) !== trace.init.fp) {
    throw diverged('the initial state', 'it differs from the recorded one', sourceChanged);
  }
  const initial = m.slots.map((slot) => ({ slot: slot.path, value: formatSlotValue(slot.type, readSlot(init, slot)) }));
  setInitial(initial);
  const ex = new Expander(m);
  let s = init;
  for (let i = 0; i < trace.schedule.length; i++) {
    const st = trace.schedule[i]!;
    const where = `step ${i + 1} (${st.actor}[${st.instance}] ${st.label})`;
    const list = m.byActor.get(st.actor);
    const inst = list?.[st.instance];
    if (!inst) throw diverged(where, `the model has no instance ${st.actor}[${st.instance}]`, sourceChanged);
    const at = inst.labelIn(s);
    if (at !== st.label) throw diverged(where, `${inst.name} stands at ${at}, not ${st.label}`, sourceChanged);
    const last = i === trace.schedule.length - 1;
    const choice = st.choice ?? [];
    let outcome: 'disabled' | 'choice' | 'ok';
    if (st.guard) {
      ex.enabled(s, inst.k);
      outcome = 'ok';
    } else outcome = ex.runChoice(s, inst.k, choice);
    if (st.guard) throw diverged(where, 'the guard that threw when recorded did not throw', sourceChanged);
    if (outcome === 'disabled') throw diverged(where, 'the step is not enabled', sourceChanged);
    if (outcome === 'choice') throw diverged(where, `the step makes other choices than [${choice.join(', ')}]`, sourceChanged);
    const next = ex.work.slice();
    const faultMsg = inst.ctx.faultMsg;
    const faultProp = inst.ctx.faultProp;
    // The same step again from the same state must give the same state.
    ex.runChoice(s, inst.k, choice);
    if (fingerprintHex(ex.work) !== fingerprintHex(next) || inst.ctx.faultMsg !== faultMsg) {
      throw diverged(where, 'two runs of the step from the same state gave different results', false);
    }
    if (!sourceChanged && st.fp !== undefined && fingerprintHex(next) !== st.fp) {
      throw diverged(where, 'the state after the step differs from the recorded one', false);
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
      changes,
      ...(faultMsg !== null ? { fault: { property: faultProp, message: faultMsg } } : {}),
    });
    s = next;
    if (faultMsg !== null) {
      const want = trace.violation;
      const reproduced = last && want?.kind === 'fault' && want.property === faultProp;
      return { reproduced, kind: 'fault', property: faultProp, message: faultMsg, initial, steps, sourceChanged };
    }
  }
  const want = trace.violation;
  const inv = m.violatedInvariant(s);
  if (inv !== null) {
    return {
      reproduced: want?.kind === 'invariant' && want.property === inv,
      kind: 'invariant',
      property: inv,
      message: `${inv} does not hold`,
      initial,
      steps,
      sourceChanged,
    };
  }
  let enabled = false;
  for (let k = 0; k < m.instances.length && !enabled; k++) enabled = ex.enabled(s, k);
  let done = true;
  for (const inst of m.instances) if (inst.pcIn(s) !== inst.done) done = false;
  if (!enabled && !done) {
    return {
      reproduced: want?.kind === 'deadlock',
      kind: 'deadlock',
      property: 'deadlock',
      message: 'no step is enabled and some actor has not finished',
      initial,
      steps,
      sourceChanged,
    };
  }
  return { reproduced: false, initial, steps, sourceChanged };
}
