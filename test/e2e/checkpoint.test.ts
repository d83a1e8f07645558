/**
 * Interrupted runs on the command line: `check` stopped by a real SIGINT or SIGTERM
 * saves its search (--checkpoint) and exits 3 with its partial statistics; `--resume`
 * goes on with it, also when the resumed run is stopped and resumed again, and ends with
 * the counts, verdict and counterexample of a run never stopped (which the sequential
 * engine computes independently). A checkpoint of another search, or a damaged one, is
 * exit 2, one line, E_CHECKPOINT.
 *
 * How the runs are interrupted, without timing: each is started with --checkpoint-every
 * 0.001, so that it saves its search at every level boundary, and the test reads the
 * checkpoint's header until the run has saved the depth wanted, then sends the signal.
 * Where the signal lands (at a boundary, or in the middle of a level, which is then
 * undone) varies from run to run; the end must not. A run must still be searching when
 * the signal comes, so each scenario here searches for a second or more after the depth
 * it is interrupted at.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledModel, loadModel, loadScenario } from '../../src/index.js';
import { readCheckpointHeader } from '../../src/engine/checkpoint.js';
import { checkOnLevels } from '../props/results.js';
import { withHeader } from '../unit/engine/checkpoint-files.js';
import { bin, expectOneLineError, mmrace, root, tmp, type Run } from './run.js';

const S16 = 'scenarios/contpte/s-n16.json';
/**
 * A violation found late: 2.4 million states, at depth 9, about 1.5 s of search. The run
 * interrupted once it has saved depth 2 must still be searching when the signal comes; a
 * violation found within a few hundred milliseconds (b-kernel-n16) left too short a window.
 */
const LATE_VIOLATION = 'scenarios/trans_pgd/vf-hibernate-inv-other-n6.json';

/** Temporary folders of this file, removed at its end (checkpoints of s-n16 are up to 16 MiB each). */
const scratches: string[] = [];
const scratch = (): string => {
  const d = tmp('mmrace-ck-e2e-');
  scratches.push(d);
  return d;
};
afterAll(() => {
  for (const d of scratches) rmSync(d, { recursive: true, force: true });
});

/** A run of the CLI in the background, to be signalled. */
interface Child {
  readonly pid: number;
  readonly signal: (s: NodeJS.Signals) => void;
  /** What it printed so far on stderr. */
  readonly stderr: () => string;
  /** Set once it has exited. */
  readonly exited: () => boolean;
  readonly done: Promise<Ended>;
}

/** How a background run ended: its output, and the signal that ended it, if one did. */
type Ended = Run & { readonly signal: NodeJS.Signals | null };

function start(args: string[]): Child {
  const p = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, CI: 'true' } });
  let stdout = '';
  let stderr = '';
  let exited = false;
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ended>((resolve) =>
    p.on('close', (code, signal) => {
      exited = true;
      const lines = stdout.trimEnd().split('\n');
      let json: Record<string, any> = {};
      try {
        json = JSON.parse(lines[lines.length - 1] ?? '');
      } catch {
        /* text output */
      }
      resolve({ code, signal, stdout, stderr, lines, json });
    }),
  );
  return { pid: p.pid!, signal: (s) => void p.kill(s), stderr: () => stderr, exited: () => exited, done };
}

/** The depth the checkpoint `file` holds, or -1 while there is none. */
function savedDepth(file: string): number {
  try {
    return readCheckpointHeader(file).search.depth;
  } catch {
    return -1;
  }
}

/**
 * Waits until `child` has saved its search at depth `depth` or deeper. A run that ends
 * first fails the test: it could not be interrupted where the test meant to.
 */
async function saved(child: Child, file: string, depth: number): Promise<void> {
  while (savedDepth(file) < depth) {
    if (child.exited()) {
      const r = await child.done;
      throw new Error(`the run ended (exit ${r.code}) before it saved depth ${depth}: ${r.stderr}`);
    }
    await sleep(10);
  }
}

/** Sends `child` `signal` once it has saved depth `depth`, and waits for its end. */
async function interruptAt(child: Child, file: string, depth: number, signal: NodeJS.Signals): Promise<Ended> {
  await saved(child, file, depth);
  child.signal(signal);
  return child.done;
}

/** What must be the same in a resumed run and one never stopped. */
const counts = (j: Record<string, any>) => ({ verdict: j['verdict'], states: j['states'], transitions: j['transitions'], depth: j['depth'], property: j['property'] });

