/**
 * The lkml race diagram: snapshots and structure on the seed violations, the layout rules
 * on hand-built stories, and width, order and hygiene on random (and hostile) stories.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { lkml } from '../../../src/report/lkml.js';
import type { Story, StoryStep } from '../../../src/report/story.js';
import { SEED_VIOLATIONS, seedCases, type SeedCase } from './fixtures.js';

const cases = new Map<string, SeedCase>();
beforeAll(async () => {
  for (const c of await seedCases()) cases.set(c.scenario, c);
});

const seed = (scenario: string): SeedCase => cases.get(scenario)!;

/** A story from its actors and steps as `[column, label, extra]`; the calls are the label split on ':'. */
function story(
  actors: string[],
  steps: [number, string, Partial<StoryStep>?][],
  end: Partial<Story['end']> = {},
  more: Partial<Story> = {},
): Story {
  return {
    model: 'm',
    params: {},
    actors: actors.map((name, instance) => ({ name, actor: name, instance })),
    steps: steps.map(([column, label, extra], i) => ({ n: i + 1, column, label, calls: label.split(':'), changes: [], ...extra })),
    initial: [],
    end: { kind: 'none', reproduced: true, ...end },
    sourceChanged: false,
    replayCommand: 'npx mmrace replay m.trace.json',
    ...more,
  };
}

/** Columns a terminal draws for `s`, counted independently of the code under test: CJK and astral characters take two. */
const drawn = (s: string) => [...s].reduce((n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(ch) || ch.length > 1 ? 2 : 1), 0);

/** Text that must never reach a diagram: control characters (but the newlines between lines), bidi overrides, zero-width characters. */
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** The rules every diagram keeps, whatever it shows. */
function expectHygiene(text: string, width = 80): void {
  expect(text.endsWith('\n')).toBe(true);
  expect(text).not.toMatch(FORBIDDEN);
  for (const line of text.slice(0, -1).split('\n')) {
    expect(line.length, line).toBeLessThanOrEqual(width);
    expect(drawn(line), line).toBeLessThanOrEqual(width);
    expect(line, 'no trailing space').toBe(line.trimEnd());
  }
}

