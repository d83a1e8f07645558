/** The PCT strategy (src/strategy/pct.ts): priorities, change points, the step bound. */
import { describe, expect, it } from 'vitest';
import { replay } from '../../../src/index.js';
import type { CompiledModel } from '../../../src/index.js';
import { DEFAULT_STEPS, Pct } from '../../../src/strategy/pct.js';
import type { Chooser, Enabled, RunEnd, RunView } from '../../../src/strategy/chooser.js';
import { runWalks } from '../../../src/engine/walks.js';
import { essence } from '../../props/results.js';
import { ANY_MODEL_PATH, checkIn, compileModel } from '../helpers.js';
import { oneWindow, preemptionsOf, quiet, twoWindows } from './models.js';

/** Runs PCT with depth d and records each run's moves (instances) and preemptions. */
async function record(m: CompiledModel, d: number, runs: number, seed = 1) {
  const pct = new Pct({ seed, pctDepth: d, instances: m.instances.length, maxDepth: Infinity });
  const schedules: { ks: number[]; preemptions: number }[] = [];
  const bounds: number[] = [];
  let ks: number[] = [];
  let preemptions = 0;
  const spy: Chooser = {
    bytes: 0,
    startRun: () => {
      const keep = pct.startRun();
      bounds.push(pct.stepBound);
      ks = [];
      preemptions = 0;
      return keep;
    },
    chooseInit: (n) => pct.chooseInit(n),
    choose: (e: Enabled, r: RunView) => {
      const i = pct.choose(e, r);
      if (r.last >= 0 && e.k(i) !== r.last && e.indexOf(r.last) >= 0) preemptions++;
      ks.push(e.k(i));
      return i;
    },
    endRun: (end: RunEnd, r: RunView) => {
      pct.endRun(end, r);
      schedules.push({ ks, preemptions });
    },
    summary: () => pct.summary(),
  };
  await runWalks(m, { maxDepth: Infinity, runs }, spy);
  return { schedules, bounds };
}

describe('pct', () => {
  it('depth 1: no change point, each run is the instances one after the other, in a random priority order', async () => {
    const { schedules } = await record(compileModel(quiet), 1, 200);
    const orders = new Map<string, number>();
    for (const s of schedules) {
      expect(s.preemptions).toBe(0);
      orders.set(s.ks.join(''), (orders.get(s.ks.join('')) ?? 0) + 1);
    }
    expect([...orders.keys()].sort()).toEqual(['000111', '111000']);
    expect(orders.get('000111')).toBeGreaterThan(70);
    expect(orders.get('111000')).toBeGreaterThan(70);
  });

  for (const d of [2, 3]) {
    it(`depth ${d}: at most ${d - 1} preemptions per run (a model without awaits), and some run has ${d - 1}`, async () => {
      const { schedules } = await record(compileModel(quiet), d, 300);
      const most = Math.max(...schedules.map((s) => s.preemptions));
      expect(most).toBe(d - 1);
      expect(new Set(schedules.map((s) => s.ks.join(''))).size).toBeGreaterThan(2);
    });
  }

  it('the step bound starts at the default, then is the longest run so far', async () => {
    const { bounds } = await record(compileModel(quiet), 3, 4);
    expect(bounds).toEqual([DEFAULT_STEPS, 6, 6, 6]);
  });

  it('a bug that needs two preemptions: depth 2 can never find it, depth 3 does', async () => {
    const m = compileModel(twoWindows);
    const two = await checkIn(m, ANY_MODEL_PATH, { strategy: 'pct', pctDepth: 2, runs: 2000, shrink: false });
    expect([two.verdict, two.limit, two.runs, two.pctDepth]).toEqual(['incomplete', 'runs', 2000, 2]);
    const three = await checkIn(m, ANY_MODEL_PATH, { strategy: 'pct', pctDepth: 3, runs: 2000, shrink: false });
    expect([three.verdict, three.property, three.pctDepth]).toEqual(['violation', 'both', 3]);
    expect(preemptionsOf(m, three.trace!)).toBe(2);
    expect(replay(three.trace!, m).reproduced).toBe(true);
  });

  it('the default depth 3 finds a one-preemption bug; the same seed gives the same result', async () => {
    const m = () => compileModel(oneWindow);
    const a = await checkIn(m(), ANY_MODEL_PATH, { strategy: 'pct', seed: 99, shrink: false });
    const b = await checkIn(m(), ANY_MODEL_PATH, { strategy: 'pct', seed: 99, shrink: false });
    expect([a.verdict, a.property, a.pctDepth]).toEqual(['violation', 'window', 3]);
    expect({ ...essence(b), runs: b.runs }).toEqual({ ...essence(a), runs: a.runs });
  });
});
