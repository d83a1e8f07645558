/**
 * src/parallel/levels-pool.ts: when the worker threads of a breadth-first search start. A
 * thread starts only for a level handed to it, so a search whose levels all run in the
 * main thread starts none (README: "a small search never starts a thread").
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../../src/index.js';
import { threadsStarted } from '../../../src/parallel/pool.js';
import { levelPool } from '../../../src/parallel/levels-pool.js';
import type { LevelPool } from '../../../src/engine/levels.js';
import type { CompiledModel } from '../../../src/model/compile.js';
import { root } from '../../e2e/run.js';

const WIDE = join(root, 'test/e2e/fixtures/wide-level.ts');
const LOST_UPDATE = join(root, 'examples/lost-update.ts');

/** The result of checking `target` with 2 workers, and the explorer threads started meanwhile. */
async function started(target: string, params: Record<string, number> = {}): Promise<{ threads: number; used: number | undefined; states: number }> {
  const before = threadsStarted();
  const r = await check({ model: (await import(target)).default, file: target, params }, { workers: 2 });
  return { threads: threadsStarted() - before, used: r.workers, states: r.states };
}

describe('the threads of --workers N', () => {
  it('start for no level of a small search (every level below 4096 states)', async () => {
    const r = await started(LOST_UPDATE);
    expect(r.threads).toBe(0);
    expect(r.used).toBe(0);
  });

  it('start only with a level they run: one level of 8192 states, then the end of the search', async () => {
    const r = await started(WIDE);
    expect(r.states).toBe(8193);
    // Started for the large level, they ran it: as many threads as the result says it used.
    expect(r.used).toBeGreaterThan(0);
    expect(r.threads).toBe(r.used);
  });

  it('start for no level of 4095 states, the largest that runs in the main thread', async () => {
    const r = await started(WIDE, { width: 4095 });
    expect(r.threads).toBe(0);
    expect(r.used).toBe(0);
  });
});

describe('--workers auto judges the threads against this thread', () => {
  /** A pool of `auto` whose threads never start (no level is handed to them here): only its judge runs. */
  function judge(): LevelPool & { readonly gaveUp: boolean } {
    const m = { params: {} } as unknown as CompiledModel;
    return levelPool(m, { path: 'model.ts', url: 'file:///model.ts' }, { workers: 2, auto: true }) as LevelPool & { readonly gaveUp: boolean };
  }
  /** Levels of 100,000 transitions each, at `rate` transitions per second. */
  const level = (rate: number): [number, number] => [100_000, 100_000 / rate];

  it('keeps threads that beat the recent levels here, though not the first, faster ones', () => {
    const p = judge();
    // The first levels here are fast (a small set), the last four slower (a large one).
    for (const rate of [4e6, 4e6, 4e6, 4e6, 1e6, 1e6, 1e6, 1e6]) p.observe(false, ...level(rate));
    // The threads: a first level (not judged), then 1.5 times the recent rate.
    for (let i = 0; i < 10; i++) p.observe(true, ...level(1.5e6));
    expect(p.gaveUp).toBe(false);
  });

  it('gives up threads slower than MIN_GAIN times the recent levels here', () => {
    const p = judge();
    for (const rate of [1e6, 1e6, 1e6, 1e6, 2e6, 2e6, 2e6, 2e6]) p.observe(false, ...level(rate));
    for (let i = 0; i < 20; i++) p.observe(true, ...level(2.2e6));
    expect(p.gaveUp).toBe(true);
  });

  it('judges only after JUDGE_AFTER seconds of levels on the threads', () => {
    const p = judge();
    for (let i = 0; i < 4; i++) p.observe(false, ...level(1e6));
    // Two levels of 0.1 s at a loss, the first not judged: 0.1 s is too little to judge.
    p.observe(true, 100_000, 0.1);
    p.observe(true, 100_000, 0.1);
    expect(p.gaveUp).toBe(false);
  });
});

describe('--workers auto starts no thread for a search whose levels no longer grow', () => {
  const judge = (): LevelPool => levelPool({ params: {} } as unknown as CompiledModel, { path: 'model.ts', url: 'file:///model.ts' }, { workers: 2, auto: true });
  const level = (n: number, depth: number) => ({ firstId: 0, n, depth, segs: [], starts: [] });

  for (const [what, sizes] of [
    ['flat levels (they may end at any level)', [100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000]],
    ['levels past the widest', [400_000, 380_000, 360_000, 340_000, 320_000, 300_000, 280_000, 260_000, 240_000]],
    ['levels that grow by less than a tenth over four levels', [100_000, 101_000, 102_000, 103_000, 104_000, 105_000, 106_000, 107_000, 108_000]],
  ] as const) {
    it(`${what}, after three seconds of search and more`, () => {
      const before = threadsStarted();
      const p = judge();
      const taken = sizes.map((n, d) => p.takes(level(n, d), 10 + d));
      expect(taken.every((t) => t === false)).toBe(true);
      expect(threadsStarted() - before).toBe(0);
    });
  }
});
