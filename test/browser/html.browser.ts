/**
 * The HTML report in a real browser: Debian's chromium, driven by playwright-core, opens
 * the report of the contpte b-kernel counterexample from a file:// URL. What happy-dom
 * cannot tell: that the timeline is drawn and its labels fit their marks with a real
 * font, that a real click and a real Enter redraw the state panel under the report's own
 * Content-Security-Policy (a wrong script hash would leave the panel as it was), and that
 * no request leaves the page. Expected values come from the Story, never from the page.
 * Leaves a screenshot in artifacts/html-report.png for CI.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { html } from '../../src/report/html.js';
import type { Story } from '../../src/report/story.js';
import { seedCase, seedCases } from '../unit/report/fixtures.js';

/** Runs in the page (playwright serialises the callbacks that use it); tsconfig has no DOM lib. */
declare function getComputedStyle(e: unknown): { backgroundColor: string };

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

let browser: Browser | undefined;
let page: Page;
let story: Story;
let url: string;
let dir: string | undefined;
/** Every request the page made, and every console error, warning or uncaught exception. */
const requests: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser tests drive Debian's chromium; install it with: apt-get install -y chromium`);
  }
  story = (await seedCase('scenarios/contpte/b-kernel.json')).story;
  dir = mkdtempSync(join(tmpdir(), 'mmrace-browser-'));
  const file = join(dir, 'b-kernel.html');
  writeFileSync(file, html(story));
  url = pathToFileURL(file).href;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  await page.goto(url);
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The rows of the state panel that are highlighted as changed, as [slot, value]. */
async function changedRows(): Promise<[string, string][]> {
  const rows = await page.locator('#state tr.changed').all();
  return Promise.all(rows.map(async (r): Promise<[string, string]> => [await r.locator('th').innerText(), await r.locator('td').innerText()]));
}

/** `inner`'s box lies within `outer`'s, to a pixel. */
async function expectInside(inner: Locator, outer: Locator, what: string): Promise<void> {
  const a = await inner.boundingBox();
  const b = await outer.boundingBox();
  if (!a || !b) throw new Error(`${what}: not rendered`);
  expect(a.x, what).toBeGreaterThanOrEqual(b.x - 1);
  expect(a.y, what).toBeGreaterThanOrEqual(b.y - 1);
  expect(a.x + a.width, what).toBeLessThanOrEqual(b.x + b.width + 1);
  expect(a.y + a.height, what).toBeLessThanOrEqual(b.y + b.height + 1);
}

describe('the HTML report of contpte b-kernel in chromium', () => {
  it('draws the timeline: one lane per actor, one visible mark per step', async () => {
    const svg = page.locator('svg#timeline');
    expect(await svg.isVisible()).toBe(true);
    expect(await page.locator('svg#timeline g.lane').count()).toBe(story.actors.length);
    const marks = await page.locator('svg#timeline .mark').all();
    expect(marks.length).toBe(story.steps.length);
    for (const m of marks) expect(await m.isVisible()).toBe(true);
  });

  it('sets every lane label and step label inside its box, in every seed report', async () => {
    // The seeds' longer labels (xen's call paths) wrap: this checks the width the report
    // assumes for a character against the browser's real monospace font.
    const other = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    for (const c of await seedCases()) {
      const file = join(dir!, `${c.name}.html`);
      writeFileSync(file, html(c.story));
      await other.goto(pathToFileURL(file).href);
      for (const lane of await other.locator('svg#timeline g.lane').all()) {
        await expectInside(lane.locator('.lane-label'), lane.locator('rect'), `${c.name}: lane label`);
      }
      for (const m of await other.locator('svg#timeline [data-step]').all()) {
        await expectInside(m.locator('text.label'), m.locator('rect'), `${c.name}: label of mark ${await m.getAttribute('data-step')}`);
      }
    }
    await other.close();
  });

  it('shows the third step’s changed slots with their new values when it is clicked', async () => {
    const third = story.steps[2]!;
    const expected = third.changes.map((c): [string, string] => [c.slot, c.to]);
    expect(expected.length).toBeGreaterThan(0);
    expect(await changedRows()).not.toEqual(expected);

    await page.locator('svg#timeline .mark').nth(2).click();

    expect(await page.locator('#panel-title').innerText()).toContain(`step ${third.n}`);
    expect(await changedRows()).toEqual(expected);
    expect(await page.locator('#diff li').allInnerTexts()).toEqual(third.changes.map((c) => `${c.slot}: ${c.from} → ${c.to}`));
    const changed = page.locator('#state tr.changed').first();
    const plain = page.locator('#state tr:not(.changed)').first();
    const bg = (l: Locator) => l.evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(await bg(changed)).not.toBe(await bg(plain));
    expect(await page.locator('svg#timeline .mark').nth(2).getAttribute('aria-current')).toBe('step');
  });

  it('selects a step from the keyboard: focus and Enter', async () => {
    const first = story.steps[0]!;
    await page.locator('svg#timeline .mark').first().focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('#panel-title').innerText()).toContain(`step ${first.n}`);
    expect(await changedRows()).toEqual(first.changes.map((c): [string, string] => [c.slot, c.to]));
    await page.locator('svg#timeline .mark').nth(2).click();
  });

  it('shows only the slots some step changes, until "show all" is ticked, and again once it is not', async () => {
    const changed = new Set(story.steps.flatMap((s) => s.changes.map((c) => c.slot)));
    const all = await page.locator('#state tbody tr').count();
    expect(changed.size).toBeGreaterThan(0);
    expect(changed.size).toBeLessThan(all);
    const visible = async (): Promise<string[]> => page.locator('#state tbody tr:visible th').allInnerTexts();
    expect((await visible()).sort()).toEqual([...changed].sort());
    const label = page.locator('label[for="show-all"]');
    expect(await label.innerText()).toContain(`${all - changed.size} that no step changes`);
    await label.click();
    expect(await page.locator('#show-all').isChecked()).toBe(true);
    expect(await visible()).toHaveLength(all);
    // A step selected while every slot shows keeps every slot shown.
    await page.locator('svg#timeline .mark').nth(1).click();
    expect(await visible()).toHaveLength(all);
    await label.click();
    expect((await visible()).sort()).toEqual([...changed].sort());
    await page.locator('svg#timeline .mark').nth(2).click();
  });

  it('made no request but for its own file, and logged no error', async () => {
    expect(requests).toEqual([url]);
    expect(problems).toEqual([]);
  });

  it('leaves a screenshot for CI', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'html-report.png');
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path)).toBe(true);
  });
});
