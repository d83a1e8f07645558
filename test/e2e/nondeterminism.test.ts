/**
 * Nondeterministic models, end to end (issue 16): a violation is reported only once its
 * counterexample, re-executed from the start on a fresh copy of the model, ends in the
 * same violation; and the determinism probe (now and then a state expanded twice, its
 * successors compared) names a model whose nondeterminism never causes a violation. Both
 * end with verdict error, E_NONDETERMINISTIC, exit 2, in the main thread and on worker
 * threads; `mmrace replay` of a trace whose violation does not reproduce exits non-zero.
 *
 * The CLI runs the main thread (--workers 0); run-search.ts (a fixture) runs the library
 * with `inThreadBelow: 0`, which sends every level to the worker threads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures, mmrace, root, tmp } from './run.js';

/** A run of run-search.ts: its exit code, its stderr, and the JSON line it printed last. */
interface Searched {
  code: number | null;
  stderr: string;
  json: Record<string, any>;
}

/** Runs the library on `model` (a fixture) with `opts` in a child process; never waits more than 90 s. */
function search(model: string, opts: Record<string, unknown>): Searched {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(fixtures, 'run-search.ts'), join(fixtures, model), JSON.stringify(opts)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 90_000,
  });
  const last = r.stdout.trimEnd().split('\n').pop() ?? '';
  return { code: r.status, stderr: r.stderr, json: last.startsWith('{') ? JSON.parse(last) : {} };
}

const HINT = /Math\.random, Date\.now, or state kept outside the model/;

describe('a violation that does not reproduce is not reported (nondet-rare: every 5000th write corrupts x)', () => {
  it('check --workers 0: verdict error, E_NONDETERMINISTIC, naming the last state, the trace kept; replay of it exits non-zero', () => {
    const trace = join(tmp(), 'rare.json');
    const r = mmrace(['check', join(fixtures, 'nondet-rare.ts'), '--workers', '0', '--trace', trace, '--json']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC', traceFile: trace });
    expect(r.json.property).toBeUndefined();
    expect(r.json.message).toMatch(
      /^the search found a violation of ok \(invariant\) that does not reproduce: re-executing its counterexample from the start, its last state \(after step \d+\) does not violate ok$/,
    );
    expect(r.json.hint).toMatch(HINT);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // The counterexample the search reported, kept as it was.
    expect(existsSync(trace)).toBe(true);
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    expect(t.verdict).toBe('violation');
    expect(t.violation).toMatchObject({ kind: 'invariant', property: 'ok' });
    expect(t.schedule.at(-1).label).toBe('write');
    const rep = mmrace(['replay', trace]);
    expect(rep.code).toBe(2);
    expect(rep.stdout).toMatch(/^NOT REPRODUCED: the schedule runs to its end with no violation$/m);
    const json = mmrace(['replay', trace, '--json']);
    expect(json.code).toBe(2);
    expect(json.json).toMatchObject({ reproduced: false, verdict: 'no-violation' });
  });

  it('check (text): the error headline, its hint, and what the trace is', () => {
    const r = mmrace(['check', join(fixtures, 'nondet-rare.ts'), '--workers', '0', '--trace', join(tmp(), 'rare.json')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^ERROR E_NONDETERMINISTIC: the search found a violation of ok \(invariant\) that does not reproduce/m);
    expect(r.stdout).toMatch(HINT);
    expect(r.stdout).toMatch(/the trace is the counterexample the search reported \(\d+ steps\); replay shows what it does now/);
    expect(r.stdout).not.toMatch(/VIOLATION/);
  });

  it.each([['dfs'], ['random']])('--strategy %s: the same error', (strategy) => {
    const r = mmrace(['check', join(fixtures, 'nondet-rare.ts'), '--workers', '0', '--strategy', strategy, '-p', 'every=300', '--trace', join(tmp(), 'rare.json'), '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
  });

  it('on 2 worker threads: verdict error, E_NONDETERMINISTIC, never a violation', () => {
    const r = search('nondet-rare.ts', { engine: 'parallel', workers: 2, inThreadBelow: 0, batchSize: 64, params: { every: 3000 } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC', workers: 2 });
  });

  it('--all-violations confirms every violation', () => {
    const r = mmrace(['check', join(fixtures, 'nondet-rare.ts'), '--workers', '0', '--all-violations', '--trace', join(tmp(), 'rare.json'), '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
    expect(r.json.violations).toBeUndefined();
  });
});

describe('the determinism probe (nondet-quiet: a flip no invariant reads, never a violation)', () => {
  it('check --workers 0: verdict error, E_NONDETERMINISTIC naming the step and the slot, with the trace to it', () => {
    const trace = join(tmp(), 'quiet.json');
    const r = mmrace(['check', join(fixtures, 'nondet-quiet.ts'), '--workers', '0', '--trace', trace, '--json']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
    expect(r.json.message).toMatch(/^f\[0\] flip: two runs of the step from the same state gave different results \(the determinism probe\): w = [01], then [01]$/);
    expect(r.json.hint).toMatch(HINT);
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    expect(t.verdict).toBe('error');
    expect(t.error.code).toBe('E_NONDETERMINISTIC');
    expect(t.schedule.at(-1)).toMatchObject({ actor: 'f', label: 'flip' });
    // The step gives two results on replay too.
    const rep = mmrace(['replay', trace]);
    expect(rep.code).toBe(2);
    expect(rep.stderr).toMatch(/E_TRACE_DIVERGED: .*f\[0\] flip/);
  });

  it.each([['dfs'], ['random'], ['pct'], ['bounded']])('--strategy %s: the same error', (strategy) => {
    const r = mmrace(['check', join(fixtures, 'nondet-quiet.ts'), '--workers', '0', '--strategy', strategy, '-p', 'width=4', '--trace', join(tmp(), 'quiet.json'), '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
  });

  it('on 2 worker threads: verdict error, E_NONDETERMINISTIC', () => {
    const r = search('nondet-quiet.ts', { engine: 'parallel', workers: 2, inThreadBelow: 0, batchSize: 64 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC', workers: 2 });
    expect(r.json.message).toMatch(/^f\[0\] flip: two runs of the step from the same state gave different results/);
  });

  it('with partial-order reduction and sleep sets: the same error', () => {
    const r = mmrace(['check', join(fixtures, 'nondet-quiet.ts'), '--workers', '0', '--sleep-sets', '--trace', join(tmp(), 'quiet.json'), '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
  });
});
