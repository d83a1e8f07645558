/**
 * The race diagram of kernel mail: the parameters and initial state that make the race,
 * then one column per actor instance (and one per party a step noted, such as Xen), time
 * flowing down, each step on a line of its own in its actor's column, nested by the call
 * path of its label, with its choices by value and what it noted; the fault with its
 * message or the violated property where the run ends, and a verdict line:
 *
 * ```
 * params: n=4 cpus=2 accesses=1 mm=init_mm gate=none
 *
 * U1                  K[0]
 * --                  ----
 * spin_lock(ptl)
 * contpte_try_fold()
 * contpte_convert()
 *   xchg: pte[0] = 0
 *                     access(page 0, load)
 *                     walk: pte[0]==0 -> Unable to handle kernel paging request:
 *                       CPU0 translation fault on page 0 of init_mm:
 *                       do_translation_fault -> do_bad_area -> Oops (INV-KFAULT)
 * => VIOLATION of INV-KFAULT at step 5 (Oops)
 * ```
 *
 * How a model's labels, `hw` steps, named choices and notes are drawn is documented in
 * docs/writing-models.md ("The race diagram").
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
/** How much of their fair share above their floor the columns before the last may take, tried in this order (1: all of it). */
const SHARES = [0.75, 0.5, 0.25, 0];
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

/**
 * One thing to print: `text` at nesting `level` in `column` (-1: across the whole width),
 * and what other columns say on the same line (a party's note, `c.note('Xen', ...)`).
 */
interface Item {
  readonly column: number;
  readonly level: number;
  readonly text: string;
  readonly asides?: readonly { readonly column: number; readonly text: string }[];
  /** `text` starts with a call and a colon this long (`xchg:`), then what the step noted: a line too short for both breaks there. */
  readonly head?: number;
}

/** A C identifier: a call the seeds' diagrams write with `()`. Labels with arguments or other punctuation stay as they are. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A step's choices as the diagram shows them: by value when the replay recorded them
 * (`page 1, store`: a named choice is `name value`, but a string value names itself;
 * an unnamed choice is its value, `choose(n)`'s its index), else the indices.
 */
export function choiceText(s: { readonly choice?: readonly number[]; readonly values?: StoryStep['values'] }): string {
  if (s.values?.length) {
    return s.values
      .map((v) => {
        const value = String(v.value);
        return v.name === undefined || typeof v.value === 'string' ? value : `${v.name} ${value}`;
      })
      .join(', ');
  }
  return s.choice?.length ? s.choice.join(', ') : '';
}

/**
 * A call of the label as the diagram shows it: an identifier is a kernel call, `f()` or
 * `f(args)`; any other text is shown as written, its choices after it in parentheses;
 * hardware's steps (`hw`) are never calls: `walk`, `access page 1`.
 */
