import { describe, expect, it } from 'vitest';
import { actor, defineModel, lock, replay } from '../../../src/index.js';
import { deadlockMessage } from '../../../src/engine/judge.js';
import { ANY_MODEL_PATH, abbaModel, checkIn, compileModel } from '../helpers.js';

describe('the judge', () => {
  it('names every instance a deadlock leaves waiting, with the label it waits at', async () => {
    const m = compileModel(abbaModel());
    const r = await checkIn(m, ANY_MODEL_PATH, { por: false });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('deadlock');
    expect(r.message).toBe('no step is enabled and some actor has not finished: P[0] waits at lb, Q[0] waits at la');
    // Replay judges the last state of the counterexample the same way.
    expect(replay(r.trace!, compileModel(abbaModel())).message).toBe(r.message);
  });

  it('leaves out the instances that finished', () => {
    const m = compileModel(abbaModel());
    const s = m.initialState([])!;
    // P finished (pc = done), Q waits at its second step.
    const p = m.byActor.get('P')![0]!;
    const q = m.byActor.get('Q')![0]!;
    s[p.pcWord] = (s[p.pcWord]! & ~(p.pcMask << p.pcShift)) | (p.done << p.pcShift);
    s[q.pcWord] = (s[q.pcWord]! & ~(q.pcMask << q.pcShift)) | (1 << q.pcShift);
    expect(deadlockMessage(m, s)).toBe('no step is enabled and some actor has not finished: Q[0] waits at la');
  });

  it('under symmetry reduction, names the instances of the counterexample, not of the sorted state', async () => {
    // Two interchangeable instances race for a lock that is never released: the loser waits.
    const racers = defineModel({
      id: 'racers',
      state: { l: lock() },
      actors: { T: actor({ instances: 2, symmetric: true, steps: { take: { await: (c) => c.s.l.free, do: (c) => c.s.l.acquire(0) } } }) },
    });
    for (const symmetry of [true, false]) {
      const r = await checkIn(compileModel(racers), ANY_MODEL_PATH, { symmetry });
      expect(r.property).toBe('deadlock');
      const winner = r.trace!.schedule[0]!.instance;
      expect(r.message).toBe(`no step is enabled and some actor has not finished: T[${1 - winner}] waits at take`);
    }
  });
});
