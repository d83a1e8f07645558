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
import { CompiledModel, check, loadModel, loadScenario, type CheckResult } from '../../src/index.js';
import { createPool, parallelCheck, type Pool } from '../../src/parallel/explore.js';


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
    const seq = check(new CompiledModel(model, s.params), path, { strategy: 'bfs' });
    const runs = [];
    for (const pool of pools) runs.push(essence(await parallelCheck(new CompiledModel(model, s.params), path, { pool, batchSize: 64 })));
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
    return { code: r.status, stderr: r.stderr, json: last.startsWith('{') ? JSON.parse(last) : {} };
  };

  it('1 and 2 workers: identical verdict, counts and trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmrace-w-'));
    const one = run(['check', 'scenarios/contpte/b-nobbm.json', '--workers', '1', '--trace', join(dir, '1.json'), '--json']);
    const two = run(['check', 'scenarios/contpte/b-nobbm.json', '--workers', '2', '--trace', join(dir, '2.json'), '--json']);
    expect([one.code, two.code]).toEqual([1, 1]);
    for (const k of ['verdict', 'property', 'states', 'transitions', 'depth']) expect(two.json[k], k).toEqual(one.json[k]);
    expect([one.json.workers, two.json.workers]).toEqual([1, 2]);
    const schedule = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')).schedule;
    expect(schedule('2.json')).toEqual(schedule('1.json'));
  });

  it('a worker that dies is an error with a stable code, not a hang or a stack', () => {
    const r = run(['check', 'test/e2e/fixtures/exits-in-worker.ts', '--workers', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mmrace: error E_WORKER: a worker thread of the parallel explorer failed: worker exited with code: 3/);
  });

  it('a bad worker count is a usage error', () => {
    const r = run(['check', 'scenarios/contpte/s.json', '--workers', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mmrace: error E_USAGE: .*--workers/);
  });
});
