/**
 * Nondeterministic models (issue 16): the determinism probe of the expander (a state
 * expanded twice, its successors compared), and the confirmation of every violation
 * before `check` reports it (run/result.ts confirmViolations). Deterministic models must
 * never trigger either, and the probe must hand the sink exactly what one expansion does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { actor, defineModel, int, MmraceError, type CheckResult, type CompiledModel } from '../../../src/index.js';
import { Expander, PROBE_EVERY, StepError, type SuccessorSink } from '../../../src/engine/transitions.js';
import { confirmViolations } from '../../../src/run/result.js';
import { ANY_MODEL_PATH, abbaModel, checkIn, compileModel, faulty, removeTempDirs } from '../helpers.js';

afterAll(removeTempDirs);

interface Succ {
  k: number;
  ordinal: number;
  state: number[];
  fault: string | null;
}

/** A sink that records every successor (decoded), and stops after `stopAfter` of them. */
function recorder(m: CompiledModel, stopAfter = Infinity): SuccessorSink & { list: Succ[] } {
  const list: Succ[] = [];
  return {
    list,
    successor(k, ordinal, work, ctx) {
      list.push({ k, ordinal, state: m.decode(work), fault: ctx.faultMsg });
      return list.length < stopAfter;
    },
  };
}

/** The error `fn` throws. */
function thrown(fn: () => unknown): MmraceError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MmraceError) return e;
    throw e;
  }
  throw new Error('expected an MmraceError');
}

/** F flips w from a counter (0, 1, 0, …) kept outside the model; B sets z. Slots: w, z, F[0].pc, B[0].pc. */
function flipModel(): CompiledModel {
  let calls = 0;
  return compileModel(
    defineModel({
      id: 'flip',
      state: { w: int(0, 1), z: int(0, 3) },
      actors: {
        F: actor({ steps: { flip: (c) => void (c.s.w = calls++ % 2) } }),
        B: actor({ steps: { set: (c) => void (c.s.z = 1) } }),
      },
    }),
  );
}