/** The schedule of a trace file. */
const schedule = (file: string) => JSON.parse(readFileSync(file, 'utf8')).schedule;

/**
 * `mmrace(args)`, failing with what it printed when the child did not exit by itself (a
 * signal from elsewhere, a spawn that failed), rather than with a wrong exit code.
 */
function cli(args: string[]): Run {
  const r = mmrace(args);
  if (r.code === null) throw new Error(`mmrace ${args.join(' ')} did not exit by itself; stderr: ${r.stderr}`);
  return r;
}

/** The arguments of a `npx mmrace …` command the CLI printed (its paths have no spaces here). */
const argsOf = (command: string): string[] => command.replace(/^npx mmrace /, '').split(' ');

describe('check interrupted by a signal, then resumed', () => {
  it('s-n16 at --workers 0: SIGINT saves the search and exits 3; --resume ends as a run never stopped', async () => {
    const dir = scratch();
    const ck = join(dir, 's.ck');
    const whole = cli(['check', S16, '--workers', '0', '--json']);
    expect(whole.code).toBe(0);
    const child = start(['check', S16, '--workers', '0', '--checkpoint', ck, '--checkpoint-every', '0.001', '--json']);
    const r = await interruptAt(child, ck, 8, 'SIGINT');
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ verdict: 'incomplete', limit: 'interrupted', signal: 'SIGINT', checkpoint: { file: ck, reason: 'interrupted' } });
    expect(r.json['states']).toBeLessThan(whole.json['states']);
    expect(r.json['depth']).toBeGreaterThanOrEqual(8);
    expect(r.stderr).toContain(`mmrace: SIGINT: stopping the search and saving it to ${ck}`);
    // The checkpoint holds what the run reported.
    const h = readCheckpointHeader(ck);
    expect([h.search.states, h.search.transitions, h.search.depth]).toEqual([r.json['states'], r.json['transitions'], r.json['depth']]);
    const resumed = cli(['check', S16, '--workers', '0', '--resume', ck, '--json']);
    expect(resumed.code).toBe(0);
    expect(counts(resumed.json)).toEqual(counts(whole.json));
    expect(resumed.json['resumedFrom']).toBe(ck);
  });

  it('s-n16 at --workers 2: SIGTERM; the printed resume command, stopped again deeper and resumed again, ends the same', async () => {
    const dir = scratch();
    const ck = join(dir, 's.ck');
    const whole = cli(['check', S16, '--workers', '0', '--json']);
    const first = await interruptAt(start(['check', S16, '--workers', '2', '--checkpoint', ck, '--checkpoint-every', '0.001']), ck, 6, 'SIGTERM');
    expect(first.code).toBe(3);
    const depth1 = Number(/^INCOMPLETE: interrupted by SIGTERM at depth (\d+); no violation in the [\d,]+ states explored/m.exec(first.stdout)?.[1]);
    expect(depth1).toBeGreaterThanOrEqual(6);
    expect(first.stdout).toContain(`checkpoint written to ${ck}`);
    const command = /^resume: (.*)$/m.exec(first.stdout)?.[1] ?? '';
    expect(command).toBe(`npx mmrace check ${S16} --resume ${ck} --checkpoint ${ck}`);
    // The command it printed, on 2 workers, saving at every level, stopped 8 levels deeper.
    const again = start([...argsOf(command), '--workers', '2', '--checkpoint-every', '0.001', '--json']);
    const second = await interruptAt(again, ck, depth1 + 8, 'SIGINT');
    expect(second.code).toBe(3);
    expect(second.json).toMatchObject({ verdict: 'incomplete', limit: 'interrupted', resumedFrom: ck });
    expect(second.json['depth']).toBeGreaterThanOrEqual(depth1 + 8);
    const last = cli(['check', S16, '--workers', '2', '--resume', ck, '--json']);
    expect(last.code).toBe(0);
    expect(counts(last.json)).toEqual(counts(whole.json));
  });

  it.each([['0'], ['2']])('vf-hibernate-inv-other-n6 at --workers %s: resumed, the same violation and counterexample', async (workers) => {
    const dir = scratch();
    const ck = join(dir, 'k.ck');
    const whole = cli(['check', LATE_VIOLATION, '--workers', '0', '--trace', join(dir, 'whole.json'), '--json']);
    expect(whole.code).toBe(1);
    const r = await interruptAt(start(['check', LATE_VIOLATION, '--workers', workers, '--checkpoint', ck, '--checkpoint-every', '0.001', '--json']), ck, 2, 'SIGINT');
    expect([r.code, r.json['verdict'], r.json['limit']]).toEqual([3, 'incomplete', 'interrupted']);
    const resumed = cli(['check', LATE_VIOLATION, '--workers', workers, '--resume', ck, '--trace', join(dir, 'resumed.json'), '--json']);
    expect(resumed.code).toBe(1);
    expect(counts(resumed.json)).toEqual(counts(whole.json));
    expect(schedule(join(dir, 'resumed.json'))).toEqual(schedule(join(dir, 'whole.json')));
  });

  it('a second SIGINT while the search stops ends mmrace at once, leaving no half-written checkpoint', async () => {
    const dir = scratch();
    const ck = join(dir, 's.ck');
    const child = start(['check', S16, '--workers', '0', '--checkpoint', ck, '--checkpoint-every', '0.001', '--json']);
    await saved(child, ck, 3);
    child.signal('SIGINT');
    while (!child.stderr().includes('stopping the search') && !child.exited()) await sleep(5);
    child.signal('SIGINT');
    const r = await child.done;
    // At once: 130 (128 + SIGINT) while the search stops and saves; killed by it once the
    // search is over (the default handler is back); 3 if the run ended before it came.
    expect([3, 130, 'SIGINT']).toContain(r.code ?? r.signal);
    if (r.code === 130) expect(r.stderr).toContain('mmrace: SIGINT again: stopped at once');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(savedDepth(ck)).toBeGreaterThanOrEqual(3);
  });
});

