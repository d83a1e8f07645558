/**
 * The Markdown report: snapshots and structure on the seed violations, and on random
 * stories with hostile strings, a table that keeps its shape, no HTML, no links, and code
 * blocks that nothing inside them can close.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { lkml } from '../../../src/report/lkml.js';
import { markdown } from '../../../src/report/markdown.js';
import type { Story, StoryStep } from '../../../src/report/story.js';
import { SEED_VIOLATIONS, seedCases, type SeedCase } from './fixtures.js';

const cases = new Map<string, SeedCase>();
beforeAll(async () => {
  for (const c of await seedCases()) cases.set(c.scenario, c);
});

const seed = (scenario: string): SeedCase => cases.get(scenario)!;

const TABLE_HEAD = '| # | actor | step | slots changed |';

/** The cells of a GFM table row: split at the pipes that no backslash escapes (as GFM reads `\\` then `|`). */
function cells(row: string): string[] {
  const out: string[] = [];
  let cell = '';
  for (let i = 0; i < row.length; i++) {
    const ch = row[i]!;
    if (ch === '\\') {
      cell += ch + (row[i + 1] ?? '');
      i++;
    } else if (ch === '|') {
      out.push(cell);
      cell = '';
    } else cell += ch;
  }
  out.push(cell);
  return out.slice(1, -1).map((c) => c.trim());
}

/** The rows of the steps table: the lines after its head and rule, up to the blank line. */
function tableRows(md: string): string[] {
  const lines = md.split('\n');
  const head = lines.indexOf(TABLE_HEAD);
  expect(head, 'the table head').toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', head);
  return lines.slice(head + 2, end);
}

/** A fenced code block: its info string, its body, and the lines it spans (fences included). */
interface Block {
  readonly info: string;
  readonly body: string;
  readonly from: number;
  readonly to: number;
}

/** The fenced code blocks, as CommonMark reads them: a fence of n backticks is closed by a line of at least n. */
function codeBlocks(md: string): Block[] {
  const blocks: Block[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^${fence}\`*\\s*$`).test(lines[j]!)) j++;
    blocks.push({ info: open[2]!, body: lines.slice(i + 1, j).join('\n'), from: i, to: j });
    i = j;
  }
  return blocks;
}

/** The report outside its code blocks: what a renderer reads as Markdown. */
function outsideCode(md: string): string {
  const blocks = codeBlocks(md);
  return md
    .split('\n')
    .filter((_, i) => !blocks.some((b) => i >= b.from && i <= b.to))
    .join('\n');
}

/** What a code block holding `s` shows (its last newline is the block's). */
const shown = (s: string) => s.replace(/\n$/, '');

describe('markdown on the seed violations', () => {
  it.each(SEED_VIOLATIONS)('$scenario: the report (snapshot)', ({ scenario }) => {
    expect(markdown(seed(scenario).story)).toMatchSnapshot();
  });

  it.each(SEED_VIOLATIONS)('$scenario: verdict, what was checked, diagram, one row per step, outcome, replay command', ({ scenario, property }) => {
    const { story: s, name } = seed(scenario);
    const md = markdown(s);
    expect(md.split('\n')[0]).toBe(`## VIOLATION of ${property}`);
    expect(md).toContain(`- **scenario:** ${name}`);
    expect(md).toMatch(/^- \*\*model:\*\* \S+$/m);
    const escaped = (x: unknown) => String(x).replace(/_/g, '\\_');
    for (const [k, v] of Object.entries(s.params)) expect(md).toContain(`${escaped(k)}=${escaped(v)}`);
    const blocks = codeBlocks(md);
    expect(blocks.map((b) => [b.info, b.body])).toEqual([
      ['text', shown(lkml(s))],
      ['sh', s.replayCommand],
    ]);
    const rows = tableRows(md);
    expect(rows).toHaveLength(s.steps.length);
    rows.forEach((row, i) => {
      const c = cells(row);
      expect(c).toHaveLength(4);
      expect(c[0]).toBe(String(i + 1));
      expect(c[1]).toBe(s.actors[s.steps[i]!.column]!.name.replace(/[_[\]]/g, '\\$&'));
      expect(c[3]!.split('<br>').filter((x) => x !== '')).toHaveLength(s.steps[i]!.changes.length);
    });
    expect(md).toMatch(new RegExp(`^\\*\\*Outcome:\\*\\* .*${property}`, 'm'));
    expect(md).not.toContain('**Note:**');
  });

  it('contpte b-kernel: the fault on the last row, the slots a step changed as from → to', () => {
    const md = markdown(seed('scenarios/contpte/b-kernel.json').story);
    const rows = tableRows(md);
    expect(cells(rows.at(-1)!)[2]).toMatch(/→ \*\*fault INV-KFAULT\*\*$/);
    expect(md).toContain('ptl: free → held(0)');
    expect(md).toContain('**Outcome:** step 5 raised the fault INV-KFAULT: Unable to handle kernel paging request');
  });
});

