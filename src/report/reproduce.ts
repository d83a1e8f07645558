/**
 * The commands that reproduce a violation, for the reader to paste: the one-line schedule
 * (`npx mmrace check SCENARIO --schedule mm1.…`, trace/schedule.ts), which needs no trace
 * file, and what goes with it in the reports that attach a trace.
 */
import { isMmraceError } from '../errors.js';
import type { CompiledModel } from '../model/compile.js';
import { resolveParams, type ParamValue } from '../model/define.js';
import { encodeSchedule, scheduleOf, violationOfSchedule } from '../trace/schedule.js';
import type { Trace } from '../trace/trace.js';
import { shq } from './shell.js';

/** `npx mmrace check TARGET [--param k=v …] --schedule S`, each word shell-quoted when it needs it. */
export function scheduleCommand(target: string, schedule: string, params: readonly string[] = []): string {
  return ['npx', 'mmrace', 'check', target, ...params.flatMap((p) => ['--param', p]), '--schedule', schedule].map(shq).join(' ');
}

/**
 * The `--param k=v` values that give `m`'s parameters on top of what the target gives
 * alone: the scenario's `params` (none for a model file) over the model's defaults. Empty
 * when the run used the target's own parameters.
 */
export function paramArgs(m: CompiledModel, targetParams: Readonly<Record<string, ParamValue>> = {}): string[] {
  let base: Record<string, ParamValue>;
  try {
    base = resolveParams(m.model.params, targetParams, m.id);
  } catch {
    base = {};
  }
  return Object.entries(m.params)
    .filter(([k, v]) => base[k] !== v)
    .map(([k, v]) => `${k}=${String(v)}`);
}

/** A violation's one-line schedule and the command that replays it. */
export interface Reproduce {
  /** The schedule string (`mm1.…`). */
  readonly schedule: string;
  /** `npx mmrace check TARGET … --schedule mm1.…`. */
  readonly command: string;
}

/**
 * The schedule of a violation's trace on `m` (the model compiled with the trace's
 * parameters) and its command, to run from the current folder; `target` is the scenario
 * (or model file) as the reader names it, `targetParams` the parameters that target sets.
 * Null for a trace that is not of a violation, whose steps `m` does not have (an edited
 * model), or whose schedule would end in another violation than the trace's: a schedule
 * names no property, and its last state tells the first invariant it violates (with
 * --all-violations, a later invariant may be reported for a state that violates an
 * earlier one too).
 */
export function reproduceOf(trace: Trace, m: CompiledModel, target: string, targetParams?: Readonly<Record<string, ParamValue>>): Reproduce | null {
  if (trace.verdict !== 'violation') return null;
  try {
    const s = scheduleOf(trace, m);
    const ends = violationOfSchedule(s, m);
    if (ends?.kind !== trace.violation?.kind || ends?.property !== trace.violation?.property) return null;
    const schedule = encodeSchedule(s);
    return { schedule, command: scheduleCommand(target, schedule, paramArgs(m, targetParams)) };
  } catch (e) {
    if (isMmraceError(e)) return null;
    throw e;
  }
}

/**
 * What makes a report self-contained (`explain --format md|html`): the trace file itself,
 * as the replay command names it, and the schedule command, which needs no file.
 */
export interface Attachment {
  /** The file the report's replay command names, as the reader would name it. */
  readonly traceFile: string;
  /** That file's content: the trace as JSON, its paths relative to the file's folder. */
  readonly traceJson: string;
  /** The one-line schedule command, when the trace is of a violation. */
  readonly scheduleCommand?: string | undefined;
}
