/** Output helpers of the CLI: stdout for results, stderr for progress and errors. */
import { MmraceError, isMmraceError } from '../errors.js';
import { EXIT } from '../report/verdict.js';

export function out(line = ''): void {
  process.stdout.write(line + '\n');
}

export function err(line: string): void {
  process.stderr.write(line + '\n');
}

/** One line naming the error, its stable code and the hint; never a stack trace. */
export function formatError(e: unknown): string {
  if (isMmraceError(e)) {
    return `mmrace: error ${e.code}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return `mmrace: internal error E_INTERNAL: ${msg.split('\n')[0]} (this is a bug in mmrace; set MMRACE_DEBUG=1 for a stack trace and report it)`;
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