function callText(call: string, args = '', hw = false): string {
  const t = plain(call).trim() || '?';
  const a = plain(args);
  if (hw) return a ? `${t} ${a}` : t;
  if (IDENTIFIER.test(t)) return `${t}(${a})`;
  return a ? `${t} (${a})` : t;
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

/**
 * The leaf of a step's call path: the call with its choices, what the step noted
 * (`_copy_pte: src pte invalid -> dst none`), and the fault it raised with its message.
 */
function leafText(s: StoryStep, call: string): { text: string; head?: number } {
  const args = choiceText(s);
  const notes = (s.notes ?? []).map(plain).filter((n) => n.trim() !== '');
  let text = callText(call, args, s.hw === true);
  let head: number | undefined;
  // A call followed by what it found reads `f: ...` in the seeds' diagrams.
  if (notes.length > 0) {
    const name = !s.hw && args === '' && IDENTIFIER.test(plain(call).trim()) ? plain(call).trim() : text;
    text = `${name}: ${notes.join('; ')}`;
    head = name.length + 1;
  }
  if (s.fault) {
    const message = plain(s.fault.message).trim();
    const word = faultWord(s.fault);
    const said = word === 'fault' || message.includes(word) ? '' : ` -> ${word}`;
    text += `${message ? ` -> ${message}` : ''}${said || (message ? '' : ` -> ${word}`)} (${plain(s.fault.property)})`;
    head = undefined;
  }
  return head === undefined ? { text } : { text, head };
}

/**
 * The steps as items: only the call levels that differ from the previous step of the same
 * column, as a reader of the seeds' diagrams expects (`__vunmap()`, then
 * `  vm_remove_mappings()` under it), and always the step's own call. A hardware step is
 * its last call alone, at the column's first level.
 */
function stepItems(story: Story, ncols: number): Item[] {
  const previous = new Map<number, readonly string[]>();
  const items: Item[] = [];
  for (const s of story.steps) {
    const all = s.calls.length > 0 ? s.calls : [s.label];
    const calls = s.hw ? [all.at(-1)!] : all;
    const before = s.hw ? [] : (previous.get(s.column) ?? []);
    let same = 0;
    while (same < calls.length - 1 && same < before.length && calls[same] === before[same]) same++;
    for (let level = same; level < calls.length; level++) {
      const call = calls[level]!;
      const leaf = level === calls.length - 1;
      const asides = leaf ? (s.asides ?? []).filter((a) => a.column >= 0 && a.column < ncols).map((a) => ({ column: a.column, text: plain(a.text) })) : [];
      items.push({ column: s.column, level, ...(leaf ? leafText(s, call) : { text: callText(call) }), ...(asides.length ? { asides } : {}) });
    }
    previous.set(s.column, s.hw ? [] : calls);
  }
  return items;
}

/** How the run ended, in words, for the verdict line that closes the diagram. */
function verdictText(story: Story): string | null {
  const { end } = story;
  const n = story.steps.length;
  const property = plain(end.property ?? '');
  const when = n === 0 ? 'in the initial state' : `after step ${n}`;
  const last = story.steps.at(-1);
  const head = match(end.kind)
    .with('invariant', () => `VIOLATION of ${property} ${when}`)
    .with('fault', () => {
      const step = story.steps.find((st) => st.fault) ?? last;
      const word = step?.fault ? faultWord(step.fault) : 'fault';
      return `VIOLATION of ${property} at step ${step?.n ?? n} (${word === 'fault' ? 'a fault' : word})`;
    })
    .with('deadlock', () => `VIOLATION: deadlock ${when}`)
    .with('error', () => `ERROR ${property} ${n === 0 ? 'in init' : `at step ${n}`}`)
    .with('none', () => null)
    .exhaustive();
  if (head === null) return null;
  return end.reproduced || end.notRun ? `=> ${head}` : `=> ${head} (not what the trace recorded)`;
}

/** How the run ends, below the steps (a fault is already on its step's line), and the verdict line. */
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
  const verdict = verdictText(story);
  if (verdict !== null) items.push({ column: -1, level: 0, text: verdict });
  return items;
}

/** A named choice or note of init, as the header shows it: `name=value`. */
function initText(v: NonNullable<Story['setup']>['init'][number]): string {
  const value = String(v.value);
  return v.name === undefined ? value : `${v.name}=${value}`;
}

/**
 * The lines above the columns: the parameters that differ from the model's defaults and
 * what init chose (`init: dpa=0, src[2]=INV_OTHER`), as a kernel developer heads a
 * diagram; none when there is nothing to say.
 */
function setupLines(story: Story, width: number): string[] {
  const setup = story.setup;
  if (!setup) return [];
  const lines: string[] = [];
  const say = (text: string) => lines.push(...itemLines({ column: -1, level: 0, text: plain(text) }, width));
  if (setup.params.length) say(`params: ${setup.params.map((p) => `${p.name}=${String(p.value)}`).join(' ')}`);
  const init = [...setup.init.map(initText)];
  const said = [init.join(', '), ...setup.notes].filter((x) => x.trim() !== '');
  if (said.length) say(`init: ${said.join('; ')}`);
  if (lines.length) lines.push('');
  return lines;
}

