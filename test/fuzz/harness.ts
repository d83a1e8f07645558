/**
 * What the fuzz tests share (not a test file itself): running the CLI in this process
 * with its output captured (cheap, for the many generated cases), the contract every
 * failure must keep, temporary folders, and the number of runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fcParams } from '../props/common.js';

export { bin, mmrace, root, type Run } from '../e2e/run.js';

/** What an in-process run of the CLI gave: exit code and the captured streams. */
export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `main(argv)` in this process with stdout and stderr captured: ~1 ms where a child
 * process costs ~0.4 s, so a property can try hundreds of command lines. `cwd`, when
 * given, is the working folder during the run (relative junk then lands in a temporary
 * folder, never in the checkout). process.exitCode, which reportError sets, is restored.
 */
export async function runMain(argv: readonly string[], cwd?: string): Promise<Outcome> {
  const out: string[] = [];
  const errs: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const exitCode = process.exitCode;
  const here = process.cwd();
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(errs);
  if (cwd !== undefined) process.chdir(cwd);
  let code: number;
  try {
    code = await main([...argv]);
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.exitCode = exitCode;
    if (cwd !== undefined) process.chdir(here);
  }
  return { code, stdout: out.join(''), stderr: errs.join('') };
}

/** The lines of stderr that are warnings (`mmrace: warning: …`), and the others. */
export function stderrLines(o: Pick<Outcome, 'stderr'>): { warnings: string[]; others: string[] } {
  const lines = o.stderr.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  return { warnings: lines.filter((l) => l.startsWith('mmrace: warning: ')), others: lines.filter((l) => !l.startsWith('mmrace: warning: ')) };
}

/**
 * The contract of a failure on bad input: exit 2; on stderr exactly one line
 * `mmrace: error E_CODE: …` (after warnings only where `warnings` allows them), a user
 * error and never E_INTERNAL; no stack trace anywhere; on stdout nothing, or with --json
 * one JSON verdict `error` with the same code. Returns the code. `context` says what
 * input it was, for the failure message.
 */
export function expectFailure(o: Outcome, context: string, opts: { warnings?: boolean; json?: boolean; stdout?: boolean } = {}): string {
  const why = `${context}\nexit ${o.code}\nstdout: ${o.stdout.slice(0, 2000)}\nstderr: ${o.stderr.slice(0, 2000)}`;
  expect(o.stderr + o.stdout, why).not.toMatch(/\n\s+at /);
  expect(o.code, why).toBe(2);
  const { warnings, others } = stderrLines(o);
  expect(others, why).toHaveLength(1);
  if (!opts.warnings) expect(warnings, why).toHaveLength(0);
  const m = /^mmrace: error (E_[A-Z_]+): \S/.exec(others[0]!);
  expect(m, why).not.toBeNull();
  const code = m![1]!;
  expect(code, why).not.toBe('E_INTERNAL');
  if (opts.stdout) return code;
  if (opts.json) {
    const lines = o.stdout.trimEnd().split('\n');
    expect(lines, why).toHaveLength(1);
    expect(JSON.parse(lines[0]!), why).toMatchObject({ verdict: 'error', code });
  } else {
    expect(o.stdout, why).toBe('');
  }
  return code;
}

const made: string[] = [];

/** A fresh temporary folder (removed by `removeTemps`). */
export function temp(prefix = 'mmrace-fuzz-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes the folders `temp` made (use in afterAll). */
export function removeTemps(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * fast-check parameters of a fuzz property: `runs` by default, FUZZ_NUM_RUNS in the
 * environment for a longer session (FC_SEED and FC_PATH replay a reported failure).
 */
export function fuzzParams(runs: number): ReturnType<typeof fcParams> {
  return fcParams(runs, 'FUZZ_NUM_RUNS');
}
