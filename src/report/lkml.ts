/**
 * The race diagram of kernel mail: one column per actor instance, time flowing down, each
 * step on a line of its own in its actor's column, nested by the call path of its label,
 * and the fault or the violated property where the run ends:
 *
 * ```
 * U1                    K[0]
 * --                    ----
 * spin_lock(ptl)
 * contpte_try_fold()
 * contpte_convert()
 *   xchg()
 *                       access() [0,0]
 *                       mmu()
 *                         walk() -> Oops (INV-KFAULT)
 * ```
 *
 * Plain text within `width` columns, without trailing spaces or control characters,
 * whatever the model's strings: ready to paste into a mail to lkml.
 */
import { match } from 'ts-pattern';
import type { Story, StoryStep } from './story.js';

/** The width of a mail body line. */
export const LKML_WIDTH = 80;
/** The narrowest width accepted: a column must keep room for a few words. */
const MIN_WIDTH = 20;
/** Spaces between two columns: the format asks for at least two; four when every line fits anyway. */
const GAP = 2;
const WIDE_GAP = 4;
/** Narrowest column worth drawing: when the actors do not fit side by side this wide, they share one lane. */
const MIN_COLUMN = 12;
/** Room kept for the text of a line of a narrow column: deeper nesting is flattened rather than squeezing a label under it. */
const MIN_TEXT = 8;

/**
 * A model string made safe for a plain-text layout: line breaks and tabs become spaces;
 * other control characters (ANSI escapes, NUL, DEL, C1), bidirectional overrides,
 * zero-width characters and unpaired surrogates become `?`, so that a hostile label can
 * neither break a line, nor move the cursor, nor reorder what a reader sees.
 */
export function plain(s: string): string {
  return s
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]/g, ' ')
    .replace(
      /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '?',
    );
}

/** East Asian wide and fullwidth ranges (and the symbols around them), which a terminal draws two columns wide. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x23ff],
  [0x2600, 0x27bf],
  [0x2e80, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
];

/**
 * The columns a string of `plain` text takes in a monospace font, never fewer than its
 * UTF-16 length: wide characters and those beyond the BMP (emoji) count two, anything
 * else one (a combining mark too, which errs on the safe side).
 */
export function columns(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp > 0xffff || WIDE.some(([lo, hi]) => cp >= lo && cp <= hi) ? 2 : 1;
  }
  return n;
}

/** One thing to print: `text` at nesting `level` in `column` (-1: across the whole width). */
interface Item {
  readonly column: number;
  readonly level: number;
  readonly text: string;
}

/** A C identifier: a call the seeds' diagrams write with `()`. Labels with arguments or other punctuation stay as they are. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function callText(call: string): string {
  const t = plain(call).trim();
  if (t === '') return '?';
  return IDENTIFIER.test(t) ? `${t}()` : t;
}

/**
 * How a fault is told in the diagram: `BUG()` or `Oops` when the model says the kernel
 * dies that way (the seed models end their kernel faults with `-> Oops` or `-> BUG()`),
 * a plain `fault` otherwise (a user fault the model treats as a violation).
 */
function faultWord(f: { readonly property: string; readonly message: string }): string {
  const said = `${f.property} ${f.message}`;
  if (/\bBUG\(\)/.test(said)) return 'BUG()';
  if (/\b(oops|oopses|panic|panics|die|dies|died)\b/i.test(said)) return 'Oops';
  return 'fault';
}

/** The leaf of a step's call path, with its choice and the fault it raised. */
function leafText(s: StoryStep, call: string): string {
  const choice = s.choice?.length ? ` [${s.choice.join(',')}]` : '';
  const fault = s.fault ? ` -> ${faultWord(s.fault)} (${plain(s.fault.property)})` : '';
  return callText(call) + choice + fault;
}

/**
 * The steps as items: only the call levels that differ from the previous step of the same
 * column, as a reader of the seeds' diagrams expects (`__vunmap()`, then
 * `  vm_remove_mappings()` under it), and always the step's own call.
 */
