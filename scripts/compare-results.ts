/**
 * Before/after check for changes that must not change a result: runs every scenario
 * through the CLI of a base revision (in a git worktree) and of this checkout, under
 * several strategies and worker counts, and compares what each printed and wrote:
 * verdict, property, kind, states, transitions, depth, limit, the bug-hunting fields,
 * and the counterexample (initial state, schedule, violation or error). Times, sizes,
 * worker counts and version strings are not compared.
 *
 *   node --import tsx scripts/compare-results.ts --base <rev> [--deep] [--jobs N]
 *        [--only REGEX] [--configs bfs0,bfs2,...] [--keep]
 *
 * Exit 0 when every run agrees, 1 with the differences listed, 2 on a usage error.
 * `--messages` also compares the violation messages (a change of wording shows then).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

interface Config {
  readonly name: string;
  readonly args: readonly string[];
}

/** The runs made of each scenario: BFS at 0 and 2 workers, without POR, DFS, and the bug-hunting strategies. */
const CONFIGS: readonly Config[] = [
  { name: 'bfs0', args: ['--workers', '0'] },
  { name: 'bfs2', args: ['--workers', '2'] },
  { name: 'bfs0-nopor', args: ['--workers', '0', '--no-por'] },
  { name: 'dfs', args: ['--strategy', 'dfs'] },
  { name: 'random', args: ['--strategy', 'random', '--runs', '300'] },
  { name: 'pct', args: ['--strategy', 'pct', '--runs', '300'] },
  { name: 'bounded', args: ['--strategy', 'bounded', '--runs', '300'] },
];

/** Result fields compared (the rest are times, sizes and the run's own settings). */
const FIELDS = ['verdict', 'property', 'kind', 'states', 'transitions', 'depth', 'limit', 'code', 'seed', 'runs', 'pctDepth', 'preemptions', 'preemptionBound', 'reductions', 'expectationMet', 'steps'] as const;

function usage(msg: string): never {
  process.stderr.write(`compare-results: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const o = { base: '', deep: false, jobs: 2, only: null as RegExp | null, configs: CONFIGS, keep: false, messages: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--base') o.base = val();
    else if (a === '--deep') o.deep = true;
    else if (a === '--jobs') o.jobs = Math.max(1, Number(val()) || 1);
    else if (a === '--only') o.only = new RegExp(val());
    else if (a === '--configs') {
      const names = val().split(',');
      o.configs = CONFIGS.filter((c) => names.includes(c.name));
      if (o.configs.length !== names.length) usage(`unknown config in ${names.join(',')}; known: ${CONFIGS.map((c) => c.name).join(',')}`);
    } else if (a === '--keep') o.keep = true;
    else if (a === '--messages') o.messages = true;
    else usage(`unknown argument ${a}`);
  }
  if (!o.base) usage('--base <rev> is required');
  return o;
}

function scenarioFiles(dir: string, deep: boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.json')) {
        const json = JSON.parse(readFileSync(p, 'utf8')) as { tags?: string[] };
        if (deep || !(json.tags ?? []).includes('deep')) out.push(p);
      }
    }
  };
  walk(dir);
  return out;
}

interface Outcome {
  readonly exit: number | null;
  readonly result: Record<string, unknown> | null;
  readonly trace: Record<string, unknown> | null;
  readonly stderr: string;
}

function runOne(tree: string, scenario: string, cfg: Config, traceFile: string): Promise<Outcome> {
  return new Promise((done) => {
    const args = [join(tree, 'bin/mmrace.js'), 'check', scenario, '--json', '--quiet', '--trace', traceFile, ...cfg.args];
    const child = spawn(process.execPath, args, { cwd: tree, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (exit) => {
      const last = out.trim().split('\n').pop() ?? '';
      let result: Record<string, unknown> | null = null;
      try {
        result = JSON.parse(last) as Record<string, unknown>;
      } catch {
        /* no JSON: compared as such */
      }
      let trace: Record<string, unknown> | null = null;
      if (existsSync(traceFile)) trace = JSON.parse(readFileSync(traceFile, 'utf8')) as Record<string, unknown>;
      done({ exit, result, trace, stderr: err.trim().split('\n').slice(-2).join(' | ') });
    });
  });
}

/** What is compared of one run. */
function essence(o: Outcome, messages: boolean): unknown {
  const r = o.result ?? {};
  const fields = Object.fromEntries(FIELDS.filter((f) => r[f] !== undefined).map((f) => [f, r[f]]));
  const t = o.trace;
  const violation = t?.['violation'] as { kind?: string; property?: string; message?: string } | undefined;
  const error = t?.['error'] as { code?: string } | undefined;
  const trace = t
    ? {
        params: (t['model'] as { params?: unknown } | undefined)?.params,
        init: t['init'],
        schedule: t['schedule'],
        verdict: t['verdict'],
        violation: violation ? { kind: violation.kind, property: violation.property, ...(messages ? { message: violation.message } : {}) } : undefined,
        error: error ? { code: error.code } : undefined,
      }
    : null;
  return { exit: o.exit, ...fields, trace };
}

async function pool<T>(items: readonly T[], jobs: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const head = resolve('.');
  const work = mkdtempSync(join(tmpdir(), 'mmrace-compare-'));
  const base = join(work, 'base');
  execFileSync('git', ['worktree', 'add', '--detach', base, o.base], { stdio: 'ignore' });
  symlinkSync(join(head, 'node_modules'), join(base, 'node_modules'));
  try {
    const files = scenarioFiles(join(head, 'scenarios'), o.deep).filter((f) => o.only === null || o.only.test(f));
    const runs = files.flatMap((f) => o.configs.map((cfg) => ({ file: relative(head, f), cfg })));
    const diffs: string[] = [];
    let n = 0;
    await pool(runs, o.jobs, async ({ file, cfg }) => {
      const tag = `${file.replace(/[/.]/g, '_')}.${cfg.name}`;
      const [a, b] = [await runOne(base, file, cfg, join(work, `${tag}.base.json`)), await runOne(head, file, cfg, join(work, `${tag}.head.json`))];
      const [ea, eb] = [JSON.stringify(essence(a, o.messages)), JSON.stringify(essence(b, o.messages))];
      n++;
      if (ea !== eb) {
        diffs.push(`${file} [${cfg.name}]\n  base: ${ea}${a.stderr ? `\n  base stderr: ${a.stderr}` : ''}\n  head: ${eb}${b.stderr ? `\n  head stderr: ${b.stderr}` : ''}`);
        process.stdout.write('x');
      } else process.stdout.write('.');
    });
    process.stdout.write('\n');
    for (const d of diffs) process.stdout.write(`${d}\n`);
    process.stdout.write(`${n} runs of ${files.length} scenarios against ${o.base}: ${diffs.length} differ\n`);
    return diffs.length === 0 ? 0 : 1;
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', base], { stdio: 'ignore' });
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
