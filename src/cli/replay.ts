/** `mmrace replay <trace.json>`: re-executes a trace and says whether it reproduces. */
import { CompiledModel } from '../model/compile.js';
import { loadModel } from '../model/load.js';
import { formatReplay } from '../report/text.js';
import { EXIT } from '../report/verdict.js';
import { replay, type ReplayResult } from '../trace/replay.js';
import { readTrace, type Trace } from '../trace/trace.js';
import { out } from './output.js';
import { renderStory, type Format } from '../report/render.js';
import { storyOf } from '../report/story.js';

export interface ReplayFlags {
  json?: boolean;
  model?: string;
  /** text (default), json (as --json), or a report: lkml, md, html. */
  format?: Format;
}

/**
 * Reads and validates a trace file and loads and compiles the model it names (or
 * `--model`), with the trace's parameters: what `replay` and `shrink` start from. With
 * `--model`, the returned trace names that model file.
 */
export async function loadTraceAndModel(file: string, flags: Pick<ReplayFlags, 'model'>): Promise<{ trace: Trace; m: CompiledModel }> {
  const trace = readTrace(file);
  const modelPath = flags.model ?? trace.model.path;
  const loaded = await loadModel(modelPath);
  const t = flags.model ? { ...trace, model: { ...trace.model, path: loaded.path } } : trace;
  return { trace: t, m: new CompiledModel(loaded.model, trace.params) };
}

/** The exit code of a replay: 1 when it ends in a violation, 2 for a model error, else 0. */
export function replayExitCode(r: ReplayResult): number {
  if (r.kind === 'error') return EXIT.error;
  return r.reproduced || r.kind ? EXIT.violation : EXIT.ok;
}

export async function runReplay(file: string, flags: ReplayFlags): Promise<number> {
  const { trace: t, m } = await loadTraceAndModel(file, flags);
  const r = replay(t, m);
  const format = flags.json ? 'json' : (flags.format ?? 'text');
  if (format === 'lkml' || format === 'md' || format === 'html') {
    out(renderStory(storyOf(t, r, file, m), format).replace(/\n$/, ''));
  } else if (format === 'json') {
    out(JSON.stringify({ ...r, verdict: r.kind ? (r.kind === 'error' ? 'error' : 'violation') : 'no-violation', trace: file }));
  } else {
    for (const line of formatReplay(r, file)) out(line);
  }
  return replayExitCode(r);
}
