/**
 * The schedule command (src/report/reproduce.ts): the words a shell needs quoted are
 * quoted, the parameters that differ from the target's are given with --param, and a
 * violation whose schedule would end in another property gets no command.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { actor, defineModel, int, param } from '../../../src/index.js';
import { paramArgs, reproduceOf, scheduleCommand } from '../../../src/report/reproduce.js';
import { decodeSchedule, traceOfSchedule } from '../../../src/trace/schedule.js';
import { ANY_MODEL_PATH, checkIn, compileModel, removeTempDirs } from '../helpers.js';

afterAll(removeTempDirs);

describe('scheduleCommand', () => {
  it('is npx mmrace check TARGET [--param k=v]… --schedule S', () => {
    expect(scheduleCommand('scenarios/a.json', 'mm1.0.1')).toBe('npx mmrace check scenarios/a.json --schedule mm1.0.1');
    expect(scheduleCommand('m.ts', 'mm1', ['n=2', 'mode=fast'])).toBe('npx mmrace check m.ts --param n=2 --param mode=fast --schedule mm1');
  });

  it('quotes a target or a parameter the shell would split or expand', () => {
    expect(scheduleCommand('my scenarios/a b.json', 'mm1.0')).toBe("npx mmrace check 'my scenarios/a b.json' --schedule mm1.0");
    expect(scheduleCommand("it's.json", 'mm1.0', ['s=$HOME'])).toBe(`npx mmrace check 'it'\\''s.json' --param 's=$HOME' --schedule mm1.0`);
  });
});

const knobs = defineModel({
  id: 'knobs',
  params: { n: param.int(1, 3, 1), fast: param.bool(false), mode: param.enum(['a', 'b'], 'a') },
  state: { x: int(0, 3) },
  actors: { T: actor({ steps: { go: (c) => void (c.s.x = 1) } }) },
  invariants: { zero: (s) => s.x === 0 },
});

describe('paramArgs', () => {
  it('gives the parameters that differ from what the target gives alone', () => {
    expect(paramArgs(compileModel(knobs))).toEqual([]);
    expect(paramArgs(compileModel(knobs, { n: 2, mode: 'b' }))).toEqual(['n=2', 'mode=b']);
    // A scenario that sets n=2 itself: n needs no --param, fast does.
    expect(paramArgs(compileModel(knobs, { n: 2, fast: true }), { n: 2 })).toEqual(['fast=true']);
    expect(paramArgs(compileModel(knobs), { n: 2 })).toEqual(['n=1']);
  });
});

/** Two invariants where the second fails only where the first does too (as test/e2e/fixtures/masked-invariant.ts). */
const masked = defineModel({
  id: 'masked',
  state: { a: int(0, 1), b: int(0, 1) },
  actors: {
    p: actor({ steps: { setB: (c) => void (c.s.b = 1) } }),
    q: actor({ steps: { setA: (c) => void (c.s.a = 1) } }),
  },
  invariants: { 'b-clear': (s) => s.b !== 1, 'not-both': (s) => !(s.a === 1 && s.b === 1) },
});

describe('reproduceOf', () => {
  it('gives the schedule and its command for a violation, which stands for the same violation', async () => {
    const m = compileModel(knobs, { n: 3 });
    const r = await checkIn(m, ANY_MODEL_PATH);
    const again = reproduceOf(r.trace!, m, 'k.ts');
    expect(again).not.toBeNull();
    expect(again!.command).toBe(`npx mmrace check k.ts --param n=3 --schedule ${again!.schedule}`);
    expect(traceOfSchedule(decodeSchedule(again!.schedule), m, { modelPath: ANY_MODEL_PATH }).violation).toEqual(r.trace!.violation);
  });

  it('gives none for a violation its schedule would not end in (--all-violations, an earlier invariant failing too)', async () => {
    const m = compileModel(masked);
    const r = await checkIn(m, ANY_MODEL_PATH, { allViolations: true });
    const byProperty = new Map(r.violations!.map((v) => [v.property, v.trace]));
    expect([...byProperty.keys()].sort()).toEqual(['b-clear', 'not-both']);
    expect(reproduceOf(byProperty.get('b-clear')!, m, 'm.ts')).not.toBeNull();
    expect(reproduceOf(byProperty.get('not-both')!, m, 'm.ts')).toBeNull();
  });

  it('gives none for a trace that is not of a violation, or whose steps the model does not have', async () => {
    const m = compileModel(knobs);
    const t = (await checkIn(m, ANY_MODEL_PATH)).trace!;
    expect(reproduceOf({ ...t, verdict: 'error', error: { code: 'E_MODEL_THREW', message: 'x' } }, m, 'k.ts')).toBeNull();
    expect(reproduceOf({ ...t, schedule: [{ actor: 'Z', instance: 0, label: 'go' }] }, m, 'k.ts')).toBeNull();
  });
});