/** The header's columns: where each name starts on the first line. */
function headerColumns(text: string): { name: string; at: number }[] {
  return [...text.split('\n')[0]!.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
}

describe('lkml on the seed violations', () => {
  it.each(SEED_VIOLATIONS)('$scenario: the diagram (snapshot)', ({ scenario }) => {
    expect(lkml(seed(scenario).story)).toMatchSnapshot();
  });

  it.each(SEED_VIOLATIONS)('$scenario: within 80 columns, one header column per actor, each step in its column and in order', ({ scenario }) => {
    const { story: s } = seed(scenario);
    const text = lkml(s);
    expectHygiene(text);
    const cols = headerColumns(text);
    expect(cols.map((c) => c.name)).toEqual(s.actors.map((a) => a.name));
    const lines = text.split('\n');
    let after = 1; // the header's rule
    for (const step of s.steps) {
      // The first word of the step's own call, on a later line than the previous step's.
      const word = step.calls.at(-1)!.split(' ')[0]!;
      const at = lines.findIndex((l, i) => i > after && l.includes(word));
      expect(at, `step ${step.n} (${step.label}) after line ${after}`).toBeGreaterThan(after);
      const indent = lines[at]!.length - lines[at]!.trimStart().length;
      expect(indent).toBeGreaterThanOrEqual(cols[step.column]!.at);
      expect(indent).toBeLessThan(cols[step.column + 1]?.at ?? Infinity);
      after = at;
    }
  });

  it.each(SEED_VIOLATIONS)('$scenario: ends where the run ends, naming the property', ({ scenario, property }) => {
    const { story: s } = seed(scenario);
    const lines = lkml(s).trimEnd().split('\n');
    if (s.end.kind === 'fault') {
      // On the faulting step's line: the seed models' kernel faults say Oops or BUG().
      const last = lines.at(-1)!;
      expect(last).toContain(s.steps.at(-1)!.calls.at(-1)!.split(' ')[0]!);
      expect(last).toMatch(new RegExp(`-> (Oops|BUG\\(\\)) \\(${property}\\)$`));
    } else {
      expect(s.end.kind).toBe('invariant');
      expect(lines.at(-1)!.trim()).toBe(`-> ${property} violated`);
    }
  });

  it('contpte b-kernel: two columns, U1 and the faulting kernel CPU, the fold before the walk', () => {
    const text = lkml(seed('scenarios/contpte/b-kernel.json').story);
    expect(headerColumns(text).map((c) => c.name)).toEqual(['U1', 'K[0]']);
    expect(text).toMatch(/^contpte_convert\(\)\n {2}xchg\(\)\n/m);
    expect(text.indexOf('xchg()')).toBeLessThan(text.indexOf('walk()'));
    expect(text).toMatch(/-> Oops \(INV-KFAULT\)\n$/);
  });

  it('a narrower width is kept too, by wrapping inside the columns', () => {
    for (const c of cases.values()) for (const width of [20, 32, 40, 60]) expectHygiene(lkml(c.story, { width }), width);
  });
});

describe('lkml layout', () => {
  it("prints only the call levels that changed since the column's previous step, two spaces a level", () => {
    const s = story(
      ['V', 'H'],
      [
        [0, '__vunmap:vm_remove_mappings:set_direct_map_invalid'],
        [1, 'safe_copy_page:__kernel_map_pages'],
        [1, 'safe_copy_page:do_copy_page', { fault: { property: 'INV-COPY', message: 'paging request -> Oops' } }],
      ],
      { kind: 'fault', property: 'INV-COPY', message: 'paging request -> Oops' },
    );
    // V is as wide as its widest line (4 + 24), then 4 spaces: H starts at 32.
    const h = ' '.repeat(32);
    expect(lkml(s)).toBe(
      [
        `V${' '.repeat(31)}H`,
        `-${' '.repeat(31)}-`,
        '__vunmap()',
        '  vm_remove_mappings()',
        '    set_direct_map_invalid()',
        `${h}safe_copy_page()`,
        `${h}  __kernel_map_pages()`,
        `${h}  do_copy_page() -> Oops (INV-COPY)`,
        '',
      ].join('\n'),
    );
  });

  it('a step repeated prints again at its level; a column keeps its own nesting across the other columns', () => {
    const s = story(['U1', 'K'], [[0, 'convert:xchg'], [1, 'walk'], [0, 'convert:xchg'], [0, 'convert:flush'], [0, 'unlock']]);
    const body = lkml(s)
      .split('\n')
      .slice(2)
      .map((l) => l.trim());
    expect(body).toEqual(['convert()', 'xchg()', 'walk()', 'xchg()', 'flush()', 'unlock()', '(not reproduced: the schedule runs to its end with no violation)', '']);
  });

  it('appends () to identifiers only, and shows a choice briefly', () => {
    const s = story(['T'], [[0, 'spin_lock(ptl)'], [0, 'access', { choice: [1] }], [0, 'pte[j] == 0'], [0, 'pick', { choice: [0, 2] }]]);
    const body = lkml(s).split('\n').slice(2, 6);
    expect(body).toEqual(['spin_lock(ptl)', 'access() [1]', 'pte[j] == 0', 'pick() [0,2]']);
  });

  it('tells each ending: invariant in the last column, deadlock, model error, no violation, not reproduced', () => {
    const two = (end: Partial<Story['end']>) => lkml(story(['A', 'B'], [[0, 'a'], [1, 'b']], end)).trimEnd().split('\n');
    const inv = two({ kind: 'invariant', property: 'INV-X', message: 'INV-X does not hold' });
    expect(inv.at(-1)).toBe(`${' '.repeat(inv.at(-2)!.indexOf('b()'))}-> INV-X violated`);
    expect(two({ kind: 'deadlock', property: 'deadlock', message: 'no step is enabled' }).at(-1)).toBe('-> deadlock: no step is enabled');
    expect(two({ kind: 'error', property: 'E_MODEL_THREW', message: 'boom' }).at(-1)).toBe('-> model error E_MODEL_THREW: boom');
    expect(two({ kind: 'none', reproduced: false }).at(-1)).toMatch(/not reproduced.*no violation/);
    expect(two({ kind: 'invariant', property: 'P', reproduced: false }).at(-1)).toMatch(/^\(not reproduced/);
  });

  it('names the death a fault message names: Oops, BUG(), or a plain fault', () => {
    const faulting = (message: string) =>
      lkml(story(['K'], [[0, 'walk', { fault: { property: 'P', message } }]], { kind: 'fault', property: 'P', message }));
    expect(faulting('Unable to handle kernel paging request -> Oops')).toContain('walk() -> Oops (P)');
    expect(faulting('Error while pinning mfn 6 -> BUG()')).toContain('walk() -> BUG() (P)');
    expect(faulting('the kernel dies')).toContain('walk() -> Oops (P)');
    expect(faulting('a user fault installed a pte')).toContain('walk() -> fault (P)');
  });

  it('wraps a long label inside its column, continuation lines one level deeper', () => {
    const long = 'memcpy(control_code_buffer, riscv_kexec_relocate, KEXEC_CONTROL_PAGE_SIZE)';
    const text = lkml(story(['S', 'E'], [[0, `machine_kexec_prepare:${long}`], [1, 'a'.repeat(50)]]), { width: 60 });
    expectHygiene(text, 60);
    const lines = text.split('\n');
    expect(lines[3]).toMatch(/^ {2}memcpy\(control_code_buffer,/);
    expect(lines[4]).toMatch(/^ {4}\S/);
    expect(lines.filter((l) => l.trim().startsWith('a')).join('').replace(/ /g, '')).toBe(`${'a'.repeat(50)}()`);
  });

  it('replaces control characters so that a hostile label cannot break the layout', () => {
    const text = lkml(story(['\x1b[31mA\r\nB', 'C\tD'], [[0, 'x\ny\rz\x1b[2J'], [1, 'evil\u202etxt.exe']]));
    expectHygiene(text);
    expect(headerColumns(text)).toHaveLength(2);
    expect(text.split('\n')).toHaveLength(2 + 2 + 1 + 1);
    expect(text).toContain('x y z?[2J');
  });

  it('counts wide characters twice', () => {
    const text = lkml(story(['T'], [[0, '中'.repeat(100)]]));
    expectHygiene(text);
    expect(text.split('\n')[2]).toBe('中'.repeat(40));
  });

  it('puts more actors than fit side by side in one lane, naming the actor at each switch', () => {
    // Eight columns as wide as these names need 8 * 14 + 7 * 2 > 80 columns.
    const actors = Array.from({ length: 8 }, (_, i) => `cpu${i}_of_the_box`);
    const text = lkml(story(actors, [[0, 'f:a'], [7, 'g'], [7, 'h'], [3, 'f:b']]));
    expectHygiene(text);
    expect(text.split('\n').slice(0, 9)).toEqual(['cpu0_of_the_box:', '  f()', '    a()', 'cpu7_of_the_box:', '  g()', '  h()', 'cpu3_of_the_box:', '  f()', '    b()']);
  });

  it('refuses a width that leaves no room for a column', () => {
    expect(() => lkml(story(['T'], [[0, 'a']]), { width: 19 })).toThrow(RangeError);
    expect(() => lkml(story(['T'], [[0, 'a']]), { width: 80.5 })).toThrow(RangeError);
  });
});

/** Pieces of hostile model strings: control characters, markup, wide and invisible characters, surrogates. */
const HOSTILE = ['\x1b[31m', '\r\n', '\n', '\t', '\0', '\x7f', '\u009b', '|', '`', '```', '<script>', '&amp;', '*_', '[x](http://e)', '\\', '\u202e', '\u200b', '中文', '😀', '\ud800', '\udc00', ' ', '    ', '()', ':'];
const piece = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.stringMatching(/^[a-z_]{1,30}$/),
  fc.string({ unit: fc.constantFrom('a', '_', '(', ',', '中'), minLength: 40, maxLength: 160 }),
);
const text = (maxPieces: number) => fc.array(piece, { maxLength: maxPieces }).map((ps) => ps.join(''));

/** A random story: up to 9 actors (more than fit side by side at 80 columns), steps with call paths, choices, a fault, any ending. */
const stories: fc.Arbitrary<Story> = fc
  .integer({ min: 1, max: 9 })
  .chain((actors) =>
    fc.record({
      names: fc.array(text(3), { minLength: actors, maxLength: actors }),
      steps: fc.array(
        fc.record({
          column: fc.integer({ min: 0, max: actors - 1 }),
          calls: fc.array(text(3), { minLength: 1, maxLength: 4 }),
          choice: fc.option(fc.array(fc.nat(9), { minLength: 1, maxLength: 3 }), { nil: undefined }),
        }),
        { maxLength: 25 },
      ),
      kind: fc.constantFrom('invariant' as const, 'fault' as const, 'deadlock' as const, 'error' as const, 'none' as const),
      property: text(2),
      message: text(4),
      reproduced: fc.boolean(),
    }),
  )
  .map((r) => {
    const steps: StoryStep[] = r.steps.map((s, i) => ({
      n: i + 1,
      column: s.column,
      label: s.calls.join(':'),
      calls: s.calls,
      ...(s.choice ? { choice: s.choice } : {}),
      changes: [],
      ...(r.kind === 'fault' && i === r.steps.length - 1 ? { fault: { property: r.property, message: r.message } } : {}),
    }));
    return story([], [], { kind: r.kind, property: r.property, message: r.message, reproduced: r.reproduced }, {
      actors: r.names.map((name, instance) => ({ name, actor: 'A', instance })),
      steps,
    });
  });

/** The story with each step's own call replaced by the token `~n~`, and `~` taken out of every other string. */
function tokened(s: Story): Story {
  const clean = (x: string) => x.replace(/~/g, '-');
  return {
    ...s,
    actors: s.actors.map((a) => ({ ...a, name: clean(a.name) })),
    steps: s.steps.map((st) => {
      const calls = [...st.calls.slice(0, -1).map(clean), `~${st.n}~`];
      return { ...st, calls, label: calls.join(':'), ...(st.fault ? { fault: { property: clean(st.fault.property), message: clean(st.fault.message) } } : {}) };
    }),
    end: { ...s.end, property: clean(s.end.property ?? ''), message: clean(s.end.message ?? '') },
  };
}

describe('lkml on random stories', () => {
  it('never exceeds the width, never lets a control character through, no trailing spaces', () => {
    fc.assert(
      fc.property(stories, fc.integer({ min: 20, max: 160 }), (s, width) => {
        expectHygiene(lkml(s, { width }), width);
        expectHygiene(lkml(s));
      }),
      { numRuns: 300 },
    );
  });

  it('shows every step once, each on a later line than the one before', () => {
    fc.assert(
      fc.property(stories.map(tokened), fc.integer({ min: 20, max: 160 }), (s, width) => {
        const text = lkml(s, { width });
        const lines = text.split('\n');
        let previous = -1;
        for (const st of s.steps) {
          const token = `~${st.n}~`;
          expect(text.split(token), token).toHaveLength(2);
          const at = lines.findIndex((l) => l.includes(token));
          expect(at, token).toBeGreaterThan(previous);
          previous = at;
        }
      }),
      { numRuns: 300 },
    );
  });
});
