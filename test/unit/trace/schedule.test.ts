/**
 * The one-line schedule (src/trace/schedule.ts): encoding and decoding are each other's
 * inverse (on examples and on random schedules), a malformed string or another version is
 * E_USAGE, and the trace a schedule stands for on its model is the counterexample it was
 * printed from (the same steps, choices, states and violation), on models with choices in
 * steps and in init, a deadlock, and the seed scenarios.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CompiledModel, actor, defineModel, int, loadModel, loadScenario, replay } from '../../../src/index.js';
import type { Trace } from '../../../src/index.js';
import counter from '../../../models/counter/counter.js';
import { MAX_CHOICES, MAX_NUMBER, SCHEDULE_TAG, decodeSchedule, encodeSchedule, scheduleOf, traceOfSchedule, type Schedule } from '../../../src/trace/schedule.js';
import { ANY_MODEL_PATH, abbaModel, checkIn, compileModel, faulty, mmError, removeTempDirs } from '../helpers.js';
import { SEED_VIOLATIONS, seedCase } from '../report/fixtures.js';

afterAll(removeTempDirs);

/** A number of a schedule: small ones most often, and the edges. */
const index = fc.oneof({ weight: 5, arbitrary: fc.nat(20) }, { weight: 1, arbitrary: fc.nat(MAX_NUMBER) }, { weight: 1, arbitrary: fc.constantFrom(0, 9, 10, MAX_NUMBER) });
const schedules: fc.Arbitrary<Schedule> = fc.record({
  init: fc.array(index, { maxLength: 6 }),
  steps: fc.array(fc.record({ k: index, choice: fc.array(index, { maxLength: 5 }) }), { maxLength: 40 }),
});

