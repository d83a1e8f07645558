/**
 * The HTML report, parsed with happy-dom: its structure on every seed violation (lanes,
 * marks, the violating step, the embedded story, nothing loaded from the network), its
 * escaping of hostile model strings, and its script run in happy-dom (clicks and Enter
 * redraw the state panel). The expected values come from the Story, never from the page.
 * The real browser is test/browser/html.browser.ts.
 */
import { createHash } from 'node:crypto';
import { Window } from 'happy-dom';
import { afterAll, describe, expect, it } from 'vitest';
import { html, varyingSlots } from '../../../src/report/html.js';
import type { Story, StoryStep } from '../../../src/report/story.js';
import { SEED_VIOLATIONS, seedCases } from './fixtures.js';

const cases = await seedCases();

const windows: Window[] = [];
afterAll(async () => {
  for (const w of windows.splice(0)) await w.happyDOM.close();
});

/** The report parsed as a browser would, with scripts off: what the markup alone says. */
function parse(story: Story) {
  const w = new Window({ url: 'file:///report.html' });
  windows.push(w);
  return new w.DOMParser().parseFromString(html(story), 'text/html');
}

/** The report loaded with its script running, and a spy on alert() for injected code. */
async function load(story: Story) {
  const w = new Window({
    url: 'file:///report.html',
    settings: { enableJavaScriptEvaluation: true, suppressInsecureJavaScriptEnvironmentWarning: true },
  });
  windows.push(w);
  const alerts: unknown[] = [];
  // happy-dom has no alert(): define one on the page's global, where injected code would call it.
  Object.assign(w, { alert: (m?: unknown) => void alerts.push(m) });
  w.document.write(html(story));
  await w.happyDOM.waitUntilComplete();
  return { w, doc: w.document, alerts, console: () => w.happyDOM.virtualConsolePrinter.readAsString() };
}

type Doc = ReturnType<typeof parse>;
type El = NonNullable<ReturnType<Doc['querySelector']>>;

const all = (root: Doc | El, sel: string): El[] => [...root.querySelectorAll(sel)];
function one(root: Doc | El, sel: string): El {
  const e = root.querySelector(sel);
  if (!e) throw new Error(`no element matches ${sel}`);
  return e;
}
const text = (e: El | null | undefined): string => e?.textContent ?? '';
const num = (e: El, attr: string): number => Number(e.getAttribute(attr));

/** The state after step `n` as the story defines it: the initial state plus every change up to n. */
function expectedState(story: Story, n: number): [string, string][] {
  const state = new Map(story.initial.map((x) => [x.slot, x.value]));
  for (const s of story.steps) if (s.n <= n) for (const c of s.changes) state.set(c.slot, c.to);
  return [...state];
}

/** The step the report must highlight, from the story's end: the faulting step, else the last. */
function expectedViolating(story: Story): number {
  if (story.end.kind === 'fault') return story.steps.find((s) => s.fault)!.n;
  return story.steps.length;
}

/** A mark's label lines are the label, whitespace at breaks aside, or a prefix of it ending in …. */
function expectShownLabel(lines: string[], label: string): void {
  const shown = lines.join('');
  const whole = label.replace(/\s+/g, '');
  if (shown.endsWith('…')) expect(whole.startsWith(shown.slice(0, -1).replace(/\s+/g, ''))).toBe(true);
  else expect(shown.replace(/\s+/g, '')).toBe(whole);
}

const diffLine = (c: StoryStep['changes'][number]) => `${c.slot}: ${c.from} → ${c.to}`;

/** What the state panel shows: heading, diff lines, every row, and the highlighted rows. */
function panelOf(doc: Doc) {
  const rows = all(doc, '#state tbody tr');
  return {
    title: text(doc.querySelector('#panel-title')),
    note: doc.querySelector('#panel-note')?.hasAttribute('hidden') ? '' : text(doc.querySelector('#panel-note')),
    diff: all(doc, '#diff li:not(.none)').map(text),
    rows: rows.map((r): [string, string] => [text(r.querySelector('th')), text(r.querySelector('td'))]),
    changed: rows.filter((r) => r.classList.contains('changed')).map((r): [string, string] => [text(r.querySelector('th')), text(r.querySelector('td'))]),
  };
}

