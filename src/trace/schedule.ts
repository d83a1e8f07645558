/**
 * The one-line schedule: what a trace's schedule is, as a short string a reader pastes
 * into a shell unquoted (`mmrace check SCENARIO --schedule mm1.0.0.0.1-0-0.1`). It holds
 * the choices `init` made, then, per step, which actor instance ran it (its index in the
 * compiled model's instance list, `CompiledModel.instances`) and the index chosen at each
 * `c.choose()` call. The labels, the states and the outcome are what the model makes of
 * it: `traceOfSchedule` runs the schedule on the model and gives the trace it stands for,
 * which replay then tells as it tells any trace.
 *
 * The grammar (docs/trace-format.md), version 1:
 *
 *     schedule = "mm1" [ ".i" choices ] *( "." step )
 *     step     = instance [ "-" choices ]
 *     choices  = number *( "-" number )
 *     number   = "0" / ( %x31-39 *DIGIT )      ; no leading zero
 *
 * Every string has one reading and every schedule one spelling, so encoding and decoding
 * are each other's inverse. The characters are letters, digits, `.` and `-`: no shell
 * quotes them.
 */
import { MmraceError } from '../errors.js';
import { DEADLOCK, Judge, deadlockMessage, invariantMessage } from '../engine/judge.js';
import { Expander } from '../engine/transitions.js';
import type { CompiledModel } from '../model/compile.js';
import { guardExit } from '../model/exit.js';
import { hashSource } from '../model/load.js';
import { fingerprintHex } from '../state/fingerprint.js';
import { VERSION } from '../version.js';
import { TRACE_FORMAT, type Trace, type TraceStep } from './trace.js';

/** The version this mmrace writes and reads. */
export const SCHEDULE_VERSION = 1;
/** What every schedule of this version starts with. */
export const SCHEDULE_TAG = `mm${SCHEDULE_VERSION}`;

/** At most this many choices in one step or in `init` (as the trace format allows). */
export const MAX_CHOICES = 4096;
/** The largest instance index or choice index a schedule may hold. */
export const MAX_NUMBER = 2 ** 31 - 1;

export interface ScheduleStep {
  /** The instance that takes the step: its index in `CompiledModel.instances`. */
  readonly k: number;
  /** The index chosen at each `c.choose()` call of the step, in call order. */
  readonly choice: readonly number[];
}

export interface Schedule {
  /** The choices `init` made, one index per `choose()` call. */
  readonly init: readonly number[];
  readonly steps: readonly ScheduleStep[];
}

const HINT = `a schedule is printed by mmrace check, ci and replay after a violation, e.g. ${SCHEDULE_TAG}.0.0.1-0-0.1: see docs/trace-format.md`;

/** The schedule string of `s`. */
export function encodeSchedule(s: Schedule): string {
  const parts = [SCHEDULE_TAG];
  if (s.init.length > 0) parts.push(`i${s.init.map(num).join('-')}`);
  for (const st of s.steps) parts.push([st.k, ...st.choice].map(num).join('-'));
  return parts.join('.');
}

function num(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_NUMBER) throw new MmraceError('E_INTERNAL', `schedule: ${n} is not an index from 0 to ${MAX_NUMBER}`);
  return String(n);
}

/** `text` quoted for an error line: at most 60 characters of it. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/**
 * The schedule a string spells, or E_USAGE saying where it is malformed, or that it is
 * another version of the format.
 */