function stepItems(story: Story): Item[] {
  const previous = new Map<number, readonly string[]>();
  const items: Item[] = [];
  for (const s of story.steps) {
    const calls = s.calls.length > 0 ? s.calls : [s.label];
    const before = previous.get(s.column) ?? [];
    let same = 0;
    while (same < calls.length - 1 && same < before.length && calls[same] === before[same]) same++;
    for (let level = same; level < calls.length; level++) {
      const call = calls[level]!;
      items.push({ column: s.column, level, text: level === calls.length - 1 ? leafText(s, call) : callText(call) });
    }
    previous.set(s.column, calls);
  }
  return items;
}

/** How the run ends, below the steps (a fault is already on its step's line). */
function endItems(story: Story): Item[] {
  const { end } = story;
  const last = story.steps.at(-1);
  const column = last?.column ?? -1;
  const property = plain(end.property ?? '');
  const message = plain(end.message ?? '');
  const items: Item[] = match(end.kind)
    .with('invariant', () => [{ column, level: 0, text: `-> ${property} violated` }])
    .with('fault', () => (last?.fault ? [] : [{ column, level: 0, text: `-> fault (${property})` }]))
    .with('deadlock', () => [{ column: -1, level: 0, text: `-> deadlock: ${message}` }])
    .with('error', () => [{ column: -1, level: 0, text: `-> model error ${property}: ${message}` }])
    .with('none', () => [{ column: -1, level: 0, text: '(not reproduced: the schedule runs to its end with no violation)' }])
    .exhaustive();
  if (end.notRun) {
    items.push({ column: -1, level: 0, text: '(the replay ends at the state the stopped step ran from; it is not run again)' });
  } else if (!end.reproduced && end.kind !== 'none') {
    items.push({ column: -1, level: 0, text: '(not reproduced: the trace recorded another ending)' });
  }
  return items;
}

