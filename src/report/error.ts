/** How an error is told: one line with its stable code and hint, never a stack trace. */
import { isMmraceError } from '../errors.js';

/**
 * `text` with its control characters written as escapes (`\n`, `\u001b`): a message
 * often quotes input (a file name, a key of a scenario, a model's exception), and a
 * newline there would break the one-line contract of errors, an escape sequence would
 * reach the terminal.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** One line naming the error, its stable code and the hint; never a stack trace. */
export function formatError(e: unknown): string {
  if (isMmraceError(e)) {
    return oneLine(`mmrace: error ${e.code}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
  }
  const msg = e instanceof Error ? e.message : String(e);
  return oneLine(
    `mmrace: internal error E_INTERNAL: ${msg.split('\n')[0]} (this is a bug in mmrace; set MMRACE_DEBUG=1 for a stack trace and report it)`,
  );
}
