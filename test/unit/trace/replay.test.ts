import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actor, defineModel, int, readTrace, replay, writeTrace } from '../../../src/index.js';
import type { CompiledModel, Trace } from '../../../src/index.js';
import counter from '../../../models/counter/counter.js';
import { ANY_MODEL_PATH, abbaModel, checkIn, compileModel, mmError, removeTempDirs, tempDir, faulty } from '../helpers.js';

afterAll(removeTempDirs);

/** The counterexample of `m` as the search found it (unshrunk). */
async function traceOf(m: CompiledModel, strategy: 'bfs' | 'dfs' = 'bfs'): Promise<Trace> {
  const r = await checkIn(m, ANY_MODEL_PATH, { strategy, shrink: false });
  if (!r.trace) throw new Error(`expected a trace, got verdict ${r.verdict}`);
  return r.trace;
}

/** A deep copy of a trace to edit. */
const copy = (t: Trace): Trace => JSON.parse(JSON.stringify(t)) as Trace;


const abba = abbaModel();

/** Choices matter: T picks a value; the invariant fails for exactly one of them. */
const choosy = defineModel({
  id: 'choosy',
  state: { x: int(0, 5), y: int(0, 5) },
  init: (c) => void (c.s.y = c.choose([0, 1])),
  actors: {
    T: actor({
      steps: {
        pick: (c) => void (c.s.x = c.choose([1, 2, 3])),
        add: (c) => void (c.s.x = c.s.x + c.s.y),
      },
    }),
  },
  invariants: { notFour: (s) => s.x !== 4 },
});

const violating: [string, () => CompiledModel, string, string][] = [
  ['counter without lock', () => compileModel(counter, { locked: false }), 'invariant', 'final'],
  ['counter without lock, 3 threads', () => compileModel(counter, { locked: false, threads: 3 }), 'invariant', 'final'],
  ['AB/BA locks', () => compileModel(abba), 'deadlock', 'deadlock'],
  ['fault', () => compileModel(faulty), 'fault', 'oops'],
  ['choices in init and steps', () => compileModel(choosy), 'invariant', 'notFour'],
];

describe('every violation trace replays', () => {
  for (const [what, make, kind, property] of violating) {
    for (const strategy of ['bfs', 'dfs'] as const) {
      it(`${what} (${strategy}), also after writeTrace and readTrace`, async () => {
        const m = make();
        const t = await traceOf(m, strategy);
        expect(t.violation).toMatchObject({ kind, property });
        const r = replay(t, m);
        expect(r).toMatchObject({ reproduced: true, kind, property, sourceChanged: false });
        expect(r.steps.length).toBe(t.schedule.length);

        const file = join(tempDir(), 'sub', 'trace.json');
        writeTrace(t, file);
        const back = readTrace(file);
        expect(back.model.path).toBe(ANY_MODEL_PATH);
        expect(back).toEqual(t);
        expect(replay(back, make()).reproduced).toBe(true);
      });
    }
  }

  it('choosy: the trace records the init choice and the step choice that lead to x = 4', async () => {
    // By hand: x = 4 needs y = 1 (init choice [1]) and x picked 3 (choice [2]), then add.
    const t = await traceOf(compileModel(choosy));
    expect(t.init.choice).toEqual([1]);
    expect(t.schedule.map((s) => [s.label, s.choice])).toEqual([
      ['pick', [2]],
      ['add', undefined],
    ]);
  });
});

