/**
 * Counterexample shrinking on small hand-written models: a lost update, the same race
 * padded with steps of an unrelated actor, a trace full of needless context switches,
 * and the other kinds of violations (fault, deadlock, model error, choices in init and
 * steps).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { actor, bool, defineModel, int, replay } from '../../../src/index.js';
import type { CompiledModel, Trace } from '../../../src/index.js';
import { Expander } from '../../../src/engine/transitions.js';
import type { Path } from '../../../src/engine/result.js';
import { buildTrace } from '../../../src/trace/trace.js';
import { countPreemptions, shrink, shrinkTrace } from '../../../src/trace/shrink.js';
import { shrinkCheckResult } from '../../../src/run/result.js';
import { ANY_MODEL_PATH, abbaModel, checkIn, compileModel, faulty, mmError, preemptionsByReplay, removeTempDirs } from '../helpers.js';

afterAll(removeTempDirs);

/** Two actors read a shared counter into a local and write it back plus one. */
const lostUpdate = defineModel({
  id: 'lost-update',
  state: { x: int(0, 2), y: int(0, 3) },
  actors: {
    P: actor({
      locals: { tmp: int(0, 2) },
      steps: {
        read: (c) => void (c.l.tmp = c.s.x),
        write: (c) => void (c.s.x = c.l.tmp + 1),
      },
    }),
    Q: actor({
      locals: { tmp: int(0, 2) },
      steps: {
        read: (c) => void (c.l.tmp = c.s.x),
        write: (c) => void (c.s.x = c.l.tmp + 1),
      },
    }),
    // Unrelated work: N picks values for y, which no invariant looks at.
    N: actor({
      steps: {
        a: (c) => void (c.s.y = c.choose([1, 2, 3])),
        b: (c) => void (c.s.y = 0),
        c: (c) => void (c.s.y = c.choose([3, 2])),
      },
    }),
  },
  invariants: { counted: (s, w) => w.pc('P') !== 'done' || w.pc('Q') !== 'done' || s.x === 2 },
});
const [P, Q, N] = [0, 1, 2];

/** A trace of `m` from a path of (instance, ordinal) moves, for the property. */
function traceFrom(m: CompiledModel, moves: [number, number][], violation: NonNullable<Trace['violation']>, init = 0): Trace {
  const path: Path = { init, moves };
  return buildTrace(m, ANY_MODEL_PATH, path, { verdict: 'violation', violation });
}

const counted = { kind: 'invariant' as const, property: 'counted', message: 'counted does not hold' };

/** `actor[instance] label` of each step. */
const steps = (t: Trace) => t.schedule.map((s) => `${s.actor}[${s.instance}] ${s.label}`);


function expectReproduces(t: Trace, m: CompiledModel, kind: string, property: string): void {
  const r = replay(t, m);
  expect({ reproduced: r.reproduced, kind: r.kind, property: r.property }).toEqual({ reproduced: true, kind, property });
}

describe('preemptions', () => {
  it('a switch away from a running instance counts; after it finished or while it waits, it is free', () => {
    const waits = defineModel({
      id: 'waits',
      state: { x: int(0, 1), y: int(0, 1) },
      actors: {
        X: actor({ steps: { s1: (c) => void (c.s.x = 1), s2: { await: (c) => c.s.y === 1, do: (c) => void (c.s.x = 0) } } }),
        Y: actor({ steps: { t1: (c) => void (c.s.y = 1), t2: (c) => void (c.s.y = 1) } }),
      },
    });
    const m = compileModel(waits);
    const v = { kind: 'invariant' as const, property: 'never', message: '' };
    // X waits for y at s2: switching to Y is free; Y then runs on, X finishes: free again.
    expect(countPreemptions(traceFrom(m, [[0, 0], [1, 0], [0, 0], [1, 0]], v), m)).toBe(1);
    expect(countPreemptions(traceFrom(m, [[0, 0], [1, 0], [1, 0], [0, 0]], v), m)).toBe(0);
    // Y first, then X while Y could still run t2: one preemption; back to Y after X is done: free.
    expect(countPreemptions(traceFrom(m, [[1, 0], [0, 0], [0, 0], [1, 0]], v), m)).toBe(1);
    expect(countPreemptions(traceFrom(m, [[1, 0], [1, 0], [0, 0]], v), m)).toBe(0);
  });
});

