/**
 * One entry: `mmrace check`, `mmrace ci`, `mmrace/testing` and the package's `check` all
 * go through `check(target, plan)` (src/run/check.ts), so the same scenario and options
 * give each of them the same verdict, counts and counterexample.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check, type CheckResult, type Plan } from '../../src/index.js';
import { expectSafe, expectViolation } from '../../src/testing/index.js';
import { loadScenario } from '../../src/run/scenario.js';
import { mmrace, root, tmp } from './run.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What must be the same whoever asks: verdict, property, counts, and the schedule of the counterexample. */
const essence = (r: { verdict: string; property?: string | undefined; states: number; transitions: number; depth: number }, schedule: unknown) => ({
  verdict: r.verdict,
  property: r.property,
  states: r.states,
  transitions: r.transitions,
  depth: r.depth,
  schedule,
});
const scheduleOf = (r: CheckResult) => r.trace?.schedule.map((s) => ({ actor: s.actor, instance: s.instance, label: s.label, choice: s.choice }));
const scheduleIn = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as { schedule: { actor: string; instance: number; label: string; choice?: number[] }[] }).schedule.map((s) => ({
    actor: s.actor,
    instance: s.instance,
    label: s.label,
    choice: s.choice,
  }));

/** The command line's flags for a plan of these tests. */
const flagsOf = (plan: Plan): string[] => [
  ...(plan.strategy ? ['--strategy', plan.strategy] : []),
  ...(plan.seed !== undefined ? ['--seed', String(plan.seed)] : []),
  ...(plan.workers !== undefined ? ['--workers', String(plan.workers)] : []),
  ...(plan.por === false ? ['--no-por'] : []),
];

describe('one entry, whoever asks', () => {
  const cases: [string, Plan][] = [
    ['scenarios/contpte/b-kernel.json', {}],
    ['scenarios/contpte/s.json', {}],
    ['scenarios/trans_pgd/v0-inv-other.json', { strategy: 'dfs' }],
    ['scenarios/riscv_kexec/b-forked.json', { strategy: 'pct', seed: 3 }],
    ['scenarios/direct_map/b1.json', { workers: 2, por: false }],
  ];

  for (const [file, plan] of cases) {
    it(`${file} ${JSON.stringify(plan)}: the package, mmrace check, mmrace/testing${Object.keys(plan).length === 0 ? ' and mmrace ci' : ''}`, async () => {
      const dir = tmp('mmrace-one-');
      dirs.push(dir);
      const sc = loadScenario(join(root, file));
      // The package's check.
      const lib = await check(join(root, file), plan);
      const want = essence(lib, scheduleOf(lib));
      expect(lib.expectationMet, 'the scenario meets its expectation').toBe(true);
      // mmrace check.
      const trace = join(dir, 'check.trace.json');
      const cli = mmrace(['check', file, ...flagsOf(plan), '--json', '--trace', trace]);
      expect(cli.code, cli.stderr).toBe(sc.expect.verdict === 'safe' ? 0 : 1);
      expect(essence(cli.json as never, sc.expect.verdict === 'safe' ? undefined : scheduleIn(trace))).toEqual(want);
      // mmrace/testing.
      const viaTesting = sc.expect.verdict === 'safe' ? await expectSafe(join(root, file), plan) : await expectViolation(join(root, file), sc.expect.property, plan);
      expect(essence(viaTesting, scheduleOf(viaTesting))).toEqual(want);
      // mmrace ci, on a folder of this scenario alone (ci takes the scenario's own settings).
      if (Object.keys(plan).length === 0) {
        const ciDir = join(dir, 'suite');
        mkdirSync(ciDir);
        // A copy of the scenario, its model path (relative to the scenario) pointed back at the model.
        const text = readFileSync(join(root, file), 'utf8').replace(/"model":\s*"([^"]+)"/, (_m, p: string) => `"model": ${JSON.stringify(join(root, file, '..', p))}`);
        writeFileSync(join(ciDir, basename(file)), text);
        const ci = mmrace(['ci', ciDir, '--json']);
        expect(ci.code, ci.stderr).toBe(0);
        const row = (ci.json['scenarios'] as { states: number; got: string; traceFile?: string }[])[0]!;
        expect(row.states).toBe(want.states);
        expect(row.got).toBe(want.verdict === 'safe' ? 'safe' : `violation of ${want.property}`);
        if (row.traceFile !== undefined) expect(scheduleIn(join(root, row.traceFile))).toEqual(want.schedule);
      }
    });
  }
});
