/**
 * The HTML report of a counterexample: one self-contained file to attach to a bug report
 * or keep as a CI artifact. A header with the verdict, the run's facts and the command
 * that replays it; a swimlane timeline (inline SVG) with one lane per actor instance and
 * one mark per step; a state panel with the whole state after the selected step and what
 * that step changed; and the steps as a list, so that the page reads and prints without
 * its script.
 *
 * Nothing is loaded from anywhere and a Content-Security-Policy says so; the one script
 * that may run is the one below, allowed by its hash rather than by 'unsafe-inline', so a
 * model string that slipped through escaping still could not run. Every model string
 * (actor names, labels, slot paths, values, messages) is escaped where it lands: in
 * markup by `esc`, in the embedded story by `scriptJson`.
 */
import { createHash } from 'node:crypto';
import { match } from 'ts-pattern';
import type { Attachment } from './reproduce.js';
import type { Story, StoryStep } from './story.js';
import { choiceText } from './lkml.js';

/** Escapes text for HTML text and quoted attribute values alike. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` element: no `<` may appear, or a
 * `</script>` (or `<!--`) in a model string would end the element; U+2028 and U+2029 are
 * escaped too, for readers that treat the data as a JavaScript literal.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Geometry of the timeline in SVG units (CSS pixels at 100%). Labels are set in 12px
 * monospace, about 7.3 units a character, so a character count fixes a width.
 */
const G = {
  laneW: 240,
  headH: 34,
  rowH: 48,
  /** Inset of a mark inside its lane and row. */
  pad: 6,
  /** Where a step's label starts inside its mark, after the step number. */
  labelX: 34,
  charW: 7.3,
} as const;

/** The characters of label that fit on one line of `width` units. */
const charsIn = (width: number): number => Math.max(4, Math.floor(width / G.charW));

/**
 * Splits `s` into at most `lines` lines of at most `width` characters, breaking after a
 * `:`, space, comma or `(` when one is near the end of the line, so `contpte_convert:xchg`
 * breaks at its call boundary; text left out is marked by a final `…` (the full text is
 * always in the mark's <title>). Counts code points, so no surrogate pair is cut.
 */
