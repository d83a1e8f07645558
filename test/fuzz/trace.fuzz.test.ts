/**
 * Fuzzing the trace loader and the commands that read traces (replay, explain): random
 * JSON, a real counterexample (B-kernel of contpte) mutated, other format versions,
 * empty, binary and truncated files. Each mutation knows what it breaks, so the property
 * says which error it must give (or that the trace still replays): a malformed trace is
 * exit 2 with one line and a stable code, never a stack, an E_INTERNAL or a verdict.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '../../src/cli/output.js';
import { MmraceError } from '../../src/errors.js';
import { readTrace } from '../../src/trace/trace.js';
import { expectFailure, fuzzParams, mmrace, removeTemps, runMain, stderrLines, temp, type Outcome } from './harness.js';

afterAll(removeTemps);

/** The recorded trace (as JSON), the folder it is in (its model path is relative to it). */
let dir = '';
let recorded: Record<string, any> = {};

beforeAll(() => {
  dir = temp();
  const file = join(dir, 'b-kernel.trace.json');
  const r = mmrace(['check', 'scenarios/contpte/b-kernel.json', '--workers', '0', '--trace', file]);
  expect(r.code).toBe(1);
  recorded = JSON.parse(readFileSync(file, 'utf8'));
  // What the mutations below rely on: two actors, U1 and K (two instances), five steps,
  // the fourth (K's access) with a choice, a fault at the end.
  expect(recorded['schedule'].map((s: any) => `${s.actor}[${s.instance}]`)).toEqual(['U1[0]', 'U1[0]', 'U1[0]', 'K[0]', 'K[0]']);
  expect(recorded['schedule'][3].choice).toEqual([0, 0]);
  expect(recorded['violation']).toMatchObject({ kind: 'fault', property: 'INV-KFAULT' });
});

// ---- mutations, each with the outcome it must have -------------------------------------------

/**
 * What a mutated trace must give: an error with one of `error` (naming a step with
 * `step`; or, with `orReproduces`, a replay that reproduces), or a replay that reproduces.
 */
type Expected = { error: readonly string[]; step?: boolean; orReproduces?: boolean } | { reproduces: true; warning?: boolean };

interface Mutated {
  readonly what: string;
  readonly edit: (t: Record<string, any>) => void;
  readonly expected: Expected;
}

const FORMAT = { error: ['E_TRACE_FORMAT'] } as const;
const ACTORS = ['U1', 'K'];
const LABELS: Record<string, string[]> = {
  U1: ['spin_lock(ptl)', 'contpte_try_fold', 'contpte_convert:xchg', '__flush_tlb_range', '__set_ptes', 'spin_unlock(ptl)'],
  K: ['access', 'mmu:walk', 'handle_pte_fault:ptep_get_lockless', 'spin_lock(ptl)', 'pte_same', 'do_anonymous_page:set_pte_at', 'spin_unlock(ptl)'],
};
const PARAMS = ['n', 'cpus', 'accesses', 'stores', 'readers', 'mm', 'gate', 'clear', 'order', 'lockless', 'recheck'];

const step = fc.nat({ max: 4 });
const junk = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.nat(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.nat(), { maxKeys: 2 }));
const notString = junk.filter((v) => typeof v !== 'string');
const hex16 = fc.stringMatching(/^[0-9a-f]{16}$/);
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
/** A name no model element has: ordinary words, odd ones, prototype names. */
const strangeName = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('constructor', '__proto__', 'toString', 'done', 'K ', 'u1', 'A\nB'));

/** Removing a field the schema requires. */
const dropRequired = fc
  .constantFrom(
    ['format'], ['tool'], ['tool', 'name'], ['tool', 'version'], ['model'], ['model', 'id'], ['model', 'path'], ['model', 'sourceHash'],
    ['params'], ['init'], ['schedule'], ['verdict'], ['violation', 'kind'], ['violation', 'property'], ['violation', 'message'],
  )
  .map((path): Mutated => ({ what: `drop ${path.join('.')}`, edit: (t) => delete at(t, path.slice(0, -1))[path[path.length - 1]!], expected: FORMAT }));