/** Characters of an identifier: a line may not break between two of them. */
const ID_CHAR = /[A-Za-z0-9_]/;

/** Whether `s` may break between `s[i-1]` and `s[i]`: after punctuation, never inside an identifier nor inside `()`. */
function breakable(s: string, i: number): boolean {
  const a = s[i - 1]!;
  const b = s[i]!;
  if (/[(,;/|]/.test(a)) return !/[)\],;:]/.test(b);
  // After an operator (`->`, `==`) when a name follows.
  return /[>=]/.test(a) && ID_CHAR.test(b);
}

/**
 * The widest piece of `text` that a line may not break: an identifier with what sticks
 * to it (`machine_shutdown()`), or a run of punctuation. A column narrower than this
 * would have to cut it.
 */
function longestUnit(text: string): number {
  let most = 0;
  for (const word of text.split(' ')) {
    let from = 0;
    for (let i = 1; i <= word.length; i++) {
      if (i === word.length || breakable(word, i)) {
        most = Math.max(most, columns(word.slice(from, i)));
        from = i;
      }
    }
  }
  return most;
}

/**
 * Splits `s` where as much of it as fits in `room` columns ends, at the last place a line
 * may break (after `(`, `,`, `/`, ... but never inside an identifier); a piece with no such
 * place is cut where the room ends (a character wider than the room becomes `?`).
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
  for (let at = end; at > 0; at--) if (breakable(s, at)) return [s.slice(0, at), s.slice(at)];
  return [s.slice(0, end), s.slice(end)];
}

/** Breaks `text` at spaces into a line of `first` columns, then lines of `rest`; a word longer than a line is cut. */
function breakText(text: string, first: number, rest: number, roomOf?: (line: number) => number): string[] {
  const lines: string[] = [];
  const room = () => roomOf?.(lines.length) ?? (lines.length === 0 ? first : rest);
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
 * deep nesting is flattened so that `MIN_TEXT` columns, and the item's widest unbreakable
 * piece, stay for the text.
 */
function itemLines(item: Item, room: number, wider?: { readonly from: number; readonly room: number }): string[] {
  const want = 2 * item.level;
  const cols = columns(item.text);
  if (want + cols <= room) return [' '.repeat(want) + item.text];
  // One unbreakable piece that fits on one line when less indented: a nesting level less rather than a cut.
  if (cols <= room && !item.text.includes(' ')) return [' '.repeat(Math.min(want, room - cols)) + item.text];
  const most = Math.max(0, room - Math.max(MIN_TEXT, longestUnit(item.text)));
  const first = Math.min(want, most);
  const rest = Math.min(want + 2, most);
  // `call:` on its line, what it noted under it (as the seeds' diagrams nest it).
  const head = item.head;
  if (head !== undefined && first + columns(item.text.slice(0, head)) <= room) {
    return [' '.repeat(first) + item.text.slice(0, head), ...breakText(item.text.slice(head + 1), room - rest, room - rest).map((l) => ' '.repeat(rest) + l)];
  }
  // Past the lines it shares with another column's, a line may take the room up to the right edge.
  const roomOf = wider ? (i: number) => (i >= wider.from ? wider.room : room) - (i === 0 ? first : rest) : undefined;
  return breakText(item.text, room - first, room - rest, roomOf).map((l, i) => ' '.repeat(i === 0 ? first : rest) + l);
}

interface Columns {
  readonly offsets: readonly number[];
  readonly widths: readonly number[];
  /** The columns do not all fit at their natural widths: the width was shared out. */
  readonly shared: boolean;
}

/** The (column, level, text) of every piece an item prints: itself and its asides. */
function pieces(items: readonly Item[]): { column: number; level: number; text: string }[] {
  const out: { column: number; level: number; text: string }[] = [];
  for (const it of items) {
    out.push(it);
    for (const a of it.asides ?? []) out.push({ column: a.column, level: 0, text: a.text });
  }
  return out;
}

/**
 * Where each column starts and how wide it is: each as wide as its longest line when they
 * all fit; else the width is shared out fairly (a column narrower than its share keeps its
 * own width, the rest is split among the others; none narrower than its widest
 * identifier), the last column reaching the right edge. Null when the columns do not fit
 * side by side, at `MIN_COLUMN` each and wide enough for their identifiers.
 */
function layOut(names: readonly string[], items: readonly Item[], width: number, share = 1): Columns | null {
  const n = names.length;
  if (n === 0) return null;
  const natural = names.map((name) => Math.max(1, columns(name)));
  const least = names.map(() => MIN_COLUMN);
  // What must fit inside the column itself: its name, and the lines that share a line with another column's.
  const bound = names.map((name) => Math.max(MIN_COLUMN, columns(name)));
  for (const it of pieces(items)) {
    if (it.column < 0) continue;
    natural[it.column] = Math.max(natural[it.column]!, 2 * it.level + columns(it.text));
    least[it.column] = Math.max(least[it.column]!, Math.min(longestUnit(it.text), width));
  }
  for (const it of items) {
    if (!it.asides?.length) continue;
    // Lines side by side: whole when they can be, else at least their identifiers.
    bound[it.column] = Math.max(bound[it.column]!, Math.min(2 * it.level + columns(it.text), width));
    for (const a of it.asides) bound[a.column] = Math.max(bound[a.column]!, Math.min(columns(a.text), width));
  }
  const total = natural.reduce((a, b) => a + b, 0);
  if (total + WIDE_GAP * (n - 1) <= width) return { offsets: offsetsOf(natural, WIDE_GAP), widths: natural, shared: false };
  const room = width - GAP * (n - 1);
  const floor = least.map((l, c) => Math.min(l, natural[c]!));
  if (room < n * MIN_COLUMN || floor.reduce((a, b) => a + b, 0) > room) return null;
  const widths = floor.slice();
  let left = room - floor.reduce((a, b) => a + b, 0);
  const byNeed = natural.map((w, c) => [w - floor[c]!, c] as const).sort((a, b) => a[0] - b[0]);
  byNeed.forEach(([need, c], i) => {
    const more = Math.min(need, Math.floor(left / (n - i)));
    widths[c] = floor[c]! + more;
    left -= more;
  });
  // `share` < 1 gives the columns before the last only part of their fair share above
  // what they must hold themselves: their lines may run on to the right anyway, the last
  // column's may not (the caller checks that every identifier still fits its line).
  for (let c = 0; c < n - 1; c++) {
    const low = Math.min(widths[c]!, bound[c]!);
    widths[c] = low + Math.round(share * (widths[c]! - low));
  }
  const offsets = offsetsOf(widths, GAP);
  widths[n - 1] = width - offsets[n - 1]!;
  return { offsets, widths, shared: true };
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

/** Every item's widest unbreakable piece fits the room its lines get in `cols` (no identifier is cut). */
function unitsFit(items: readonly Item[], cols: Columns, width: number): boolean {
  for (const it of items) {
    if (it.column < 0) continue;
    const room = it.asides?.length ? cols.widths[it.column]! : width - cols.offsets[it.column]!;
    if (longestUnit(it.text) > room) return false;
    for (const a of it.asides ?? []) if (longestUnit(a.text) > cols.widths[a.column]!) return false;
  }
  return true;
}

/** One line of text pieces, each at its offset (in order of their offsets). */
function joinAt(cells: readonly { readonly at: number; readonly text: string }[]): string {
  let out = '';
  for (const c of [...cells].sort((a, b) => a.at - b.at)) {
    if (c.text === '') continue;
    out += ' '.repeat(Math.max(0, c.at - columns(out))) + c.text;
  }
  return out;
}

/** The column names, wrapped in their columns, and a rule of dashes under each. */
function header(names: readonly string[], cols: Columns): string[] {
  const cells = names.map((name, c) => breakText(name, cols.widths[c]!, cols.widths[c]!));
  const rows: string[] = [];
  const height = Math.max(...cells.map((l) => l.length));
  for (let r = 0; r < height; r++) rows.push(joinAt(cells.map((l, c) => ({ at: cols.offsets[c]!, text: l[r] ?? '' }))));
  rows.push(joinAt(cells.map((l, c) => ({ at: cols.offsets[c]!, text: '-'.repeat(Math.max(...l.map(columns))) }))));
  return rows;
}

/**
 * Side by side: the header, then each item's lines at its column, its asides' lines
 * beside them. A line with nothing beside it may run on past its column to the right
 * edge (only one step is on a line): a column's width bounds only lines shared with an
 * aside, and how far right the next column starts.
 */
function sideBySide(names: readonly string[], items: readonly Item[], cols: Columns, width: number): string[] {
  const lines = header(names, cols);
  for (const it of items) {
    const at = it.column >= 0 ? cols.offsets[it.column]! : 0;
    // Nothing beside it: the line may run on to the right edge, as in the seeds' diagrams.
    const room = it.column >= 0 && it.asides?.length ? cols.widths[it.column]! : width - at;
    const beside = (it.asides ?? []).map((a) => itemLines({ column: a.column, level: 0, text: a.text }, cols.widths[a.column]!).map((text) => ({ at: cols.offsets[a.column]!, text })));
    // Below the asides' lines, and when they are all to its right, the item's lines may run on to the edge.
    const right = (it.asides ?? []).every((a) => a.column > it.column);
    const wider = beside.length && right ? { from: Math.max(...beside.map((b) => b.length)), room: width - at } : undefined;
    const own = itemLines(it, room, wider).map((text) => ({ at, text }));
    const height = Math.max(own.length, ...beside.map((b) => b.length));
    for (let r = 0; r < height; r++) lines.push(joinAt([...(own[r] ? [own[r]!] : []), ...beside.flatMap((b) => (b[r] ? [b[r]!] : []))]));
  }
  return lines;
}

/**
 * Too many actors to stand side by side: one lane, with a line naming the actor wherever
 * the lane passes to another one, and its steps indented under it; what another party
 * did in a step follows it, under the party's name.
 */
function oneLane(names: readonly string[], items: readonly Item[], width: number): string[] {
  const lines: string[] = [];
  let current = -1;
  const put = (column: number, it: Item) => {
    if (column >= 0 && column !== current) lines.push(...itemLines({ column: -1, level: 0, text: `${names[column] ?? '?'}:` }, width));
    if (column >= 0) current = column;
    const at = column >= 0 ? 2 : 0;
    for (const l of itemLines(it, width - at)) lines.push(' '.repeat(at) + l);
  };
  for (const it of items) {
    put(it.column, it);
    for (const a of it.asides ?? []) put(a.column, { column: a.column, level: 0, text: a.text });
  }
  return lines;
}

/** The race diagram of `story`, every line at most `width` columns (default 80), ending with a newline. */
export function lkml(story: Story, opts: { readonly width?: number } = {}): string {
  const width = opts.width ?? LKML_WIDTH;
  if (!Number.isInteger(width) || width < MIN_WIDTH) {
    throw new RangeError(`lkml: width ${width} must be a whole number of at least ${MIN_WIDTH} columns`);
  }
  const names = [...story.actors.map((a) => a.name), ...(story.parties ?? [])].map((name) => plain(name).trim() || '?');
  const items = [...stepItems(story, names.length), ...endItems(story)];
  let cols = layOut(names, items, width);
  let body = cols ? sideBySide(names, items, cols, width) : oneLane(names, items, width);
  // A shared width: of a few ways to share it, the one that wraps least (the fairest on a tie).
  for (const share of cols?.shared ? SHARES : []) {
    const other = layOut(names, items, width, share);
    if (other === null || !unitsFit(items, other, width)) continue;
    const lines = sideBySide(names, items, other, width);
    if (lines.length < body.length) [cols, body] = [other, lines];
  }
  const lines = [...setupLines(story, width), ...body];
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}
