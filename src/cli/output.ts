/** Output helpers of the CLI: stdout for results, stderr for progress and errors. */
import { MmraceError, isMmraceError } from '../errors.js';
import { formatError, oneLine } from '../report/error.js';
import { capped, printable } from '../report/escape.js';
import { EXIT, type CheckResult } from '../report/verdict.js';
import { writeSync } from 'node:fs';

export { formatError, oneLine };

/**
 * A line on stdout. Once its reader has gone away (`mmrace check ... | head -1`: EPIPE,
 * and bin/mmrace.js lets the stream close), the lines that follow are dropped quietly and
 * the command runs on to its verdict, whose exit code mmrace ends with.
 *
 * Written `printable` (report/escape.ts): no control character reaches the terminal but
 * the newlines between lines, and no line starts with a workflow command of GitHub
 * Actions (`::`), whatever model strings it holds; JSON stays the same JSON (its strings
 * get `\uXXXX` escapes of the same characters). Model strings within a line go through
 * `oneLine` where they are put into it, so that a newline they hold is spelled out too.
 */
export function out(line = ''): void {
  if (!process.stdout.destroyed) process.stdout.write(printable(line) + '\n');
}

/** A line on stderr, `printable` as `out`'s; dropped, as `out`'s, once its reader has gone away. */
export function err(line: string): void {
  if (!process.stderr.destroyed) process.stderr.write(printable(line) + '\n');
}

/**
 * A workflow command of mmrace's own (a GitHub Actions annotation, report/github.ts, its
 * data escaped there), on stdout: the one kind of line that starts with `::`.
 */
export function command(line: string): void {
  if (!process.stdout.destroyed) process.stdout.write(line + '\n');
}

/** `text` written at once to the file descriptor `fd` (1, 2); nothing when its reader has gone away (EPIPE). */
function writeNow(fd: 1 | 2, text: string): void {
  try {
    writeSync(fd, text);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
  }
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
    const message = capped(e instanceof Error ? e.message : String(e));
    out(JSON.stringify({ verdict: 'error', code, message }));
  }
  process.exitCode = EXIT.error;
}

export function usage(message: string, hint?: string): MmraceError {
  return new MmraceError('E_USAGE', message, hint);
}

export { shq } from '../report/shell.js';

/** How `reportStepTimeout` prints. */
export interface StepTimeoutReport {
  /** Also print the JSON verdict on stdout (--json). */
  readonly json?: boolean | undefined;
  /** The file the caller wrote the result's trace to: named in the JSON verdict. */
  readonly traceFile?: string | undefined;
}

/**
 * Prints a step that was stopped (E_STEP_TIMEOUT, E_MODEL_MEMORY) as any error
 * (`reportError`): one line on stderr; on stdout, with `json` the verdict `{verdict, code,
 * message}` (with `traceFile` when there is one), else where the trace to the step's state
 * was written. Written with writeSync: it runs in the middle of a stuck step, just before
 * the process ends.
 */
export function reportStepTimeout(r: CheckResult, how: StepTimeoutReport = {}): void {
  writeNow(2, `${formatError(new MmraceError((r.code ?? 'E_STEP_TIMEOUT') as MmraceError['code'], r.message ?? '', r.hint))}\n`);
  if (how.json) {
    writeNow(1, JSON.stringify({ verdict: 'error', code: r.code, message: r.message, ...(how.traceFile ? { traceFile: how.traceFile } : {}) }) + '\n');
  } else if (how.traceFile) {
    writeNow(1, printable(oneLine(`trace to the state the step ran from written to ${how.traceFile}`)) + '\n');
  }
}
