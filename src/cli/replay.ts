/** `mmrace replay <trace.json>`: re-executes a trace and says whether it reproduces. */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { MmraceError, isMmraceError } from '../errors.js';
import { CompiledModel } from '../model/compile.js';
import { loadModel } from '../model/load.js';
import { loadScenario } from '../run/scenario.js';
import { formatReplay } from '../report/text.js';
import { EXIT } from '../report/verdict.js';
import { TraceDiverged, replay, type ReplayResult } from '../trace/replay.js';
import { hashSource } from '../model/load.js';
import { readTrace, traceText, type Trace } from '../trace/trace.js';
import { err, formatError, oneLine, out, warn } from './output.js';
import type { ParamValue } from '../model/define.js';
import { reproduceOf, type Attachment, type Reproduce } from '../report/reproduce.js';
import type { Scenario } from '../run/scenario.js';
import type { Format } from '../report/formats.js';
import { renderStory } from '../report/render.js';
import { storyOf } from '../report/story.js';

export interface ReplayFlags {
  json?: boolean;
  model?: string;
  /** text (default), json (as --json), or a report: lkml, md, html. */
  format?: Format;
}

/**
 * Reads and validates a trace file and loads and compiles the model it names (or
 * `--model`), with the trace's parameters: what `replay`, `explain` and `shrink` start
 * from. With `--model`, the returned trace names that model file. When the model file is
 * not the one the trace was recorded with (its SHA-256 differs from `sourceHash`), says
 * so on stderr: what follows is a best-effort replay on the model as it is now.
 */
/**
 * The model file a trace is replayed on: `--model FILE` when given; else, for a trace of a
 * scenario, the model that scenario names (relative to the scenario), which must be the
 * one the trace names: a trace cannot make mmrace import a file its scenario does not
 * name. Else the model the trace names. Returns the file and who named it.
 */
export function traceModel(trace: Trace, model: string | undefined): { path: string; namedBy: string; scenario?: Scenario } {
  if (model !== undefined) return { path: model, namedBy: '--model' };
  if (trace.scenario === undefined || !existsSync(trace.scenario)) return { path: trace.model.path, namedBy: 'the trace' };
  const sc = loadScenario(trace.scenario);
  if (resolve(sc.modelPath) !== resolve(trace.model.path)) {
    throw new MmraceError(
      'E_TRACE_FORMAT',
      `the trace names model ${shown(trace.model.path)}, but its scenario ${shown(trace.scenario)} names ${shown(sc.modelPath)}`,
      'a trace is replayed on the model of its scenario: check again for a fresh trace, or choose the model with --model FILE',
    );
  }
  return { path: sc.modelPath, namedBy: `scenario ${shown(trace.scenario)}`, scenario: sc };
}

