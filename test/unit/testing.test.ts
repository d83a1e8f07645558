/**
 * The helpers for model authors' tests (mmrace/testing): expectSafe and expectViolation on
 * scenario files, whose failures show the counterexample as the lkml race diagram.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import counter from '../../models/counter/counter.js';
import { lkml } from '../../src/report/lkml.js';
import { assertVerdict, checkModel, expectSafe, expectViolation } from '../../src/testing/index.js';
import { removeTempDirs, tempDir } from './helpers.js';
import { seedCase } from './report/fixtures.js';
import { runMain } from '../fuzz/harness.js';

const SAFE = 'scenarios/contpte/s.json';
const B_KERNEL = 'scenarios/contpte/b-kernel.json';

afterAll(removeTempDirs);

/** The message of the Error `p` rejects with. */
async function rejection(p: Promise<unknown>): Promise<string> {
  const e: unknown = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof Error)) throw new Error(`expected a rejection with an Error, got ${String(e)}`);
  return e.message;
}

/** The b-kernel diagram as the report fixtures draw it, independently of the helpers. */
let diagram = '';
beforeAll(async () => {
  diagram = lkml((await seedCase(B_KERNEL)).story);
});

describe('expectSafe / expectViolation', () => {
  it('expectSafe resolves on a safe scenario, with the result of the whole search', async () => {
    const r = await expectSafe(SAFE);
    expect(r.verdict).toBe('safe');
    expect(r.strategy).toBe('bfs');
    expect(r.states).toBeGreaterThan(1000);
  });

  it('expectViolation resolves on b-kernel with INV-KFAULT, and the result carries the trace', async () => {
    const r = await expectViolation(B_KERNEL, 'INV-KFAULT');
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-KFAULT');
    expect(r.trace?.schedule.length).toBeGreaterThan(0);
  });

  it('expectSafe on b-kernel rejects: expected and got, the fault message, the lkml diagram, the commands to write and replay the trace', async () => {
    const message = await rejection(expectSafe(B_KERNEL));
    expect(message.split('\n')[0]).toMatch(/^scenarios\/contpte\/b-kernel\.json: expected safe, got violation of INV-KFAULT after [\d,]+ states$/);
    expect(message).toContain('Unable to handle kernel paging request');
    // The diagram's column header, under its params line.
    const header = diagram.split('\n').find((l) => /^U1 +K\[0\]$/.test(l));
    expect(header).toBeDefined();
    expect(message).toContain(header!);
    expect(message).toContain(diagram.trimEnd());
    expect(message).toContain(`npx mmrace check ${B_KERNEL} --trace b-kernel.trace.json`);
    expect(message).toMatch(/^replay it: +npx mmrace replay b-kernel\.trace\.json$/m);
  });

  it('the failure of an expectation that met a violation prints its schedule command, which reproduces it', async () => {
    for (const message of [await rejection(expectSafe(B_KERNEL)), await rejection(expectViolation(B_KERNEL, 'INV-BBM'))]) {
      const lines = message.split('\n').filter((l) => l.includes('--schedule'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^or, no file: +npx mmrace check ${B_KERNEL} --schedule mm1\\.`));
      const args = lines[0]!.replace(/^or, no file: +npx mmrace /, '').split(' ');
      const r = await runMain(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('REPRODUCED: violation of INV-KFAULT: ');
    }
    expect(await rejection(expectViolation(SAFE, 'INV-KFAULT'))).not.toContain('--schedule');
  });

  it('expectViolation with another property rejects, naming both', async () => {
    const message = await rejection(expectViolation(B_KERNEL, 'INV-BBM'));
    expect(message).toMatch(/expected violation of INV-BBM, got violation of INV-KFAULT/);
    expect(message).toContain(diagram.split('\n').find((l) => /^U1 +K\[0\]$/.test(l))!);
  });

  it('expectViolation on a safe scenario rejects, without a diagram', async () => {
    const message = await rejection(expectViolation(SAFE, 'INV-KFAULT'));
    expect(message).toMatch(/^scenarios\/contpte\/s\.json: expected violation of INV-KFAULT, got safe after [\d,]+ states$/);
  });

  it("applies the scenario's limits (an incomplete search is not safe), and the options over them", async () => {
    const dir = tempDir();
    const file = join(dir, 'limited.json');
    const model = resolve('models/contpte/contpte.ts');
    writeFileSync(file, JSON.stringify({ model, params: { n: 4, cpus: 2, accesses: 1 }, limits: { maxStates: 50 }, expect: { verdict: 'safe' } }));
    expect(await rejection(expectSafe(file))).toMatch(/expected safe, got incomplete \(stopped by max-states\) after 50 states/);
    const r = await expectSafe(file, { maxStates: 1_000_000 });
    expect(r.verdict).toBe('safe');
  });

  it('names the trace after the scenario, also when the scenario file names itself', async () => {
    const dir = tempDir();
    const file = join(dir, 'x.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'kernel-fold', model: resolve('models/contpte/contpte.ts'), params: { n: 2, cpus: 1, accesses: 1, mm: 'init_mm', gate: 'none' }, expect: { verdict: 'safe' } }),
    );
    const message = await rejection(expectSafe(file));
    expect(message).toMatch(/mmrace replay kernel-fold\.trace\.json$/m);
    expect(message).toMatch(/-> Oops \(INV-KFAULT\)/);
  });

  it('a scenario that cannot be read rejects with its error', async () => {
    await expect(expectSafe('scenarios/no-such.json')).rejects.toThrow(/no such scenario file: scenarios\/no-such\.json/);
  });
});

describe('checkModel / assertVerdict', () => {
  it('still check a model by path and assert its verdict', async () => {
    const r = await checkModel('models/counter/counter.ts', { locked: false });
    expect(() => assertVerdict(r, { verdict: 'violation', property: r.property! })).not.toThrow();
    expect(() => assertVerdict(r, { verdict: 'safe' })).toThrow(/expected safe, got violation of/);
    const ok = await checkModel({ model: counter, file: new URL('../../models/counter/counter.ts', import.meta.url) }, { locked: true });
    expect(ok.verdict).toBe('safe');
  });
});