describe('the determinism probe (Expander)', () => {
  it('probes the first expansion, then every PROBE_EVERY-th', () => {
    expect(PROBE_EVERY).toBe(1000);
    let runs = 0;
    const m = compileModel(defineModel({ id: 'count', state: { z: int(0, 3) }, actors: { B: actor({ steps: { set: (c) => void ((c.s.z = 1), runs++) } }) } }));
    const ex = new Expander(m);
    ex.probeEvery = 3;
    const src = m.initialStates()[0]!;
    for (let i = 0; i < 7; i++) expect(ex.expand(src, recorder(m))).toBe(1);
    // Expansions 1, 4 and 7 ran the step twice.
    expect(runs).toBe(7 + 3);
    ex.probeEvery = 0;
    runs = 0;
    for (let i = 0; i < 5; i++) ex.expand(src, recorder(m));
    expect(runs).toBe(5);
  });

  it('a step that gives two results from the same state: E_NONDETERMINISTIC naming the step and the slot, as a StepError (the trace ends with it)', () => {
    const m = flipModel();
    const ex = new Expander(m);
    const sink = recorder(m);
    const e = thrown(() => ex.expand(m.initialStates()[0]!, sink));
    expect(e).toBeInstanceOf(StepError);
    expect(e.code).toBe('E_NONDETERMINISTIC');
    expect(e.message).toBe('F[0] flip: two runs of the step from the same state gave different results (the determinism probe): w = 0, then 1');
    expect(e.hint).toMatch(/Math\.random, Date\.now, or state kept outside the model/);
    expect([(e as StepError).k, (e as StepError).ordinal]).toEqual([0, 0]);
    // The sink saw the first expansion's successors, once each.
    expect(sink.list.map((s) => s.k)).toEqual([0, 1]);
  });

  it('without the probe (probeEvery 0), or on a state not probed, the same model expands without an error', () => {
    const m = flipModel();
    const ex = new Expander(m);
    ex.probeEvery = 0;
    expect(ex.expand(m.initialStates()[0]!, recorder(m))).toBe(2);
  });

  it('a guard that gives two answers: E_NONDETERMINISTIC at the state, naming the successors that differ', () => {
    let calls = 0;
    const m = compileModel(
      defineModel({
        id: 'guard',
        state: { z: int(0, 3) },
        actors: {
          G: actor({ steps: { go: { await: () => calls++ % 2 === 0, do: (c) => void (c.s.z = 2) } } }),
          B: actor({ steps: { set: (c) => void (c.s.z = 1) } }),
        },
      }),
    );
    const e = thrown(() => new Expander(m).expand(m.initialStates()[0]!, recorder(m)));
    expect(e).not.toBeInstanceOf(StepError);
    expect(e.code).toBe('E_NONDETERMINISTIC');
    expect(e.message).toBe('two expansions of the same state gave different successors (the determinism probe): its successor 1 was G[0] go (choices #0) the first time, B[0] set (choices #0) the second');
  });

  it('a fault raised once, not twice: E_NONDETERMINISTIC naming the fault', () => {
    let calls = 0;
    const m = compileModel(
      defineModel({
        id: 'fault',
        state: { z: int(0, 3) },
        actors: {
          T: actor({
            steps: {
              t: (c) => {
                if (calls++ === 0) c.fault('once', 'P');
              },
            },
          }),
        },
      }),
    );
    const e = thrown(() => new Expander(m).expand(m.initialStates()[0]!, recorder(m)));
    expect(e.code).toBe('E_NONDETERMINISTIC');
    expect(e.message).toMatch(/^T\[0\] t: .*the fault raised: P: once, then none$/);
  });

  it('a step that throws only the second time: E_NONDETERMINISTIC with its message', () => {
    let calls = 0;
    const m = compileModel(
      defineModel({
        id: 'throws',
        state: { z: int(0, 3) },
        actors: {
          T: actor({
            steps: {
              t: (c) => {
                if (calls++ === 1) throw new Error('second');
                c.s.z = 1;
              },
            },
          }),
        },
      }),
    );
    const e = thrown(() => new Expander(m).expand(m.initialStates()[0]!, recorder(m)));
    expect(e).toBeInstanceOf(StepError);
    expect(e.code).toBe('E_NONDETERMINISTIC');
    expect(e.message).toMatch(/^T\[0\] t: the step threw when it ran again from the same state \(the determinism probe\), not the first time: .*second/);
  });

  it('a sink that stops: the second run stops at the same successor (a step the search does not run is not run)', () => {
    let bRuns = 0;
    const m = compileModel(
      defineModel({
        id: 'stop',
        state: { x: int(0, 3), z: int(0, 3) },
        actors: {
          A: actor({ steps: { a: (c) => void (c.s.x = 1) } }),
          B: actor({ steps: { b: (c) => void ((c.s.z = 1), bRuns++) } }),
        },
      }),
    );
    const ex = new Expander(m);
    ex.probeEvery = 1;
    const sink = recorder(m, 1);
    expect(ex.expand(m.initialStates()[0]!, sink)).toBe(1);
    expect(sink.list).toHaveLength(1);
    expect(bRuns).toBe(0);
  });

  /** Every reachable state of `m`, expanded with and without the probe at every state: the same successors and counts. */
  function sameWithProbe(m: CompiledModel, how: 'expand' | 'por' | 'sleep'): number {
    const plain = new Expander(m);
    plain.probeEvery = 0;
    const probed = new Expander(m);
    probed.probeEvery = 1;
    const run = (ex: Expander, s: Int32Array, sink: SuccessorSink): number =>
      how === 'expand' ? ex.expand(s, sink) : how === 'por' ? ex.expandPor(s, sink) : ex.expandSleep(s, 0, sink, true);
    const seen = new Set<string>();
    const todo = m.initialStates();
    let states = 0;
    while (todo.length > 0) {
      const s = todo.pop()!;
      const key = m.decode(s).join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      states++;
      const a = recorder(m);
      const b = recorder(m);
      expect(run(probed, s, b)).toBe(run(plain, s, a));
      expect(b.list).toEqual(a.list);
      for (const x of a.list) if (x.fault === null) todo.push(m.encode(x.state));
    }
    return states;
  }

  it.each([['expand'], ['por'], ['sleep']] as const)('deterministic models, every state probed (%s): never an error, the same successors', (how) => {
    for (const model of [abbaModel(true), faulty]) {
      const m = compileModel(model);
      expect(sameWithProbe(m, how)).toBeGreaterThan(3);
    }
  });
});

