/**
 * A model's own exit is an error (issue 16, item 1). mmrace owns the process's exit: a
 * model that calls process.exit (in a step, in init, or as its file is imported) must not
 * end `check`, `replay`, `shrink` or `ci` with exit 0 and no output, in the main thread or
 * on worker threads, but give verdict error E_MODEL_EXIT naming where, with the trace to a
 * step, and exit 2. Fixtures: test/e2e/fixtures/model-exit/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, fixtures, mmrace, root, tmp } from './run.js';

const STEP = join(fixtures, 'model-exit/step.ts');
const INIT = join(fixtures, 'model-exit/init.ts');
const IMPORT = join(fixtures, 'model-exit/import.ts');
/** A small model with a violation, for a scenario whose expectation (safe) is not met. */
const LOST_UPDATE = join(root, 'examples/lost-update.ts');
/** The step fixture small enough for the main thread: one initial state, two ticks, then stop. */
const SMALL = ['-p', 'width=1', '-p', 'ticks=2'];

const labels = (file: string): string[] => JSON.parse(readFileSync(file, 'utf8')).schedule.map((s: { label: string }) => s.label);

const noStack = (stderr: string): void => expect(stderr).not.toMatch(/\n\s+at /);

describe('process.exit in a step: verdict error E_MODEL_EXIT naming the step, with the trace to it', () => {
  it('check --workers 0: exit 2, the trace to the step; replay and shrink reproduce it (exit 2, not 0)', () => {
    const dir = tmp();
    const trace = join(dir, 'step.trace.json');
    const r = mmrace(['check', STEP, ...SMALL, '--workers', '0', '--trace', trace, '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_EXIT', traceFile: trace, steps: 3 });
    expect(r.json.message).toMatch(/^a\[0\] stop: the model called process\.exit\(0\)$/);
    noStack(r.stderr);
    expect(labels(trace)).toEqual(['tick', 'tick', 'stop']);

    const text = mmrace(['check', STEP, ...SMALL, '--workers', '0', '--trace', join(dir, 'text.trace.json')]);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^ERROR E_MODEL_EXIT: a\[0\] stop: the model called process\.exit\(0\)$/m);
    noStack(text.stderr);

    const rep = mmrace(['replay', trace]);
    expect(rep.code).toBe(2);
    expect(rep.stdout).toMatch(/REPRODUCED: model error E_MODEL_EXIT: a\[0\] stop: the model called process\.exit\(0\)/);
    noStack(rep.stderr);
    const repJson = mmrace(['replay', trace, '--json']);
    expect(repJson.code).toBe(2);
    expect(repJson.json).toMatchObject({ verdict: 'error', reproduced: true, property: 'E_MODEL_EXIT' });

    const shrunk = join(dir, 'step.shrunk.trace.json');
    const sh = mmrace(['shrink', trace, '--out', shrunk, '--json']);
    expect(sh.code).toBe(2);
    expect(sh.json).toMatchObject({ verdict: 'error', reproduced: true, property: 'E_MODEL_EXIT', traceFile: shrunk });
    expect(labels(shrunk)).toEqual(['tick', 'tick', 'stop']);
    noStack(sh.stderr);
  });

  it('check --workers 2, the step run on a worker thread: the same error, the trace to it, replayed', () => {
    const dir = tmp();
    const trace = join(dir, 'step.trace.json');
    const marker = join(dir, 'ran-on-a-worker');
    const r = mmrace(['check', STEP, '--workers', '2', '--trace', trace, '--json'], root, { MMRACE_EXIT_MARKER: marker });
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_EXIT', workers: 2, traceFile: trace });
    expect(r.json.message).toMatch(/^a\[0\] stop: the model called process\.exit\(0\)$/);
    noStack(r.stderr);
    // A worker thread ran the step (else this test would not test the workers).
    expect(existsSync(marker)).toBe(true);
    // 255 ticks (the default), then the step that exits.
    const steps = labels(trace);
    expect(steps).toHaveLength(256);
    expect(steps.at(-1)).toBe('stop');
    const rep = mmrace(['replay', trace]);
    expect(rep.code).toBe(2);
    expect(rep.stdout).toMatch(/REPRODUCED: model error E_MODEL_EXIT: a\[0\] stop: the model called process\.exit\(0\)/);
  });
});

