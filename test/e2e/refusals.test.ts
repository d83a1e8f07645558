/**
 * What the command line refuses, or bounds, rather than silently doing something else:
 * --workers above the cores available (a warning, and as many workers as cores); worker
 * threads started only for a level they run; a checkpoint resumed with other parameters or
 * options (each named, with its value then and now); a target that is missing, a folder, a
 * device or a FIFO (one wording for each, whoever reads it); and every option that has no
 * effect beside the strategy or another option (E_USAGE, saying what it applies to).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CompiledModel, loadModel } from '../../src/index.js';
import { checkOnLevels } from '../props/results.js';
import { runMain } from '../fuzz/harness.js';
import { expectOneLineError, fixtures, mmrace, root, tmp, type Run } from './run.js';

const cores = availableParallelism();
const LOST_UPDATE = join(root, 'examples/lost-update.ts');
/** One level of 8192 states: large enough for the worker threads, then the end. */
const WIDE = join(fixtures, 'wide-level.ts');
/** A model whose parameter n shapes its state: n cells, n instances. */
const SHAPED = join(fixtures, 'shaped.ts');

/** Writes a scenario of the lost-update model with `extra` fields, expecting its violation. */
function scenario(dir: string, name: string, extra: object = {}): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ model: LOST_UPDATE, expect: { verdict: 'violation', property: 'counted' }, ...extra }));
  return file;
}

/** The run of `args`, with the explorer threads it started (test/e2e/fixtures/count-threads.cjs). */
function counted(args: string[]): Run & { threads: number } {
  const file = join(tmp(), 'threads');
  const r = mmrace(args, root, { NODE_OPTIONS: `--require ${join(fixtures, 'count-threads.cjs')}`, MMRACE_TEST_THREADS: file });
  return { ...r, threads: Number(readFileSync(file, 'utf8')) };
}