describe('shrinkTrace', () => {
  it('a lost update: two reads, then the writes in the order that needs one preemption only', async () => {
    const m = compileModel(lostUpdate);
    for (const strategy of ['bfs', 'dfs'] as const) {
      const r = await checkIn(m, ANY_MODEL_PATH, { strategy, shrink: false });
      expect(r.property).toBe('counted');
      const s = shrink(r.trace!, m);
      expect(s.shrunk).toBe(true);
      expect(s.limitHit).toBe(false);
      expect(s.after).toEqual({ steps: 4, preemptions: 1 });
      expect(preemptionsByReplay(s.trace, m)).toBe(1);
      expect(s.before.preemptions).toBe(preemptionsByReplay(r.trace!, m));
      // One actor reads, the other reads and writes, then the first writes its stale value.
      expect([
        ['P[0] read', 'Q[0] read', 'Q[0] write', 'P[0] write'],
        ['Q[0] read', 'P[0] read', 'P[0] write', 'Q[0] write'],
      ]).toContainEqual(steps(s.trace));
      expectReproduces(s.trace, m, 'invariant', 'counted');
    }
  });

  it('a trace padded with steps of an unrelated actor loses them all', () => {
    const m = compileModel(lostUpdate);
    // N's steps (with choices) before and between the race's; 4 preemptions.
    const padded = traceFrom(
      m,
      [[N, 2], [P, 0], [N, 0], [Q, 0], [N, 1], [Q, 0], [P, 0]],
      counted,
    );
    expectReproduces(padded, m, 'invariant', 'counted');
    expect(padded.schedule).toHaveLength(7);
    expect(preemptionsByReplay(padded, m)).toBe(4);
    const s = shrink(padded, m);
    expect(s.before).toEqual({ steps: 7, preemptions: 4 });
    expect(steps(s.trace)).toEqual(['P[0] read', 'Q[0] read', 'Q[0] write', 'P[0] write']);
    expect(s.after).toEqual({ steps: 4, preemptions: 1 });
    expectReproduces(s.trace, m, 'invariant', 'counted');
  });

  it('needless context switches are taken out: each actor runs to its end in one go', () => {
    // The violation needs every step of A and of B, in any order.
    const both = defineModel({
      id: 'both',
      state: { x: int(0, 3), y: int(0, 3) },
      actors: {
        A: actor({ steps: { a1: (c) => void (c.s.x = c.s.x + 1), a2: (c) => void (c.s.x = c.s.x + 1), a3: (c) => void (c.s.x = c.s.x + 1) } }),
        B: actor({ steps: { b1: (c) => void (c.s.y = c.s.y + 1), b2: (c) => void (c.s.y = c.s.y + 1), b3: (c) => void (c.s.y = c.s.y + 1) } }),
      },
      invariants: { notBoth: (s) => !(s.x === 3 && s.y === 3) },
    });
    const m = compileModel(both);
    const v = { kind: 'invariant' as const, property: 'notBoth', message: 'notBoth does not hold' };
    const zigzag = traceFrom(m, [[0, 0], [1, 0], [0, 0], [1, 0], [0, 0], [1, 0]], v);
    expect(preemptionsByReplay(zigzag, m)).toBe(4);
    const s = shrink(zigzag, m);
    expect(s.before).toEqual({ steps: 6, preemptions: 4 });
    expect(s.after).toEqual({ steps: 6, preemptions: 0 });
    expect(preemptionsByReplay(s.trace, m)).toBe(0);
    const actors = s.trace.schedule.map((st) => st.actor).join('');
    expect(['AAABBB', 'BBBAAA']).toContain(actors);
    expectReproduces(s.trace, m, 'invariant', 'notBoth');
  });

  it('steps after the violation are cut', () => {
    const m = compileModel(lostUpdate);
    // The lost update is complete after 4 steps; N runs three more, which keep it violated.
    const late = traceFrom(m, [[P, 0], [Q, 0], [Q, 0], [P, 0], [N, 0], [N, 0], [N, 0]], counted);
    expectReproduces(late, m, 'invariant', 'counted');
    const s = shrink(late, m);
    expect(steps(s.trace)).toEqual(['P[0] read', 'Q[0] read', 'Q[0] write', 'P[0] write']);
  });

  it('another property violated on the way is passed through, never taken for the one to keep', () => {
    const two = defineModel({
      id: 'two-invariants',
      state: { x: int(0, 3), y: int(0, 1) },
      actors: {
        A: actor({ steps: { a1: (c) => void (c.s.x = 1), a2: (c) => void (c.s.x = 2), a3: (c) => void (c.s.x = 3) } }),
        B: actor({ steps: { b1: (c) => void (c.s.y = 1) } }),
      },
      // Both fail at the end of the trace below; replay names the first in this order.
      invariants: { xNot3: (s) => s.x !== 3, yNot1: (s) => s.y !== 1 },
    });
    const m = compileModel(two);
    const t = traceFrom(m, [[1, 0], [0, 0], [0, 0], [0, 0]], { kind: 'invariant', property: 'xNot3', message: 'xNot3 does not hold' });
    expectReproduces(t, m, 'invariant', 'xNot3');
    const s = shrink(t, m);
    expect(steps(s.trace)).toEqual(['A[0] a1', 'A[0] a2', 'A[0] a3']);
    expectReproduces(s.trace, m, 'invariant', 'xNot3');
  });

  it('a fault: the trace keeps the property, and a shrunk trace is a fixed point', async () => {
    const m = compileModel(faulty);
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'dfs', shrink: false });
    const s = shrink(r.trace!, m);
    expect(s.trace.violation).toMatchObject({ kind: 'fault', property: 'oops' });
    // B adds first and finishes, then A runs: no preemption at all.
    expect(s.after).toEqual({ steps: 3, preemptions: 0 });
    expect(steps(s.trace)).toEqual(['B[0] inc', 'A[0] inc', 'A[0] test']);
    expectReproduces(s.trace, m, 'fault', 'oops');
    const again = shrink(s.trace, m);
    expect(again.trace).toEqual(s.trace);
    expect(again.after).toEqual(s.after);
  });

  it('a deadlock (AB/BA locks): each takes its first lock, one preemption', () => {
    const abba = abbaModel(true);
    const m = compileModel(abba);
    const v = { kind: 'deadlock' as const, property: 'deadlock', message: 'no step is enabled and some actor has not finished' };
    // R runs in between and after: it must finish for the state to be a deadlock.
    const t = traceFrom(m, [[2, 0], [0, 0], [2, 0], [1, 0]], v);
    expectReproduces(t, m, 'deadlock', 'deadlock');
    const s = shrink(t, m);
    expect(s.after).toEqual({ steps: 4, preemptions: 1 });
    // R's steps stay (a deadlock needs every actor stuck or done), but run in one go.
    expect(s.trace.schedule.map((st) => st.actor).join('')).toMatch(/^(RRPQ|RRQP|PQRR|QPRR|PRRQ|QRRP)$/);
    expectReproduces(s.trace, m, 'deadlock', 'deadlock');
  });

  it('choices in init and in steps: smaller choices, the same violation', () => {
    const choosy = defineModel({
      id: 'choosy',
      state: { x: int(0, 9), y: int(0, 5) },
      init: (c) => void (c.s.y = c.choose([0, 1, 2])),
      actors: {
        T: actor({
          steps: {
            pick: (c) => void (c.s.x = c.choose([1, 2, 3, 4])),
            add: (c) => void (c.s.x = c.s.x + c.s.y),
          },
        }),
      },
      invariants: { notFour: (s) => s.x !== 4 },
    });
    const m = compileModel(choosy);
    // y = 2 (init's choice 2), x = 2 (choice 1), then add: x = 4. The same trace is
    // shorter with x = 4 picked at once (choice 3), and that is what comes out.
    const t = traceFrom(m, [[0, 1], [0, 0]], { kind: 'invariant', property: 'notFour', message: 'notFour does not hold' }, 2);
    expect(t.init.choice).toEqual([2]);
    expectReproduces(t, m, 'invariant', 'notFour');
    const s = shrink(t, m);
    expect(s.after).toEqual({ steps: 1, preemptions: 0 });
    expect(s.trace.schedule).toMatchObject([{ actor: 'T', label: 'pick', choice: [3] }]);
    // The first initial state (y = 0) does as well, and comes first.
    expect(s.trace.init.choice).toEqual([0]);
    expectReproduces(s.trace, m, 'invariant', 'notFour');
  });

  it('a model error: the same error code, the failing step last', async () => {
    const throws = defineModel({
      id: 'throws-late',
      state: { x: int(0, 3), y: bool() },
      actors: {
        A: actor({
          steps: {
            one: (c) => void (c.s.x = 1),
            two: (c) => {
              if (c.s.x === 1) throw new TypeError('cannot read pte of undefined');
            },
          },
        }),
        B: actor({ steps: { b: (c) => void (c.s.y = true), c: (c) => void (c.s.y = false) } }),
      },
    });
    const m = compileModel(throws);
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'dfs', shrink: false });
    expect(r.verdict).toBe('error');
    const padded = buildTrace(m, ANY_MODEL_PATH, { init: 0, moves: [[1, 0], [0, 0], [1, 0], [0, 0]] }, { verdict: 'error', error: r.trace!.error! });
    expect(replay(padded, m)).toMatchObject({ reproduced: true, kind: 'error', property: 'E_MODEL_THREW' });
    const s = shrink(padded, m);
    expect(steps(s.trace)).toEqual(['A[0] one', 'A[0] two']);
    expect(s.trace.error?.code).toBe('E_MODEL_THREW');
    expect(replay(s.trace, m)).toMatchObject({ reproduced: true, kind: 'error', property: 'E_MODEL_THREW' });
  });

  it('keeps the model, parameters and scenario of the input, and recomputes labels and fingerprints', () => {
    const m = compileModel(lostUpdate);
    const padded = { ...traceFrom(m, [[N, 0], [P, 0], [Q, 0], [Q, 0], [P, 0]], counted), scenario: 'scenarios/x/lost.json' };
    const out = shrinkTrace(padded, m);
    expect(out.format).toBe('mmrace-trace/1');
    expect(out.model).toEqual(padded.model);
    expect(out.params).toEqual(padded.params);
    expect(out.scenario).toBe('scenarios/x/lost.json');
    // Every step's fingerprint is that of the state it leads to now, not a copied one.
    const ex = new Expander(m);
    let s = m.initialState([])!;
    for (const st of out.schedule) {
      expect(ex.runChoice(s, m.instance(st.actor, st.instance).k, st.choice ?? [])).toBe('ok');
      s = ex.work.slice();
    }
    const rebuilt = traceFrom(m, [[P, 0], [Q, 0], [Q, 0], [P, 0]], counted);
    expect(out.schedule).toEqual(rebuilt.schedule);
  });

  it('maxRuns bounds the work and keeps the best so far, never worse than the input', () => {
    const m = compileModel(lostUpdate);
    const padded = traceFrom(m, [[N, 2], [P, 0], [N, 0], [Q, 0], [N, 1], [Q, 0], [P, 0]], counted);
    expect(shrink(padded, m).runs).toBeGreaterThan(20);
    for (const maxRuns of [1, 2, 5, 20]) {
      const s = shrink(padded, m, { maxRuns });
      expect(s.runs).toBeLessThanOrEqual(maxRuns);
      expect(s.limitHit).toBe(true);
      expect(s.after.steps).toBeLessThanOrEqual(7);
      expect(s.after.preemptions).toBeLessThanOrEqual(s.before.preemptions);
      expectReproduces(s.trace, m, 'invariant', 'counted');
    }
    expect(mmError(() => shrink(padded, m, { maxRuns: 0 })).code).toBe('E_USAGE');
  });

  it('refuses a trace that does not reproduce its violation', () => {
    const m = compileModel(lostUpdate);
    const t = traceFrom(m, [[P, 0], [Q, 0], [Q, 0], [P, 0]], counted);
    const wrong = { ...t, violation: { ...counted, property: 'other' } };
    const e = mmError(() => shrink(wrong, m, { name: 'lost.trace.json' }));
    expect(e.code).toBe('E_TRACE_DIVERGED');
    expect(e.message).toMatch(/^lost\.trace\.json does not reproduce its violation of other/);
    // A schedule that ends before the violation: nothing to shrink either.
    const short = { ...t, schedule: t.schedule.slice(0, 3) };
    expect(mmError(() => shrink(short, m)).message).toMatch(/runs to the end with no violation/);
  });
});

