/**
 * The parallel explorer on every scenario: 1, 2 and 3 workers give the same verdict,
 * counts and counterexample, equal to sequential BFS's (counts of a complete search,
 * property and schedule of a violation). And the CLI's --workers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, scenarioFiles } from './scenario-files.js';
import { CompiledModel, loadModel, loadScenario, type CheckResult } from '../../src/index.js';
import { createPool, type Pool } from '../../src/parallel/pool.js';
import { checkOnLevels } from '../props/results.js';
import { checkIn } from '../unit/helpers.js';


const files = scenarioFiles().filter((f) => !loadScenario(f).tags.includes('deep'));
const pools: Pool[] = [];
beforeAll(() => {
  for (const n of [1, 2, 3]) pools.push(createPool(n));
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

const essence = (r: CheckResult) => ({
  verdict: r.verdict,
  states: r.states,
  transitions: r.transitions,
  depth: r.depth,
  property: r.property,
  schedule: r.trace?.schedule,
});

describe('parallel BFS on the scenarios', () => {
  it.each(files.map((f) => [relative(root, f), f]))('%s: same at 1, 2, 3 workers and as sequential BFS', async (_n, file) => {
    const s = loadScenario(file);
    const { model, path } = await loadModel(s.modelPath);
    const seq = await checkIn(new CompiledModel(model, s.params), path, { strategy: 'bfs' });
    const runs = [];
    for (const pool of pools) runs.push(essence(await checkOnLevels(new CompiledModel(model, s.params), path, { pool, batchSize: 64, inThreadBelow: 0 })));
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    const par = runs[0]!;
    if (seq.verdict === 'safe') expect(par).toEqual(essence(seq));
    else expect([par.verdict, par.property, par.schedule]).toEqual([seq.verdict, seq.property, seq.trace?.schedule]);
  });
});

describe('--workers on the command line', () => {
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/mmrace.js'), ...args], { cwd: root, encoding: 'utf8' });
    const last = r.stdout.trimEnd().split('\n').pop() ?? '';
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json: last.startsWith('{') ? JSON.parse(last) : {} };
  };

  it('1 and 2 workers: identical verdict, counts and trace; a small search starts no thread', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmrace-w-'));
    const one = run(['check', 'scenarios/contpte/b-nobbm.json', '--workers', '1', '--trace', join(dir, '1.json'), '--json']);
    const two = run(['check', 'scenarios/contpte/b-nobbm.json', '--workers', '2', '--trace', join(dir, '2.json'), '--json']);
    expect([one.code, two.code], `stderr of 1 worker: ${one.stderr} (signal ${one.signal}); of 2: ${two.stderr} (signal ${two.signal})`).toEqual([1, 1]);
    for (const k of ['verdict', 'property', 'states', 'transitions', 'depth']) expect(two.json[k], k).toEqual(one.json[k]);
    // Every level of b-nobbm is below IN_THREAD_BELOW states: no thread ever expands one.
    expect([one.json.workers, two.json.workers]).toEqual([0, 0]);
    const schedule = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')).schedule;
    expect(schedule('2.json')).toEqual(schedule('1.json'));
  });

  it('a worker that dies every time is an error verdict with a stable code and the counts so far, not a hang or a stack', () => {
    const r = run(['check', 'test/e2e/fixtures/exits-in-worker.ts', '--workers', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ERROR E_WORKER: a worker thread of the parallel explorer failed: worker exited with code: 3/m);
    expect(r.stdout).toMatch(/^states \d/m);
  });

  it('a bad worker count is a usage error', () => {
    const r = run(['check', 'scenarios/contpte/s.json', '--workers', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mmrace: error E_USAGE: .*--workers/);
  });

  it('--workers 0 runs every level in this thread, with the same result', () => {
    const zero = run(['check', 'scenarios/contpte/s.json', '--workers', '0', '--json']);
    const two = run(['check', 'scenarios/contpte/s.json', '--workers', '2', '--json']);
    expect([zero.code, two.code]).toEqual([0, 0]);
    expect(zero.json.workers).toBe(0);
    for (const k of ['verdict', 'states', 'transitions', 'depth']) expect(two.json[k], k).toEqual(zero.json[k]);
  });
});

describe('--memory', () => {
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/mmrace.js'), ...args], { cwd: root, encoding: 'utf8' });
    const last = r.stdout.trimEnd().split('\n').pop() ?? '';
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: last.startsWith('{') ? JSON.parse(last) : {} };
  };
  const big = ['check', 'models/counter/counter.ts', '-p', 'threads=4', '-p', 'incs=4'];

  it.each([['0'], ['2']])('a tight limit ends incomplete, cleanly (--workers %s)', (w) => {
    const full = run([...big, '--json', '--workers', '0']);
    expect(full.json.verdict).toBe('safe');
    const r = run([...big, '--memory', '4M', '--workers', w, '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    expect(r.json).toMatchObject({ verdict: 'incomplete', limit: 'memory' });
    expect(r.json.limitMessage).toMatch(/memory limit \(4 MiB\) was reached/);
    expect(r.json.states).toBeGreaterThan(0);
    expect(r.json.states).toBeLessThan(full.json.states);
    const text = run([...big, '--memory', '4M', '--workers', w]);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/INCOMPLETE: stopped by the memory limit \(4 MiB\) was reached/);
  });

  it('a roomy limit changes nothing', () => {
    const a = run([...big, '--json']);
    const b = run([...big, '--memory', '1G', '--json']);
    for (const k of ['verdict', 'states', 'transitions', 'depth']) expect(b.json[k], k).toEqual(a.json[k]);
  });

  it('a bad size is a usage error', () => {
    const r = run([...big, '--memory', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mmrace: error E_USAGE: .*--memory/);
  });
});

describe('--all-violations', () => {
  it('reports every violated property with a replayable trace each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmrace-all-'));
    const r = spawnSync(process.execPath, [join(root, 'bin/mmrace.js'), 'check', 'test/e2e/fixtures/two-violations.ts', '--all-violations', '--trace', join(dir, 't.json'), '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout.trimEnd().split('\n').pop()!);
    const props = j.violations.map((v: { property: string }) => v.property).sort();
    expect(props).toEqual(['BIG', 'deadlock']);
    for (const v of j.violations) {
      const rep = spawnSync(process.execPath, [join(root, 'bin/mmrace.js'), 'replay', v.traceFile, '--json'], { cwd: root, encoding: 'utf8' });
      expect(rep.status, v.property).toBe(1);
      expect(JSON.parse(rep.stdout.trimEnd().split('\n').pop()!).property).toBe(v.property);
    }
    // Without the flag the search stops at the first.
    const one = spawnSync(process.execPath, [join(root, 'bin/mmrace.js'), 'check', 'test/e2e/fixtures/two-violations.ts', '--trace', join(dir, 'u.json'), '--json'], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(one.stdout.trimEnd().split('\n').pop()!).violations).toBeUndefined();
  });
});