describe('the replay result', () => {
  it('lists the initial state and each step with its changes and fault', async () => {
    const m = compileModel(faulty);
    const r = replay(await traceOf(m), m);
    expect(r.initial).toEqual([
      { slot: 'x', value: '0' },
      { slot: 'A[0].pc', value: 'inc' },
      { slot: 'B[0].pc', value: 'inc' },
    ]);
    // The shortest faulting runs are A.inc B.inc A.test and B.inc A.inc A.test.
    const last = r.steps[2]!;
    expect(last).toEqual({
      n: 3,
      actor: 'A',
      instance: 0,
      label: 'test',
      changes: [{ slot: 'A[0].pc', from: 'test', to: 'done' }],
      fault: { property: 'oops', message: 'x is 2' },
    });
    const firstA = r.steps.find((s) => s.actor === 'A' && s.label === 'inc')!;
    expect(firstA.changes).toContainEqual({ slot: 'A[0].pc', from: 'inc', to: 'test' });
    expect(r.steps.map((s) => s.n)).toEqual([1, 2, 3]);
  });

  it('a trace cut before its violation does not reproduce, and says so without throwing', async () => {
    const m = compileModel(faulty);
    const t = copy(await traceOf(m));
    t.schedule.pop();
    const r = replay(t, m);
    expect(r.reproduced).toBe(false);
    expect(r.kind).toBeUndefined();
  });

  it('a changed model source is reported, and the schedule still replays', async () => {
    const m = compileModel(faulty);
    const t = copy(await traceOf(m));
    t.model.sourceHash = 'sha256:' + '0'.repeat(64);
    const r = replay(t, m);
    expect(r.sourceChanged).toBe(true);
    expect(r.reproduced).toBe(true);
  });
});

describe('divergence (E_TRACE_DIVERGED)', () => {
  it('a step that differs on each call (module-level counter) names the step', async () => {
    let calls = 0;
    const m = compileModel(
      defineModel({
        id: 'nondet',
        state: { x: int(0, 999), y: int(0, 1) },
        actors: {
          T: actor({
            steps: {
              settle: (c) => void (c.s.y = 1),
              stamp: (c) => void (c.s.x = calls++ % 1000),
              boom: (c) => c.fault('always'),
            },
          }),
        },
      }),
    );
    const t = await traceOf(m);
    expect(t.schedule.map((s) => s.label)).toEqual(['settle', 'stamp', 'boom']);
    const e = mmError(() => replay(t, m));
    expect(e.code).toBe('E_TRACE_DIVERGED');
    expect(e.message).toContain('step 2 (T[0] stamp)');
  });

  it('an init that differs on each call', async () => {
    let calls = 0;
    const m = compileModel(
      defineModel({
        id: 'nondet-init',
        state: { x: int(0, 999) },
        init: (c) => void (c.s.x = calls++ % 1000),
        actors: { T: actor({ steps: { boom: (c) => c.fault('always') } }) },
      }),
    );
    const t = await traceOf(m);
    const e = mmError(() => replay(t, m));
    expect(e.code).toBe('E_TRACE_DIVERGED');
    expect(e.message).toContain('initial state');
  });

  const edits: [string, (t: Trace) => void, RegExp, code?: string][] = [
    ['a label of another step', (t) => (t.schedule[1]!.label = 'pick'), /step 2 .*stands at add, not pick/],
    // Names the model does not have at all: the trace is not one of this model (E_TRACE_FORMAT).
    ['a label the actor lacks', (t) => (t.schedule[1]!.label = 'test'), /step 2 .*has no label test/, 'E_TRACE_FORMAT'],
    ['an unknown actor', (t) => (t.schedule[0]!.actor = 'Z'), /step 1 .*no actor Z/, 'E_TRACE_FORMAT'],
    ['an instance out of range', (t) => (t.schedule[0]!.instance = 1), /step 1 .*instance/, 'E_TRACE_FORMAT'],
    ['a choice out of range', (t) => (t.schedule[0]!.choice = [3]), /step 1 .*other choices than \[3\]/],
    ['a choice too long', (t) => (t.schedule[0]!.choice = [2, 0]), /step 1 .*other choices/],
    ['a choice removed', (t) => delete t.schedule[0]!.choice, /step 1 .*other choices than \[\]/],
    ['a different choice in range', (t) => (t.schedule[0]!.choice = [0]), /step 1 .*differs from the recorded one/],
    ['an init choice out of range', (t) => (t.init.choice = [2]), /initial state/],
    ['a different init choice', (t) => (t.init.choice = [0]), /initial state.*differs from the recorded one/],
    ['a recorded fingerprint changed', (t) => (t.schedule[1]!.fp = '0123456789abcdef'), /step 2 .*differs/],
    ['a step after the last one', (t) => t.schedule.push({ actor: 'T', instance: 0, label: 'add' }), /step 3 .*stands at done/],
  ];
  for (const [what, edit, msg, code = 'E_TRACE_DIVERGED'] of edits) {
    it(`a trace edited to ${what}`, async () => {
      const m = compileModel(choosy);
      const t = copy(await traceOf(m));
      // By hand (see above): init [1], pick [2], add.
      expect(t.schedule.map((s) => s.choice ?? [])).toEqual([[2], []]);
      edit(t);
      const e = mmError(() => replay(t, m));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(msg);
    });
  }

  it('a step that is not enabled', async () => {
    const m = compileModel(abba);
    const t = copy(await traceOf(m));
    // After P.la and Q.lb, swap in P.lb: b is held by Q, so P.lb is disabled.
    const p = t.schedule.find((s) => s.actor === 'P')!;
    t.schedule = [p, { actor: 'Q', instance: 0, label: 'lb' }, { actor: 'P', instance: 0, label: 'lb' }];
    const e = mmError(() => replay(t, m));
    expect(e.code).toBe('E_TRACE_DIVERGED');
    expect(e.message).toMatch(/step 3 \(P\[0\] lb\).*not enabled/);
  });
});