describe('process.exit in init or as the model file is imported: error E_MODEL_EXIT naming it, exit 2', () => {
  it.each([['0'], ['2']])('init, check --workers %s', (workers) => {
    const r = mmrace(['check', INIT, '--workers', workers, '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_EXIT' });
    expect(r.json.message).toMatch(/^init of model exit-init: the model called process\.exit\(0\)$/);
    noStack(r.stderr);
    const text = mmrace(['check', INIT, '--workers', workers]);
    expect(text.code).toBe(2);
    expect(text.stdout + text.stderr).toMatch(/E_MODEL_EXIT: init of model exit-init: the model called process\.exit\(0\)/);
    noStack(text.stderr);
  });

  it.each([['0'], ['2']])('import, check --workers %s', (workers) => {
    const r = mmrace(['check', IMPORT, '--workers', workers]);
    expectOneLineError(r, 'E_MODEL_EXIT', /import\.ts: as it was imported, the model called process\.exit\(0\)/);
    const json = mmrace(['check', IMPORT, '--workers', workers, '--json']);
    expect(json.code).toBe(2);
    expect(json.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_EXIT' });
  });
});

describe('ci: a scenario whose model exits is an error, and the others still run and are reported', () => {
  it('exit 2 (an error), with JUnit and SARIF for every scenario', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sc'));
    const scenario = (name: string, s: object) => writeFileSync(join(dir, 'sc', `${name}.json`), JSON.stringify(s));
    scenario('a-exit-step', { model: STEP, params: { width: 1, ticks: 2 }, expect: { verdict: 'safe' } });
    scenario('b-exit-import', { model: IMPORT, expect: { verdict: 'safe' } });
    scenario('c-surprise', { model: LOST_UPDATE, expect: { verdict: 'safe' } });
    const r = mmrace(['ci', 'sc', '--workers', '0', '--junit', 'junit.xml', '--sarif', 'out.sarif', '--json'], dir);
    expect(r.code).toBe(2);
    noStack(r.stderr);
    expect(r.json.verdict).toBe('fail');
    const got = Object.fromEntries((r.json.scenarios as { name: string; got: string; error: boolean }[]).map((s) => [s.name, [s.got, s.error]]));
    expect(got).toEqual({
      'a-exit-step': ['error E_MODEL_EXIT', true],
      'b-exit-import': ['error E_MODEL_EXIT', true],
      'c-surprise': [expect.stringMatching(/^violation of /), false],
    });
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(3);
    for (const name of ['a-exit-step', 'b-exit-import', 'c-surprise']) expect(junit).toContain(`name="${name}"`);
    expect(junit).toMatch(/E_MODEL_EXIT/);
    expect(junit).toMatch(/<failure /);
    expect(readFileSync(join(dir, 'out.sarif'), 'utf8')).toMatch(/E_MODEL_EXIT/);

    // The text table, too: exit 2, and the model's exit named.
    const text = mmrace(['ci', 'sc', '--workers', '0'], dir);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/E_MODEL_EXIT/);
    expect(text.stdout).toMatch(/SURPRISE c-surprise/);
  });
});

describe('process.exit from code the model scheduled for later (a timer)', () => {
  it('check: exit 2, one line E_MODEL_EXIT saying it ran outside a step; never exit 0, never E_INTERNAL', () => {
    const r = mmrace(['check', join(fixtures, 'model-exit/later.ts'), '--workers', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mmrace: error E_MODEL_EXIT: the model called process\.exit\(0\), from code the model scheduled to run later/);
    expect(r.stderr).not.toMatch(/E_INTERNAL/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
