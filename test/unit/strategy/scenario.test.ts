/** Scenario files that name a bug-hunting strategy (src/run/scenario.ts). */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/index.js';
import { mmError } from '../helpers.js';

const base = { model: 'm.ts', expect: { verdict: 'violation', property: 'P' } };

describe('scenario fields of the bug-hunting strategies', () => {
  it('a strategy, a seed, a pct depth and runs are read', () => {
    const s = parseScenario({ ...base, strategy: 'pct', seed: 7, pctDepth: 2, limits: { runs: 50 } }, 'x.json');
    expect([s.strategy, s.seed, s.pctDepth, s.limits.runs]).toEqual(['pct', 7, 2, 50]);
    for (const strategy of ['random', 'bounded']) expect(parseScenario({ ...base, strategy }, 'x.json').strategy).toBe(strategy);
  });

  it('bad values and misplaced options are E_SCENARIO errors naming the field', () => {
    const bad = (json: Record<string, unknown>) => mmError(() => parseScenario({ ...base, ...json }, 'x.json'));
    expect(bad({ strategy: 'pct', seed: -1 }).message).toMatch(/at seed/);
    expect(bad({ strategy: 'pct', seed: 2 ** 32 }).message).toMatch(/at seed/);
    expect(bad({ strategy: 'pct', pctDepth: 0 }).message).toMatch(/at pctDepth/);
    expect(bad({ strategy: 'random', limits: { runs: 1.5 } }).message).toMatch(/at limits.runs/);
    expect(bad({ strategy: 'dfs', seed: 1 }).message).toMatch(/at seed: applies to the strategies random, pct and bounded, not dfs/);
    expect(bad({ strategy: 'bfs', limits: { runs: 3 } }).message).toMatch(/at limits.runs/);
    expect(bad({ strategy: 'bounded', pctDepth: 3 }).message).toMatch(/at pctDepth: applies to the strategy pct/);
    const safe = bad({ strategy: 'bounded', expect: { verdict: 'safe' } });
    expect([safe.code, safe.message]).toEqual(['E_SCENARIO', expect.stringMatching(/at expect.verdict: bounded is a bug-hunting strategy: it never reports safe/)]);
  });
});
