/**
 * `mmrace explain <trace.json> --format text|lkml|md|html|json`: a trace told for people
 * (the race diagram of kernel mail, a Markdown report for issue trackers, an HTML
 * timeline) or as the trace format itself. The trace is replayed on its model to know
 * what each step changed.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MmraceError } from '../errors.js';
import { checkOutputFile } from '../files.js';
import type { Format } from '../report/formats.js';
import { renderStory } from '../report/render.js';
import { buildStory } from '../report/story.js';
import { formatReplay } from '../report/text.js';
import { TraceDiverged, replay, type ReplayResult } from '../trace/replay.js';
import { attachmentOf, loadTraceAndModel, reportDrift } from './replay.js';
import { reproduceOf } from '../report/reproduce.js';
import { traceText, type Trace } from '../trace/trace.js';
import { out } from './output.js';

export interface ExplainFlags {
  format?: Format;
  out?: string;
  model?: string;
}

/** The trace as JSON, its model and scenario paths relative to `dir` (where the output goes). */
export function traceJson(trace: Trace, dir: string): string {
  return traceText(trace, dir);
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
  const { trace, m, target } = await loadTraceAndModel(file, flags);
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
  // The md and html reports carry the trace file and its schedule: the report alone reproduces the run.
  const story = buildStory(trace, m, file);
  const violated = story.end.kind === 'invariant' || story.end.kind === 'fault' || story.end.kind === 'deadlock';
  const attach = attachmentOf(trace, file, violated ? reproduceOf(trace, m, target.file, target.params) : null);
  emit(renderStory(story, format, attach), flags.out);
  if (flags.out !== undefined) out(`${format} report written to ${flags.out}`);
  return 0;
}
