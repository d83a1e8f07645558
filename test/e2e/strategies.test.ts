/**
 * End-to-end tests of the bug-hunting strategies (random, pct, bounded): the real
 * `bin/mmrace.js` in a child process, on the contpte scenarios.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, mmrace, root, tmp as tmpIn } from './run.js';

const B_KERNEL = 'scenarios/contpte/b-kernel.json';
const SAFE = 'scenarios/contpte/s.json';
const tmp = (): string => tmpIn('mmrace-e2e-strategies-');

/** A result without its timings. */
const untimed = (j: Record<string, any>) => ({ ...j, seconds: 0, statesPerSecond: 0 });

describe('B-kernel: each strategy finds INV-KFAULT, and its trace replays', () => {
  for (const strategy of ['pct', 'random', 'bounded'] as const) {
    it(strategy, () => {
      const dir = tmp();
      const trace = join(dir, `${strategy}.trace.json`);
      const r = mmrace(['check', B_KERNEL, '--strategy', strategy, '--seed', '7', '--trace', trace, '--json']);
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ verdict: 'violation', property: 'INV-KFAULT', kind: 'fault', strategy, seed: 7, expectationMet: true });
      expect(r.json.runs).toBeGreaterThanOrEqual(1);
      if (strategy === 'bounded') {
        // The kernel access must land inside the convert window: one preemption, and no
        // schedule without preemption faults (bound 0 was tried completely).
        expect([r.json.preemptions, r.json.preemptionBound]).toEqual([1, 0]);
      } else expect(r.json.preemptions).toBeUndefined();
      if (strategy === 'pct') expect(r.json.pctDepth).toBe(3);
      const t = JSON.parse(readFileSync(trace, 'utf8'));
      // The scenario is stored relative to the trace file, like the model.
      expect([t.format, t.violation.property, resolve(dirname(trace), t.scenario)]).toEqual(['mmrace-trace/1', 'INV-KFAULT', resolve(root, B_KERNEL)]);
      expect(t.schedule.length).toBe(r.json.steps);
      const rep = mmrace(['replay', trace]);
      expect(rep.code).toBe(1);
      expect(rep.stdout).toMatch(/REPRODUCED: violation of INV-KFAULT/);
    });
  }

  it('text output: the seed, the runs, how the counterexample was found, and the replay command', () => {
    const dir = tmp();
    const pct = mmrace(['check', B_KERNEL, '--strategy', 'pct', '--seed', '7', '--trace', join(dir, 'p.json')]);
    expect(pct.code).toBe(1);
    expect(pct.stdout).toMatch(/^VIOLATION of INV-KFAULT: /m);
    expect(pct.stdout).toMatch(/a counterexample found by run \d+ \(seed 7; not the shortest: use --strategy bfs\), \d+ steps:/);
    expect(pct.stdout).toMatch(/^seed 7 · runs \d+ · pct depth 3$/m);
    expect(pct.stdout).toMatch(/strategy pct/);
    expect(pct.stdout.trimEnd().split('\n').at(-2)).toBe(`replay: npx mmrace replay ${join(dir, 'p.json')}`);
    expect(pct.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^schedule: npx mmrace check ${B_KERNEL} --schedule mm1(\\.[0-9-]+)+$`));
    const bounded = mmrace(['check', B_KERNEL, '--strategy', 'bounded', '--trace', join(dir, 'b.json')]);
    expect(bounded.code).toBe(1);
    expect(bounded.stdout).toMatch(/a counterexample with 1 preemption, the fewest of any violation/);
    expect(bounded.stdout).toMatch(/^seed 1 · schedules \d+ · preemptions 1$/m);
  });

  it('the same command gives the same result, byte for byte but the timings; the default seed is printed', () => {
    const dir = tmp();
    const args = ['check', B_KERNEL, '--strategy', 'random', '--trace', join(dir, 'r.json'), '--json'];
    const a = mmrace(args);
    const traceA = readFileSync(join(dir, 'r.json'), 'utf8');
    const b = mmrace(args);
    expect(a.code).toBe(1);
    expect(a.json.seed).toBe(1);
    expect(untimed(b.json)).toEqual(untimed(a.json));
    expect(readFileSync(join(dir, 'r.json'), 'utf8')).toBe(traceA);
  });
});

describe('S (safe): incomplete, exit 3, never safe', () => {
  for (const strategy of ['pct', 'random', 'bounded'] as const) {
    it(strategy, () => {
      const r = mmrace(['check', SAFE, '--strategy', strategy, '--json']);
      expect(r.code).toBe(3);
      expect(r.json.verdict).toBe('incomplete');
      expect(r.json.expectationMet).toBe(false);
      expect(r.json.seed).toBe(1);
      if (strategy === 'bounded') {
        // Every schedule tried (the state cache ends it): still not "safe".
        expect(r.json.limit).toBe('exhausted');
        expect(r.json.preemptionBound).toBeGreaterThanOrEqual(1);
      } else expect([r.json.limit, r.json.runs]).toEqual(['runs', 1000]);
    });
  }

  it('text output says what was tried and that it is not a proof', () => {
    const r = mmrace(['check', SAFE, '--strategy', 'pct', '--runs', '50', '--seed', '3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^INCOMPLETE: no violation in 50 runs of pct; stopped by --runs; a bug-hunting search is not a proof/m);
    expect(r.stdout).toMatch(/^seed 3 · runs 50 · pct depth 3$/m);
    // Bound 0 of S has a few hundred schedules.
    const b = mmrace(['check', SAFE, '--strategy', 'bounded', '--runs', '100']);
    expect(b.code).toBe(3);
    expect(b.stdout).toMatch(/^INCOMPLETE: no violation in 100 schedules; not every schedule without preemptions was tried; stopped by --runs/m);
    const b0 = mmrace(['check', SAFE, '--strategy', 'bounded', '--runs', '1000', '--json']);
    expect([b0.code, b0.json.limit, b0.json.preemptionBound]).toEqual([3, 'runs', 0]);
  });
});

describe('bad values: exit 2, one line, E_USAGE', () => {
  const cases: [string[], RegExp][] = [
    [['--strategy', 'pct', '--seed', 'x'], /--seed takes a whole number from 0 to 4294967295/],
    [['--strategy', 'pct', '--seed', '4294967296'], /--seed takes a whole number/],
    [['--strategy', 'random', '--runs', '0'], /--runs takes a positive integer/],
    [['--strategy', 'pct', '--pct-depth', '0'], /--pct-depth takes a positive integer/],
    [['--strategy', 'walk'], /Allowed choices are bfs, dfs, random, pct, bounded/],
    [['--seed', '3'], /--seed does not apply to --strategy bfs/],
    [['--strategy', 'random', '--pct-depth', '2'], /--pct-depth does not apply to --strategy random/],
    [['--strategy', 'bounded', '--all-violations'], /--all-violations does not apply to --strategy bounded/],
  ];
  for (const [args, pattern] of cases) {
    it(args.join(' '), () => {
      expectOneLineError(mmrace(['check', B_KERNEL, ...args]), 'E_USAGE', pattern);
    });
  }
});

describe('scenario files naming a bug-hunting strategy', () => {
  const model = join(root, 'models/contpte/contpte.ts');
  const params = { n: 4, cpus: 2, accesses: 1, mm: 'init_mm', gate: 'none' };

  it('take their seed, pct depth and runs from the file', () => {
    const file = join(tmp(), 'hunt.json');
    writeFileSync(
      file,
      JSON.stringify({ model, params, strategy: 'pct', seed: 7, pctDepth: 2, limits: { runs: 500 }, expect: { verdict: 'violation', property: 'INV-KFAULT' } }),
    );
    const r = mmrace(['check', file, '--json', '--trace', join(tmp(), 't.json')]);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ verdict: 'violation', strategy: 'pct', seed: 7, pctDepth: 2, expectationMet: true });
    expect(r.json.runs).toBeLessThanOrEqual(500);
    // --strategy bfs on the same file leaves the pct fields aside.
    expect(mmrace(['check', file, '--strategy', 'bfs', '--workers', '0', '--json']).json).toMatchObject({ verdict: 'violation', strategy: 'bfs' });
  });

  it('cannot expect safe, and keep their options to their strategy', () => {
    const dir = tmp();
    const bad = (name: string, body: Record<string, unknown>) => {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({ model, params, ...body }));
      return mmrace(['check', file]);
    };
    expectOneLineError(bad('safe', { strategy: 'random', expect: { verdict: 'safe' } }), 'E_SCENARIO', /at expect.verdict: random is a bug-hunting strategy/);
    expectOneLineError(bad('seed', { strategy: 'bfs', seed: 3, expect: { verdict: 'safe' } }), 'E_SCENARIO', /at seed: applies to the strategies random, pct and bounded/);
    expectOneLineError(bad('depth', { strategy: 'random', pctDepth: 3, expect: { verdict: 'violation', property: 'X' } }), 'E_SCENARIO', /at pctDepth: applies to the strategy pct/);
    expectOneLineError(bad('runs', { strategy: 'pct', limits: { runs: 0 }, expect: { verdict: 'violation', property: 'X' } }), 'E_SCENARIO', /at limits.runs/);
  });
});