export function decodeSchedule(text: string): Schedule {
  const version = /^mm(\d+)(?=\.|$)/.exec(text);
  if (version === null) {
    throw new MmraceError('E_USAGE', `--schedule ${quoted(text)} is not a schedule: it does not start with ${SCHEDULE_TAG}`, HINT);
  }
  if (version[1] !== String(SCHEDULE_VERSION)) {
    throw new MmraceError(
      'E_USAGE',
      `--schedule ${quoted(text)} is version ${version[1]} of the schedule string, which mmrace ${VERSION} does not read (it reads ${SCHEDULE_TAG})`,
      'replay it with the mmrace that printed it, or check the scenario again with this one for a fresh schedule',
    );
  }
  const bad = (at: number, what: string): MmraceError =>
    new MmraceError('E_USAGE', `--schedule ${quoted(text)} is not a schedule: at character ${at + 1}: ${what}`, HINT);
  let at = SCHEDULE_TAG.length;
  /** A list of at most `max` numbers joined by `-`, from `at`; `what` names the first for errors. */
  const numbers = (what: string, max: number): number[] => {
    const out: number[] = [];
    for (;;) {
      const m = /^(0|[1-9][0-9]*)/.exec(text.slice(at, at + 12));
      if (m === null) {
        const c = text[at];
        throw bad(at, c === undefined ? `the schedule ends where ${out.length ? 'a choice' : what} should be` : `${JSON.stringify(c)} where ${out.length ? 'a choice' : what} should be (a number, without leading zeros)`);
      }
      const n = Number(m[1]);
      if (n > MAX_NUMBER) throw bad(at, `${m[1]} is more than ${MAX_NUMBER}`);
      out.push(n);
      at += m[1]!.length;
      if (text[at] !== '-') return out;
      if (out.length >= max) throw bad(at, `more than ${MAX_CHOICES} choices`);
      at++;
    }
  };
  let init: number[] = [];
  const steps: ScheduleStep[] = [];
  while (at < text.length) {
    if (text[at] !== '.') throw bad(at, `${JSON.stringify(text[at])} where "." should be, between steps`);
    at++;
    if (text[at] === 'i' && at === SCHEDULE_TAG.length + 1) {
      at++;
      init = numbers('the first choice of init', MAX_CHOICES);
      continue;
    }
    const [k, ...choice] = numbers('an instance', MAX_CHOICES + 1);
    steps.push({ k: k!, choice });
  }
  return { init, steps };
}

/**
 * The schedule of a trace on its model `m`: each step's actor and instance become the
 * instance's index. A step that names what `m` does not have, and a step whose guard threw
 * (the end of an error trace, which no schedule string spells), are E_TRACE_FORMAT.
 */
export function scheduleOf(trace: Trace, m: CompiledModel): Schedule {
  const steps = trace.schedule.map((st, i): ScheduleStep => {
    const inst = m.byActor.get(st.actor)?.[st.instance];
    if (inst === undefined) {
      throw new MmraceError('E_TRACE_FORMAT', `step ${i + 1} (${st.actor}[${st.instance}] ${st.label}): model ${m.id} has no instance ${st.actor}[${st.instance}]`);
    }
    if (st.guard) throw new MmraceError('E_TRACE_FORMAT', `step ${i + 1} (${st.actor}[${st.instance}] ${st.label}): its guard threw, which a schedule string does not spell`);
    return { k: inst.k, choice: st.choice ?? [] };
  });
  return { init: trace.init.choice ?? [], steps };
}

/** Where the trace of a schedule says it comes from. */
export interface ScheduleSource {
  /** The model file `m` was loaded from. */
  readonly modelPath: string;
  /** The scenario file, when the schedule is replayed on a scenario. */
  readonly scenario?: string | undefined;
}

/**
 * The trace a schedule stands for on `m` (the model compiled with the parameters the
 * schedule was printed with): the schedule is run step by step, each step named by its
 * actor, instance and the label it stands at, each state fingerprinted, and the outcome
 * is what the state after the last step is (a fault of the last step, an invariant, a
 * deadlock), as the search would have reported it. A schedule that does not fit the model
 * (an instance it does not have, a step not enabled, other choices) is an error naming
 * the step: E_TRACE_FORMAT for what the model does not have, E_TRACE_DIVERGED for a step
 * the model does not take. A schedule that runs to its end with no violation gives a
 * trace with no recorded violation, which replay reports as not reproduced.
 */
