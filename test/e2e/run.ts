/** What the end-to-end test files share: running the real CLI and checking its errors. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const root = resolve(fileURLToPath(import.meta.url), '../../..');
export const bin = join(root, 'bin/mmrace.js');
export const fixtures = join(root, 'test/e2e/fixtures');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
  /** The last line of stdout as JSON (with --json), else {}. */
  json: Record<string, any>;
}

/** Runs `bin/mmrace.js args` in a child process, as CI does (CI=true, no terminal), with `env` added. */
export function mmrace(args: string[], cwd = root, env: Record<string, string> = {}): Run {
  // A run that hangs (a watchdog that failed) is killed, not left behind: SIGKILL, since a
  // main thread stuck in model code never runs the handler of SIGTERM.
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, timeout: 300_000, killSignal: 'SIGKILL' });
  const lines = r.stdout.trimEnd().split('\n');
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(lines[lines.length - 1] ?? '');
  } catch {
    /* text output */
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines, json };
}

/** A fresh temporary folder. */
export const tmp = (prefix = 'mmrace-e2e-'): string => mkdtempSync(join(tmpdir(), prefix));

/** Exit 2 with one line on stderr, `mmrace: error CODE: …` (matching `pattern` if given), and no stack. */
export function expectOneLineError(r: Run, code: string, pattern?: RegExp): void {
  expect(r.code).toBe(2);
  const errLines = r.stderr.trimEnd().split('\n');
  expect(errLines).toHaveLength(1);
  expect(errLines[0]).toMatch(new RegExp(`^mmrace: error ${code}: `));
  if (pattern) expect(errLines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