/** Checks that the panel shows step `n` of `story` (0: the initial state). */
function expectPanelAt(doc: Doc, story: Story, n: number): void {
  const p = panelOf(doc);
  const step = story.steps[n - 1];
  expect(p.rows).toEqual(expectedState(story, n));
  if (!step) {
    expect(p.title).toMatch(/initial state/i);
    expect(p.diff).toEqual([]);
    expect(p.changed).toEqual([]);
    return;
  }
  expect(p.title).toContain(`step ${n}`);
  expect(p.title).toContain(story.actors[step.column]!.name);
  expect(p.title).toContain(step.label);
  expect(p.diff).toEqual(step.changes.map(diffLine));
  expect(p.changed).toEqual(step.changes.map((c) => [c.slot, c.to]));
  if (step.fault) expect(p.note).toContain(step.fault.message);
}

describe.each(cases.map((c) => [c.name, c] as const))('the report of %s', (_name, c) => {
  const { story } = c;
  const doc = parse(story);

  it('is a violation of the seed property', () => {
    // Guards the fixture: the structural checks below assume a violating story.
    expect(SEED_VIOLATIONS.find((s) => s.scenario === c.scenario)?.property).toBe(story.end.property);
    expect(text(doc.querySelector('#verdict'))).toContain(story.end.property!);
    expect(story.steps.length).toBeGreaterThan(0);
  });

  it('has one lane per actor, labelled in order', () => {
    const lanes = all(doc, 'svg#timeline g.lane');
    expect(lanes.length).toBe(story.actors.length);
    expect(lanes.map((l) => text(l.querySelector('title')))).toEqual(story.actors.map((a) => a.name));
    expect(lanes.map((l) => text(l.querySelector('.lane-label')))).toEqual(story.actors.map((a) => a.name));
  });

  it('has one focusable mark per step, in step order, each in its actor lane', () => {
    const lanes = all(doc, 'svg#timeline g.lane').map((l) => one(l, 'rect'));
    const marks = all(doc, 'svg#timeline .mark');
    expect(marks.map((m) => num(m, 'data-step'))).toEqual(story.steps.map((s) => s.n));
    let lastY = -Infinity;
    marks.forEach((m, i) => {
      const s = story.steps[i]!;
      const lane = lanes[s.column]!;
      const rect = one(m, 'rect');
      expect(num(rect, 'x')).toBeGreaterThanOrEqual(num(lane, 'x'));
      expect(num(rect, 'x') + num(rect, 'width')).toBeLessThanOrEqual(num(lane, 'x') + num(lane, 'width'));
      expect(num(rect, 'y')).toBeGreaterThan(lastY);
      lastY = num(rect, 'y');
      expect(m.getAttribute('tabindex')).toBe('0');
      expect(text(m.querySelector('title'))).toContain(`${s.n}. ${story.actors[s.column]!.name}: ${s.label}`);
      expectShownLabel(all(m, 'tspan').map(text), s.label);
    });
  });

  it('highlights exactly the violating step, with a final-state mark unless a step faulted', () => {
    const bad = all(doc, 'svg#timeline .violating');
    expect(bad.length).toBe(1);
    expect(bad[0]!.classList.contains('mark')).toBe(true);
    expect(num(bad[0]!, 'data-step')).toBe(expectedViolating(story));
    expect(all(doc, 'svg#timeline .final').length).toBe(story.end.kind === 'fault' ? 0 : 1);
  });

  it('embeds the story as JSON that parses back to it', () => {
    const data = all(doc, 'script[type="application/json"]');
    expect(data.length).toBe(1);
    expect(JSON.parse(text(data[0]))).toEqual(story);
  });

  it('loads nothing from the network and declares so in a CSP', () => {
    expect(all(doc, 'link, iframe, frame, object, embed, img, video, audio, source').length).toBe(0);
    for (const e of all(doc, '*')) {
      for (const name of ['src', 'href', 'xlink:href', 'srcset', 'action', 'poster', 'data']) {
        expect(e.getAttribute(name) ?? '', `${e.tagName} ${name}`).not.toMatch(/^\s*(https?:)?\/\//i);
      }
    }
    for (const s of all(doc, 'style')) expect(text(s)).not.toMatch(/@import|url\(/i);
    const csp = one(doc, 'head meta[http-equiv="Content-Security-Policy"]').getAttribute('content') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/https?:|\*/);
  });

  it('lets its CSP run its one script and no other', () => {
    const code = all(doc, 'script').filter((s) => !s.getAttribute('type'));
    expect(code.length).toBe(1);
    const hash = createHash('sha256').update(text(code[0])).digest('base64');
    const csp = one(doc, 'meta[http-equiv="Content-Security-Policy"]').getAttribute('content') ?? '';
    expect(csp.match(/script-src ([^;]*)/)?.[1]?.trim()).toBe(`'sha256-${hash}'`);
  });

  it('states scenario, model, parameters and the replay command', () => {
    const header = text(doc.querySelector('header'));
    expect(header).toContain(story.scenario!);
    expect(header).toContain(story.model);
    for (const [k, v] of Object.entries(story.params)) expect(header).toContain(`${k}=${String(v)}`);
    expect(text(doc.querySelector('#replay'))).toBe(story.replayCommand);
    expect(text(doc.querySelector('#message'))).toContain(story.end.message!);
  });

  it('shows the state after the violating step without its script', () => {
    expectPanelAt(doc, story, expectedViolating(story));
  });

  it('redraws the panel when a step, or the initial state, is clicked', async () => {
    const { doc: live, w, console: log } = await load(story);
    for (const s of story.steps) {
      one(live, `svg#timeline .mark[data-step="${s.n}"]`).dispatchEvent(new w.MouseEvent('click', { bubbles: true }));
      expectPanelAt(live, story, s.n);
      expect(all(live, 'svg#timeline [aria-current]').map((m) => num(m, 'data-step'))).toEqual([s.n]);
    }
    one(live, 'svg#timeline .initial').dispatchEvent(new w.MouseEvent('click', { bubbles: true }));
    expectPanelAt(live, story, 0);
    expect(log()).not.toMatch(/error/i);
  });

  it('redraws the panel when Enter is pressed on a focused step or the initial state', async () => {
    const { doc: live, w } = await load(story);
    const enter = (sel: string) => one(live, sel).dispatchEvent(new w.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    enter('svg#timeline .initial');
    expectPanelAt(live, story, 0);
    enter('svg#timeline .mark[data-step="1"]');
    expectPanelAt(live, story, 1);
  });
});

/** Every way a model string could break out of its place in the page. */
const EVIL = `<script>alert(1)</script>"'&</script>\u2028\u2029<!--<img src="https://evil.example/x.png" onerror="alert(2)">]]>`;

/** A story whose every model string is hostile, ending in `kind`. */
function hostile(kind: Story['end']['kind']): Story {
  const faulty = kind === 'fault';
  return {
    model: `model${EVIL}`,
    params: { [`p${EVIL}`]: `v${EVIL}`, n: 2, on: true },
    scenario: `scenario${EVIL}`,
    actors: [
      { name: `A${EVIL}`, actor: `A${EVIL}`, instance: 0 },
      { name: `B${EVIL}[1]`, actor: `B${EVIL}`, instance: 1 },
    ],
    steps: [
      { n: 1, column: 0, label: `la${EVIL}`, calls: [`la${EVIL}`], changes: [{ slot: `s${EVIL}`, from: `f${EVIL}`, to: `t${EVIL}` }] },
      {
        n: 2,
        column: 1,
        label: `lb:${EVIL}`,
        calls: ['lb', EVIL],
        choice: [1],
        changes: [{ slot: 'x', from: '0', to: '1' }],
        ...(faulty ? { fault: { property: `P${EVIL}`, message: `M${EVIL}` } } : {}),
      },
    ],
    initial: [
      { slot: `s${EVIL}`, value: `i${EVIL}` },
      { slot: 'x', value: '0' },
    ],
    end: { kind, property: `P${EVIL}`, message: `M${EVIL}`, reproduced: false },
    sourceChanged: true,
    replayCommand: `mmrace replay 't${EVIL}.trace.json'`,
  };
}

/** The elements the report is made of: anything else was injected. */
const OWN_TAGS = new Set(
  'html head meta title style body header p h1 h2 h3 dl dt dd code main section aside svg g rect text tspan ul ol li span table thead tbody tr th td script input label details summary pre'.split(' '),
);

describe.each(['fault', 'invariant', 'deadlock', 'error'] as const)('a report of hostile strings ending in %s', (kind) => {
  const story = hostile(kind);
  const doc = parse(story);

  it('has one code script and the JSON one, and no injected element or handler', () => {
    const scripts = all(doc, 'script');
    expect(scripts.map((s) => s.getAttribute('type'))).toEqual(['application/json', null]);
    for (const e of all(doc, '*')) {
      expect(OWN_TAGS.has(e.tagName.toLowerCase()), e.tagName).toBe(true);
      for (const a of e.getAttributeNames()) expect(a, `${e.tagName} ${a}`).not.toMatch(/^on/i);
    }
  });

  it('keeps the strings as text', () => {
    expect(all(doc, 'svg#timeline g.lane title').map(text)).toEqual(story.actors.map((a) => a.name));
    const titles = all(doc, 'svg#timeline .mark title').map(text);
    story.steps.forEach((s, i) => expect(titles[i]).toContain(s.label));
    expect(text(doc.querySelector('#message'))).toContain(story.end.message!);
    expect(text(doc.querySelector('#verdict'))).toContain(kind === 'deadlock' ? 'DEADLOCK' : story.end.property!);
    expect(text(doc.querySelector('#replay'))).toBe(story.replayCommand);
    expect(text(doc.querySelector('title'))).toContain(story.model);
    const header = text(doc.querySelector('header'));
    expect(header).toContain(story.scenario!);
    expect(header).toContain(`p${EVIL}=v${EVIL}`);
    const steps = text(doc.querySelector('#steps'));
    for (const s of story.steps) for (const c of s.changes) expect(steps).toContain(diffLine(c));
  });

  it('keeps the strings in attributes', () => {
    const marks = all(doc, 'svg#timeline .mark');
    story.steps.forEach((s, i) => expect(marks[i]!.getAttribute('data-title')).toContain(s.label));
  });

  it('embeds the story with no <, U+2028 or U+2029 left in the JSON', () => {
    const data = text(doc.querySelector('script[type="application/json"]'));
    expect(data).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(data)).toEqual(story);
  });

  it('runs no injected code and draws the strings as text when clicked', async () => {
    const { doc: live, w, alerts } = await load(story);
    for (const s of story.steps) {
      one(live, `svg#timeline .mark[data-step="${s.n}"]`).dispatchEvent(new w.MouseEvent('click', { bubbles: true }));
      expectPanelAt(live, story, s.n);
    }
    expect(alerts).toEqual([]);
    expect(all(live, 'script').length).toBe(2);
    expect(all(live, 'img').length).toBe(0);
  });
});

describe('a long step label', () => {
  const label = `contpte_convert:${'__flush_tlb_range_nosync'.repeat(4)}:xchg`;
  const story: Story = {
    ...hostile('invariant'),
    actors: [{ name: 'U1', actor: 'U1', instance: 0 }],
    steps: [{ n: 1, column: 0, label, calls: label.split(':'), changes: [] }],
    initial: [{ slot: 'x', value: '0' }],
  };
  const doc = parse(story);

  it('is cut to two lines ending in … in its mark, and whole in its title', () => {
    const mark = one(doc, 'svg#timeline .mark');
    const lines = all(mark, 'tspan').map(text);
    expect(lines.length).toBe(2);
    expect(lines[1]!.endsWith('…')).toBe(true);
    expectShownLabel(lines, label);
    expect(text(mark.querySelector('title'))).toContain(label);
  });
});

/** The slots some step changes, from the story's steps (not from the report's helper). */
function changedInTrace(story: Story): Set<string> {
  const out = new Set<string>();
  for (const s of story.steps) for (const c of s.changes) out.add(c.slot);
  return out;
}

/** The rows the CSS of the page hides by default, and shows once #show-all is checked. */
function hiddenRows(doc: Doc): string[] {
  return all(doc, '#state tbody tr.constant').map((r) => text(r.querySelector('th')));
}

describe.each(cases.map((c) => [c.name, c] as const))('the state view of %s: changed only by default', (_name, c) => {
  const { story } = c;
  const doc = parse(story);
  const changed = changedInTrace(story);

  it('hides every slot no step changes, and only those', () => {
    expect(changed.size).toBeGreaterThan(0);
    const rows = all(doc, '#state tbody tr').map((r) => text(r.querySelector('th')));
    expect(hiddenRows(doc)).toEqual(rows.filter((slot) => !changed.has(slot)));
    expect(rows.filter((slot) => !hiddenRows(doc).includes(slot))).toEqual(rows.filter((slot) => changed.has(slot)));
    expect(varyingSlots(story)).toEqual(changed);
  });

  it('has a checkbox that shows all slots, its label naming how many are hidden', () => {
    const box = one(doc, '#state-view input#show-all, aside input#show-all');
    expect(box.getAttribute('type')).toBe('checkbox');
    expect(box.hasAttribute('checked')).toBe(false);
    const label = one(doc, 'label[for="show-all"]');
    const rows = all(doc, '#state tbody tr').length;
    const hidden = hiddenRows(doc).length;
    expect(hidden).toBeGreaterThan(0);
    expect(text(label)).toContain(`all ${rows} slots`);
    expect(text(label)).toContain(`${hidden} that no step changes`);
  });

  it('hides them by CSS, which the checkbox overrides: no script needed', () => {
    const css = all(doc, 'style').map(text).join('\n');
    expect(css).toMatch(/#state tr\.constant \{ display: none; \}/);
    expect(css).toMatch(/#show-all:checked ~ #state tr\.constant \{ display: table-row;/);
    // The checkbox comes before the table, in the same parent: `~` reaches it.
    const box = one(doc, 'input#show-all');
    const table = one(doc, 'table#state');
    expect(box.parentElement).toBe(table.parentElement);
    const siblings = [...box.parentElement!.children];
    expect(siblings.indexOf(box)).toBeLessThan(siblings.indexOf(table));
  });

  it('keeps the same slots hidden when the script redraws the panel for another step', async () => {
    const { doc: live, w } = await load(story);
    for (const s of story.steps) {
      one(live, `svg#timeline .mark[data-step="${s.n}"]`).dispatchEvent(new w.MouseEvent('click', { bubbles: true }));
      const rows = all(live as unknown as Doc, '#state tbody tr');
      const hidden = rows.filter((r) => r.classList.contains('constant')).map((r) => text(r.querySelector('th')));
      expect(hidden).toEqual(rows.map((r) => text(r.querySelector('th'))).filter((slot) => !changed.has(slot)));
      expect(rows.filter((r) => r.classList.contains('changed')).map((r) => text(r.querySelector('th')))).toEqual(s.changes.map((x) => x.slot));
    }
  });
});

describe('the state view when every slot changes', () => {
  it('hides nothing and has no checkbox', () => {
    const story = hostile('invariant');
    expect([...changedInTrace(story)].sort()).toEqual(story.initial.map((x) => x.slot).sort());
    const doc = parse(story);
    expect(hiddenRows(doc)).toEqual([]);
    expect(doc.querySelector('#show-all')).toBeNull();
  });
});

/** The trace file of a report, from its <pre id="mmrace-trace">. */
const attachedTrace = (doc: Doc): string => text(doc.querySelector('pre#mmrace-trace'));

describe.each(cases.map((c) => [c.name, c] as const))('the report of %s with its trace attached', (_name, c) => {
  const json = JSON.stringify(c.trace, null, 2) + '\n';
  const command = `npx mmrace check ${c.scenario} --schedule mm1.0`;
  const w = new Window({ url: 'file:///report.html' });
  windows.push(w);
  const doc = new w.DOMParser().parseFromString(html(c.story, { traceFile: `${c.name}.trace.json`, traceJson: json, scheduleCommand: command }), 'text/html');

  it('holds the trace file, which parses back to the trace, collapsed under "trace (JSON)"', () => {
    expect(attachedTrace(doc)).toBe(json);
    expect(JSON.parse(attachedTrace(doc))).toEqual(c.trace);
    const details = one(doc, 'details');
    expect(text(details.querySelector('summary'))).toBe('trace (JSON)');
    expect(details.querySelector('pre#mmrace-trace')).not.toBeNull();
    expect(details.hasAttribute('open')).toBe(false);
  });

  it('names the file it is, beside the replay command, and the schedule command', () => {
    expect(text(doc.querySelector('#replay'))).toBe(c.story.replayCommand);
    expect(text(doc.querySelector('#schedule'))).toBe(command);
    expect(text(doc.querySelector('header'))).toContain(`${c.name}.trace.json, the file the replay command names`);
    expect(text(doc.querySelector('#trace'))).toContain(`Save this as ${c.name}.trace.json`);
  });

  it('keeps the one JSON script, the story', () => {
    expect(all(doc, 'script[type="application/json"]').map((e) => e.id)).toEqual(['story']);
  });
});

describe('a hostile trace attached', () => {
  const story = hostile('fault');
  const traceJson = JSON.stringify({ label: EVIL, more: `</pre></details><script>alert(3)</script>&amp;` }, null, 2) + '\n';
  const attach = { traceFile: `t${EVIL}.trace.json`, traceJson, scheduleCommand: `npx mmrace check 's${EVIL}' --schedule mm1.0` };

  it('stays text: the trace, the file name and the command come back whole, and no element is injected', () => {
    const w = new Window({ url: 'file:///report.html' });
    windows.push(w);
    const doc = new w.DOMParser().parseFromString(html(story, attach), 'text/html');
    expect(attachedTrace(doc)).toBe(traceJson);
    expect(text(doc.querySelector('#schedule'))).toBe(attach.scheduleCommand);
    expect(text(doc.querySelector('#trace code'))).toBe(attach.traceFile);
    for (const e of all(doc, '*')) {
      expect(OWN_TAGS.has(e.tagName.toLowerCase()), e.tagName).toBe(true);
      for (const a of e.getAttributeNames()) expect(a, `${e.tagName} ${a}`).not.toMatch(/^on/i);
    }
    expect(all(doc, 'script').map((s) => s.getAttribute('type'))).toEqual(['application/json', null]);
  });

  it('runs no injected code', async () => {
    const w = new Window({
      url: 'file:///report.html',
      settings: { enableJavaScriptEvaluation: true, suppressInsecureJavaScriptEnvironmentWarning: true },
    });
    windows.push(w);
    const alerts: unknown[] = [];
    Object.assign(w, { alert: (m?: unknown) => void alerts.push(m) });
    w.document.write(html(story, attach));
    await w.happyDOM.waitUntilComplete();
    expect(alerts).toEqual([]);
    expect(all(w.document as unknown as Doc, 'script').length).toBe(2);
  });
});
