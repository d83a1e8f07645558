/** `mmrace replay <trace.json>`: re-executes a trace and says whether it reproduces. */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { MmraceError, isMmraceError } from '../errors.js';
import { CompiledModel } from '../model/compile.js';
import { loadModel } from '../model/load.js';
import { loadScenario } from '../run/scenario.js';
import { formatReplay } from '../report/text.js';
import { EXIT } from '../report/verdict.js';
import { TraceDiverged, replay, type ReplayResult } from '../trace/replay.js';
import { hashSource } from '../model/load.js';
import { readTrace, type Trace } from '../trace/trace.js';
import { err, formatError, out, warn } from './output.js';
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
export function traceModel(trace: Trace, model: string | undefined): { path: string; namedBy: string } {
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
  return { path: sc.modelPath, namedBy: `scenario ${shown(trace.scenario)}` };
}

/** A path relative to the current folder when it lies under it. */
function shown(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

export async function loadTraceAndModel(file: string, flags: Pick<ReplayFlags, 'model'>): Promise<{ trace: Trace; m: CompiledModel; namedBy: string }> {
  const trace = readTrace(file);
  const { path: modelPath, namedBy } = traceModel(trace, flags.model);
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
  return { trace: t, m: compileFor(loaded.model, trace, file, changed), namedBy };
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
  const { trace: t, m, namedBy } = await loadTraceAndModel(file, flags);
  const model = { path: shown(t.model.path), namedBy };
  const format = flags.json ? 'json' : (flags.format ?? 'text');
  let r: ReplayResult;
  try {
    r = replay(t, m);
  } catch (e) {
    if (e instanceof TraceDiverged && e.partial.sourceChanged) return reportDrift(e, file, format);
    throw e;
  }
  if (format === 'lkml' || format === 'md' || format === 'html') {
    out(renderStory(storyOf(t, r, file, m), format).replace(/\n$/, ''));
  } else if (format === 'json') {
    out(JSON.stringify({ ...r, verdict: r.kind ? (r.kind === 'error' ? 'error' : 'violation') : 'no-violation', trace: file, model }));
  } else {
    for (const line of formatReplay(r, file, model)) out(line);
  }
  return replayExitCode(r);
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
