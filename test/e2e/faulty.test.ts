/**
 * Faulty models and crashed workers, end to end: a step that throws, a step that never
 * returns, a worker thread that dies. Every engine must end with a verdict (error, with
 * the trace that leads to the fault, or the result of a run that never crashed), never a
 * hang or a stack trace.
 *
 * The CLI runs what it can reach; run-search.ts (a fixture) runs the library with the
 * options the CLI does not take: `inThreadBelow: 0` sends every level to the worker
 * threads, and `stepTimeout` (1 s here: the tests assert outcomes, never durations).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompiledModel, loadModel } from '../../src/index.js';
import { checkIn } from '../unit/helpers.js';
import { fixtures, mmrace, root, tmp } from './run.js';

/** A run of run-search.ts: its exit code, its stderr, and the JSON line it printed last. */
interface Searched {
  code: number | null;
  stderr: string;
  json: Record<string, any>;
}

/** Runs the library on `model` (a fixture) with `opts` in a child process; never waits more than 90 s. */
function search(model: string, opts: Record<string, unknown>, env: Record<string, string> = {}): Searched {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(fixtures, 'run-search.ts'), join(fixtures, model), JSON.stringify(opts)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...env },
    timeout: 90_000,
  });
  const last = r.stdout.trimEnd().split('\n').pop() ?? '';
  return { code: r.status, stderr: r.stderr, json: last.startsWith('{') ? JSON.parse(last) : {} };
}

/** The sequential engine's result on a fixture, in this process: the oracle. */
async function sequential(model: string, params: Record<string, number | boolean | string>, opts: { maxDepth?: number } = {}) {
  const { model: def, path } = await loadModel(join(fixtures, model));
  return checkIn(new CompiledModel(def, params), path, { stepTimeout: Infinity, ...opts });
}

const labels = (file: string): string[] => JSON.parse(readFileSync(file, 'utf8')).schedule.map((s: { label: string }) => s.label);