const dropStepField = fc
  .tuple(step, fc.constantFrom('actor', 'instance', 'label'))
  .map(([i, k]): Mutated => ({ what: `drop schedule.${i}.${k}`, edit: (t) => delete t['schedule'][i][k], expected: FORMAT }));

/** A value of the wrong type or outside the schema, field by field. */
const retyped = fc.oneof(
  fc.tuple(fc.constantFrom(['tool', 'version'], ['model', 'id'], ['model', 'path'], ['violation', 'message']), notString).map(([path, v]) => set(path, v)),
  fc.tuple(step, fc.oneof(notString, fc.constant(''))).map(([i, v]) => set(['schedule', i, 'actor'], v)),
  fc.tuple(step, fc.oneof(notString, fc.constant(''))).map(([i, v]) => set(['schedule', i, 'label'], v)),
  fc.tuple(step, fc.constantFrom(-1, 0.5, '0', null, 2 ** 53, true, [0])).map(([i, v]) => set(['schedule', i, 'instance'], v)),
  fc.tuple(step, fc.constantFrom([-1], [0.5], '0', 0, [null], [2 ** 53], { 0: 0 })).map(([i, v]) => set(['schedule', i, 'choice'], v)),
  fc.tuple(step, fc.constantFrom('XYZ', '0123456789ABCDEF', '0123456789abcde', '', 7)).map(([i, v]) => set(['schedule', i, 'fp'], v)),
  fc.tuple(step, fc.constantFrom(false, 1, 'true', null)).map(([i, v]) => set(['schedule', i, 'guard'], v)),
  fc.constantFrom('md5:00', 'sha256:' + '0'.repeat(63), 'sha256:' + 'A'.repeat(64), '', 0).map((v) => set(['model', 'sourceHash'], v)),
  fc.constantFrom('safe', 'incomplete', 'VIOLATION', 1, null).map((v) => set(['verdict'], v)),
  fc.constantFrom('bogus', 'Fault', 1).map((v) => set(['violation', 'kind'], v)),
  fc.constantFrom('mmraces', 'MMRACE', 1, null).map((v) => set(['tool', 'name'], v)),
  fc.tuple(fc.constantFrom(...PARAMS), fc.constantFrom(null, [1], { a: 1 })).map(([p, v]) => set(['params', p], v)),
  fc.constantFrom(null, [], 'x', 1).map((v) => set(['params'], v)),
  fc.constantFrom(null, {}, 'x', [{}]).map((v) => set(['schedule'], v)),
  fc.constantFrom(['x'], 'x', [1.5]).map((v) => set(['init', 'choice'], v)),
);

/** Another format: a later or earlier version, another spelling, another type, none. */
const otherFormat = fc
  .oneof(fc.constantFrom('mmrace-trace/2', 'mmrace-trace/0', 'mmrace-trace/1.1', 'MMRACE-TRACE/1', 'mmrace-trace/1 ', '', 'x\ny'), fc.string(), junk)
  .filter((v) => v !== 'mmrace-trace/1')
  .map((v) => set(['format'], v));

/** A field the schema does not declare, in each object of the trace. */
const unknownField = fc
  .tuple(fc.constantFrom([], ['tool'], ['model'], ['init'], ['schedule', 0], ['schedule', 4], ['violation']), fc.string({ minLength: 1, maxLength: 8 }), junk)
  .filter(([path, k]) => !Object.hasOwn(at(recorded, path), k) && !['choice', 'guard', 'fp', 'error', 'scenario', 'violation', 'init'].includes(k))
  .map(([path, k, v]) => set([...path, k], v));

