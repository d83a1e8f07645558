/**
 * `mmrace explain <trace.json> --format text|lkml|md|html|json`: a trace told for people
 * (the race diagram of kernel mail, a Markdown report for issue trackers, an HTML
 * timeline) or as the trace format itself. The trace is replayed on its model to know
 * what each step changed.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { MmraceError } from '../errors.js';
import { checkOutputFile } from '../files.js';
import type { Format } from '../report/formats.js';
import { renderStory } from '../report/render.js';
import { buildStory } from '../report/story.js';
import { formatReplay } from '../report/text.js';
import { TraceDiverged, replay, type ReplayResult } from '../trace/replay.js';
import type { Trace } from '../trace/trace.js';
import { loadTraceAndModel, reportDrift } from './replay.js';
import { out } from './output.js';

export interface ExplainFlags {
  format?: Format;
  out?: string;
  model?: string;
}

/** The trace as JSON, its model path relative to `dir` (where the output goes). */
export function traceJson(trace: Trace, dir: string): string {
  const rel = relative(dir, trace.model.path).split(sep).join('/');
  return JSON.stringify({ ...trace, model: { ...trace.model, path: rel } }, null, 2) + '\n';
}

/** Writes `text` to `file`, or to stdout without one. */
export function emit(text: string, file: string | undefined): void {
  if (file === undefined) {
    out(text.endsWith('\n') ? text.slice(0, -1) : text);
    return;
  }
  checkOutputFile(file, '');
  try {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text);
  } catch (e) {
    throw new MmraceError('E_IO', `cannot write ${file}: ${(e as Error).message}`);
  }
}

export async function runExplain(file: string, flags: ExplainFlags): Promise<number> {
  const format = flags.format ?? 'text';
  const { trace, m } = await loadTraceAndModel(file, flags);
  if (format === 'json') {
    emit(traceJson(trace, flags.out !== undefined ? dirname(resolve(flags.out)) : process.cwd()), flags.out);
    return 0;
  }
  if (format === 'text') {
    let r: ReplayResult;
    try {
      r = replay(trace, m);
    } catch (e) {
      // An edited model: the steps that still replay, and where it parted from the trace.
      if (e instanceof TraceDiverged && e.partial.sourceChanged && flags.out === undefined) return reportDrift(e, file, 'text');
      throw e;
    }
    emit(formatReplay(r, file).join('\n'), flags.out);
    return 0;
  }
  emit(renderStory(buildStory(trace, m, file), format), flags.out);
  if (flags.out !== undefined) out(`${format} report written to ${flags.out}`);
  return 0;
}
