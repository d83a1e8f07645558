/**
 * src/parallel/levels-pool.ts: when the worker threads of a breadth-first search start. A
 * thread starts only for a level handed to it, so a search whose levels all run in the
 * main thread starts none (README: "a small search never starts a thread").
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../../src/index.js';
import { threadsStarted } from '../../../src/parallel/pool.js';
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