/** A step naming an actor, an instance or a label the model does not have: the step is named. */
const missingName = fc.oneof(
  fc.tuple(step, strangeName.filter((a) => !ACTORS.includes(a))).map(([i, a]): Mutated => ({ ...set(['schedule', i, 'actor'], a), expected: { ...FORMAT, step: true } })),
  fc.tuple(step, fc.integer({ min: 2, max: 1000 })).map(([i, n]): Mutated => {
    // U1 has one instance, K two.
    const edit = (t: Record<string, any>) => (t['schedule'][i].instance = t['schedule'][i].actor === 'K' ? n : n - 1);
    return { what: `schedule.${i}.instance out of range (${n})`, edit, expected: { ...FORMAT, step: true } };
  }),
  fc.tuple(step, strangeName).map(([i, l]): Mutated => {
    const actor = recorded['schedule']?.[i]?.actor ?? 'K';
    const label = LABELS[actor]!.includes(l) ? `${l}-x` : l;
    return { ...set(['schedule', i, 'label'], label), expected: { ...FORMAT, step: true } };
  }),
);

/** Edits that keep the names but not the run: a divergence naming the step or the initial state. */
const diverging = fc.oneof(
  fc.tuple(step, hex16).map(([i, fp]): Mutated => ({ ...set(['schedule', i, 'fp'], fp), expected: { error: ['E_TRACE_DIVERGED'], step: true } })),
  hex16.map((fp): Mutated => ({ ...set(['init', 'fp'], fp), expected: { error: ['E_TRACE_DIVERGED'] } })),
  fc.array(fc.nat({ max: 4096 }), { maxLength: 4 }).filter((c) => c.join() !== '0,0').map((c): Mutated => ({ ...set(['schedule', 3, 'choice'], c), expected: { error: ['E_TRACE_DIVERGED'], step: true } })),
  fc.tuple(fc.constantFrom(0, 1, 2, 4), fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 3 })).map(([i, c]): Mutated => ({ ...set(['schedule', i, 'choice'], c), expected: { error: ['E_TRACE_DIVERGED'], step: true } })),
  fc.array(fc.nat({ max: 9 }), { minLength: 1, maxLength: 3 }).map((c): Mutated => ({ ...set(['init', 'choice'], c), expected: { error: ['E_TRACE_DIVERGED'] } })),
  fc.nat({ max: 3 }).map((i): Mutated => ({
    what: `swap steps ${i + 1} and ${i + 2}`,
    edit: (t) => void ([t['schedule'][i], t['schedule'][i + 1]] = [t['schedule'][i + 1], t['schedule'][i]]),
    expected: { error: ['E_TRACE_DIVERGED'], step: true },
  })),
  fc.tuple(step, fc.constant(true)).map(([i, g]): Mutated => ({ ...set(['schedule', i, 'guard'], g), expected: { error: ['E_TRACE_DIVERGED'], step: true } })),
);

/**
 * Parameters the model refuses: E_PARAM. Another valid value may change the run (a
 * divergence, or steps that no longer fit) or not: with cpus 1 instead of 2, the state of
 * the unused K[1] was all zero bits, and the same schedule is the same counterexample.
 */
const params = fc.oneof(
  strangeName
    .filter((p) => !PARAMS.includes(p) && !['constructor', '__proto__', 'toString'].includes(p))
    .map((p): Mutated => ({ ...set(['params', p], 1), expected: { error: ['E_PARAM'] } })),
  fc
    .constantFrom<[string, unknown]>(['n', 99], ['n', 1], ['n', 4.5], ['n', 'four'], ['cpus', -1], ['stores', 'maybe'], ['stores', 2], ['mm', 'nope'], ['mm', 3], ['gate', true])
    .map(([p, v]): Mutated => ({ ...set(['params', p], v), expected: { error: ['E_PARAM'] } })),
  fc
    .constantFrom<[string, unknown]>(['cpus', 1], ['n', 8], ['accesses', 2], ['mm', 'user'], ['order', 'nobbm'])
    .map(([p, v]): Mutated => ({ ...set(['params', p], v), expected: { error: ['E_TRACE_DIVERGED', 'E_TRACE_FORMAT'], orReproduces: true } })),
);

