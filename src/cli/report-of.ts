/**
 * `check --format lkml|md|html`: the counterexample told as a report, or for a result
 * without one, its headline and figures in the same format.
 */
import type { CompiledModel } from '../model/compile.js';
import { esc } from '../report/html.js';
import { plain } from '../report/lkml.js';
import { mdText } from '../report/markdown.js';
import { renderStory } from '../report/render.js';
import type { Attachment } from '../report/reproduce.js';
import { buildStory } from '../report/story.js';
import type { CheckResult } from '../report/verdict.js';

export function reportOf(r: CheckResult, m: CompiledModel, traceFile: string | null, format: 'lkml' | 'md' | 'html', summary: readonly string[], attach?: Attachment): string {
  // A model that is not deterministic (E_NONDETERMINISTIC): its trace does not replay as
  // recorded, so it is told by its headline; `mmrace replay` shows what the trace does now.
  if (r.trace !== undefined && r.code !== 'E_NONDETERMINISTIC') return renderStory(buildStory(r.trace, m, traceFile ?? 'trace.json'), format, attach).replace(/\n$/, '');
  const [head = '', ...rest] = summary;
  switch (format) {
    case 'lkml':
      return summary.map(plain).join('\n');
    case 'md':
      return [`## ${mdText(head)}`, '', ...rest.map((l) => `- ${mdText(l)}`)].join('\n');
    case 'html':
      return [
        '<!DOCTYPE html>',
        `<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
        `<title>mmrace: ${esc(head)}</title></head>`,
        `<body><h1>${esc(head)}</h1><ul>${rest.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></body></html>`,
      ].join('\n');
  }
}