describe('every violation is confirmed before it is reported', () => {
  /** W writes x from a counter: 3 (violating ok) on the `bad`-th call only. */
  function corrupting(bad: number): CompiledModel {
    let calls = 0;
    return compileModel(
      defineModel({
        id: 'corrupting',
        state: { x: int(0, 3), z: int(0, 3) },
        init: (c) => void (c.s.z = c.choose(4)),
        actors: {
          W: actor({ steps: { write: (c) => void (c.s.x = ++calls === bad ? 3 : 1) } }),
          B: actor({ steps: { set: (c) => void (c.s.x = c.s.x === 3 ? 3 : 2) } }),
        },
        invariants: { ok: (s) => s.x !== 3 },
      }),
    );
  }

  it('a violation whose counterexample does not end in it: verdict error, E_NONDETERMINISTIC, the trace kept', async () => {
    const r = await checkIn(corrupting(3), ANY_MODEL_PATH);
    expect(r).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
    expect(r.property).toBeUndefined();
    expect(r.kind).toBeUndefined();
    expect(r.message).toMatch(/^the search found a violation of ok \(invariant\) that does not reproduce: re-executing its counterexample from the start, its last state \(after step \d\) does not violate ok$/);
    expect(r.hint).toMatch(/Math\.random/);
    expect(r.trace).toMatchObject({ verdict: 'violation', violation: { kind: 'invariant', property: 'ok' } });
  });

  it('the same in a depth-first search', async () => {
    for (const strategy of ['dfs'] as const) {
      const r = await checkIn(corrupting(3), ANY_MODEL_PATH, { strategy });
      expect(r, strategy).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
    }
  });

  it('a deterministic model keeps its violations, with --all-violations too', async () => {
    const r = await checkIn(compileModel(faulty), ANY_MODEL_PATH);
    expect(r).toMatchObject({ verdict: 'violation', property: 'oops', kind: 'fault' });
    const all = await checkIn(compileModel(abbaModel(true)), ANY_MODEL_PATH, { allViolations: true });
    expect(all.verdict).toBe('violation');
  });

  it('--all-violations: a deadlock in a state that also violates an invariant is confirmed (replay of its deadlock trace tells the deadlock)', async () => {
    const m = compileModel(
      defineModel({
        id: 'both',
        state: { x: int(0, 3), z: int(0, 1) },
        init: (c) => void (c.s.x = 1),
        actors: { W: actor({ steps: { wait: { await: (c) => c.s.z === 1 } } }) },
        invariants: { zero: (s) => s.x === 0 },
      }),
    );
    const r = await checkIn(m, ANY_MODEL_PATH, { allViolations: true });
    expect(r.verdict).toBe('violation');
    expect(r.violations!.map((v) => v.property).sort()).toEqual(['deadlock', 'zero']);
  });

  /** A violation result of the faulty model, its trace edited by `edit`. */
  async function edited(edit: (r: CheckResult) => CheckResult): Promise<CheckResult> {
    const m = compileModel(faulty);
    const r = await checkIn(m, ANY_MODEL_PATH, { shrink: false });
    expect(r.verdict).toBe('violation');
    return confirmViolations(edit(r), () => compileModel(faulty));
  }

  it('confirmViolations: a trace that runs clean names the missing fault; one that diverges names the step', async () => {
    const clean = await edited((r) => ({ ...r, trace: { ...r.trace!, schedule: r.trace!.schedule.slice(0, -1) } }));
    expect(clean).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
    expect(clean.message).toBe('the search found a violation of oops (fault) that does not reproduce: re-executing its counterexample from the start, step 2 raises no fault oops');
    const diverged = await edited((r) => ({ ...r, trace: { ...r.trace!, schedule: r.trace!.schedule.map((s, i) => (i === 1 ? { ...s, fp: '0123456789abcdef' } : s)) } }));
    expect(diverged.code).toBe('E_NONDETERMINISTIC');
    expect(diverged.message).toMatch(/re-executing its counterexample from the start, it diverged at step 2 \(.*\): the state after the step differs from the recorded one$/);
    // Kept: the trace as the search reported it.
    expect(diverged.trace!.schedule[1]!.fp).toBe('0123456789abcdef');
  });

  it('confirmViolations with --all-violations: each violation is confirmed, the first that does not reproduce is the error', async () => {
    const r = await checkIn(compileModel(faulty), ANY_MODEL_PATH, { shrink: false, allViolations: true });
    expect(r.violations).toHaveLength(1);
    const v = r.violations![0]!;
    const broken = { ...v, property: 'other', trace: { ...v.trace, violation: { ...v.trace.violation!, property: 'other' } } };
    const out = confirmViolations({ ...r, violations: [v, broken] }, () => compileModel(faulty));
    expect(out).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
    expect(out.message).toMatch(/^the search found a violation of other \(fault\) that does not reproduce: .*it ends in fault oops after 3 steps: x is 2$/);
    expect(out.violations).toBeUndefined();
    expect(confirmViolations(r, () => compileModel(faulty))).toBe(r);
  });
});
