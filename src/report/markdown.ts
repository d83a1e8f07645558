/**
 * The Markdown report of a counterexample, for issue trackers: the verdict, what was
 * checked, the race diagram, the steps with the slots they changed, how the run ended, and
 * the command that replays it. Model strings are escaped wherever they land, so that a
 * hostile label can neither break the table, nor inject HTML, nor make a link.
 */
import { match } from 'ts-pattern';
import { choiceText, lkml, plain } from './lkml.js';
import type { Attachment } from './reproduce.js';
import type { Story, StoryStep } from './story.js';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * A model string as Markdown inline text, also inside a GFM table cell: on one line (see
 * `plain`), with `&`, `<` and `>` as entities (no HTML, no autolink in angle brackets),
 * and a backslash before every character that could start emphasis, a code span, a link,
 * math or a strikethrough, or end a cell (backslash, backtick, `*`, `_`, `[`, `]`, `|`,
 * `~`, `$`, `@`); the `:` of `://` and the `.` of `www.` are escaped too, or GFM would
 * turn a bare URL into a link.
 */
export function mdText(s: string): string {
  return plain(s)
    .replace(/[&<>]/g, (c) => ENTITIES[c]!)
    .replace(/[\\`*_[\]|~$@]/g, '\\$&')
    .replace(/:(?=\/\/)/g, '\\:')
    .replace(/(www)\./gi, '$1\\.');
}

/** A code block of `body`, fenced with more backticks than any run of them inside it, so that nothing in it can close the block. */
export function fenced(body: string, info = ''): string {
  let longest = 0;
  for (const run of body.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${body.endsWith('\n') ? body : body + '\n'}${fence}`;
}

/** The heading: the verdict the replay gives. */
function title(end: Story['end']): string {
  const property = mdText(end.property ?? '');
  const what = match(end.kind)
    .with('invariant', 'fault', () => `VIOLATION of ${property}`)
    .with('deadlock', () => 'VIOLATION: deadlock')
    .with('error', () => `MODEL ERROR ${property}`)
    .with('none', () => 'NOT REPRODUCED: no violation')
    .exhaustive();
  if (end.notRun) return `${what} (the stopped step is not run again)`;
  return end.reproduced || end.kind === 'none' ? what : `${what} (not the recorded one)`;
}

function paramsText(params: Story['params']): string {
  const parts = Object.entries(params).map(([k, v]) => `${mdText(k)}=${mdText(String(v))}`);
  return parts.length ? parts.join(', ') : '(none)';
}

/** A table row: number, actor, the step (its choice and fault), and each slot it changed. */
function stepRow(s: StoryStep, story: Story): string {
  const actor = mdText(story.actors[s.column]?.name ?? '?');
  // The choices by value when the replay recorded them (`page 1, store`), else the indices.
  const choice = s.values?.length ? ` (${mdText(choiceText(s))})` : s.choice?.length ? ` choice ${s.choice.join(',')}` : '';
  const said = [...(s.notes ?? []), ...(s.asides ?? []).map((a) => `${[...story.actors.map((x) => x.name), ...(story.parties ?? [])][a.column] ?? '?'}: ${a.text}`)];
  const notes = said.length ? `: ${mdText(said.join('; '))}` : '';
  const doc = s.doc !== undefined ? `<br>*${mdText(s.doc)}*` : '';
  const fault = s.fault ? ` → **fault ${mdText(s.fault.property)}**` : '';
  const changes = s.changes.map((c) => `${mdText(c.slot)}: ${mdText(c.from)} → ${mdText(c.to)}`).join('<br>');
  return `| ${s.n} | ${actor} | ${mdText(s.label)}${choice}${notes}${doc}${fault} | ${changes} |`;
}

/** How the run ended, in a sentence, and the notes a reader needs before trusting it. */
function outcome(story: Story): string[] {
  const { end } = story;
  const last = story.steps.length;
  const property = mdText(end.property ?? '');
  const message = mdText(end.message ?? '');
  const lines = [
    match(end.kind)
      .with('invariant', () => `**Outcome:** after step ${last}, the invariant ${property} does not hold: ${message}`)
      .with('fault', () => `**Outcome:** step ${last} raised the fault ${property}: ${message}`)
      .with('deadlock', () => `**Outcome:** deadlock after step ${last}: ${message}`)
      .with('error', () => `**Outcome:** the model failed with ${property} at step ${last}: ${message}`)
      .with('none', () => '**Outcome:** the schedule runs to its end with no violation.')
      .exhaustive(),
  ];
  if (!end.reproduced) {
    lines.push('', '**Note:** the replay did not reproduce the violation the trace recorded.');
  }
  if (story.sourceChanged) {
    lines.push('', '**Note:** the model source changed since the trace was recorded; this is its replay on the current source.');
  }
  return lines;
}

/** The Markdown report of `story`, ending with a newline. */
export function markdown(story: Story, attach?: Attachment): string {
  const lines = [
    `## ${title(story.end)}`,
    '',
    ...(story.scenario !== undefined ? [`- **scenario:** ${mdText(story.scenario)}`] : []),
    `- **model:** ${mdText(story.model)}`,
    `- **parameters:** ${paramsText(story.params)}`,
    '',
    fenced(lkml(story), 'text'),
    '',
    '| # | actor | step | slots changed |',
    '|--:|---|---|---|',
    ...story.steps.map((s) => stepRow(s, story)),
    '',
    ...outcome(story),
    '',
    ...(attach === undefined ? ['Replay:', '', fenced(story.replayCommand, 'sh')] : attachment(story, attach)),
  ];
  return lines.join('\n') + '\n';
}

/**
 * How to reproduce the run from this report alone: the replay command, the trace file it
 * names (attached, collapsed), and the schedule command, which needs no file.
 */
function attachment(story: Story, attach: Attachment): string[] {
  return [
    `Replay: the trace file this command names, ${mdText(attach.traceFile)}, is attached below as *trace (JSON)*: save it under that name, then run:`,
    '',
    fenced(story.replayCommand, 'sh'),
    '',
    ...(attach.scheduleCommand !== undefined ? ['Or replay its schedule, with no trace file:', '', fenced(attach.scheduleCommand, 'sh'), ''] : []),
    '<details><summary>trace (JSON)</summary>',
    '',
    fenced(attach.traceJson, 'json'),
    '',
    '</details>',
  ];
}