/**
 * A model path that names no model. With the trace's scenario there, it is not the model
 * the scenario names: E_TRACE_FORMAT before anything is imported. Without it (a trace of a
 * bare model), the path is tried: E_MODEL_LOAD.
 */
const modelPath = fc
  .tuple(
    fc.oneof(fc.constantFrom('none.ts', 'b-kernel.trace.json', '.', '../', 'x\ny.ts', '/dev/null'), fc.string({ minLength: 1, maxLength: 10 }).map((s) => `nope-${s}.ts`)),
    fc.boolean(),
  )
  .map(([p, keepScenario]): Mutated => {
    const m = set(['model', 'path'], p);
    if (keepScenario) return { ...m, expected: { error: ['E_TRACE_FORMAT'] } };
    return {
      what: `${m.what}, without the scenario`,
      edit: (t) => {
        m.edit(t);
        delete t['scenario'];
      },
      expected: { error: ['E_MODEL_LOAD'] },
    };
  });

/** Edits that leave a trace that still replays to its violation; a new source hash warns. */
const benign = fc.oneof(
  fc.constantFrom(['scenario'], ['init', 'fp'], ['tool', 'version'], ['violation', 'message']).map((path): Mutated => ({
    what: `drop or change ${path.join('.')}`,
    edit: (t) => (path[1] === 'version' || path[1] === 'message' ? (at(t, path.slice(0, -1))[path[1]!] = 'anything') : delete at(t, path.slice(0, -1))[path[path.length - 1]!]),
    expected: { reproduces: true },
  })),
  fc.constant<Mutated>({ what: 'drop every fp', edit: (t) => t['schedule'].forEach((s: any) => delete s.fp), expected: { reproduces: true } }),
  hex64.map((h): Mutated => ({ ...set(['model', 'sourceHash'], `sha256:${h}`), expected: { reproduces: true, warning: true } })),
);

const mutations: fc.Arbitrary<Mutated> = fc.oneof(dropRequired, dropStepField, retyped, otherFormat, unknownField, missingName, diverging, params, modelPath, benign);

function at(t: Record<string, any>, path: readonly (string | number)[]): Record<string, any> {
  return path.reduce<any>((o, k) => o?.[k], t);
}

function set(path: readonly (string | number)[], value: unknown): Mutated {
  return {
    what: `set ${path.join('.')} to ${JSON.stringify(value)}`,
    edit: (t) => Object.defineProperty(at(t, path.slice(0, -1)), path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true }),
    expected: FORMAT,
  };
}

/** The outcome of `mmrace replay` (or explain) on the mutated trace, against what the mutation must give. */
function expectOutcome(o: Outcome, m: Mutated, command: string, json: boolean): void {
  const context = `${command}: ${m.what}`;
  const e = m.expected;
  if ('reproduces' in e || (e.orReproduces && o.code !== 2)) {
    const why = `${context}\nexit ${o.code}\nstdout: ${o.stdout.slice(0, 500)}\nstderr: ${o.stderr}`;
    expect(o.code, why).toBe(command === 'replay' ? 1 : 0);
    const { warnings, others } = stderrLines(o);
    expect(others, why).toEqual([]);
    expect(warnings, why).toHaveLength('warning' in e && e.warning ? 1 : 0);
    if (command === 'replay') expect(o.stdout, why).toMatch(json ? /"reproduced":true/ : /REPRODUCED: violation of INV-KFAULT/);
    return;
  }
  const code = expectFailure(o, context, { json: json && command === 'replay', warnings: m.what.startsWith('set model.sourceHash') });
  expect(e.error, `${context}: got ${code}\n${o.stderr}`).toContain(code);
  if (e.step) expect(stderrLines(o).others[0], context).toMatch(/step \d+ \(|the initial state/);
}

describe('readTrace on random JSON', () => {
  it('refuses it with E_TRACE_FORMAT in one line, and never throws anything else', () => {
    const file = join(temp(), 'random.json');
    const traceLike = fc.record(
      { format: fc.oneof(fc.constant('mmrace-trace/1'), junk), tool: fc.jsonValue({ maxDepth: 2 }), model: fc.jsonValue({ maxDepth: 2 }), params: fc.jsonValue({ maxDepth: 2 }), schedule: fc.jsonValue({ maxDepth: 3 }), verdict: junk },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), traceLike), (json) => {
        writeFileSync(file, JSON.stringify(json) ?? '');
        let thrown: unknown;
        try {
          readTrace(file);
        } catch (e) {
          thrown = e;
        }
        const what = JSON.stringify(json)?.slice(0, 500);
        expect(thrown, what).toBeInstanceOf(MmraceError);
        expect((thrown as MmraceError).code, what).toBe('E_TRACE_FORMAT');
        expect(formatError(thrown).split('\n'), what).toHaveLength(1);
      }),
      fuzzParams(300),
    );
  });
});