describe('error traces replay their error', () => {
  it('a step that throws', async () => {
    const m = compileModel(
      defineModel({
        id: 'throws',
        state: { x: int(0, 3) },
        actors: { T: actor({ steps: { one: (c) => void (c.s.x = 1), two: () => void (null as unknown as { a: 1 }).a } }) },
      }),
    );
    const t = await traceOf(m);
    expect(t.verdict).toBe('error');
    const r = replay(t, m);
    expect(r).toMatchObject({ reproduced: true, kind: 'error', property: 'E_MODEL_THREW' });
  });

  it('a guard that throws', async () => {
    const m = compileModel(
      defineModel({
        id: 'guard-throws',
        state: { x: int(0, 3) },
        actors: {
          T: actor({
            steps: {
              one: (c) => void (c.s.x = 1),
              two: { await: (c) => (c.s.x === 1 ? (null as unknown as { a: boolean }).a : true) },
            },
          }),
        },
      }),
    );
    const t = await traceOf(m);
    expect(t.schedule.at(-1)).toMatchObject({ label: 'two', guard: true });
    expect(replay(t, m)).toMatchObject({ reproduced: true, kind: 'error' });
  });

  it('a step that throws for one of its choices only', async () => {
    // T picks 0, 1 or 2 and throws for 2: the error trace must record the choice [2],
    // or replay runs the step with another choice, which does not throw.
    const m = compileModel(
      defineModel({
        id: 'throws-on-choice',
        state: { x: int(0, 3) },
        actors: {
          T: actor({
            steps: {
              go: (c) => {
                const v = c.choose(3);
                if (v === 2) throw new Error('two');
                c.s.x = v;
              },
            },
          }),
        },
      }),
    );
    const t = await traceOf(m);
    expect(t.verdict).toBe('error');
    expect(t.schedule).toHaveLength(1);
    let outcome: unknown;
    try {
      const r = replay(t, m);
      outcome = { reproduced: r.reproduced, kind: r.kind, property: r.property };
    } catch (e) {
      outcome = `threw ${String(e)}`;
    }
    expect({ choice: t.schedule[0]!.choice, outcome }).toEqual({
      choice: [2],
      outcome: { reproduced: true, kind: 'error', property: 'E_MODEL_THREW' },
    });
  });

  it('an invariant that throws on a state reached by a step', async () => {
    const m = compileModel(
      defineModel({
        id: 'inv-throws',
        state: { x: int(0, 3) },
        actors: { T: actor({ steps: { one: (c) => void (c.s.x = 1) } }) },
        invariants: {
          picky: (s) => {
            if (s.x === 1) throw new Error('cannot judge');
            return true;
          },
        },
      }),
    );
    const r = await checkIn(m, ANY_MODEL_PATH);
    expect([r.verdict, r.code]).toEqual(['error', 'E_MODEL_THREW']);
    expect(r.trace!.schedule.map((s) => s.label)).toEqual(['one']);
    let result: unknown;
    let thrown: unknown;
    try {
      result = replay(r.trace!, m);
    } catch (e) {
      thrown = e;
    }
    expect({ thrown: thrown === undefined ? undefined : String(thrown), result }).toMatchObject({
      thrown: undefined,
      result: { reproduced: true, kind: 'error', property: 'E_MODEL_THREW' },
    });
  });
});
