/**
 * End-to-end tests of the CLI: the real `bin/mmrace.js` in a child process, on the
 * contpte scenarios and on fixtures meant to fail.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, fixtures, mmrace, root, tmp } from './run.js';

describe('check on the contpte scenarios', () => {
  it('B-kernel is a violation of INV-KFAULT whose trace replays', () => {
    const dir = tmp();
    const trace = join(dir, 'b-kernel.trace.json');
    const r = mmrace(['check', 'scenarios/contpte/b-kernel.json', '--trace', trace, '--json']);
    expect(r.code).toBe(1);
    expect(r.json.verdict).toBe('violation');
    expect(r.json.property).toBe('INV-KFAULT');
    expect(r.json.expectationMet).toBe(true);
    for (const k of ['states', 'transitions', 'depth', 'seconds']) expect(typeof r.json[k]).toBe('number');
    expect(r.json.replay).toBe(`npx mmrace replay ${trace}`);
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    expect(t.format).toBe('mmrace-trace/1');
    expect(t.violation.property).toBe('INV-KFAULT');
    // The fault is raised by the kernel access (K), after U1 cleared a pte in contpte_convert.
    const labels = t.schedule.map((s: { actor: string; label: string }) => `${s.actor}:${s.label}`);
    expect(labels[labels.length - 1]).toBe('K:mmu:walk');
    expect(labels).toContain('U1:contpte_convert:xchg');
    expect(labels.indexOf('U1:contpte_convert:xchg')).toBeLessThan(labels.length - 1);

    const rep = mmrace(['replay', trace]);
    expect(rep.code).toBe(1);
    expect(rep.stdout).toMatch(/REPRODUCED: violation of INV-KFAULT/);
    const repJson = mmrace(['replay', trace, '--json']);
    expect(repJson.code).toBe(1);
    expect(repJson.json.reproduced).toBe(true);
    expect(repJson.json.steps).toHaveLength(t.schedule.length);
  });

  it('S is proven safe, with the same reachable states under BFS and DFS', () => {
    const bfs = mmrace(['check', 'scenarios/contpte/s.json', '--json']);
    expect(bfs.code).toBe(0);
    expect(bfs.json.verdict).toBe('safe');
    const dfs = mmrace(['check', 'scenarios/contpte/s.json', '--strategy', 'dfs', '--json']);
    expect(dfs.code).toBe(0);
    expect(dfs.json.states).toBe(bfs.json.states);
    expect(dfs.json.transitions).toBe(bfs.json.transitions);
    expect(bfs.json.states).toBeGreaterThan(1000);
  });

  it('a violation in text mode ends with the commands that replay it: the trace file, then its schedule', () => {
    const dir = tmp();
    const trace = join(dir, 't.json');
    const r = mmrace(['check', 'scenarios/contpte/b-nobbm.json', '--trace', trace]);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatch(/^mmrace \d+\.\d+\.\d+ · model contpte/);
    expect(r.stdout).toMatch(/VIOLATION of INV-BBM/);
    expect(r.lines[r.lines.length - 2]).toBe(`replay: npx mmrace replay ${trace}`);
    expect(r.lines[r.lines.length - 1]).toMatch(/^schedule: npx mmrace check scenarios\/contpte\/b-nobbm\.json --schedule mm1(\.[0-9-]+)+$/);
  });
});

describe('limits', () => {
  it('--max-states 5 gives incomplete, exit 3, never safe', () => {
    const r = mmrace(['check', 'scenarios/contpte/s.json', '--max-states', '5', '--json']);
    expect(r.code).toBe(3);
    expect(r.json.verdict).toBe('incomplete');
    expect(r.json.limit).toBe('max-states');
    expect(r.json.states).toBeLessThanOrEqual(5);
  });

  it('--max-depth 2 on a deeper space gives incomplete', () => {
    const r = mmrace(['check', 'scenarios/contpte/s.json', '--max-depth', '2', '--json']);
    expect(r.code).toBe(3);
    expect(r.json.limit).toBe('max-depth');
    expect(r.json.depth).toBeLessThanOrEqual(2);
  });

  it('a limit the space fits in still proves safety', () => {
    const full = mmrace(['check', 'models/counter/counter.ts', '-p', 'threads=2', '--json']);
    expect(full.json.verdict).toBe('safe');
    const r = mmrace(['check', 'models/counter/counter.ts', '-p', 'threads=2', '--max-states', String(full.json.states), '--json']);
    expect(r.code).toBe(0);
    expect(r.json.verdict).toBe('safe');
  });
});

describe('malformed input: exit 2, one line, a stable code, no stack trace', () => {
  it.each([
    ['bad-model-field.json', 'E_SCENARIO'],
    ['bad-verdict.json', 'E_SCENARIO'],
    ['bad-unknown-field.json', 'E_SCENARIO'],
    ['bad-json.json', 'E_SCENARIO'],
    ['bad-model-missing.json', 'E_MODEL_LOAD'],
    ['bad-param.json', 'E_PARAM'],
  ])('%s gives %s', (file, code) => {
    expectOneLineError(mmrace(['check', join(fixtures, file)]), code);
  });

  it('names the offending field of a scenario', () => {
    const r = mmrace(['check', join(fixtures, 'bad-verdict.json')]);
    expect(r.stderr).toMatch(/at expect\.verdict/);
  });

  it('a missing scenario file', () => {
    expectOneLineError(mmrace(['check', 'scenarios/none.json']), 'E_IO');
  });

  it('an unknown parameter lists the known ones', () => {
    const r = mmrace(['check', 'scenarios/contpte/s.json', '-p', 'cpu=3']);
    expectOneLineError(r, 'E_PARAM');
    expect(r.stderr).toMatch(/its parameters are: n, cpus/);
  });

  it.each([
    [['check', 'scenarios/contpte/s.json', '--max-states', 'many']],
    [['check', 'scenarios/contpte/s.json', '--strategy', 'astar']],
    [['check']],
    [['frobnicate']],
    [['check', 'scenarios/contpte/s.json', '--no-such-flag']],
  ])('usage error %j', (args) => {
    expectOneLineError(mmrace(args), 'E_USAGE');
  });

  it('--json still prints a JSON verdict on an error', () => {
    const r = mmrace(['check', join(fixtures, 'bad-verdict.json'), '--json']);
    expect(r.code).toBe(2);
    expect(r.json.verdict).toBe('error');
    expect(r.json.code).toBe('E_SCENARIO');
  });

  it('a malformed trace', () => {
    const dir = tmp();
    const f = join(dir, 'trace.json');
    writeFileSync(f, JSON.stringify({ format: 'mmrace-trace/1', schedule: 'no' }));
    expectOneLineError(mmrace(['replay', f]), 'E_TRACE_FORMAT');
  });
});

describe('models that misbehave', () => {
  it('a step that throws is an error with a stable code and a trace to the failing step', () => {
    const dir = tmp();
    const trace = join(dir, 'throws.json');
    const r = mmrace(['check', join(fixtures, 'throws.ts'), '--trace', trace, '--json']);
    expect(r.code).toBe(2);
    expect(r.json.verdict).toBe('error');
    expect(r.json.code).toBe('E_MODEL_THREW');
    expect(r.json.message).toMatch(/a\[0\] two threw TypeError: cannot read pte of undefined/);
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    expect(t.schedule.map((s: { label: string }) => s.label)).toEqual(['one', 'two']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a nondeterministic model is caught by check (E_NONDETERMINISTIC) and on replay, naming the step', () => {
    const dir = tmp();
    const trace = join(dir, 'nondet.json');
    const r = mmrace(['check', join(fixtures, 'nondet.ts'), '--trace', trace, '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
    expect(r.json.message).toMatch(/^a\[0\] bump: two runs of the step from the same state gave different results/);
    const rep = mmrace(['replay', trace]);
    expectOneLineError(rep, 'E_TRACE_DIVERGED');
    expect(rep.stderr).toMatch(/step 1 \(a\[0\] bump\)/);
  });
});

describe('ci and list', () => {
  it('ci runs every scenario, meets every expectation, writes JUnit with one testcase each', () => {
    const dir = tmp();
    const junit = join(dir, 'junit.xml');
    const r = mmrace(['ci', join(root, 'scenarios'), '--junit', junit, '--json'], dir);
    expect(r.code).toBe(0);
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.json')) files.push(join(d, e.name));
      }
    };
    walk(join(root, 'scenarios'));
    // A row and a testcase for each scenario and each of its mutants, every mutant killed.
    const mutants = files.reduce((n, f) => n + (JSON.parse(readFileSync(f, 'utf8')).mutants?.length ?? 0), 0);
    expect(mutants).toBeGreaterThanOrEqual(25);
    expect(r.json.scenarios).toHaveLength(files.length + mutants);
    const skippedMutants = (r.json.scenarios as { skipped: boolean; mutant?: unknown }[]).filter((x) => x.skipped && x.mutant).length;
    expect(r.json.mutants).toEqual({ total: mutants - skippedMutants, killed: mutants - skippedMutants });
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(files.length + mutants);
    expect(xml).not.toMatch(/<failure/);
  });

  it('ci exits 1 on a surprise and prints its replay command', () => {
    const dir = tmp();
    const sc = join(dir, 'scenarios/wrong');
    mkdirSync(sc, { recursive: true });
    cpSync(join(root, 'scenarios/contpte/b-kernel.json'), join(sc, 'b-kernel.json'));
    const wrong = JSON.parse(readFileSync(join(sc, 'b-kernel.json'), 'utf8'));
    wrong.model = join(root, 'models/contpte/contpte.ts');
    wrong.expect = { verdict: 'safe' };
    writeFileSync(join(sc, 'b-kernel.json'), JSON.stringify(wrong));
    const junit = join(dir, 'j.xml');
    const r = mmrace(['ci', join(dir, 'scenarios'), '--junit', junit], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/SURPRISE b-kernel: expected safe, got violation of INV-KFAULT/);
    expect(r.stdout).toMatch(/replay: npx mmrace replay \.mmrace\/traces\/b-kernel-[0-9a-f]{8}\.trace\.json/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<failure message="expected safe, got violation of INV-KFAULT"/);
    const traces = readdirSync(join(dir, '.mmrace/traces'));
    expect(traces).toHaveLength(1);
    expect(existsSync(join(dir, '.mmrace/traces', traces[0]!))).toBe(true);
  });

  it('list shows the scenarios with their expectations', () => {
    const r = mmrace(['list', 'scenarios']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scenario\s+b-kernel\s+expect violation of INV-KFAULT/);
    expect(r.stdout).toMatch(/scenario\s+s\s+expect safe, 3 mutants/);
  });
});

describe('the README', () => {
  it('opens with the two set-up commands, and .ci/run runs the test one', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1]?.trim().split('\n');
    expect(block).toEqual(['npm ci && npx mmrace ci scenarios/', 'npm ci && npm test']);
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/^npm ci && npm test$/m);
  });

  it('its first model finds the lost update in the shortest schedule: read, read, write, write', () => {
    const dir = tmp();
    const r = mmrace(['check', 'examples/lost-update.ts', '--trace', join(dir, 't.json'), '--json']);
    expect(r.code).toBe(1);
    expect(r.json.property).toBe('counted');
    const t = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
    expect(t.schedule.map((s: { label: string }) => s.label)).toEqual(['read', 'read', 'write', 'write']);
  });
});
