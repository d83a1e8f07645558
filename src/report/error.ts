/** How an error is told: one line with its stable code and hint, never a stack trace. */
import { isMmraceError } from '../errors.js';
import { MAX_MESSAGE, capped, oneLine } from './escape.js';

export { oneLine };

/**
 * One line naming the error, its stable code and the hint; never a stack trace. The
 * message and the hint are each cut to MAX_MESSAGE characters (escapes counted): a
 * message may quote its input, and an input of megabytes must not make a line as long.
 */
export function formatError(e: unknown): string {
  // Only the start is escaped: a message of megabytes costs no more than a short one.
  const text = (s: string): string => capped(oneLine(s.length > MAX_MESSAGE ? s.slice(0, MAX_MESSAGE) : s), MAX_MESSAGE, s.length);
  if (isMmraceError(e)) {
    return `mmrace: error ${e.code}: ${text(e.message)}${e.hint ? ` (${text(e.hint)})` : ''}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return `mmrace: internal error E_INTERNAL: ${text(msg.split('\n')[0]!)} (this is a bug in mmrace; set MMRACE_DEBUG=1 for a stack trace and report it)`;
}
