/** Output helpers of the CLI: stdout for results, stderr for progress and errors. */
import { MmraceError, isMmraceError } from '../errors.js';
import { EXIT } from '../report/verdict.js';

export function out(line = ''): void {
  process.stdout.write(line + '\n');
}

export function err(line: string): void {
  process.stderr.write(line + '\n');
}

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

/**
 * A warning on stderr, one line: something the user should know that does not stop the
 * command (a trace recorded with another version of its model file).
 */
export function warn(message: string): void {
  err(oneLine(`mmrace: warning: ${message}`));
}

/** Reports an error and sets exit code 2; with `json`, also prints the JSON verdict. */
export function reportError(e: unknown, json: boolean): void {
  err(formatError(e));
  if (process.env['MMRACE_DEBUG'] && e instanceof Error && e.stack) err(e.stack);
  if (json) {
    const code = isMmraceError(e) ? e.code : 'E_INTERNAL';
    const message = e instanceof Error ? e.message : String(e);
    out(JSON.stringify({ verdict: 'error', code, message }));
  }
  process.exitCode = EXIT.error;
}

export function usage(message: string, hint?: string): MmraceError {
  return new MmraceError('E_USAGE', message, hint);
}

export { shq } from '../report/shell.js';
