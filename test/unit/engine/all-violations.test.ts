/**
 * --all-violations reports every violated property, also an invariant that fails only in
 * states where an earlier one (in declaration order) fails too: each state is checked
 * against every invariant, in the main thread, on the worker threads and depth-first.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompiledModel, loadModel } from '../../../src/index.js';
import type { CheckResult } from '../../../src/index.js';
import { checkOnLevels } from '../../props/results.js';
import { fixtures } from '../../e2e/run.js';

const FILE = join(fixtures, 'masked-invariant.ts');

const found = (r: CheckResult): [string, number][] => (r.violations ?? []).map((v): [string, number] => [v.property, v.trace.schedule.length]).sort();

describe('an invariant masked by an earlier one is reported', () => {
  it.each([
    ['bfs in the main thread', { workers: 0 }],
    ['bfs on 2 worker threads', { workers: 2, inThreadBelow: 0, batchSize: 1 }],
  ] as const)('%s: both invariants, each at its shortest', async (_, where) => {
    const { model } = await loadModel(FILE);
    const r = await checkOnLevels(new CompiledModel(model, {}), FILE, { allViolations: true, ...where });
    expect(r.verdict).toBe('violation');
    expect(found(r)).toEqual([
      ['b-clear', 1],
      ['not-both', 2],
    ]);
  });

  it('dfs: both invariants', async () => {
    const { model } = await loadModel(FILE);
    const r = await checkOnLevels(new CompiledModel(model, {}), FILE, { allViolations: true, strategy: 'dfs', workers: 0 });
    expect(found(r).map(([p]) => p)).toEqual(['b-clear', 'not-both']);
  });

  it('without --all-violations: the first, as before', async () => {
    const { model } = await loadModel(FILE);
    const r = await checkOnLevels(new CompiledModel(model, {}), FILE, { workers: 0 });
    expect([r.verdict, r.property]).toEqual(['violation', 'b-clear']);
  });
});
