/** The random-walk strategy (src/strategy/random.ts). */
import { describe, expect, it } from 'vitest';
import { replay } from '../../../src/index.js';
import { RandomWalk } from '../../../src/strategy/random.js';
import type { Enabled } from '../../../src/strategy/chooser.js';
import counter from '../../../models/counter/counter.js';
import { essence } from '../../props/results.js';
import { ANY_MODEL_PATH, checkIn, compileModel } from '../helpers.js';
import { whoMoved } from './models.js';

/** An enabled set: instance j has counts[j] transitions. */
function enabled(counts: number[]): Enabled {
  const first = [0];
  for (const c of counts) first.push(first[first.length - 1]! + c);
  const kOf = (i: number) => first.findIndex((f, j) => j < counts.length && i >= f && i < first[j + 1]!);
  return {
    length: first[counts.length]!,
    width: counts.length,
    instance: (j) => j,
    first: (j) => first[j]!,
    indexOf: (k) => (k < counts.length ? k : -1),
    k: kOf,
    ordinal: (i) => i - first[kOf(i)]!,
  };
}
const walk = (seed: number) => new RandomWalk({ seed, pctDepth: 3, instances: 2, maxDepth: Infinity });

describe('random walk', () => {
  it('picks an instance uniformly, then one of its choices uniformly (not a transition uniformly)', () => {
    const w = walk(5);
    const e = enabled([1, 9]);
    const counts = new Array<number>(10).fill(0);
    for (let n = 0; n < 4000; n++) counts[w.choose(e)]!++;
    // Instance 0 has one transition and half the picks; instance 1's nine share the other half.
    expect(counts[0]).toBeGreaterThan(1800);
    expect(counts[0]).toBeLessThan(2200);
    for (const c of counts.slice(1)) {
      expect(c).toBeGreaterThan(150);
      expect(c).toBeLessThan(300);
    }
  });

  it('chooses the initial state uniformly', () => {
    const w = walk(6);
    const counts = [0, 0, 0, 0];
    for (let n = 0; n < 4000; n++) counts[w.chooseInit(4)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
    expect(w.startRun()).toBe(-1);
    expect(w.summary()).toEqual({});
  });

  it('finds the lost update of the unlocked counter; the trace replays', async () => {
    const m = compileModel(counter, { threads: 2, locked: false });
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'random', seed: 11, shrink: false });
    expect([r.verdict, r.property, r.strategy, r.seed]).toEqual(['violation', 'final', 'random', 11]);
    expect(r.runs).toBeGreaterThanOrEqual(1);
    expect(replay(r.trace!, m).reproduced).toBe(true);
  });

  it('the same seed gives the same result; other seeds give other walks', async () => {
    const m = () => compileModel(counter, { threads: 3, locked: false });
    const a = await checkIn(m(), ANY_MODEL_PATH, { strategy: 'random', seed: 4, shrink: false });
    const b = await checkIn(m(), ANY_MODEL_PATH, { strategy: 'random', seed: 4, shrink: false });
    expect({ ...essence(b), runs: b.runs }).toEqual({ ...essence(a), runs: a.runs });
    const traces = new Set<string>();
    for (let seed = 0; seed < 8; seed++) traces.add(whoMoved((await checkIn(m(), ANY_MODEL_PATH, { strategy: 'random', seed, shrink: false })).trace!).join(' '));
    expect(traces.size).toBeGreaterThan(2);
  });
});