describe('a step that throws: E_MODEL_THREW with the trace to it, which replay reproduces', () => {
  const engines = [['--workers', '0'], ['--workers', '1'], ['--workers', '2'], ['--strategy', 'dfs'], ['--strategy', 'random'], ['--strategy', 'pct'], ['--strategy', 'bounded']];

  it.each(engines.map((e) => [e.join(' '), e]))('mmrace check %s', (_name, args) => {
    const trace = join(tmp(), 'throws.json');
    const r = mmrace(['check', join(fixtures, 'throws.ts'), ...args, '--trace', trace, '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_THREW' });
    expect(r.json.message).toMatch(/^a\[0\] two threw TypeError: cannot read pte of undefined/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // One actor, two steps: the only path to the throwing step, which comes last.
    expect(labels(trace)).toEqual(['one', 'two']);
    const rep = mmrace(['replay', trace]);
    expect(rep.code).toBe(2);
    expect(rep.stdout).toMatch(/REPRODUCED: model error E_MODEL_THREW: a\[0\] two threw TypeError/);
  });

  it.each([[1], [2]])('on %i worker thread(s): the sequential engine’s error, counts and trace', async (workers) => {
    const params = { width: 40 };
    const seq = await sequential('throws-late.ts', params);
    const trace = join(tmp(), 'late.json');
    const r = search('throws-late.ts', { engine: 'parallel', workers, inThreadBelow: 0, batchSize: 3, params, traceFile: trace });
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_THREW', workers, states: seq.states, transitions: seq.transitions, depth: seq.depth });
    // Breadth-first from y = 0: a[0] one, then a[0] two throws (b[0] tick runs first, and does not).
    expect(r.json.schedule).toEqual(['a[0] one', 'a[0] two']);
    expect(r.json.schedule).toEqual(seq.trace!.schedule.map((s) => `${s.actor}[${s.instance}] ${s.label}`));
    const rep = mmrace(['replay', trace]);
    expect(rep.code).toBe(2);
    expect(rep.stdout).toMatch(/REPRODUCED: model error E_MODEL_THREW/);
  });
});

describe('a step that never returns: E_STEP_TIMEOUT, naming it, with the trace to its state', () => {
  const spin = 'step a[0] spin ran for more than 1 s and was stopped';
  const cases: [string, Record<string, unknown>][] = [
    ['breadth-first', {}],
    ['depth-first', { strategy: 'dfs' }],
    ['random walks', { strategy: 'random' }],
    ['pct', { strategy: 'pct' }],
    ['bounded preemption', { strategy: 'bounded' }],
    ['the parallel explorer, levels in this thread', { engine: 'parallel', workers: 1 }],
    ['the parallel explorer, 1 worker thread', { engine: 'parallel', workers: 1, inThreadBelow: 0, batchSize: 3, params: { width: 8 } }],
    ['the parallel explorer, 2 worker threads', { engine: 'parallel', workers: 2, inThreadBelow: 0, batchSize: 3, params: { width: 8 } }],
  ];

  it.each(cases)('%s', (name, opts) => {
    const r = search('loops.ts', { stepTimeout: 1, ...opts });
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_STEP_TIMEOUT', message: spin });
    // The trace leads to a state the spin runs from: after a[0] one, without the spin.
    expect(r.json.schedule).toContain('a[0] one');
    expect(r.json.schedule).not.toContain('a[0] spin');
    // Breadth-first, the first such state is after a[0] one alone (see loops.ts).
    if (name === 'breadth-first' || name.startsWith('the parallel explorer')) expect(r.json.schedule).toEqual(['a[0] one']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('the parallel explorer on its threads gives the search’s completed levels, the same at 1 and 2 workers', () => {
    const runs = [1, 2].map((workers) => search('loops.ts', { engine: 'parallel', workers, inThreadBelow: 0, batchSize: 3, stepTimeout: 1, params: { width: 8 } }).json);
    // Levels 0 and 1 are complete (8 initial states, each with 2 successors); level 1 hangs.
    expect(runs[0]).toMatchObject({ states: 24, transitions: 16, depth: 1 });
    expect(runs[1]).toEqual({ ...runs[0], workers: 2 });
  });

  it('a violation met before the stuck step is the verdict, as in the sequential engine', async () => {
    const params = { width: 8, violate: true };
    const seq = await sequential('loops.ts', params);
    expect(seq.verdict).toBe('violation');
    for (const workers of [1, 2]) {
      const r = search('loops.ts', { engine: 'parallel', workers, inThreadBelow: 0, batchSize: 1, stepTimeout: 1, params });
      expect(r.json).toMatchObject({ verdict: 'violation', states: seq.states, transitions: seq.transitions });
      expect(r.json.schedule).toEqual(seq.trace!.schedule.map((s) => `${s.actor}[${s.instance}] ${s.label}`));
    }
  });

  it('told as the CLI tells an error: one line on stderr, the JSON verdict, the trace written', () => {
    const trace = join(tmp(), 'spin.json');
    const r = search('loops.ts', { stepTimeout: 1, report: 'cli', traceFile: trace });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^mmrace: error E_STEP_TIMEOUT: ${spin.replace(/[[\]]/g, '\\$&')} \\(a step must end: .*--step-timeout\\)$`));
    expect(r.json).toEqual({ verdict: 'error', code: 'E_STEP_TIMEOUT', message: spin, traceFile: trace });
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    expect(t.error).toEqual({ code: 'E_STEP_TIMEOUT', message: spin });
    expect(labels(trace)).toEqual(['one']);
  });

  it('mmrace check --step-timeout 1, in the main thread and with workers: the same one line, exit 2, the trace to the stuck step', () => {
    for (const workers of ['0', '2']) {
      const trace = join(tmp(), `cli-${workers}.json`);
      const r = mmrace(['check', 'test/e2e/fixtures/loops.ts', '--workers', workers, '--step-timeout', '1', '--trace', trace]);
      expect(r.code, workers).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^mmrace: error E_STEP_TIMEOUT: step a\[0\] spin ran for more than 1 s/);
      expect(labels(trace)).toEqual(['one']);
    }
  });
});

describe('a worker thread that dies: its batch runs again; twice, and the search ends with E_WORKER', () => {
  const small = { width: 64, ticks: 8 };
  const pooled = (workers: number, params: Record<string, unknown>) => ({ engine: 'parallel', workers, inThreadBelow: 0, batchSize: 16, params });
  // A small heap makes a worker that allocates without end die soon.
  const heap = { NODE_OPTIONS: '--max-old-space-size=160' };

  it.each([
    ['exit', 1],
    ['exit', 2],
    ['uncaught', 1],
    ['uncaught', 2],
    ['oom', 2],
  ] as const)('dies once (%s), %i worker(s): exactly the counts of a run that never crashed', async (how, workers) => {
    const params = { ...small, how };
    const seq = await sequential('crashes-once.ts', params);
    const marker = join(tmp(), 'crashed');
    const r = search('crashes-once.ts', pooled(workers, params), { MMRACE_CRASH_MARKER: marker, ...heap });
    expect(existsSync(marker)).toBe(true);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ verdict: 'safe', states: seq.states, transitions: seq.transitions, depth: seq.depth, workers });
  });

  it.each([
    ['exit', 1, /worker exited with code: 3/],
    ['uncaught', 2, /an error thrown outside a step: failure outside the model \(crashes-once\)/],
  ] as const)('dies every time (%s), %i worker(s): E_WORKER with the completed levels', async (how, workers, why) => {
    const params = { ...small, how, once: false };
    // The first level whose states run a[0] two is level 1: level 0 is all that completes.
    const done = await sequential('crashes-once.ts', params, { maxDepth: 1 });
    const r = search('crashes-once.ts', pooled(workers, params), heap);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_WORKER', states: done.states, transitions: done.transitions, depth: 1 });
    expect(r.json.message).toMatch(why);
    expect(r.json.message).toMatch(/failed again when run a second time$/);
  });

  it('dies every time (oom) in a step, from the same state: the model’s error E_MODEL_MEMORY at that state, with the completed levels', async () => {
    const params = { ...small, how: 'oom', once: false };
    const done = await sequential('crashes-once.ts', params, { maxDepth: 1 });
    const r = search('crashes-once.ts', pooled(2, params), heap);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_MEMORY', states: done.states, transitions: done.transitions, depth: 1 });
    expect(r.json.message).toBe('step a[0] two filled the heap of its worker thread while it ran, twice from the same state');
    expect(r.json.schedule).toHaveLength(1);
  });

  it('mmrace check: a worker that always exits ends with E_WORKER and what was explored, no stack', () => {
    const r = mmrace(['check', join(fixtures, 'exits-in-worker.ts'), '--workers', '1', '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_WORKER', workers: 1 });
    expect(r.json.message).toMatch(/^a worker thread of the parallel explorer failed: worker exited with code: 3; .* failed again when run a second time$/);
    expect(r.json.states).toBeGreaterThan(8192);
    expect(r.json.depth).toBeGreaterThanOrEqual(1);
    expect(r.stderr).toBe('');
    const text = mmrace(['check', join(fixtures, 'exits-in-worker.ts'), '--workers', '1']);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^ERROR E_WORKER: a worker thread of the parallel explorer failed: worker exited with code: 3/m);
    expect(text.stdout).toMatch(/^states [\d,]+ · transitions [\d,]+ · depth \d+/m);
    expect(text.stderr).toBe('');
  });

  it('mmrace check --workers 2: a worker that dies once changes nothing', () => {
    const base = mmrace(['check', join(fixtures, 'crashes-once.ts'), '--workers', '0', '--json']);
    expect(base.json.verdict).toBe('safe');
    const r = mmrace(['check', join(fixtures, 'crashes-once.ts'), '--workers', '2', '--json'], root, { MMRACE_CRASH_MARKER: join(tmp(), 'crashed') });
    expect(r.code).toBe(0);
    for (const k of ['verdict', 'states', 'transitions', 'depth']) expect(r.json[k], k).toEqual(base.json[k]);
  });
});

describe('a step that fills memory: E_MODEL_MEMORY with the trace to the state it ran from, never an abort', () => {
  // A small heap: the step fills it in a fraction of a second. Without the watch, V8 ends
  // the main thread's process (exit 134, no verdict), and a worker's death is E_WORKER.
  const heap = { NODE_OPTIONS: '--max-old-space-size=256' };
  const params = { width: 8 };

  it('in the main thread (bfs, dfs, random) and on 1 and 2 worker threads: the same error, counts and trace', () => {
    const main = search('memory-hog.ts', { params }, heap);
    expect(main.code).toBe(2);
    expect(main.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_MEMORY', schedule: ['a[0] one'] });
    expect(main.json.message).toMatch(/^step a\[0\] grow used more than \d+ MiB of memory while it ran and was stopped$/);
    for (const strategy of ['dfs', 'random']) {
      const r = search('memory-hog.ts', { strategy, params }, heap);
      expect(r.code, strategy).toBe(2);
      expect(r.json, strategy).toMatchObject({ verdict: 'error', code: 'E_MODEL_MEMORY', schedule: ['a[0] one'] });
    }
    for (const workers of [1, 2]) {
      const r = search('memory-hog.ts', { engine: 'parallel', workers, inThreadBelow: 0, batchSize: 3, params }, heap);
      expect(r.code, `${workers}`).toBe(2);
      // On a worker the heap that fills is the thread's: the same step, twice from the same state.
      expect(r.json).toMatchObject({ verdict: 'error', code: 'E_MODEL_MEMORY', schedule: ['a[0] one'], states: main.json.states, transitions: main.json.transitions, depth: main.json.depth });
      expect(r.json.message).toBe('step a[0] grow filled the heap of its worker thread while it ran, twice from the same state');
    }
  });

  it('mmrace check --workers 0: one line on stderr, exit 2, the trace written; replay replays to the state and says the step is not run again (exit 2)', () => {
    const dir = tmp();
    const trace = join(dir, 't.json');
    const r = mmrace(['check', join(fixtures, 'memory-hog.ts'), '--workers', '0', '--trace', trace], root, heap);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mmrace: error E_MODEL_MEMORY: step a\[0\] grow used more than \d+ MiB of memory/);
    expect(r.stdout).toBe(`trace to the state the step ran from written to ${trace}\n`);
    expect(labels(trace)).toEqual(['one']);
    expect(JSON.parse(readFileSync(trace, 'utf8')).error.code).toBe('E_MODEL_MEMORY');
    const replay = mmrace(['replay', trace], root, heap);
    expect(replay.code).toBe(2);
    expect(replay.stdout).toMatch(/^NOT RUN AGAIN: model error E_MODEL_MEMORY: step a\[0\] grow used more than/m);
    expect(replay.stdout).not.toMatch(/NOT REPRODUCED/);
  });

  it('mmrace ci: the scenario is an error, the scenarios after it are reported not run, and JUnit and SARIF list every one', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sc'));
    const scenario = (name: string, s: object) => writeFileSync(join(dir, 'sc', `${name}.json`), JSON.stringify(s));
    scenario('a-met', { model: join(root, 'examples/lost-update.ts'), expect: { verdict: 'violation', property: 'counted' } });
    scenario('b-hog', { model: join(fixtures, 'memory-hog.ts'), expect: { verdict: 'safe' } });
    scenario('c-after', { model: join(root, 'examples/lost-update.ts'), expect: { verdict: 'violation', property: 'counted' } });
    const r = mmrace(['ci', 'sc', '--workers', '0', '--junit', 'junit.xml', '--sarif', 'out.sarif'], dir, heap);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/FATAL|    at /);
    expect(r.stdout).toMatch(/SURPRISE b-hog: expected safe, got error E_MODEL_MEMORY: step a\[0\] grow used more than/);
    expect(r.stdout).toMatch(/SURPRISE c-after: .*not run: the run ended at b-hog/);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(3);
    expect(junit.match(/<error /g)).toHaveLength(2);
    const sarif = JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8'));
    expect(JSON.stringify(sarif)).toMatch(/E_MODEL_MEMORY/);
  });
});

describe('an init that never returns: E_STEP_TIMEOUT naming the model’s init, in every strategy', () => {
  it.each([['bfs'], ['dfs'], ['random']])('%s: exit 2, one line on stderr', (strategy) => {
    const r = mmrace(['check', join(fixtures, 'init-loops.ts'), '--workers', '0', '--strategy', strategy, '--step-timeout', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mmrace: error E_STEP_TIMEOUT: the model's init ran for more than 1 s and was stopped/);
  });
});
