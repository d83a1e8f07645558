/**
 * Start-up: what a user waits for before any search, measured on the package as it is
 * installed (bin/mmrace.js running dist/). Each command runs ROUNDS times, the commands
 * alternating, and each figure is its fastest run (wall time of the process, or of the
 * thread for the worker boot), beside `node -e 0` on the same machine at the same time.
 *
 *   node --import tsx bench/startup.ts     prints the section (npm run bench writes it to RESULTS.md)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = 10;
/** A seed violation whose search takes a few hundredths of a second. */
const SEED = 'scenarios/contpte/b-kernel.json';
const SEED_MODEL = 'models/contpte/contpte.ts';

interface Probe {
  readonly name: string;
  readonly command: string;
  readonly goal: number | null;
  /** Seconds of one run. */
  readonly run: () => number;
}

function wall(args: string[], expectCode: number): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== expectCode) throw new Error(`node ${args.join(' ')}: exit ${r.status}, expected ${expectCode}\n${r.stderr}`);
  return s;
}

const PROBES: readonly Probe[] = [
  { name: 'node alone', command: 'node -e 0', goal: null, run: () => wall(['-e', '0'], 0) },
  { name: 'mmrace --version', command: 'node bin/mmrace.js --version', goal: 0.25, run: () => wall(['bin/mmrace.js', '--version'], 0) },
  {
    name: 'a seed violation',
    command: `node bin/mmrace.js check ${SEED} --json --trace bench/.work/startup.trace.json`,
    goal: 0.5,
    run: () => wall(['bin/mmrace.js', 'check', SEED, '--json', '--trace', 'bench/.work/startup.trace.json'], 1),
  },
  {
    name: 'worker boot',
    command: `node bench/worker-boot.mjs ${SEED_MODEL} (the thread's boot alone)`,
    goal: 0.15,
    run: () => {
      const r = spawnSync(process.execPath, ['bench/worker-boot.mjs', SEED_MODEL], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bench/worker-boot.mjs: exit ${r.status}\n${r.stderr}`);
      return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number }).seconds;
    },
  },
];

const fmt = (s: number): string => s.toFixed(3);
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(', ');

/** The Markdown section. */
export function startupSection(): string[] {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build first');
  const before = load();
  const best = PROBES.map(() => Infinity);
  for (let i = 0; i < ROUNDS; i++) PROBES.forEach((p, k) => (best[k] = Math.min(best[k]!, p.run())));
  const node = best[0]!;
  const lines = [
    '## Start-up',
    '',
    `What a user waits for before any search, on the package as installed (bin/mmrace.js runs the compiled dist/; a model is bundled by esbuild and imported, in the main thread and in each worker). Each command ran ${ROUNDS} times, the four alternating; each figure is its fastest run. Load average before, after: ${before}; ${load()}.`,
    '',
    '| what | command | wall s | ÷ node -e 0 | goal | met |',
    '|---|---|--:|--:|--:|---|',
  ];
  PROBES.forEach((p, k) => {
    const s = best[k]!;
    lines.push(`| ${p.name} | \`${p.command}\` | ${fmt(s)} | ${k === 0 ? '1' : (s / node).toFixed(2)} | ${p.goal === null ? '–' : `≤ ${p.goal}`} | ${p.goal === null ? '–' : s <= p.goal ? 'yes' : '**no**'} |`);
  });
  lines.push('', 'The worker boot is the time from starting a pool of one thread to the model imported in it (bench/worker-boot.mjs): node\'s worker, the search code of dist/ and the model\'s bundle; no TypeScript is compiled in a worker.');
  return lines;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(startupSection().join('\n'));
}