/** A small story by hand; `extra` overrides. */
function story(steps: Partial<StoryStep>[], extra: Partial<Story> = {}): Story {
  return {
    model: 'm',
    params: { n: 2 },
    actors: [{ name: 'A', actor: 'A', instance: 0 }],
    steps: steps.map((s, i) => ({ n: i + 1, column: 0, label: 'step', calls: ['step'], changes: [], ...s })),
    initial: [],
    end: { kind: 'invariant', property: 'P', message: 'P does not hold', reproduced: true },
    sourceChanged: false,
    replayCommand: 'npx mmrace replay m.trace.json',
    ...extra,
  };
}

describe('markdown escaping and notes', () => {
  it('escapes a hostile label: the table keeps its cells, no HTML, no link, no emphasis, no code span', () => {
    const label = 'a|b <script>alert(1)</script> [x](http://evil.example) `code` *em* _u_ ~s~ $m$ &amp; www.evil.example me@evil.example\nnext';
    const md = markdown(story([{ label, calls: [label], changes: [{ slot: 'x|y', from: '<b>', to: '`1`' }] }]));
    const row = tableRows(md)[0]!;
    expect(cells(row)).toHaveLength(4);
    const prose = outsideCode(md);
    expect(prose).not.toMatch(/<script|<b>/i);
    expect(prose).not.toMatch(/(?<!\\)\]\(/);
    expect(prose).not.toMatch(/(?<!\\)`/);
    expect(prose).not.toMatch(/(?<!\\)\*em/);
    expect(prose).not.toMatch(/https?:\/\/|www\.|(?<!\\)@/);
    expect(prose, 'every & an entity of ours').not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(row).toContain('a\\|b &lt;script&gt;');
    expect(row).toContain('x\\|y: &lt;b&gt; → \\`1\\`');
  });

  it('fences a code block with more backticks than any run inside it', () => {
    const md = markdown(story([{ label: 'a ```` b', calls: ['a ```` b'] }], { replayCommand: "npx mmrace replay 'x```.json'" }));
    const blocks = codeBlocks(md);
    expect(blocks).toHaveLength(2);
    expect(md).toMatch(/^`{5}text$/m);
    expect(blocks[0]!.body).toContain('a ```` b');
    expect([blocks[1]!.info, blocks[1]!.body]).toEqual(['sh', "npx mmrace replay 'x```.json'"]);
  });

  it('notes a replay that did not reproduce, and a model source that changed', () => {
    const md = markdown(story([{}], { end: { kind: 'none', reproduced: false }, sourceChanged: true }));
    expect(md.split('\n')[0]).toBe('## NOT REPRODUCED: no violation');
    expect(md).toContain('**Outcome:** the schedule runs to its end with no violation.');
    expect(md).toMatch(/\*\*Note:\*\* the replay did not reproduce/);
    expect(md).toMatch(/\*\*Note:\*\* the model source changed/);
    const other = markdown(story([{}], { end: { kind: 'invariant', property: 'Q', message: 'Q does not hold', reproduced: false } }));
    expect(other.split('\n')[0]).toBe('## VIOLATION of Q (not the recorded one)');
  });

  it('heads a deadlock and a model error as such', () => {
    const dead = markdown(story([{}], { end: { kind: 'deadlock', property: 'deadlock', message: 'no step is enabled', reproduced: true } }));
    expect(dead.split('\n')[0]).toBe('## VIOLATION: deadlock');
    expect(dead).toContain('**Outcome:** deadlock after step 1: no step is enabled');
    const error = markdown(story([{}], { end: { kind: 'error', property: 'E_MODEL_THREW', message: 'boom', reproduced: true } }));
    expect(error.split('\n')[0]).toBe('## MODEL ERROR E\\_MODEL\\_THREW');
  });
});

/** Pieces of hostile model strings: markup of every kind, control characters, wide and invisible characters. */
const HOSTILE = ['|', '\\', '\\|', '`', '```', '<script>', '</td>', '<img src=x onerror=alert(1)>', '&lt;', '&', '*', '_', '[', ']', '](http://e.x)', '\r\n', '\n', '\t', '\x1b[31m', '\u202e', '中', '😀', '\ud800', ':', '//', 'www.', '@', '#', '$', '~', ' '];
const piece = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary', maxLength: 3 }), fc.stringMatching(/^[a-z_]{1,10}$/));
const text = fc.array(piece, { maxLength: 6 }).map((ps) => ps.join(''));

/** A random story whose every string is hostile. */
const stories: fc.Arbitrary<Story> = fc
  .integer({ min: 1, max: 4 })
  .chain((actors) =>
    fc.record({
      names: fc.array(text, { minLength: actors, maxLength: actors }),
      steps: fc.array(
        fc.record({
          column: fc.integer({ min: 0, max: actors - 1 }),
          calls: fc.array(text, { minLength: 1, maxLength: 3 }),
          changes: fc.array(fc.record({ slot: text, from: text, to: text }), { maxLength: 3 }),
          choice: fc.option(fc.array(fc.nat(5), { minLength: 1, maxLength: 2 }), { nil: undefined }),
        }),
        { maxLength: 12 },
      ),
      kind: fc.constantFrom('invariant' as const, 'fault' as const, 'deadlock' as const, 'error' as const, 'none' as const),
      property: text,
      message: text,
      model: text,
      scenario: text,
      param: fc.tuple(text, text),
      replayCommand: text,
      reproduced: fc.boolean(),
      sourceChanged: fc.boolean(),
    }),
  )
  .map(
    (r): Story => ({
      model: r.model,
      params: { [r.param[0]]: r.param[1] },
      scenario: r.scenario,
      actors: r.names.map((name, instance) => ({ name, actor: 'A', instance })),
      steps: r.steps.map((s, i) => ({
        n: i + 1,
        column: s.column,
        label: s.calls.join(':'),
        calls: s.calls,
        ...(s.choice ? { choice: s.choice } : {}),
        changes: s.changes,
        ...(r.kind === 'fault' && i === r.steps.length - 1 ? { fault: { property: r.property, message: r.message } } : {}),
      })),
      initial: [],
      end: { kind: r.kind, property: r.property, message: r.message, reproduced: r.reproduced },
      sourceChanged: r.sourceChanged,
      replayCommand: r.replayCommand,
    }),
  );

describe('markdown on random hostile stories', () => {
  it('one table row per step, each with the same four cells', () => {
    fc.assert(
      fc.property(stories, (s) => {
        const rows = tableRows(markdown(s));
        expect(rows).toHaveLength(s.steps.length);
        for (const row of rows) expect(cells(row)).toHaveLength(4);
      }),
      { numRuns: 300 },
    );
  });

  it('no HTML but its own <br>, no raw <script, no link, and code blocks that hold exactly the diagram and the command', () => {
    fc.assert(
      fc.property(stories, (s) => {
        const md = markdown(s);
        const blocks = codeBlocks(md);
        expect(blocks).toHaveLength(2);
        expect(blocks[0]!.body).toBe(shown(lkml(s)));
        expect(blocks[1]!.body).toBe(shown(s.replayCommand));
        const prose = outsideCode(md);
        expect(prose).not.toMatch(/<script/i);
        expect(prose.replace(/<br>/g, '')).not.toContain('<');
        expect(prose).not.toMatch(/(?<!\\)\]\(|https?:\/\/|www\./i);
        expect(prose).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
      }),
      { numRuns: 300 },
    );
  });
});

/** What a report attaches: any file name, any trace text, a schedule command or none. */
const attachments = fc.record({
  traceFile: text,
  traceJson: fc.oneof(text, fc.constantFrom('{"a": "```\\n</details>\\n<script>"}\n', '````\n`\n')),
  scheduleCommand: fc.option(text, { nil: undefined }),
});

describe('markdown with the trace attached (explain --format md)', () => {
  it('the seed reports carry the trace, as JSON that parses back, and the schedule command, after the replay command', () => {
    for (const { scenario } of SEED_VIOLATIONS) {
      const c = seed(scenario);
      const json = JSON.stringify(c.trace, null, 2) + '\n';
      const command = `npx mmrace check ${scenario} --schedule mm1.0`;
      const md = markdown(c.story, { traceFile: `${c.name}.trace.json`, traceJson: json, scheduleCommand: command });
      const blocks = codeBlocks(md);
      expect(blocks.map((b) => b.info)).toEqual(['text', 'sh', 'sh', 'json']);
      expect(blocks[1]!.body).toBe(c.story.replayCommand);
      expect(blocks[2]!.body).toBe(command);
      expect(JSON.parse(blocks[3]!.body)).toEqual(c.trace);
      const lines = md.split('\n');
      // The JSON is collapsed: a <details> opens right before it, with a blank line between, and closes after it.
      const open = lines.indexOf('<details><summary>trace (JSON)</summary>');
      expect(open).toBe(blocks[3]!.from - 2);
      expect(lines[blocks[3]!.from - 1]).toBe('');
      expect(lines.slice(blocks[3]!.to + 1).filter((l) => l !== '')).toEqual(['</details>']);
      // The prose names the file the replay command names.
      expect(outsideCode(md)).toContain(`${c.name.replace(/_/g, '\\_')}.trace.json`);
    }
  });

  it('without a schedule command, the replay command and the trace only', () => {
    const c = seed(SEED_VIOLATIONS[0].scenario);
    const md = markdown(c.story, { traceFile: 'x.trace.json', traceJson: '{}\n' });
    expect(codeBlocks(md).map((b) => b.info)).toEqual(['text', 'sh', 'json']);
  });

  it('on hostile stories and attachments: the code blocks hold exactly what they carry, and no HTML but its own', () => {
    fc.assert(
      fc.property(stories, attachments, (s, a) => {
        const md = markdown(s, a);
        const blocks = codeBlocks(md);
        const want = [shown(lkml(s)), shown(s.replayCommand), ...(a.scheduleCommand !== undefined ? [shown(a.scheduleCommand)] : []), shown(a.traceJson)];
        expect(blocks.map((b) => b.body)).toEqual(want);
        const prose = outsideCode(md).replace(/<br>|<details><summary>trace \(JSON\)<\/summary>|<\/details>/g, '');
        expect(prose).not.toContain('<');
        expect(prose).not.toMatch(/(?<!\\)\]\(|https?:\/\/|www\./i);
      }),
      { numRuns: 300 },
    );
  });
});
