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

/** The header's columns: where each name starts on the line above the rule of dashes (below the params and init lines). */
function headerColumns(text: string): { name: string; at: number }[] {
  const lines = text.split('\n');
  const rule = lines.findIndex((l) => /^-+( +-+)*$/.test(l));
  return [...lines[rule - 1]!.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
}

/** The index of the column header's rule of dashes. */
const ruleLine = (text: string) => text.split('\n').findIndex((l) => /^-+( +-+)*$/.test(l));

describe('lkml on the seed violations', () => {
  it.each(SEED_VIOLATIONS)('$scenario: the diagram (snapshot)', ({ scenario }) => {
    expect(lkml(seed(scenario).story)).toMatchSnapshot();
  });

  it.each(SEED_VIOLATIONS)('$scenario: within 80 columns, one header column per actor, each step in its column and in order', ({ scenario }) => {
    const { story: s } = seed(scenario);
    const text = lkml(s);
    expectHygiene(text);
    const cols = headerColumns(text);
    // The actors, then the parties their steps noted (Xen's hypervisor).
    expect(cols.map((c) => c.name)).toEqual([...s.actors.map((a) => a.name), ...(s.parties ?? [])]);
    const lines = text.split('\n');
    let after = ruleLine(text); // the header's rule
    for (const step of s.steps) {
      // The first word of the step's own call, on a later line than the previous step's.
      const word = step.calls.at(-1)!.split(' ')[0]!.replace(/\(\)$/, '');
      const at = lines.findIndex((l, i) => i > after && l.includes(word));
      expect(at, `step ${step.n} (${step.label}) after line ${after}`).toBeGreaterThan(after);
      const indent = lines[at]!.length - lines[at]!.trimStart().length;
      expect(indent).toBeGreaterThanOrEqual(cols[step.column]!.at);
      expect(indent).toBeLessThan(cols[step.column + 1]?.at ?? Infinity);
      after = at;
    }
  });

  it.each(SEED_VIOLATIONS)('$scenario: ends where the run ends, naming the property, then the verdict line', ({ scenario, property }) => {
    const { story: s } = seed(scenario);
    const lines = lkml(s).trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^=> VIOLATION of ${property} (at|after) step ${s.steps.length}\\b`));
    if (s.end.kind === 'fault') {
      // On the faulting step's lines: its message, then how the kernel dies (the seed models' kernel faults say Oops or BUG()).
      const body = lines.slice(0, -1).join(' ').replace(/ +/g, ' ');
      expect(body).toMatch(new RegExp(`(Oops|BUG\\(\\)) \\(${property}\\)$`));
      expect(body).toContain(s.end.message!.split(' ').slice(-4).join(' '));
    } else {
      expect(s.end.kind).toBe('invariant');
      expect(lines.at(-2)!.trim()).toBe(`-> ${property} violated`);
    }
  });

  it('contpte b-kernel: two columns, U1 and the faulting kernel CPU, the fold before the walk, choices by value', () => {
    const text = lkml(seed('scenarios/contpte/b-kernel.json').story);
    expect(headerColumns(text).map((c) => c.name)).toEqual(['U1', 'K[0]']);
    expect(text).toMatch(/^params: n=4 cpus=2 accesses=1 mm=init_mm gate=none$/m);
    expect(text).toMatch(/^contpte_convert\(\)\n {2}xchg: pte\[0\] = 0\n/m);
    expect(text).toMatch(/^ +access\(page 0, load\)$/m);
    // mmu:walk is hardware's: its last part, no call parentheses, with what it found.
    expect(text).toMatch(/^ +walk: pte\[0\]==0 -> Unable to handle kernel paging request:$/m);
    expect(text).not.toContain('mmu');
    expect(text.indexOf('xchg')).toBeLessThan(text.indexOf('walk'));
    expect(text).toMatch(/-> Oops \(INV-KFAULT\)\n=> VIOLATION of INV-KFAULT at step 5 \(Oops\)\n$/);
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
        [1, 'safe_copy_page:do_copy_page', { fault: { property: 'INV-COPY', message: 'Oops' } }],
      ],
      { kind: 'fault', property: 'INV-COPY', message: 'Oops' },
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
        '=> VIOLATION of INV-COPY at step 3 (Oops)',
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

  it('appends () to identifiers only, and shows a choice inside them: by value when recorded, else its index', () => {
    const s = story(['T'], [[0, 'spin_lock(ptl)'], [0, 'access', { choice: [1] }], [0, 'pte[j] == 0'], [0, 'pick', { choice: [0, 2] }]]);
    const body = lkml(s).split('\n').slice(2, 6);
    expect(body).toEqual(['spin_lock(ptl)', 'access(1)', 'pte[j] == 0', 'pick(0, 2)']);
    const named = story(
      ['T'],
      [
        // A named count is `name index`, a named string is the string, an unnamed value is the value.
        [0, 'access', { choice: [1, 1], values: [{ name: 'page', value: 1, index: 1, count: true }, { name: 'op', value: 'store', index: 1 }] }],
        [0, 'switch_mm', { choice: [2], values: [{ value: 'N', index: 2 }] }],
        [0, 'flag', { choice: [1], values: [{ name: 'dirty', value: true, index: 1 }] }],
        [0, 'spin_lock(ptl)', { choice: [0], values: [{ name: 'cpu', value: 0, index: 0, count: true }] }],
      ],
    );
    expect(lkml(named).split('\n').slice(2, 6)).toEqual(['access(page 1, store)', 'switch_mm(N)', 'flag(dirty true)', 'spin_lock(ptl) (cpu 0)']);
  });

  it("shows a hardware step as its label's last part without (), a note after its call, a party's note in its own column", () => {
    const s = story(
      ['K'],
      [
        [0, 'access', { choice: [0], values: [{ name: 'page', value: 0, index: 0, count: true }] }],
        [0, 'mmu:walk', { hw: true, notes: ['pte[0]==0'] }],
        [0, 'handle:fixup', { notes: ['retry'] }],
        [0, 'pin', { asides: [{ column: 1, text: 'get_page_type(7,L1): W!=L1 -> -EINVAL' }] }],
      ],
      { kind: 'none', reproduced: false },
      { parties: ['Xen'] },
    );
    const lines = lkml(s).split('\n');
    expect(headerColumns(lkml(s)).map((c) => c.name)).toEqual(['K', 'Xen']);
    expect(lines.slice(2, 7).map((l) => l.trimEnd())).toEqual([
      'access(page 0)',
      'walk: pte[0]==0',
      'handle()',
      '  fixup: retry',
      `pin()${' '.repeat(lines[0]!.indexOf('Xen') - 5)}get_page_type(7,L1): W!=L1 -> -EINVAL`,
    ]);
  });

  it('heads the diagram with the parameters that differ from the defaults and what init chose', () => {
    const s = story(['T'], [[0, 'a']], { kind: 'invariant', property: 'P', reproduced: true }, {
      setup: { params: [{ name: 'mm', value: 'init_mm' }, { name: 'n', value: 4 }], init: [{ name: 'dpa', value: 0, index: 0 }, { name: 'pte[2]', value: 'INV_OTHER in D', index: 5 }, { value: 'x', index: 1 }], notes: ['M unhooked'] },
    });
    expect(lkml(s).split('\n').slice(0, 3)).toEqual(['params: mm=init_mm n=4', 'init: dpa=0, pte[2]=INV_OTHER in D, x; M unhooked', '']);
    // Nothing to say: no header lines.
    expect(lkml(story(['T'], [[0, 'a']])).split('\n')[0]).toBe('T');
  });

  it('tells each ending: invariant in the last column, deadlock, model error, no violation, not reproduced', () => {
    const two = (end: Partial<Story['end']>) => lkml(story(['A', 'B'], [[0, 'a'], [1, 'b']], end)).trimEnd().split('\n');
    const inv = two({ kind: 'invariant', property: 'INV-X', message: 'INV-X does not hold' });
    expect(inv.at(-2)).toBe(`${' '.repeat(inv.at(-3)!.indexOf('b()'))}-> INV-X violated`);
    expect(inv.at(-1)).toBe('=> VIOLATION of INV-X after step 2');
    const dead = two({ kind: 'deadlock', property: 'deadlock', message: 'no step is enabled' });
    expect(dead.slice(-2)).toEqual(['-> deadlock: no step is enabled', '=> VIOLATION: deadlock after step 2']);
    const err = two({ kind: 'error', property: 'E_MODEL_THREW', message: 'boom' });
    expect(err.slice(-2)).toEqual(['-> model error E_MODEL_THREW: boom', '=> ERROR E_MODEL_THREW at step 2']);
    expect(two({ kind: 'none', reproduced: false }).at(-1)).toMatch(/not reproduced.*no violation/);
    const other = two({ kind: 'invariant', property: 'P', reproduced: false });
    expect(other.at(-2)).toMatch(/^\(not reproduced/);
    expect(other.at(-1)).toBe('=> VIOLATION of P after step 2 (not what the trace recorded)');
  });

  it('names the death a fault message names: Oops, BUG(), or a plain fault', () => {
    const faulting = (message: string) =>
      lkml(story(['K'], [[0, 'walk', { fault: { property: 'P', message } }]], { kind: 'fault', property: 'P', message }));
    // The fault's message on the faulting line, the death it names once.
    expect(faulting('Unable to handle kernel paging request -> Oops')).toContain('walk() -> Unable to handle kernel paging request -> Oops (P)\n=> VIOLATION of P at step 1 (Oops)');
    expect(faulting('Error while pinning mfn 6 -> BUG()')).toContain('walk() -> Error while pinning mfn 6 -> BUG() (P)\n=> VIOLATION of P at step 1 (BUG())');
    expect(faulting('the kernel dies')).toContain('walk() -> the kernel dies -> Oops (P)');
    expect(faulting('a user fault installed a pte')).toContain('walk() -> a user fault installed a pte (P)\n=> VIOLATION of P at step 1 (a fault)');
    expect(faulting('')).toContain('walk() -> fault (P)');
  });

  it('wraps a long label at spaces, continuation lines one level deeper; a line alone may run past its column', () => {
    const long = 'memcpy(control_code_buffer, riscv_kexec_relocate, KEXEC_CONTROL_PAGE_SIZE)';
    const text = lkml(story(['S', 'E'], [[0, `machine_kexec_prepare:${long}`], [1, 'b'.repeat(20)]]), { width: 60 });
    expectHygiene(text, 60);
    const lines = text.split('\n');
    expect(lines[3]).toBe('  memcpy(control_code_buffer, riscv_kexec_relocate,');
    expect(lines[4]).toBe('    KEXEC_CONTROL_PAGE_SIZE)');
  });

  it('never cuts inside an identifier: it moves whole to the next line, or the actors share one lane', () => {
    // Each identifier fits its column only whole: they go to the next line, never `machine_` / `shutdown()`.
    const ids = story(['S', 'F', 'Csw', 'E'], [[3, 'kernel_kexec:machine_shutdown'], [3, 'machine_kexec:kexec_method', { notes: ['satp = mmT.pgd; jump control_code_buffer: walk: LEAF(RW-), not X'] }], [0, 'flush_tlb_kernel_range']]);
    for (const width of [60, 80]) {
      const text = lkml(ids, { width });
      expectHygiene(text, width);
      for (const id of ['machine_shutdown()', 'kexec_method:', 'control_code_buffer:', 'flush_tlb_kernel_range()']) expect(text, `${id} at ${width}`).toContain(id);
    }
    // An identifier too wide for any column side by side: one lane, where it fits.
    const wide = lkml(story(['S', 'E'], [[0, 'a'], [1, 'x'.repeat(54)]]), { width: 60 });
    expect(wide.split('\n').slice(0, 4)).toEqual(['S:', '  a()', 'E:', `  ${'x'.repeat(54)}()`]);
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

/**
 * A random story: up to 9 actors (more than fit side by side at 80 columns) and up to 2
 * parties, steps with call paths, choices (by value, named or not), notes, a party's
 * notes, hardware steps, a fault, any ending, and a header of params and init choices.
 */
const stories: fc.Arbitrary<Story> = fc
  .integer({ min: 1, max: 9 })
  .chain((actors) =>
    fc.record({
      names: fc.array(text(3), { minLength: actors, maxLength: actors }),
      parties: fc.array(text(2), { maxLength: 2 }),
      steps: fc.array(
        fc.record({
          column: fc.integer({ min: 0, max: actors - 1 }),
          calls: fc.array(text(3), { minLength: 1, maxLength: 4 }),
          choice: fc.option(fc.array(fc.nat(9), { minLength: 1, maxLength: 3 }), { nil: undefined }),
          values: fc.option(fc.array(fc.record({ name: fc.option(text(2), { nil: undefined }), value: fc.oneof(text(3), fc.nat(9), fc.boolean()) }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
          notes: fc.option(fc.array(text(4), { minLength: 1, maxLength: 2 }), { nil: undefined }),
          aside: fc.option(fc.record({ party: fc.nat(1), text: text(4) }), { nil: undefined }),
          hw: fc.boolean(),
        }),
        { maxLength: 25 },
      ),
      setup: fc.option(
        fc.record({
          params: fc.array(fc.record({ name: text(2), value: fc.oneof(text(2), fc.nat(99), fc.boolean()) }), { maxLength: 4 }),
          init: fc.array(fc.record({ name: fc.option(text(2), { nil: undefined }), value: fc.oneof(text(3), fc.nat(9)), index: fc.nat(9) }), { maxLength: 4 }),
          notes: fc.array(text(3), { maxLength: 2 }),
        }),
        { nil: undefined },
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
      ...(s.values ? { values: s.values.map((v, index) => ({ ...(v.name !== undefined ? { name: v.name } : {}), value: v.value, index })) } : {}),
      ...(s.notes ? { notes: s.notes } : {}),
      ...(s.aside && r.parties.length ? { asides: [{ column: r.names.length + (s.aside.party % r.parties.length), text: s.aside.text }] } : {}),
      ...(s.hw ? { hw: true } : {}),
      changes: [],
      ...(r.kind === 'fault' && i === r.steps.length - 1 ? { fault: { property: r.property, message: r.message } } : {}),
    }));
    return story([], [], { kind: r.kind, property: r.property, message: r.message, reproduced: r.reproduced }, {
      actors: r.names.map((name, instance) => ({ name, actor: 'A', instance })),
      ...(r.parties.length ? { parties: r.parties } : {}),
      ...(r.setup ? { setup: r.setup } : {}),
      steps,
    });
  });

/** The story with each step's own call replaced by the token `~n~`, and `~` taken out of every other string. */
function tokened(s: Story): Story {
  const clean = (x: string) => x.replace(/~/g, '-');
  return {
    ...s,
    actors: s.actors.map((a) => ({ ...a, name: clean(a.name) })),
    ...(s.parties ? { parties: s.parties.map(clean) } : {}),
    ...(s.setup
      ? { setup: { params: s.setup.params.map((p) => ({ name: clean(p.name), value: typeof p.value === 'string' ? clean(p.value) : p.value })), init: s.setup.init.map((v) => ({ ...v, ...(v.name !== undefined ? { name: clean(v.name) } : {}), value: typeof v.value === 'string' ? clean(v.value) : v.value })), notes: s.setup.notes.map(clean) } }
      : {}),
    steps: s.steps.map((st) => {
      // A hardware step shows only its last call: the token is there.
      const calls = [...st.calls.slice(0, -1).map(clean), `~${st.n}~`];
      return {
        ...st,
        calls,
        label: calls.join(':'),
        ...(st.values ? { values: st.values.map((v) => ({ ...v, ...(v.name !== undefined ? { name: clean(v.name) } : {}), value: typeof v.value === 'string' ? clean(v.value) : v.value })) } : {}),
        ...(st.notes ? { notes: st.notes.map(clean) } : {}),
        ...(st.asides ? { asides: st.asides.map((a) => ({ ...a, text: clean(a.text) })) } : {}),
        ...(st.fault ? { fault: { property: clean(st.fault.property), message: clean(st.fault.message) } } : {}),
      };
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