describe('replay and explain on the B-kernel trace, mutated (in this process)', () => {
  it('the unmutated trace reproduces (what every benign mutation is compared with)', async () => {
    const file = join(dir, 'b-kernel.trace.json');
    const o = await runMain(['replay', file]);
    expect(o.code).toBe(1);
    expect(o.stderr).toBe('');
    expect(o.stdout).toMatch(/REPRODUCED: violation of INV-KFAULT/);
  });

  it('each mutation gives its error (exit 2, one line, its code) or still reproduces', async () => {
    const file = join(dir, 'mutated.trace.json');
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutations, { minLength: 1, maxLength: 1 }), fc.constantFrom('replay', 'replay --json', 'explain'), async ([m], command) => {
        const t = JSON.parse(JSON.stringify(recorded));
        m!.edit(t);
        writeFileSync(file, JSON.stringify(t, null, 2));
        const argv = [...command.split(' '), file];
        const o = await runMain(argv);
        expectOutcome(o, m!, argv[0]!, command.endsWith('--json'));
        seen.add(/^mmrace: error (E_[A-Z_]+)/.exec(stderrLines(o).others[0] ?? '')?.[1] ?? `exit ${o.code}`);
      }),
      fuzzParams(300),
    );
    // The mutations reach every kind of outcome.
    if (!process.env['FC_PATH']) for (const c of ['E_TRACE_FORMAT', 'E_TRACE_DIVERGED', 'E_PARAM', 'E_MODEL_LOAD']) expect([...seen].join(' ')).toContain(c);
  });

  it('empty, binary and truncated files: E_TRACE_FORMAT; with a byte-order mark: the same trace', async () => {
    const file = join(dir, 'broken.trace.json');
    const text = JSON.stringify(recorded, null, 2);
    const kinds = fc.oneof(
      fc.constant({ kind: 'empty' as const }),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ kind: 'binary' as const, bytes })),
      fc.nat().map((cut) => ({ kind: 'truncated' as const, cut })),
      fc.constant({ kind: 'bom' as const }),
    );
    await fc.assert(
      fc.asyncProperty(kinds, fc.constantFrom('replay', 'explain'), async (k, command) => {
        const data = k.kind === 'empty' ? '' : k.kind === 'binary' ? Buffer.from(k.bytes) : k.kind === 'truncated' ? text.slice(0, k.cut % text.lastIndexOf('}')) : '\uFEFF' + text;
        writeFileSync(file, data);
        const o = await runMain([command, file]);
        if (k.kind === 'bom') expect(o.code).toBe(command === 'replay' ? 1 : 0);
        else expect(expectFailure(o, `${command} on a ${k.kind} file`)).toBe('E_TRACE_FORMAT');
      }),
      fuzzParams(100),
    );
  });
});