describe('encodeSchedule / decodeSchedule', () => {
  const examples: [string, Schedule][] = [
    [SCHEDULE_TAG, { init: [], steps: [] }],
    [`${SCHEDULE_TAG}.0.0.0.1-0-0.1`, { init: [], steps: [{ k: 0, choice: [] }, { k: 0, choice: [] }, { k: 0, choice: [] }, { k: 1, choice: [0, 0] }, { k: 1, choice: [] }] }],
    [`${SCHEDULE_TAG}.i0-0-6.0.1`, { init: [0, 0, 6], steps: [{ k: 0, choice: [] }, { k: 1, choice: [] }] }],
    [`${SCHEDULE_TAG}.i3`, { init: [3], steps: [] }],
    [`${SCHEDULE_TAG}.12-10-0`, { init: [], steps: [{ k: 12, choice: [10, 0] }] }],
  ];

  it.each(examples)('%s decodes to its schedule, which encodes back to it', (text, s) => {
    expect(decodeSchedule(text)).toEqual(s);
    expect(encodeSchedule(s)).toBe(text);
  });

  it('round-trips any schedule: decode(encode(s)) is s, and encode(decode(text)) is text', () => {
    fc.assert(
      fc.property(schedules, (s) => {
        const text = encodeSchedule(s);
        expect(decodeSchedule(text)).toEqual(s);
        expect(encodeSchedule(decodeSchedule(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('writes only characters a shell takes unquoted, starting with the version tag', () => {
    fc.assert(
      fc.property(schedules, (s) => {
        const text = encodeSchedule(s);
        expect(text.startsWith(SCHEDULE_TAG)).toBe(true);
        expect(text).toMatch(/^[A-Za-z0-9.-]+$/);
      }),
    );
  });

  it('keeps 20 steps of a few choices each well under 200 characters', () => {
    const s: Schedule = { init: [1, 2], steps: Array.from({ length: 20 }, (_, i) => ({ k: i % 4, choice: i % 3 === 0 ? [i % 5, 1] : [] })) };
    expect(encodeSchedule(s).length).toBeLessThan(100);
  });

  const malformed = [
    '',
    'mm',
    'mm1x',
    'v1.0',
    ' mm1.0',
    'mm1.0 ',
    'mm1.',
    'mm1..0',
    'mm1.0.',
    'mm1.01',
    'mm1.0-',
    'mm1.0--1',
    'mm1.i',
    'mm1.i.0',
    'mm1.0.i1',
    'mm1.-1',
    'mm1.a',
    'mm1.0,1',
    `mm1.${MAX_NUMBER + 1}`,
    `mm1.0-${'0-'.repeat(MAX_CHOICES)}0`,
    "mm1.0;rm -rf /",
  ];

  it.each(malformed)('%j is E_USAGE, saying it is not a schedule', (text) => {
    const e = mmError(() => decodeSchedule(text));
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toMatch(/is not a schedule/);
    expect(e.hint).toMatch(/docs\/trace-format\.md/);
  });

  it('names the character at fault', () => {
    expect(mmError(() => decodeSchedule('mm1.0.x')).message).toMatch(/at character 7: "x" where an instance should be/);
    expect(mmError(() => decodeSchedule('mm1.0-')).message).toMatch(/at character 7: the schedule ends where a choice should be/);
  });

  it('takes MAX_CHOICES choices in a step and in init, not one more', () => {
    const many = Array.from({ length: MAX_CHOICES }, () => 1);
    const s: Schedule = { init: many, steps: [{ k: 0, choice: many }] };
    expect(decodeSchedule(encodeSchedule(s))).toEqual(s);
    expect(mmError(() => decodeSchedule(encodeSchedule({ init: [...many, 1], steps: [] }))).message).toMatch(/more than 4096 choices/);
    expect(mmError(() => decodeSchedule(encodeSchedule({ init: [], steps: [{ k: 0, choice: [...many, 1] }] }))).message).toMatch(/more than 4096 choices/);
  });

  it.each(['mm2', 'mm2.0.1', 'mm0.0', 'mm10.i1'])('%s is another version: E_USAGE naming it and what this mmrace reads', (text) => {
    const e = mmError(() => decodeSchedule(text));
    expect(e.code).toBe('E_USAGE');
    const v = /^mm(\d+)/.exec(text)![1];
    expect(e.message).toContain(`version ${v} of the schedule string`);
    expect(e.message).toContain(`it reads ${SCHEDULE_TAG}`);
  });
});

/** A model with choices in init and in a step, whose invariant fails for one of them. */
const choosy = defineModel({
  id: 'choosy',
  state: { x: int(0, 5), y: int(0, 5) },
  init: (c) => void (c.s.y = c.choose([0, 1])),
  actors: {
    T: actor({
      instances: 2,
      steps: {
        pick: (c) => void (c.s.x = Math.min(5, c.s.x + c.choose([1, 2, 3]))),
        add: (c) => void (c.s.x = Math.min(5, c.s.x + c.s.y)),
      },
    }),
  },
  invariants: { notFour: (s) => s.x !== 4 },
});

/** The counterexample of `m` as the search found it. */
async function traceOf(m: CompiledModel): Promise<Trace> {
  const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'bfs' });
  if (!r.trace) throw new Error(`expected a trace, got verdict ${r.verdict}`);
  return r.trace;
}

/** What a trace says about its run: everything but the tool and model's file. */
const run = (t: Trace) => ({ params: t.params, init: t.init, schedule: t.schedule, verdict: t.verdict, violation: t.violation });

describe('scheduleOf / traceOfSchedule on a model', () => {
  const models: [string, () => CompiledModel][] = [
    ['counter without lock (an invariant)', () => compileModel(counter, { locked: false })],
    ['faulty (a fault)', () => compileModel(faulty)],
    ['abba (a deadlock)', () => compileModel(abbaModel())],
    ['choosy (choices in init and steps, two instances)', () => compileModel(choosy)],
  ];

  it.each(models)('%s: the schedule of the counterexample stands for the same trace', async (_name, make) => {
    const m = make();
    const t = await traceOf(m);
    const s = scheduleOf(t, m);
    expect(s.steps.length).toBe(t.schedule.length);
    const back = traceOfSchedule(decodeSchedule(encodeSchedule(s)), make(), { modelPath: ANY_MODEL_PATH });
    expect(run(back)).toEqual(run(t));
    const r = replay(back, make());
    expect(r.reproduced).toBe(true);
    expect(r.property).toBe(t.violation!.property);
  });

  it('spells init choices and step choices', async () => {
    const m = compileModel(choosy);
    const t = await traceOf(m);
    const text = encodeSchedule(scheduleOf(t, m));
    expect(t.init.choice?.length).toBeGreaterThan(0);
    expect(text).toMatch(new RegExp(`^${SCHEDULE_TAG}\\.i${t.init.choice!.join('-')}\\.`));
    const k = (st: Trace['schedule'][number]) => m.byActor.get(st.actor)![st.instance]!.k;
    expect(text).toBe([SCHEDULE_TAG, `i${t.init.choice!.join('-')}`, ...t.schedule.map((st) => [k(st), ...(st.choice ?? [])].join('-'))].join('.'));
  });

  it('a schedule that runs to its end with no violation stands for a trace with none', () => {
    const m = compileModel(counter, { locked: false });
    const t = traceOfSchedule({ init: [], steps: [] }, m, { modelPath: ANY_MODEL_PATH });
    expect(t.violation).toBeUndefined();
    expect(replay(t, compileModel(counter, { locked: false })).reproduced).toBe(false);
  });

  it('refuses what the model does not have or do, naming the step', async () => {
    const m = compileModel(choosy);
    const t = await traceOf(m);
    const s = scheduleOf(t, m);
    const n = m.instances.length;
    const out = mmError(() => traceOfSchedule({ ...s, steps: [{ k: n, choice: [] }] }, m, { modelPath: ANY_MODEL_PATH }));
    expect(out.code).toBe('E_TRACE_FORMAT');
    expect(out.message).toContain(`step 1 names instance ${n}, and the model has ${n}`);
    const noChoice = mmError(() => traceOfSchedule({ ...s, steps: [{ k: 0, choice: [] }] }, m, { modelPath: ANY_MODEL_PATH }));
    expect(noChoice.code).toBe('E_TRACE_DIVERGED');
    expect(noChoice.message).toMatch(/step 1 \(T\[0\] pick\) makes other choices than \[\]/);
    const outOfRange = mmError(() => traceOfSchedule({ ...s, steps: [{ k: 0, choice: [3] }] }, m, { modelPath: ANY_MODEL_PATH }));
    expect(outOfRange.message).toMatch(/makes other choices than \[3\]/);
    const badInit = mmError(() => traceOfSchedule({ init: [2], steps: [] }, m, { modelPath: ANY_MODEL_PATH }));
    expect(badInit.code).toBe('E_TRACE_DIVERGED');
    expect(badInit.message).toMatch(/init makes other choices than \[2\]/);
    // T[0] runs its two steps, then has none left.
    const done = mmError(() => traceOfSchedule({ init: [0], steps: [{ k: 0, choice: [0] }, { k: 0, choice: [] }, { k: 0, choice: [] }] }, m, { modelPath: ANY_MODEL_PATH }));
    expect(done.code).toBe('E_TRACE_DIVERGED');
    expect(done.message).toMatch(/step 3 \(T\[0\] .*\) is not enabled/);
  });

  it('refuses steps after a fault', async () => {
    const m = compileModel(faulty);
    const s = scheduleOf(await traceOf(m), m);
    const e = mmError(() => traceOfSchedule({ ...s, steps: [...s.steps, s.steps[0]!] }, m, { modelPath: ANY_MODEL_PATH }));
    expect(e.code).toBe('E_TRACE_DIVERGED');
    expect(e.message).toMatch(/raised the fault oops, and the schedule goes on after it/);
  });

  it('scheduleOf refuses a step the model does not have', async () => {
    const m = compileModel(faulty);
    const t = await traceOf(m);
    const e = mmError(() => scheduleOf({ ...t, schedule: [{ actor: 'Z', instance: 0, label: 'inc' }] }, m));
    expect(e.code).toBe('E_TRACE_FORMAT');
  });
});

describe.each(SEED_VIOLATIONS.map((s) => [s.scenario, s.property] as const))('the seed violation %s', (scenario, property) => {
  it(`its schedule stands for its counterexample, which violates ${property}`, async () => {
    const c = await seedCase(scenario);
    const sc = loadScenario(scenario);
    const loaded = await loadModel(sc.modelPath);
    const m = new CompiledModel(loaded.model, sc.params);
    const text = encodeSchedule(scheduleOf(c.trace, m));
    const back = traceOfSchedule(decodeSchedule(text), new CompiledModel(loaded.model, sc.params), { modelPath: loaded.path });
    expect(back.schedule).toEqual(c.trace.schedule);
    expect(back.init).toEqual(c.trace.init);
    expect(back.violation?.property).toBe(property);
  });
});