/** A path relative to the current folder when it lies under it. */
export function shown(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/**
 * What the schedule command of a replay checks: the trace's scenario, as the current
 * folder names it, when the model is the scenario's; else the model file (no parameters).
 */
export interface ReplayTarget {
  readonly file: string;
  readonly params: Readonly<Record<string, ParamValue>>;
}

export async function loadTraceAndModel(
  file: string,
  flags: Pick<ReplayFlags, 'model'>,
): Promise<{ trace: Trace; m: CompiledModel; namedBy: string; target: ReplayTarget }> {
  const trace = readTrace(file);
  const { path: modelPath, namedBy, scenario } = traceModel(trace, flags.model);
  const loaded = await loadModel(modelPath);
  const t = flags.model ? { ...trace, model: { ...trace.model, path: loaded.path } } : trace;
  const changed = hashSource(loaded.path) !== trace.model.sourceHash;
  if (changed) {
    const rel = relative(process.cwd(), loaded.path);
    const name = rel && !rel.startsWith('..') ? rel : loaded.path;
    warn(
      flags.model
        ? `the trace was recorded with another model file than ${name} (its SHA-256 differs from the trace's sourceHash): replaying it there best-effort`
        : `the model changed since the trace was recorded (${name} no longer has the trace's sourceHash): replaying best-effort`,
    );
  }
  const target: ReplayTarget = scenario !== undefined ? { file: shown(scenario.file), params: scenario.params } : { file: shown(loaded.path), params: {} };
  return { trace: t, m: compileFor(loaded.model, trace, file, changed), namedBy, target };
}

/** The model compiled with the trace's parameters; a parameter it refuses names the trace. */
function compileFor(model: CompiledModel['model'], trace: Trace, file: string, changed: boolean): CompiledModel {
  try {
    return new CompiledModel(model, trace.params);
  } catch (e) {
    if (!isMmraceError(e) || e.code !== 'E_PARAM') throw e;
    throw new MmraceError(
      'E_PARAM',
      `${file}: at params: ${e.message}`,
      changed ? 'the model changed since the trace was recorded; check the model again to get a fresh trace' : e.hint,
    );
  }
}

/**
 * The exit code of a replay: 1 when it ends in a violation (the recorded one, or another:
 * the output says which), 2 for a model error, and 2 when it runs to its end with no
 * violation: a trace records a violation or an error, and one that does not reproduce is
 * a model that is not deterministic (or a trace edited), never a clean result.
 */
export function replayExitCode(r: ReplayResult): number {
  if (r.kind === 'error') return EXIT.error;
  return r.reproduced || r.kind ? EXIT.violation : EXIT.error;
}

export async function runReplay(file: string, flags: ReplayFlags): Promise<number> {
  const { trace: t, m, namedBy, target } = await loadTraceAndModel(file, flags);
  const format = flags.json ? 'json' : (flags.format ?? 'text');
  return tellReplay(t, m, { name: file, trace: file, model: { path: shown(t.model.path), namedBy }, target }, format);
}

/** What `tellReplay` replays, and how to name it. */
export interface ReplaySubject {
  /** What the first line names: the trace file, or `schedule mm1.…`. */
  readonly name: string;
  /** The trace file (null for a schedule, which has none). */
  readonly trace: string | null;
  /** The model file, and who named it. */
  readonly model: { readonly path: string; readonly namedBy: string };
  /** What the schedule command checks. */
  readonly target: ReplayTarget;
  /** For a schedule: the command that replays it, which the reports name instead of a trace file. */
  readonly command?: string;
}

/**
 * Replays `t` on `m` and tells it in `format`: what `mmrace replay` does with a trace
 * file, and `mmrace check --schedule` with the trace a schedule stands for. After a
 * violation, the schedule command that replays it with no trace file. Returns the exit
 * code (`replayExitCode`).
 */
export function tellReplay(t: Trace, m: CompiledModel, what: ReplaySubject, format: Format): number {
  let r: ReplayResult;
  try {
    r = replay(t, m);
  } catch (e) {
    if (e instanceof TraceDiverged && e.partial.sourceChanged) return reportDrift(e, what.name, format);
    throw e;
  }
  const violated = r.kind === 'invariant' || r.kind === 'fault' || r.kind === 'deadlock';
  const again = violated ? reproduceOf(t, m, what.target.file, what.target.params) : null;
  if (format === 'lkml' || format === 'md' || format === 'html') {
    const story = storyOf(t, r, what.trace ?? what.name, m);
    const told = what.command !== undefined ? { ...story, replayCommand: what.command } : story;
    const attach = what.trace !== null ? attachmentOf(t, what.trace, again) : undefined;
    out(renderStory(told, format, attach).replace(/\n$/, ''));
  } else if (format === 'json') {
    out(
      JSON.stringify({
        ...r,
        verdict: r.kind ? (r.kind === 'error' ? 'error' : 'violation') : 'no-violation',
        ...(what.trace !== null ? { trace: what.trace } : {}),
        model: what.model,
        ...(again !== null ? { schedule: again.schedule, scheduleCommand: again.command } : {}),
      }),
    );
  } else {
    for (const line of formatReplay(r, what.name, what.model)) out(line);
    if (again !== null) out(oneLine(`schedule: ${again.command}`));
  }
  return replayExitCode(r);
}

/** The trace file `file` and the schedule command, for a report that attaches them. */
export function attachmentOf(t: Trace, file: string, again: Reproduce | null): Attachment {
  return { traceFile: file, traceJson: traceText(t, dirname(resolve(file))), ...(again !== null ? { scheduleCommand: again.command } : {}) };
}

/**
 * A replay on an edited model that parted from the trace: the steps that did replay and
 * where it diverged, then the error (exit 2). The reports (lkml, md, html) tell a whole
 * run, so they get the error alone.
 */
export function reportDrift(e: TraceDiverged, file: string, format: Format): number {
  if (format === 'json') {
    out(JSON.stringify({ ...e.partial, verdict: 'error', code: e.code, message: e.message, trace: file }));
  } else if (format === 'text') {
    for (const line of formatReplay(e.partial, file)) out(line);
  }
  err(formatError(e));
  return EXIT.error;
}