export function traceOfSchedule(s: Schedule, m: CompiledModel, from: ScheduleSource): Trace {
  const w = guarded(() => walk(s, m));
  return {
    format: TRACE_FORMAT,
    tool: { name: 'mmrace', version: VERSION },
    model: { id: m.id, path: from.modelPath, sourceHash: hashSource(from.modelPath) },
    params: { ...m.params },
    init: w.init,
    schedule: w.schedule,
    verdict: 'violation',
    ...(w.violation !== undefined ? { violation: w.violation } : {}),
    ...(from.scenario !== undefined ? { scenario: from.scenario } : {}),
  };
}

/**
 * The violation the schedule ends in on `m` (as `traceOfSchedule` records it), or
 * undefined; the errors of `traceOfSchedule` for a schedule that does not fit.
 */
export function violationOfSchedule(s: Schedule, m: CompiledModel): Trace['violation'] {
  return guarded(() => walk(s, m)).violation;
}

/** `fn` with mmrace holding the exit: the model's process.exit is E_MODEL_EXIT (model/exit.ts). */
function guarded<T>(fn: () => T): T {
  const restore = guardExit();
  try {
    return fn();
  } finally {
    restore();
  }
}

function walk(s: Schedule, m: CompiledModel): Pick<Trace, 'init' | 'schedule' | 'violation'> {
  const hint = 'the schedule was printed for other parameters or another version of the model: check the scenario again for a fresh one';
  const init = m.initialState(s.init);
  if (init === null) throw new MmraceError('E_TRACE_DIVERGED', `the schedule does not fit model ${m.id}: init makes other choices than [${s.init.join(', ')}]`, hint);
  const ex = new Expander(m);
  let state = init;
  const schedule: TraceStep[] = [];
  let violation: Trace['violation'];
  for (let i = 0; i < s.steps.length; i++) {
    const st = s.steps[i]!;
    const inst = m.instances[st.k];
    if (inst === undefined) {
      const n = m.instances.length;
      throw new MmraceError('E_TRACE_FORMAT', `the schedule does not fit model ${m.id}: step ${i + 1} names instance ${st.k}, and the model has ${n} (0 to ${n - 1})`, hint);
    }
    const label = inst.labelIn(state);
    const where = `step ${i + 1} (${inst.actor}[${inst.index}] ${label})`;
    const outcome = ex.runChoice(state, st.k, st.choice);
    if (outcome === 'disabled') throw new MmraceError('E_TRACE_DIVERGED', `the schedule does not fit model ${m.id}: ${where} is not enabled`, hint);
    if (outcome === 'choice') throw new MmraceError('E_TRACE_DIVERGED', `the schedule does not fit model ${m.id}: ${where} makes other choices than [${st.choice.join(', ')}]`, hint);
    state = ex.work.slice();
    schedule.push({ actor: inst.actor, instance: inst.index, label, ...(st.choice.length > 0 ? { choice: [...st.choice] } : {}), fp: fingerprintHex(state) });
    if (inst.ctx.faultMsg !== null) {
      if (i < s.steps.length - 1) {
        throw new MmraceError('E_TRACE_DIVERGED', `the schedule does not fit model ${m.id}: ${where} raised the fault ${inst.ctx.faultProp}, and the schedule goes on after it`, hint);
      }
      violation = { kind: 'fault', property: inst.ctx.faultProp, message: inst.ctx.faultMsg };
    }
  }
  if (violation === undefined) {
    const judge = new Judge(m, ex);
    const inv = judge.violated(state, false)[0];
    if (inv !== undefined) violation = { kind: 'invariant', property: inv, message: invariantMessage(inv, schedule.length === 0) };
    else if (judge.deadlocked(state)) violation = { kind: 'deadlock', property: DEADLOCK, message: deadlockMessage(m, state) };
  }
  return { init: { ...(s.init.length > 0 ? { choice: [...s.init] } : {}), fp: fingerprintHex(init) }, schedule, ...(violation !== undefined ? { violation } : {}) };
}