export function wrap(s: string, width: number, lines: number): string[] {
  const cs = Array.from(s);
  const out: string[] = [];
  let i = 0;
  while (i < cs.length && out.length < lines) {
    let end = Math.min(cs.length, i + width);
    if (end < cs.length) {
      for (let j = end; j > i + width / 2; j--) {
        if (/[:\s,(]/.test(cs[j - 1]!)) {
          end = j;
          break;
        }
      }
    }
    out.push(cs.slice(i, end).join('').trimEnd());
    i = end;
    while (i < cs.length && /\s/.test(cs[i]!)) i++;
  }
  if (i < cs.length && out.length > 0) {
    const last = Array.from(out[out.length - 1]!);
    out[out.length - 1] = last.slice(0, width - 1).join('') + '…';
  }
  return out;
}

/**
 * The step to highlight as the violation: the one that raised the fault; for an
 * invariant or a deadlock, the last step, whose state is the violating one (0, the
 * initial state, when there is no step). A model error happened in a step the story does
 * not hold, and a run with no violation has nothing to highlight: null then.
 */
export function violatingStep(story: Story): number | null {
  return match(story.end.kind)
    .with('fault', () => story.steps.find((s) => s.fault)?.n ?? null)
    .with('invariant', 'deadlock', () => story.steps.length)
    .with('error', 'none', () => null)
    .exhaustive();
}

/** The headline and the sentence under it. */
function verdict(story: Story): { head: string; detail: string } {
  const { end } = story;
  const n = story.steps.length;
  const after = n === 0 ? 'in the initial state' : `in the state after step ${n}`;
  return match(end.kind)
    .with('fault', () => ({
      head: `VIOLATION of ${end.property ?? 'a fault'}`,
      detail: `step ${violatingStep(story) ?? n} raised a fault: ${end.message ?? ''}`,
    }))
    .with('invariant', () => ({ head: `VIOLATION of ${end.property ?? 'an invariant'}`, detail: `${end.message ?? ''} ${after}` }))
    .with('deadlock', () => ({ head: 'DEADLOCK', detail: `${end.message ?? 'no step is enabled'} ${after}` }))
    .with('error', () => ({ head: `MODEL ERROR ${end.property ?? ''}`.trim(), detail: `step ${n + 1} failed: ${end.message ?? ''}` }))
    .with('none', () => ({ head: 'NO VIOLATION', detail: `the schedule runs to its end (${n} steps) with no violation` }))
    .exhaustive();
}

/** What the state panel says about the state after step `n`, besides its diff. */
function noteFor(story: Story, n: number): string {
  const step = story.steps[n - 1];
  if (step?.fault) return `FAULT ${step.fault.property}: ${step.fault.message}`;
  if (n !== story.steps.length) return '';
  const { end } = story;
  return match(end.kind)
    .with('invariant', () => `VIOLATION of ${end.property ?? 'an invariant'}: ${end.message ?? ''} in this state`)
    .with('deadlock', () => `DEADLOCK: ${end.message ?? 'no step is enabled'} in this state`)
    .with('error', () => `the next step failed with model error ${end.property ?? ''}: ${end.message ?? ''}`)
    .with('fault', 'none', () => '')
    .exhaustive();
}

/** The short text of the final state's mark (its <title> has the whole note). */
function finalLabel(story: Story): string {
  const { end } = story;
  return match(end.kind)
    .with('invariant', () => `final state: violates ${end.property ?? 'an invariant'}`)
    .with('deadlock', () => 'final state: deadlock, no step enabled')
    .with('error', () => `next step: model error ${end.property ?? ''}`)
    .with('fault', 'none', () => 'final state')
    .exhaustive();
}

const actorName = (story: Story, s: StoryStep): string => story.actors[s.column]?.name ?? `#${s.column}`;

/** The heading of the state panel for step `n` (0: the initial state). */
function panelTitle(story: Story, n: number): string {
  const s = story.steps[n - 1];
  return s ? `After step ${s.n} · ${actorName(story, s)} · ${s.label}` : 'Initial state';
}

/**
 * The slots some step of the trace changes: what the state panel shows by default (the
 * others keep their initial value all along, and show with "all slots").
 */
export function varyingSlots(story: Story): Set<string> {
  return new Set(story.steps.flatMap((s) => s.changes.map((c) => c.slot)));
}

/** The whole state after step `n`: the initial state with the changes of steps 1..n. */
function stateAfter(story: Story, n: number): { slot: string; value: string }[] {
  const state = new Map(story.initial.map((x) => [x.slot, x.value]));
  for (const s of story.steps.slice(0, n)) for (const c of s.changes) state.set(c.slot, c.to);
  return [...state].map(([slot, value]) => ({ slot, value }));
}

const attrs = (a: Record<string, string | number>): string =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join('');

/** The label's lines as <tspan>s, set in the middle of a mark `h` high whose top is `y`. */
function labelText(lines: string[], x: number, y: number, h: number): string {
  const lineH = 15;
  const first = y + h / 2 + 4 - ((lines.length - 1) * lineH) / 2;
  const spans = lines.map((l, i) => `<tspan${attrs({ x, y: first + i * lineH })}>${esc(l)}</tspan>`).join('');
  return `<text class="label">${spans}</text>`;
}

/**
 * A selectable mark: a focusable button-like group carrying the panel heading and note
 * for its step, so the script needs only the story's data besides them.
 */
function markGroup(story: Story, n: number, cls: string, title: string, body: string, selected: boolean): string {
  const note = noteFor(story, n);
  const a: Record<string, string | number> = { class: selected ? `${cls} selected` : cls, 'data-step': n, 'data-title': panelTitle(story, n), tabindex: 0, role: 'button' };
  if (note) a['data-note'] = note;
  if (selected) a['aria-current'] = 'step';
  return `<g${attrs(a)}><title>${esc(title)}</title>${body}</g>`;
}

/** What a step noted (`c.note`): about itself, then what other parties did (`Xen: ...`). */
function stepNotes(story: Story, s: StoryStep): string[] {
  const columns = [...story.actors.map((a) => a.name), ...(story.parties ?? [])];
  return [...(s.notes ?? []), ...(s.asides ?? []).map((a) => `${columns[a.column] ?? '?'}: ${a.text}`)];
}

/** The full text of a step, for its <title>: who, what, which choice, what it changed. */
function stepTitle(story: Story, s: StoryStep): string {
  const choice = s.values?.length ? ` (${choiceText(s)})` : s.choice?.length ? ` (choice ${s.choice.join(',')})` : '';
  const lines = [`${s.n}. ${actorName(story, s)}: ${s.label}${choice}`];
  if (s.doc !== undefined) lines.push(s.doc);
  for (const n of stepNotes(story, s)) lines.push(n);
  for (const c of s.changes) lines.push(`${c.slot}: ${c.from} → ${c.to}`);
  if (s.fault) lines.push(`FAULT ${s.fault.property}: ${s.fault.message}`);
  return lines.join('\n');
}

/**
 * The swimlane timeline: lanes side by side, time going down, as the kernel's own race
 * diagrams are drawn; a row for the initial state, one per step, and one for the final
 * state when the run ended in it (an invariant, a deadlock, a model error). The mark of
 * step `shown` starts selected.
 */
function timeline(story: Story, shown: number): string {
  const lanes = Math.max(1, story.actors.length);
  const width = lanes * G.laneW;
  const bad = violatingStep(story);
  const ended = story.end.kind === 'invariant' || story.end.kind === 'deadlock' || story.end.kind === 'error';
  const finalNote = ended ? noteFor(story, story.steps.length) : '';
  const rows = 1 + story.steps.length + (finalNote ? 1 : 0);
  const height = G.headH + rows * G.rowH;
  const rowTop = (r: number) => G.headH + r * G.rowH;
  const markH = G.rowH - 2 * G.pad;
  const out: string[] = [];
  out.push(
    `<svg id="timeline" xmlns="http://www.w3.org/2000/svg"${attrs({ width, height, viewBox: `0 0 ${width} ${height}` })} role="group" aria-label="Timeline: one lane per actor, one mark per step; select a mark to see the state after it">`,
  );
  story.actors.forEach((a, i) => {
    const x = i * G.laneW;
    const label = wrap(a.name, charsIn(G.laneW - 2 * G.pad), 1)[0] ?? '';
    out.push(
      `<g${attrs({ class: 'lane', 'data-column': i })}><title>${esc(a.name)}</title>` +
        `<rect${attrs({ class: 'lane-bg', x, y: 0, width: G.laneW, height })}/>` +
        `<text${attrs({ class: 'lane-label', x: x + G.laneW / 2, y: 22 })}>${esc(label)}</text></g>`,
    );
  });
  const wide = (r: number, cls: string, n: number, title: string, text: string, selected: boolean): string => {
    const w = width - 2 * G.pad;
    const lines = wrap(text, charsIn(w - 20), 2);
    const body = `<rect${attrs({ x: G.pad, y: rowTop(r) + G.pad, width: w, height: markH, rx: 4 })}/>` + labelText(lines, G.pad + 10, rowTop(r) + G.pad, markH);
    return markGroup(story, n, cls, title, body, selected);
  };
  out.push(wide(0, `initial${bad === 0 ? ' violating' : ''}`, 0, 'Initial state', 'initial state', shown === 0));
  for (const s of story.steps) {
    const x = s.column * G.laneW + G.pad;
    const y = rowTop(s.n) + G.pad;
    const w = G.laneW - 2 * G.pad;
    const lines = wrap(s.label, charsIn(w - G.labelX - G.pad), 2);
    const body =
      `<rect${attrs({ x, y, width: w, height: markH, rx: 4 })}/>` +
      `<text${attrs({ class: 'n', x: x + 8, y: y + markH / 2 + 4 })}>${s.n}</text>` +
      labelText(lines, x + G.labelX, y, markH);
    out.push(markGroup(story, s.n, `mark${s.n === bad ? ' violating' : ''}`, stepTitle(story, s), body, s.n === shown));
  }
  if (finalNote) out.push(wide(rows - 1, 'final', story.steps.length, `Final state: ${finalNote}`, finalLabel(story), false));
  out.push('</svg>');
  return out.join('\n');
}

/** The state panel as it stands for step `n`; the script redraws the same structure. */
function panel(story: Story, n: number): string {
  const step = story.steps[n - 1];
  const note = noteFor(story, n);
  const changed = new Set(step?.changes.map((c) => c.slot) ?? []);
  const diff = step
    ? step.changes.length
      ? step.changes.map((c) => `<li><code>${esc(`${c.slot}: ${c.from} → ${c.to}`)}</code></li>`).join('')
      : '<li class="none">no slot changed</li>'
    : '<li class="none">the state before any step</li>';
  const state = stateAfter(story, n);
  // Changed only, by default: the slots no step changes are hidden (by CSS, so the
  // checkbox shows them with or without the script), unless no step changes any.
  const varying = varyingSlots(story);
  const hidden = varying.size > 0 ? state.filter((x) => !varying.has(x.slot)).length : 0;
  const rowClass = (slot: string): string => [changed.has(slot) ? 'changed' : '', hidden > 0 && !varying.has(slot) ? 'constant' : ''].filter((c) => c).join(' ');
  const rows = state
    .map((x) => `<tr${rowClass(x.slot) ? ` class="${rowClass(x.slot)}"` : ''}><th scope="row">${esc(x.slot)}</th><td>${esc(x.value)}</td></tr>`)
    .join('\n');
  const toggle =
    hidden > 0
      ? `<input type="checkbox" id="show-all"><label for="show-all" id="show-all-label">show all ${state.length} slots (${hidden} that no step changes ${hidden === 1 ? 'is' : 'are'} hidden)</label>\n`
      : '';
  return `<aside id="panel" aria-live="polite">
<h2 id="panel-title">${esc(panelTitle(story, n))}</h2>
<p id="panel-note" class="note"${note ? '' : ' hidden'}>${esc(note)}</p>
<h3>Changed by this step</h3>
<ul id="diff">${diff}</ul>
<h3>State</h3>
${toggle}<table id="state"><thead><tr><th scope="col">slot</th><th scope="col">value</th></tr></thead><tbody>
${rows}
</tbody></table>
</aside>`;
}

/** The steps as text, like the terminal's report: for print and for reading without the script. */
function stepList(story: Story): string {
  const bad = violatingStep(story);
  const items = story.steps.map((s) => {
    const choice = s.values?.length
      ? ` <span class="choice">${esc(choiceText(s))}</span>`
      : s.choice?.length
        ? ` <span class="choice">choice ${esc(s.choice.join(','))}</span>`
        : '';
    const said = [...(s.doc !== undefined ? [s.doc] : []), ...stepNotes(story, s)].map((n) => `<p class="note">${esc(n)}</p>`).join('');
    const changes = s.changes.map((c) => `<li><code>${esc(`${c.slot}: ${c.from} → ${c.to}`)}</code></li>`).join('');
    const fault = said + (s.fault ? `<p class="note">${esc(`FAULT ${s.fault.property}: ${s.fault.message}`)}</p>` : '');
    return (
      `<li value="${s.n}"${s.n === bad ? ' class="violating"' : ''}><span class="who">${esc(actorName(story, s))}</span> ` +
      `<code>${esc(s.label)}</code>${choice}${changes ? `<ul>${changes}</ul>` : ''}${fault}</li>`
    );
  });
  const end = story.end.kind !== 'fault' && story.end.kind !== 'none' ? `<p class="note">${esc(noteFor(story, story.steps.length))}</p>` : '';
  return `<section id="steps"><h2>Steps</h2><ol>\n${items.join('\n')}\n</ol>${end}</section>`;
}

/**
 * The trace file the replay command names, whole, for the reader to save under that name:
 * element text, its `&`, `<` and `>` written as references, so that no string in it
 * (`</pre>`, `<script>`) can become markup.
 */
function traceSection(attach: Attachment): string {
  return `<section id="trace"><h2>Trace file</h2>
<p>Save this as <code>${esc(attach.traceFile)}</code> to replay it with the command above.</p>
<details><summary>trace (JSON)</summary><pre id="mmrace-trace">${attach.traceJson.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`)}</pre></details>
</section>
`;
}

/** The header: what was found, on what, and how to see it again. */
function header(story: Story, attach?: Attachment): string {
  const v = verdict(story);
  const params = Object.entries(story.params).map(([k, val]) => `<code>${esc(`${k}=${String(val)}`)}</code>`);
  const facts: [string, string][] = [];
  if (story.scenario !== undefined) facts.push(['scenario', esc(story.scenario)]);
  facts.push(['model', esc(story.model)]);
  facts.push(['parameters', params.length ? params.join(' ') : '(no parameters)']);
  facts.push(['steps', `${story.steps.length} by ${story.actors.length} actor${story.actors.length === 1 ? '' : 's'}`]);
  facts.push(['replay', `<code id="replay">${esc(story.replayCommand)}</code>`]);
  if (attach !== undefined) {
    facts.push(['trace file', `${esc(attach.traceFile)}, the file the replay command names: attached below, under “trace (JSON)”`]);
    if (attach.scheduleCommand !== undefined) facts.push(['schedule', `<code id="schedule">${esc(attach.scheduleCommand)}</code> (replays it with no trace file)`]);
  }
  const warnings: string[] = [];
  if (story.end.notRun) warnings.push('the replay ends at the state the stopped step ran from; that step is not run again');
  else if (!story.end.reproduced && story.end.kind !== 'none') warnings.push('the trace did not end as recorded when it was replayed');
  if (story.sourceChanged) warnings.push('the model source changed since the trace was recorded; this is a replay on the new one');
  return `<header>
