/**
 * One rule for the strings a model (or a scenario, or a file name) puts into mmrace's
 * output: what a terminal, a CI log or an XML parser would take for something else is
 * written as a visible escape instead, `\n`, `\t`, `\r` or `\u001b`.
 *
 * - `oneLine`: a string within a line of text (a label, an actor name, a property, a
 *   message, a slot path, an error): every control character spelled out, newlines too.
 * - `printable`: what `out` and `err` (cli/output.ts) write, line by line: the same, but a
 *   newline separates lines; and no line may start, after blanks, with `::` or `##[`, the
 *   workflow commands of GitHub Actions (which reads them from stdout and stderr alike):
 *   mmrace's own annotations (report/github.ts) are written around this.
 * - `xmlText`: text of an XML 1.0 document (JUnit), which may hold no control character
 *   but tab, newline and carriage return, not even as a character reference.
 *
 * The characters spelled out: C0 controls (ESC, BEL, NUL, ...), DEL, the C1 controls, the
 * line and paragraph separators (U+2028, U+2029), and the invisible format characters
 * that reorder or hide text (bidirectional controls such as U+202E, zero-width ones,
 * U+FEFF): a hostile label can neither break a line, nor move the cursor, nor open a
 * link (OSC 8), nor ring a bell, nor reorder what a reader sees.
 */

/** The characters `oneLine` spells out (a character class, without brackets). */
const UNSAFE = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff';
const UNSAFE_ANY = new RegExp(`[${UNSAFE}]`, 'g');
/** The same, but the newline, which `printable` keeps as the end of a line. */
const UNSAFE_BUT_NEWLINE = new RegExp(`[${UNSAFE.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f')}]`, 'g');
/**
 * What XML 1.0 refuses or discourages in text: the controls but tab, newline and carriage
 * return, DEL and C1, the noncharacters U+FFFE and U+FFFF, and unpaired surrogates.
 */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** One character as an escape: `\n`, `\r`, `\t`, else `\u` and four hex digits. */
function spell(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` on one line, its control characters written as escapes (`\n`, `\u001b`): for a
 * model's string within a line of text output, and for error lines (a message often
 * quotes input: a file name, a key of a scenario, a model's exception).
 */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_ANY, spell);
}

/**
 * A line that starts, after blanks (the runner trims them, Unicode spaces too), with a
 * workflow command of GitHub Actions: `::name …` or the older `##[name]`.
 */
const COMMAND_START = /^([^\S\n]*)(::|##\[)/gm;

/**
 * Text as `out` and `err` write it: every control character spelled out but the newlines
 * that separate its lines, and the first character of a line that would start with `::`
 * or `##[` spelled out too (`\u003a:error::…`), so that no model string, whatever it
 * holds, is read by GitHub Actions as a workflow command.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, spell).replace(COMMAND_START, (_m, blanks: string, start: string) => `${blanks}${spell(start[0]!)}${start.slice(1)}`);
}

/** Text for an XML 1.0 document: the characters it may not hold spelled out (tab, newline and carriage return kept). */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, spell);
}

/** The longest message an error line quotes: beyond, it is cut, saying how long it was. */
export const MAX_MESSAGE = 500;

/**
 * `text` cut to `max` characters, with `…` and its length in characters when it was
 * longer: an error line quotes its input, and a 10 MB input should not make a 20 MB line.
 * Never cuts a surrogate pair, nor an escape of `oneLine` in the middle. `total`: the
 * length to tell, when `text` is already the start of a longer one.
 */
export function capped(text: string, max = MAX_MESSAGE, total = text.length): string {
  if (text.length <= max && total <= text.length) return text;
  let head = text.slice(0, max);
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  head = head.replace(/\\(u[0-9a-f]{0,3})?$/, '');
  return `${head}… (${total} characters)`;
}
