/**
 * Named choices, notes and hardware steps of the modelling language: each form of
 * `choose` makes one index per choice (the trace's format), the search's states and
 * counts are those of the plain forms, and only a replay records the values, names and
 * notes (`c.noting` is false in the search).
 */
import { describe, expect, it } from 'vitest';
import { actor, bool, defineModel, enumOf, int, replay } from '../../../src/index.js';
import { Expander } from '../../../src/engine/transitions.js';
import { buildStory } from '../../../src/report/story.js';
import { ANY_MODEL_PATH, checkIn, compileModel, mmError } from '../helpers.js';

/** The same CPU, choosing a page and an op with each form of choose; `store` and `page 1` together fail. */
function cpu(form: 'plain' | 'named' | 'object') {
  return defineModel({
    id: `cpu-${form}`,
    state: { page: int(0, 2), store: bool(), dpa: bool() },
    init: (c) => {
      c.s.dpa = form === 'plain' ? c.choose([false, true]) : c.choose('dpa', [0, 1]) === 1;
      c.note('the block is mapped');
    },
    actors: {
      K: actor({
        steps: {
          access: (c) => {
            if (form === 'plain') {
              c.s.page = c.choose(3);
              c.s.store = c.choose([false, true]);
            } else if (form === 'named') {
              c.s.page = c.choose('page', 3);
              c.s.store = c.choose('op', ['load', 'store']) === 'store';
            } else {
              const { page, op } = c.choose({ page: [0, 1, 2], op: ['load', 'store'] });
              c.s.page = page;
              c.s.store = op === 'store';
            }
          },
          'mmu:walk': {
            hw: true,
            doc: 'the MMU walks the table',
            do: (c) => {
              if (c.noting) c.note(`pte[${c.s.page}]==0`);
              c.note('Xen', () => 'get_page_type(7,L1): W!=L1 -> -EINVAL');
              if (c.s.store && c.s.page === 1) c.fault('Unable to handle kernel paging request -> Oops', 'INV-KFAULT');
            },
          },
        },
      }),
    },
  });
}

describe('choose: named forms', () => {
  it('every form explores the same states, and the trace records one index per choice', async () => {
    const results = await Promise.all((['plain', 'named', 'object'] as const).map((f) => checkIn(compileModel(cpu(f)), ANY_MODEL_PATH, { strategy: 'bfs', shrink: false })));
    for (const r of results) {
      expect(r.verdict).toBe('violation');
      expect([r.states, r.transitions]).toEqual([results[0]!.states, results[0]!.transitions]);
      expect(r.trace!.init.choice).toEqual(results[0]!.trace!.init.choice);
      expect(r.trace!.schedule.map((s) => s.choice ?? [])).toEqual(results[0]!.trace!.schedule.map((s) => s.choice ?? []));
      // page 1 (index 1), store (index 1): two indices for the one step.
      expect(r.trace!.schedule[0]!.choice).toEqual([1, 1]);
    }
  });

  it('a replay records each choice by value and name, in call order', async () => {
    for (const form of ['named', 'object'] as const) {
      const m = compileModel(cpu(form));
      const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'bfs' });
      const rp = replay(r.trace!, compileModel(cpu(form)));
      expect(rp.init?.values).toEqual([{ name: 'dpa', value: 0, index: 0 }]);
      expect(rp.init?.notes).toEqual(['the block is mapped']);
      expect(rp.steps[0]!.values).toEqual([
        { name: 'page', value: 1, index: 1, ...(form === 'named' ? { count: true } : {}) },
        { name: 'op', value: 'store', index: 1 },
      ]);
    }
    // Unnamed: the value of an array, the index of a count.
    const plain = compileModel(cpu('plain'));
    const rp = replay((await checkIn(plain, ANY_MODEL_PATH, { strategy: 'bfs' })).trace!, compileModel(cpu('plain')));
    expect(rp.init?.values).toEqual([{ value: false, index: 0 }]);
    expect(rp.steps[0]!.values).toEqual([
      { value: 1, index: 1, count: true },
      { value: true, index: 1 },
    ]);
  });

  it('refuses a choice name that is empty or starts with a digit, and options that are neither a count nor an array', () => {
    const bad = (f: (c: { choose: (...a: never[]) => unknown }) => void) =>
      compileModel(defineModel({ id: 'bad', state: { x: int(0, 1) }, init: f as never, actors: { A: { steps: { a: () => {} } } } }));
    expect(mmError(() => bad((c) => c.choose(...(['', [1]] as never[]))).initialStates()).code).toBe('E_MODEL_DEF');
    expect(mmError(() => bad((c) => c.choose(...([{ '1': [1, 2] }] as never[]))).initialStates()).code).toBe('E_MODEL_DEF');
    expect(mmError(() => bad((c) => c.choose(...(['x', 'ab'] as never[]))).initialStates()).code).toBe('E_MODEL_DEF');
    expect(mmError(() => bad((c) => c.choose(...([null] as never[]))).initialStates()).code).toBe('E_MODEL_DEF');
  });
});