describe('1. --workers above the cores available', () => {
  it(`--workers 1024: one warning line, and ${cores} workers; the same verdict`, () => {
    const trace = join(tmp(), 't.json');
    const r = mmrace(['check', LOST_UPDATE, '--workers', '1024', '--trace', trace, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mmrace: warning: --workers 1024 is more than the ${cores} core${cores === 1 ? '' : 's'} available: using ${cores} (the result is the same at any count)\n`);
    const plain = mmrace(['check', LOST_UPDATE, '--workers', '0', '--trace', trace, '--json']);
    expect({ ...r.json, seconds: 0, statesPerSecond: 0 }).toEqual({ ...plain.json, seconds: 0, statesPerSecond: 0 });
  });

  it('a search that runs a level on the threads runs it on as many as the cores, no more', () => {
    const r = counted(['check', WIDE, '--workers', '1024', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^mmrace: warning: --workers 1024 is more than the \d+ cores? available/);
    expect(r.json.workers).toBe(cores);
    expect(r.threads).toBe(cores);
  });

  it('--workers at the core count, 0 and auto: no warning', () => {
    for (const w of [String(cores), '0', 'auto']) {
      const r = mmrace(['check', LOST_UPDATE, '--workers', w, '--trace', join(tmp(), 't.json')]);
      expect(r.code, w).toBe(1);
      expect(r.stderr, w).toBe('');
    }
  });

  it('mmrace ci --workers 1024: the same warning, and the suite passes', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sc'));
    scenario(join(dir, 'sc'), 'lu.json');
    const r = mmrace(['ci', 'sc', '--workers', '1024'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^mmrace: warning: --workers 1024 is more than the \d+ cores? available: using \d+/);
  });
});

describe('2. no worker thread starts for a search that never leaves the main thread', () => {
  it('--workers 2 on the README model (levels below 4096 states): no thread', () => {
    const r = counted(['check', LOST_UPDATE, '--workers', '2', '--trace', join(tmp(), 't.json'), '--json']);
    expect(r.code).toBe(1);
    expect(r.json.workers).toBe(0);
    expect(r.threads).toBe(0);
  });

  it('--workers 2 on one level of 8192 states: the threads start for that level, and run it', () => {
    const r = counted(['check', WIDE, '--workers', '2', '--json']);
    expect(r.code).toBe(0);
    expect(r.json.workers).toBe(Math.min(2, cores));
    expect(r.threads).toBe(r.json.workers);
  });
});

describe('3. resuming with other parameters or options', () => {
  const dir = tmp();
  const ck = join(dir, 'shaped.ck');
  beforeAll(async () => {
    const { model, path } = await loadModel(SHAPED);
    await checkOnLevels(new CompiledModel(model, { n: 2 }), path, { workers: 1, inThreadBelow: Infinity, signal: AbortSignal.abort(), checkpoint: { file: ck } });
  });

  it('with the parameters it was saved with, it resumes', () => {
    expect(mmrace(['check', SHAPED, '-p', 'n=2', '--resume', ck, '--json']).json).toMatchObject({ verdict: 'safe', states: 4 });
  });

  it('-p n=3 where it was saved with n=2: the parameter is named with both values, not blamed on the files', () => {
    const r = mmrace(['check', SHAPED, '-p', 'n=3', '--resume', ck]);
    expectOneLineError(r, 'E_CHECKPOINT', /cannot be resumed by this run: it was saved with other parameters: n=2 in the checkpoint, n=3 in this run \(/);
    expect(r.stderr).not.toMatch(/imports|changed since|layout/);
  });

  it('every option that differs is named, with both values', () => {
    const r = mmrace(['check', SHAPED, '-p', 'n=2', '--all-violations', '--max-depth', '5', '--resume', ck]);
    expectOneLineError(r, 'E_CHECKPOINT', /it was saved with other options: --all-violations off in the checkpoint, on in this run; --max-depth none in the checkpoint, 5 in this run \(/);
  });
});

describe('4. a target that is missing, a folder, a device or a FIFO: one wording each', () => {
  const dir = tmp();
  const hasFifo = (path: string): boolean => spawnSync('mkfifo', [path]).status === 0;

  it('a model that is a FIFO: refused as a FIFO, E_MODEL_LOAD, never waiting for a writer', (ctx) => {
    const fifo = join(dir, 'pipe.ts');
    if (!hasFifo(fifo)) return ctx.skip();
    expectOneLineError(mmrace(['check', fifo]), 'E_MODEL_LOAD', /pipe\.ts is a FIFO \(named pipe\), not a model file \(/);
  });

  it.runIf(existsSync('/dev/zero'))('a model that is /dev/zero through a link: a character device, E_MODEL_LOAD', () => {
    const zero = join(dir, 'zero.ts');
    symlinkSync('/dev/zero', zero);
    expectOneLineError(mmrace(['check', zero]), 'E_MODEL_LOAD', /zero\.ts is a character device, not a model file \(/);
  });

  it('a scenario whose model is missing, or a folder: the words of check itself, E_MODEL_LOAD', () => {
    mkdirSync(join(dir, 'models.ts'));
    writeFileSync(join(dir, 'gone.json'), JSON.stringify({ model: 'gone.ts', expect: { verdict: 'safe' } }));
    writeFileSync(join(dir, 'folder.json'), JSON.stringify({ model: 'models.ts', expect: { verdict: 'safe' } }));
    expectOneLineError(mmrace(['check', join(dir, 'gone.json')]), 'E_MODEL_LOAD', /no such model file: .*gone\.ts \(/);
    expectOneLineError(mmrace(['check', join(dir, 'folder.json')]), 'E_MODEL_LOAD', /models\.ts is a folder, not a model file \(/);
    // check of the same paths: the same words (a folder given to check itself is a usage error).
    expectOneLineError(mmrace(['check', join(dir, 'gone.ts')]), 'E_MODEL_LOAD', /no such model file: .*gone\.ts \(/);
    expectOneLineError(mmrace(['check', join(dir, 'models.ts')]), 'E_USAGE', /models\.ts is a folder, not a model file \(.*mmrace ci /);
  });

  it('a scenario that is missing or a folder: the same words, E_IO and E_USAGE', () => {
    mkdirSync(join(dir, 'sc.json'));
    expectOneLineError(mmrace(['check', join(dir, 'none.json')]), 'E_IO', /no such scenario file: .*none\.json \(/);
    expectOneLineError(mmrace(['check', join(dir, 'sc.json')]), 'E_USAGE', /sc\.json is a folder, not a scenario file \(/);
  });
});

describe('5. an option that has no effect beside another is refused, never ignored', () => {
  const dir = tmp();
  const random = scenario(dir, 'random.json', { strategy: 'random' });
  const dfs = scenario(dir, 'dfs.json', { strategy: 'dfs' });
  const out = join(dir, 'out.ck');
  const ck = join(dir, 'lu.ck');
  beforeAll(async () => {
    const { model, path } = await loadModel(LOST_UPDATE);
    await checkOnLevels(new CompiledModel(model, {}), path, { workers: 1, inThreadBelow: Infinity, signal: AbortSignal.abort(), checkpoint: { file: ck } });
  });

  // [options, what the one line says]
  const refused: [string[], RegExp][] = [
    ...['dfs', 'random', 'pct', 'bounded'].map((s): [string[], RegExp] => [['--strategy', s, '--workers', '1'], new RegExp(`--workers does not apply to --strategy ${s} \\(worker threads run breadth-first search`)]),
    ...['random', 'pct', 'bounded'].flatMap((s): [string[], RegExp][] => [
      [['--strategy', s, '--por'], new RegExp(`--por does not apply to --strategy ${s} \\(partial-order reduction applies to bfs and dfs`)],
      [['--strategy', s, '--symmetry'], new RegExp(`--symmetry does not apply to --strategy ${s} \\(symmetry reduction applies to bfs and dfs`)],
      [['--strategy', s, '--compare-por'], new RegExp(`--compare-por does not apply to --strategy ${s}`)],
      [['--strategy', s, '--all-violations'], new RegExp(`--all-violations does not apply to --strategy ${s}`)],
      [['--strategy', s, '--sleep-sets'], /--sleep-sets needs partial-order reduction \(--por, the default\) and breadth-first search/],
      [['--strategy', s, '--shard', '0/2'], /--shard splits a breadth-first search/],
      [['--strategy', s, '--checkpoint', 'CK_OUT'], new RegExp(`--checkpoint saves and continues a breadth-first search, not --strategy ${s}`)],
      [['--strategy', s, '--resume', 'CK'], new RegExp(`--resume saves and continues a breadth-first search, not --strategy ${s}`)],
    ]),
    [['--no-por', '--compare-por'], /--compare-por needs partial-order reduction \(--por, the default\)/],
    [['--no-por', '--sleep-sets'], /--sleep-sets needs partial-order reduction/],
    [['--strategy', 'dfs', '--sleep-sets'], /--sleep-sets needs partial-order reduction .* and breadth-first search/],
    [['--strategy', 'dfs', '--shard', '0/2'], /--shard splits a breadth-first search/],
    [['--strategy', 'dfs', '--checkpoint', 'CK_OUT'], /--checkpoint saves and continues a breadth-first search, not --strategy dfs/],
    [['--strategy', 'dfs', '--seed', '3'], /--seed does not apply to --strategy dfs \(it applies to random, pct and bounded/],
    [['--runs', '5'], /--runs does not apply to --strategy bfs/],
    [['--strategy', 'random', '--pct-depth', '2'], /--pct-depth does not apply to --strategy random \(it applies to pct/],
    [['--checkpoint-every', '5'], /--checkpoint-every needs --checkpoint FILE/],
    [['--shard-depth', '2'], /--shard-depth needs --shard i\/N/],
    [['--json', '--format', 'lkml'], /--format lkml does not apply with --json/],
    [['--quiet', '--progress'], /--quiet does not apply with --progress/],
    [['--quiet', '--json'], /--quiet does not apply with --json/],
    [['--quiet', '--format', 'json'], /--quiet does not apply with --format json/],
    // --schedule replays one schedule: every option of a search is refused beside it.
    ...(
      [
        ['--strategy', 'dfs'],
        ['--seed', '3'],
        ['--runs', '5'],
        ['--pct-depth', '2'],
        ['--max-states', '100'],
        ['--max-depth', '4'],
        ['--time-limit', '5'],
        ['--workers', '0'],
        ['--memory', '512M'],
        ['--all-violations'],
        ['--por'],
        ['--no-por'],
        ['--sleep-sets'],
        ['--compare-por'],
        ['--symmetry'],
        ['--no-symmetry'],
        ['--shard', '0/2'],
        ['--shard-depth', '1'],
        ['--checkpoint', 'CK_OUT'],
        ['--checkpoint-every', '5'],
        ['--resume', 'CK'],
        ['--step-timeout', '5'],
        ['--progress'],
        ['--quiet'],
        ['--junit', 'CK_OUT'],
        ['--sarif', 'CK_OUT'],
      ] as const
    ).map((o): [string[], RegExp] => [['--schedule', 'mm1.0.1.0.1', ...o], new RegExp(`^mmrace: error E_USAGE: ${o[0]} does not apply with --schedule, which replays one schedule instead of searching`)]),
  ];
  const argsOf = (opts: string[]): string[] => opts.map((o) => (o === 'CK' ? ck : o === 'CK_OUT' ? out : o));

  // The command line runs in this process (the option rules are the same code as in the
  // binary, which the cases around these run): a child process each would cost a minute.
  it.each(refused.map(([opts, message]) => [opts.join(' '), opts, message] as const))('check MODEL %s: exit 2, one line E_USAGE', async (_, opts, message) => {
    const r = await runMain(['check', LOST_UPDATE, ...argsOf(opts)]);
    expectOneLineError({ ...r, lines: [], json: {} }, 'E_USAGE', message);
    expect(existsSync(out)).toBe(false);
  });

  it("the strategy a scenario gives: --workers N and --por refused for it too", () => {
    expectOneLineError(mmrace(['check', random, '--workers', '1']), 'E_USAGE', /--workers does not apply to --strategy random/);
    expectOneLineError(mmrace(['check', random, '--por']), 'E_USAGE', /--por does not apply to --strategy random/);
    expectOneLineError(mmrace(['check', dfs, '--workers', '1']), 'E_USAGE', /--workers does not apply to --strategy dfs/);
  });

  // [options]: each has an effect (or says "none" of what the strategy does not do anyway).
  const accepted: string[][] = [
    ...['dfs', 'random', 'pct', 'bounded'].flatMap((s) => [
      ['--strategy', s, '--workers', '0'],
      ['--strategy', s, '--workers', 'auto'],
      ['--strategy', s, '--max-depth', '6'],
      ['--strategy', s, '--max-states', '100'],
    ]),
    ...['random', 'pct', 'bounded'].map((s) => ['--strategy', s, '--no-por', '--no-symmetry', '--seed', '2']),
    ['--strategy', 'dfs', '--por', '--symmetry', '--compare-por', '--all-violations'],
    ['--all-violations', '--sleep-sets', '--compare-por', '--workers', '1'],
    ['--shard', '0/2', '--shard-depth', '1'],
    ['--checkpoint', 'CK_OUT', '--checkpoint-every', '5'],
    ['--quiet'],
    ['--format', 'md', '--quiet'],
    ['--json', '--format', 'json', '--progress'],
  ];
  it.each(accepted.map((opts) => [opts.join(' '), opts] as const))('check MODEL %s: accepted', async (_, opts) => {
    const r = await runMain(['check', LOST_UPDATE, ...argsOf(opts), '--trace', join(tmp(), 't.json')]);
    expect(r.stderr).not.toMatch(/error/);
    expect([1, 3]).toContain(r.code);
  });

  it('check MODEL --schedule S with --param, --trace, --format and --json: accepted, the replay of S', async () => {
    const found = await runMain(['check', LOST_UPDATE, '--trace', join(tmp(), 'found.json'), '--json']);
    const schedule = (JSON.parse(found.stdout.trimEnd().split('\n').at(-1)!) as { schedule: string }).schedule;
    const trace = join(tmp(), 's.json');
    for (const opts of [[], ['--format', 'md'], ['--format', 'lkml'], ['--json'], ['--trace', trace], ['--format', 'json']]) {
      const r = await runMain(['check', LOST_UPDATE, '--schedule', schedule, ...opts]);
      expect(r.stderr, opts.join(' ')).toBe('');
      expect(r.code, opts.join(' ')).toBe(1);
      expect(r.stdout).toContain('counted');
    }
    expect(existsSync(trace)).toBe(true);
    // A parameter the model does not have is refused as on any check.
    expectOneLineError({ ...(await runMain(['check', LOST_UPDATE, '--schedule', schedule, '--param', 'n=2'])), lines: [], json: {} }, 'E_PARAM');
  });

  it('mmrace ci --workers 1 --por --symmetry on scenarios of every strategy: each runs, the options where they fit', () => {
    const suite = tmp();
    mkdirSync(join(suite, 'sc'));
    for (const s of ['bfs', 'dfs', 'random', 'pct', 'bounded']) scenario(join(suite, 'sc'), `${s}.json`, { strategy: s });
    const r = mmrace(['ci', 'sc', '--workers', '1', '--por', '--symmetry', '--json'], suite);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
