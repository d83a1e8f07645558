/**
 * Every scenario of scenarios/ (deep ones included only with MMRACE_DEEP=1): the
 * checker reaches the expected verdict, and every violation's trace replays to the same
 * property. In-process, through the public API, so the whole suite stays fast.
 */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, scenarioFiles } from './scenario-files.js';
import { CompiledModel, loadModel, loadScenario, replay } from '../../src/index.js';
import { checkIn } from '../unit/helpers.js';

const deep = process.env['MMRACE_DEEP'] === '1';

const files = scenarioFiles();

describe('every scenario meets its expectation and its trace replays', () => {
  it('covers the five seed problems with at least 30 variants', () => {
    const families = new Set(files.map((f) => relative(join(root, 'scenarios'), f).split('/')[0]));
    for (const f of ['trans_pgd', 'xen', 'direct_map', 'riscv_kexec', 'contpte']) expect(families).toContain(f);
    expect(files.filter((f) => !loadScenario(f).tags.includes('deep')).length).toBeGreaterThanOrEqual(30);
  });

  const run = files.filter((f) => deep || !loadScenario(f).tags.includes('deep'));
  it.each(run.map((f) => [relative(root, f), f]))('%s', async (_name, file) => {
    const s = loadScenario(file);
    const { model, path } = await loadModel(s.modelPath);
    const m = new CompiledModel(model, s.params);
    const r = await checkIn(m, path, {
      strategy: s.strategy as 'bfs' | 'dfs',
      maxStates: s.limits.maxStates,
      maxDepth: s.limits.maxDepth,
      timeLimit: s.limits.timeLimit,
      shrink: false,
    });
    if (s.expect.verdict === 'safe') {
      expect(r.verdict).toBe('safe');
      return;
    }
    expect([r.verdict, r.property]).toEqual(['violation', s.expect.property]);
    const rep = replay(r.trace!, new CompiledModel(model, s.params));
    expect([rep.reproduced, rep.property]).toEqual([true, s.expect.property]);
  });
});