describe('notes', () => {
  it('are not recorded in the search: c.noting is false there, and a note function is not called', async () => {
    let called = 0;
    let noting = 0;
    const m = compileModel(
      defineModel({
        id: 'quiet',
        state: { x: int(0, 3) },
        actors: {
          A: {
            steps: {
              a: (c) => {
                if (c.noting) noting++;
                c.note(() => `x=${++called}`);
                c.s.x = c.choose('x', [1, 2]);
              },
            },
          },
        },
      }),
    );
    const ex = new Expander(m);
    let successors = 0;
    ex.expand(m.initialStates()[0]!, { successor: () => (successors++, true) });
    expect([successors, called, noting]).toEqual([2, 0, 0]);
    expect(m.recording).toBeNull();
    // On replay, each step records once (the second run, the determinism check, records nothing).
    const r = await checkIn(compileModel(cpu('named')), ANY_MODEL_PATH, { strategy: 'bfs' });
    expect(r.verdict).toBe('violation');
  });

  it("a replay records the step's own notes and another party's", async () => {
    const m = compileModel(cpu('named'));
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'bfs' });
    const rp = replay(r.trace!, compileModel(cpu('named')));
    const walk = rp.steps.find((s) => s.label === 'mmu:walk')!;
    expect(walk.notes).toEqual([{ text: 'pte[1]==0' }, { party: 'Xen', text: 'get_page_type(7,L1): W!=L1 -> -EINVAL' }]);
  });

  it('a story puts the party in a column after the actors, and tells the hw step and its doc', async () => {
    const m = compileModel(cpu('object'));
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'bfs' });
    const story = buildStory(r.trace!, compileModel(cpu('object')), 'cpu.trace.json');
    expect(story.parties).toEqual(['Xen']);
    const walk = story.steps.find((s) => s.label === 'mmu:walk')!;
    expect(walk).toMatchObject({ hw: true, doc: 'the MMU walks the table', notes: ['pte[1]==0'], asides: [{ column: 1, text: 'get_page_type(7,L1): W!=L1 -> -EINVAL' }] });
    expect(story.setup).toEqual({ params: [], init: [{ name: 'dpa', value: 0, index: 0 }], notes: ['the block is mapped'] });
  });

  it('refuses a party that is not a non-empty string', async () => {
    const m = compileModel(
      defineModel({ id: 'np', state: { x: int(0, 1) }, actors: { A: { steps: { a: (c) => c.note(...([' ', 'x'] as [string, string])) } } }, invariants: { never: (s) => s.x !== 1 } }),
    );
    const r = await checkIn(m, ANY_MODEL_PATH, { strategy: 'bfs' });
    // In the search the note is not even looked at.
    expect(r.verdict).toBe('safe');
    m.recording = new (await import('../../../src/model/compile.js')).Recording();
    const ex = new Expander(m);
    expect(() => ex.runChoice(m.initialStates()[0]!, 0, [])).toThrow(/party must be a non-empty string/);
    m.recording = null;
  });
});

describe('hw and doc', () => {
  it('a step object takes hw and doc; a label hw:... is hardware too; wrong types are refused', () => {
    const m = compileModel(
      defineModel({
        id: 'hw',
        state: { x: enumOf('a', 'b') },
        actors: { A: { steps: { 'hw:walk': () => {}, 'mmu:fill': { hw: true, doc: 'fills the TLB' }, call: { doc: 'a kernel call' } } } },
      }),
    );
    expect(m.instances[0]!.steps.map((s) => [s.label, s.hw, s.doc])).toEqual([
      ['hw:walk', true, undefined],
      ['mmu:fill', true, 'fills the TLB'],
      ['call', false, 'a kernel call'],
    ]);
    const bad = (step: unknown) => mmError(() => compileModel(defineModel({ id: 'b', state: { x: int(0, 1) }, actors: { A: { steps: { s: step as never } } } }))).code;
    expect(bad({ hw: 'yes' })).toBe('E_MODEL_DEF');
    expect(bad({ doc: 3 })).toBe('E_MODEL_DEF');
    expect(bad({ show: 'x' })).toBe('E_MODEL_DEF');
  });
});