describe('a checkpoint that cannot be resumed: exit 2, one line, E_CHECKPOINT', () => {
  const dir = scratch();
  const ck = join(dir, 's.ck');

  /** A checkpoint of scenarios/contpte/s.json as `check` saves it (reductions on), stopped before anything was expanded. */
  beforeAll(async () => {
    const s = loadScenario(join(root, 'scenarios/contpte/s.json'));
    const { model, path } = await loadModel(s.modelPath);
    const opts = { por: true, symmetry: true, workers: 1, inThreadBelow: Infinity };
    await checkOnLevels(new CompiledModel(model, s.params), path, { ...opts, signal: AbortSignal.abort(), checkpoint: { file: ck } });
  });

  const resume = (args: string[], file = ck) => cli(['check', ...args, '--resume', file]);
  const copy = (name: string): string => {
    const f = join(dir, name);
    copyFileSync(ck, f);
    return f;
  };

  it('the checkpoint itself resumes (so each refusal below is for its one reason)', () => {
    const whole = cli(['check', 'scenarios/contpte/s.json', '--json']);
    const r = resume(['scenarios/contpte/s.json', '--json']);
    expect(r.code).toBe(0);
    expect(counts(r.json)).toEqual(counts(whole.json));
  });

  it('of another model, other parameters or other options', () => {
    expectOneLineError(resume(['scenarios/trans_pgd/v0.json']), 'E_CHECKPOINT', /cannot be resumed by this run: it is of model contpte; this run checks model \S+/);
    expectOneLineError(resume(['scenarios/contpte/s.json', '-p', 'n=5']), 'E_CHECKPOINT', /it was saved with other parameters: n=4 in the checkpoint, n=5 in this run \(/);
    expectOneLineError(resume(['scenarios/contpte/s.json', '--no-por']), 'E_CHECKPOINT', /other options: partial-order reduction \(--por, --no-por\) on in the checkpoint, off in this run \(/);
    expectOneLineError(resume(['scenarios/contpte/s.json', '--all-violations']), 'E_CHECKPOINT', /other options: --all-violations off in the checkpoint, on in this run \(/);
    expectOneLineError(resume(['scenarios/contpte/s.json', '--max-depth', '5']), 'E_CHECKPOINT', /other options: --max-depth none in the checkpoint, 5 in this run \(/);
    expectOneLineError(resume(['scenarios/contpte/s.json', '--shard', '0/2']), 'E_CHECKPOINT', /other options: --shard none in the checkpoint, 0\/2 in this run \(/);
  });

  it('of a model whose source changed since', async () => {
    // .mts: a module wherever it is (a .ts outside a "type": "module" package is not).
    const model = join(dir, 'lost-update.mts');
    // The example imports the modelling language as a user does, from 'mmrace/model': here, from src/.
    const source = readFileSync(join(root, 'examples/lost-update.ts'), 'utf8').replace("from 'mmrace/model'", `from ${JSON.stringify(join(root, 'src/model/index.ts'))}`);
    expect(source).not.toMatch(/from 'mmrace/);
    writeFileSync(model, source);
    const file = join(dir, 'lu.ck');
    const loaded = await loadModel(model);
    await checkOnLevels(new CompiledModel(loaded.model, {}), loaded.path, { por: true, symmetry: true, workers: 1, inThreadBelow: Infinity, signal: AbortSignal.abort(), checkpoint: { file } });
    // Unchanged, it resumes (lost-update has a lost update: exit 1).
    expect(resume([model, '--trace', join(dir, 'lu.trace.json')], file).code).toBe(1);
    appendFileSync(model, '// a comment changes the source\n');
    expectOneLineError(resume([model], file), 'E_CHECKPOINT', /another source of model lost-update: the model file changed since/);
  });

  it('truncated, corrupted, of an unknown version, not a checkpoint, or missing', () => {
    const cut = copy('cut.ck');
    truncateSync(cut, readFileSync(cut).length - 100);
    expectOneLineError(resume(['scenarios/contpte/s.json'], cut), 'E_CHECKPOINT', /is truncated/);
    const bad = copy('bad.ck');
    const bytes = readFileSync(bad);
    bytes[bytes.length - 1000] = bytes[bytes.length - 1000]! ^ 1;
    writeFileSync(bad, bytes);
    expectOneLineError(resume(['scenarios/contpte/s.json'], bad), 'E_CHECKPOINT', /is corrupted: its checksum does not match/);
    const v2 = join(dir, 'v2.ck');
    withHeader(ck, v2, (h) => (h['version'] = 2));
    expectOneLineError(resume(['scenarios/contpte/s.json'], v2), 'E_CHECKPOINT', /has format version 2; this mmrace .* reads version 1/);
    expectOneLineError(resume(['scenarios/contpte/s.json'], join(root, 'scenarios/contpte/s.json')), 'E_CHECKPOINT', /is not an mmrace checkpoint/);
    expectOneLineError(resume(['scenarios/contpte/s.json'], join(dir, 'none.ck')), 'E_CHECKPOINT', /cannot be read/);
    expect(existsSync(join(dir, 'none.ck'))).toBe(false);
  });

  it('DFS and the bug-hunting strategies cannot be saved or resumed (E_USAGE)', () => {
    expectOneLineError(cli(['check', 'scenarios/contpte/s.json', '--strategy', 'dfs', '--checkpoint', join(dir, 'd.ck')]), 'E_USAGE', /--checkpoint saves and continues a breadth-first search, not --strategy dfs/);
    expectOneLineError(resume(['scenarios/contpte/s.json', '--strategy', 'random']), 'E_USAGE', /--resume saves and continues a breadth-first search, not --strategy random/);
    expectOneLineError(cli(['check', 'scenarios/contpte/s.json', '--checkpoint-every', '5']), 'E_USAGE', /--checkpoint-every needs --checkpoint FILE/);
  });
});

describe('a signal stops every strategy, with what it explored', () => {
  /** Waits until `child` has printed a progress line (the search is under way), then sends SIGINT. */
  async function interruptRunning(child: Child): Promise<Ended> {
    while (!child.stderr().includes('  … states ')) {
      if (child.exited()) {
        const r = await child.done;
        throw new Error(`the run ended (exit ${r.code}) before its first progress line: ${r.stderr}`);
      }
      await sleep(20);
    }
    child.signal('SIGINT');
    return child.done;
  }

  // Each run would take minutes: the signal, not the search's end, stops it.
  for (const [what, args] of [
    ['DFS', ['bench/scenarios/1-contpte-n8-cpus3.json', '--strategy', 'dfs']],
    ['random walks', ['scenarios/contpte/s.json', '--strategy', 'random', '--runs', '1000000000']],
    ['pct', ['scenarios/contpte/s.json', '--strategy', 'pct', '--runs', '1000000000']],
  ] as const) {
    it(`${what}: SIGINT ends the search as incomplete (interrupted), exit 3, with its counts`, async () => {
      const r = await interruptRunning(start(['check', ...args, '--progress', '--json']));
      expect([r.code, r.signal], r.stderr).toEqual([3, null]);
      expect(r.json).toMatchObject({ verdict: 'incomplete', limit: 'interrupted', signal: 'SIGINT' });
      expect(r.json['states']).toBeGreaterThan(0);
      expect(r.stderr).toContain('mmrace: SIGINT: stopping the search');
    });
  }
});