describe('shrinkCheckResult', () => {
  it('replaces the traces of a DFS result by shrunk ones and reports before and after', async () => {
    const m = compileModel(lostUpdate);
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'dfs', shrink: false });
    const { result, reports } = shrinkCheckResult(r, m);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ property: 'counted', after: { steps: 4, preemptions: 1 } });
    expect(reports[0]!.before.steps).toBe(r.trace!.schedule.length);
    expect(result.trace!.schedule).toHaveLength(4);
    expect({ verdict: result.verdict, property: result.property, states: result.states }).toEqual({ verdict: r.verdict, property: r.property, states: r.states });
    // The input result is untouched.
    expect(r.trace!.schedule.length).toBe(reports[0]!.before.steps);
  });

  it('with every violation, each trace; a result without a trace comes back as it is', async () => {
    const m = compileModel(lostUpdate);
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'dfs', allViolations: true, shrink: false });
    const { result, reports } = shrinkCheckResult(r, m);
    expect(result.violations!.map((v) => v.trace.schedule.length)).toEqual(reports.map((x) => x.after.steps));
    expect(result.violations![0]!.trace).toBe(result.trace);

    const safe = await checkIn(compileModel(lostUpdate), ANY_MODEL_PATH, { maxDepth: 1, shrink: false });
    expect(safe.trace).toBeUndefined();
    expect(shrinkCheckResult(safe, m)).toEqual({ result: safe, reports: [] });
  });

  it('keeps a trace it cannot shrink and says why', async () => {
    const m = compileModel(lostUpdate);
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'dfs', shrink: false });
    const broken = { ...r, trace: { ...r.trace!, violation: { ...r.trace!.violation!, property: 'other' } } };
    const { result, reports } = shrinkCheckResult(broken, m);
    expect(result.trace).toBe(broken.trace);
    expect(reports[0]!.error).toMatch(/does not reproduce/);
  });
});