<p class="tool">mmrace counterexample</p>
<h1 id="verdict" class="kind-${story.end.kind}">${esc(v.head)}</h1>
<p id="message">${esc(v.detail)}</p>
${warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join('\n')}
<dl class="facts">
${facts.map(([k, val]) => `<dt>${k}</dt><dd>${val}</dd>`).join('\n')}
</dl>
</header>`;
}

const STYLE = `
:root { color-scheme: light; --bad: #b3261e; --bad-bg: #fdecea; --hi: #fff2b3; --sel: #1a5fb4; --line: #c8c8c8; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 1rem 1.5rem; font: 15px/1.45 system-ui, sans-serif; color: #1d1d1d; background: #fff; }
code, table, svg text { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; }
code { font-size: 13px; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: 0.1rem 0; }
h1.kind-fault, h1.kind-invariant, h1.kind-deadlock, h1.kind-error { color: var(--bad); }
h2 { font-size: 1.15rem; margin: 0.2rem 0 0.6rem; }
h3 { font-size: 0.95rem; margin: 0.8rem 0 0.3rem; }
.tool { margin: 0; color: #666; font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.05em; }
#message { margin: 0.2rem 0 0.6rem; overflow-wrap: anywhere; }
.warn { background: #fff4d6; border-left: 4px solid #d08c00; padding: 0.3rem 0.6rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0 0 1rem; }
.facts dt { color: #555; }
.facts dd { margin: 0; }
.facts code { background: #f3f3f3; padding: 0 0.25rem; border-radius: 3px; margin-right: 0.2rem; display: inline-block; }
main { display: grid; grid-template-columns: max-content minmax(22rem, 1fr); gap: 1.5rem; align-items: start; }
#lanes { overflow-x: auto; max-width: 100%; }
.hint { color: #666; font-size: 0.85rem; margin: 0 0 0.5rem; }
svg text { font-size: 12px; white-space: pre; fill: #1d1d1d; }
.lane-bg { fill: #f7f7f9; stroke: var(--line); stroke-width: 1; }
.lane:nth-of-type(2n) .lane-bg { fill: #eef1f6; }
.lane-label { font-weight: bold; text-anchor: middle; }
[data-step] { cursor: pointer; outline: none; }
[data-step] rect { fill: #fff; stroke: #6b7280; stroke-width: 1; }
[data-step]:hover rect { fill: #f0f6ff; }
.initial rect, .final rect { stroke-dasharray: 4 3; }
.n { font-weight: bold; fill: #555; }
.violating rect, .final rect { fill: var(--bad-bg); stroke: var(--bad); stroke-width: 2.5; }
.violating text, .final text { fill: var(--bad); }
[data-step].selected { filter: drop-shadow(0 0 2px var(--sel)); }
[data-step].selected:not(.violating) rect { stroke: var(--sel); stroke-width: 2.5; }
[data-step]:focus-visible rect { stroke: var(--sel); stroke-width: 3; stroke-dasharray: none; }
#panel { position: sticky; top: 0.5rem; max-height: calc(100vh - 1rem); overflow: auto; border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.9rem; }
#panel-title { overflow-wrap: anywhere; }
.note { color: var(--bad); font-weight: 600; overflow-wrap: anywhere; }
#diff, #steps ul { margin: 0; padding-left: 1.2rem; }
#diff .none { list-style: none; margin-left: -1.2rem; color: #666; }
#state { border-collapse: collapse; width: 100%; font-size: 13px; }
#state th, #state td { text-align: left; padding: 0.05rem 0.5rem; border-bottom: 1px solid #eee; overflow-wrap: anywhere; }
#state thead th { border-bottom: 1px solid var(--line); font-family: system-ui, sans-serif; }
#state tbody th { font-weight: normal; }
#state tr.changed { background: var(--hi); font-weight: bold; }
#state tr.constant { display: none; }
#show-all:checked ~ #state tr.constant { display: table-row; color: #555; }
#show-all-label { font-size: 0.85rem; color: #555; margin-left: 0.3rem; }
#steps, #trace { margin-top: 1.5rem; }
#mmrace-trace { font-size: 12px; background: #f7f7f9; padding: 0.5rem; overflow-x: auto; }
#steps > ol > li { margin: 0.3rem 0; }
#steps li.violating { color: var(--bad); }
.who { font-weight: bold; }
.choice { color: #666; font-size: 0.85rem; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } #panel { position: static; max-height: none; } }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  main { display: block; }
  #panel { position: static; max-height: none; overflow: visible; border: none; padding: 0; margin-top: 1rem; }
  #lanes { overflow: visible; }
  .hint { display: none; }
  svg, tr, #steps li { break-inside: avoid; }
}
`;

/**
 * The one script: redraws the state panel for the selected mark from the embedded story
 * (the initial state plus every change up to the step) and moves the selection with
 * Enter/Space and the arrow keys. It builds nodes with textContent only, so model
 * strings can never become markup in the browser either.
 */
const SCRIPT = `
(() => {
  'use strict';
  const story = JSON.parse(document.getElementById('story').textContent);
  const marks = Array.from(document.querySelectorAll('#timeline [data-step]'));
  const node = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const varying = new Set(story.steps.flatMap((s) => s.changes.map((c) => c.slot)));
  const hides = document.getElementById('show-all') !== null;
  const stateAfter = (n) => {
    const state = new Map(story.initial.map((x) => [x.slot, x.value]));
    for (const s of story.steps.slice(0, n)) for (const c of s.changes) state.set(c.slot, c.to);
    return state;
  };
  const show = (mark) => {
    const n = Number(mark.getAttribute('data-step'));
    const step = story.steps[n - 1];
    for (const m of marks) {
      const on = m === mark;
      m.classList.toggle('selected', on);
      if (on) m.setAttribute('aria-current', 'step'); else m.removeAttribute('aria-current');
    }
    document.getElementById('panel-title').textContent = mark.getAttribute('data-title');
    const note = document.getElementById('panel-note');
    note.textContent = mark.getAttribute('data-note') || '';
    note.hidden = !mark.hasAttribute('data-note');
    const diff = step
      ? step.changes.map((c) => { const li = node('li'); li.append(node('code', c.slot + ': ' + c.from + ' \\u2192 ' + c.to)); return li; })
      : [node('li', 'the state before any step', 'none')];
    if (step && step.changes.length === 0) diff.push(node('li', 'no slot changed', 'none'));
    document.getElementById('diff').replaceChildren(...diff);
    const changed = new Set(step ? step.changes.map((c) => c.slot) : []);
    const rows = [];
    for (const [slot, value] of stateAfter(n)) {
      const cls = [changed.has(slot) ? 'changed' : '', hides && !varying.has(slot) ? 'constant' : ''].filter((c) => c).join(' ');
      const tr = node('tr', undefined, cls);
      const th = node('th', slot);
      th.scope = 'row';
      tr.append(th, node('td', value));
      rows.push(tr);
    }
    document.querySelector('#state tbody').replaceChildren(...rows);
  };
  const timeline = document.getElementById('timeline');
  timeline.addEventListener('click', (e) => {
    const mark = e.target.closest('[data-step]');
    if (mark) show(mark);
  });
  timeline.addEventListener('keydown', (e) => {
    const mark = e.target.closest('[data-step]');
    if (!mark) return;
    const i = marks.indexOf(mark);
    if (e.key === 'Enter' || e.key === ' ') show(mark);
    else if (e.key === 'ArrowDown' || e.key === 'ArrowRight') marks[Math.min(i + 1, marks.length - 1)].focus();
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') marks[Math.max(i - 1, 0)].focus();
    else return;
    e.preventDefault();
  });
  const first = marks.find((m) => m.classList.contains('selected'));
  if (first) show(first);
})();
`;

/** The CSP source that allows exactly SCRIPT and nothing else. */
const scriptHash = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

/** The Content-Security-Policy of the report: nothing from the network, only our script. */
export const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src ${scriptHash}; img-src data:; base-uri 'none'; form-action 'none'`;

/** The self-contained HTML report of a counterexample. */
export function html(story: Story, attach?: Attachment): string {
  const v = verdict(story);
  const shown = violatingStep(story) ?? story.steps.length;
  const title = `${v.head} · ${story.model}${story.scenario !== undefined ? ` ${story.scenario}` : ''} · mmrace`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mmrace">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${header(story, attach)}
<main>
<section id="lanes">
<h2>Timeline</h2>
<p class="hint">One lane per actor, time going down. Select a step (click, or Tab and Enter) to see the state after it.</p>
${timeline(story, shown)}
</section>
${panel(story, shown)}
</main>
${stepList(story)}
${attach !== undefined ? traceSection(attach) : ''}<script type="application/json" id="story">${scriptJson(story)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