/** Where a word that does not fit is best cut: after one of these, as in `kernel_page_` / `present()`, but not inside `()`. */
const CUT_AFTER = /[_,/.:[-]|\((?!\))/g;

/**
 * Splits `s` where as much of it as fits in `room` columns ends, or after the last `_`,
 * `(`, `,` ... past its first third (a character wider than the room becomes `?`).
 */
function cut(s: string, room: number): [string, string] {
  let used = 0;
  let end = 0;
  for (const ch of s) {
    const w = columns(ch);
    if (used + w > room) break;
    used += w;
    end += ch.length;
  }
  if (end === 0) return ['?', s.slice(s.codePointAt(0)! > 0xffff ? 2 : 1)];
  let at = end;
  for (const m of s.matchAll(CUT_AFTER)) if (m.index + 1 >= end / 3 && m.index < end) at = m.index + 1;
  return [s.slice(0, at), s.slice(at)];
}

/** Breaks `text` at spaces into a line of `first` columns, then lines of `rest`; a word longer than a line is cut. */
function breakText(text: string, first: number, rest: number): string[] {
  const lines: string[] = [];
  const room = () => (lines.length === 0 ? first : rest);
  let line = '';
  for (const word of text.split(' ')) {
    if (word === '') continue;
    if (line !== '' && columns(line) + 1 + columns(word) <= room()) {
      line += ' ' + word;
      continue;
    }
    if (line !== '') lines.push(line);
    let w = word;
    while (columns(w) > room()) {
      const [head, tail] = cut(w, room());
      lines.push(head);
      w = tail;
    }
    line = w;
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * The lines of an item in a column `room` wide, indented two spaces per level. A label
 * too long for its line goes on continuation lines one level deeper; in a narrow column,
 * deep nesting is flattened so that `MIN_TEXT` columns stay for the text.
 */
function itemLines(item: Item, room: number): string[] {
  const want = 2 * item.level;
  if (want + columns(item.text) <= room) return [' '.repeat(want) + item.text];
  const most = Math.max(0, room - MIN_TEXT);
  const first = Math.min(want, most);
  const rest = Math.min(want + 2, most);
  return breakText(item.text, room - first, room - rest).map((l, i) => ' '.repeat(i === 0 ? first : rest) + l);
}

interface Columns {
  readonly offsets: readonly number[];
  readonly widths: readonly number[];
}

/**
 * Where each column starts and how wide it is: each as wide as its longest line when they
 * all fit; else the width is shared out fairly (a column narrower than its share keeps its
 * own width, the rest is split among the others), the last column reaching the right
 * edge. Null when the actors do not fit side by side at `MIN_COLUMN` each.
 */
function layOut(names: readonly string[], items: readonly Item[], width: number): Columns | null {
  const n = names.length;
  if (n === 0) return null;
  const natural = names.map((name) => Math.max(1, columns(name)));
  for (const it of items) if (it.column >= 0) natural[it.column] = Math.max(natural[it.column]!, 2 * it.level + columns(it.text));
  const total = natural.reduce((a, b) => a + b, 0);
  if (total + WIDE_GAP * (n - 1) <= width) return { offsets: offsetsOf(natural, WIDE_GAP), widths: natural };
  const room = width - GAP * (n - 1);
  if (room < n * MIN_COLUMN) return null;
  const widths = natural.slice();
  let left = room;
  const byNeed = natural.map((w, c) => [w, c] as const).sort((a, b) => a[0] - b[0]);
  byNeed.forEach(([need, c], i) => {
    widths[c] = Math.min(need, Math.floor(left / (n - i)));
    left -= widths[c]!;
  });
  const offsets = offsetsOf(widths, GAP);
  widths[n - 1] = width - offsets[n - 1]!;
  return { offsets, widths };
}

function offsetsOf(widths: readonly number[], gap: number): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const w of widths) {
    offsets.push(at);
    at += w + gap;
  }
  return offsets;
}

/** The column names, wrapped in their columns, and a rule of dashes under each. */
function header(names: readonly string[], cols: Columns): string[] {
  const cells = names.map((name, c) => breakText(name, cols.widths[c]!, cols.widths[c]!));
  const rows: string[] = [];
  const line = (cell: (c: number) => string) => {
    let out = '';
    for (let c = 0; c < names.length; c++) {
      const text = cell(c);
      if (text !== '') out += ' '.repeat(cols.offsets[c]! - columns(out)) + text;
    }
    rows.push(out);
  };
  const height = Math.max(...cells.map((l) => l.length));
  for (let r = 0; r < height; r++) line((c) => cells[c]![r] ?? '');
  line((c) => '-'.repeat(Math.max(...cells[c]!.map(columns))));
  return rows;
}

/** Side by side: the header, then each item's lines at its column. */
function sideBySide(names: readonly string[], items: readonly Item[], cols: Columns, width: number): string[] {
  const lines = header(names, cols);
  for (const it of items) {
    const at = it.column >= 0 ? cols.offsets[it.column]! : 0;
    const room = it.column >= 0 ? cols.widths[it.column]! : width;
    for (const l of itemLines(it, room)) lines.push(' '.repeat(at) + l);
  }
  return lines;
}

/**
 * Too many actors to stand side by side: one lane, with a line naming the actor wherever
 * the lane passes to another one, and its steps indented under it.
 */
function oneLane(names: readonly string[], items: readonly Item[], width: number): string[] {
  const lines: string[] = [];
  let current = -1;
  for (const it of items) {
    if (it.column >= 0 && it.column !== current) lines.push(...itemLines({ column: -1, level: 0, text: `${names[it.column] ?? '?'}:` }, width));
    if (it.column >= 0) current = it.column;
    const at = it.column >= 0 ? 2 : 0;
    for (const l of itemLines(it, width - at)) lines.push(' '.repeat(at) + l);
  }
  return lines;
}

/** The race diagram of `story`, every line at most `width` columns (default 80), ending with a newline. */
export function lkml(story: Story, opts: { readonly width?: number } = {}): string {
  const width = opts.width ?? LKML_WIDTH;
  if (!Number.isInteger(width) || width < MIN_WIDTH) {
    throw new RangeError(`lkml: width ${width} must be a whole number of at least ${MIN_WIDTH} columns`);
  }
  const names = story.actors.map((a) => plain(a.name).trim() || '?');
  const items = [...stepItems(story), ...endItems(story)];
  const cols = layOut(names, items, width);
  const lines = cols ? sideBySide(names, items, cols, width) : oneLane(names, items, width);
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}
