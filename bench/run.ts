/**
 * `npm run bench [-- --quick]`: mmrace against SPIN on the same models, side by side
 * in one run, written to bench/RESULTS.md (with --quick: bench/.work/RESULTS-quick.md).
 *
 * For each size of the counter model: mmrace's CLI in a fresh process (--json), then
 * bench/promela/counter.pml through `spin -a`, `gcc -O2 -DSAFETY` and pan, once with
 * SPIN's default partial-order reduction and once with -DNOREDUCE (the full space, the
 * one mmrace explores). Rates are states per second of search time: mmrace's own
 * `seconds`, pan's "elapsed time". Scratch files go to bench/.work/.
 */
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { huntSection } from './hunt.js';
import { startupSection } from './startup.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'bench', '.work');
const QUICK = process.argv.includes('--quick');
const OUT = QUICK ? 'bench/.work/RESULTS-quick.md' : 'bench/RESULTS.md';
/** [threads, incs]: 1.3M, 6.0M and 9.9M states in the full runs. */
const SIZES: readonly (readonly [number, number])[] = QUICK
  ? [[2, 2], [3, 3], [4, 3]]
  : [[4, 4], [4, 5], [5, 3]];
const CONTPTE = 'bench/scenarios/contpte-n16.json';
/** Each figure is the fastest of this many runs (the machine may carry other load). */
const RUNS = QUICK ? 1 : 3;
/** pan's depth bound: far above the counter's depth (4·T·L); a cut search fails the run. */
const PAN_DEPTH = 100_000;
/** pan's memory bound in MB: three quarters of this machine's memory. */
const MEMLIM = Math.floor((totalmem() * 0.75) / 2 ** 20);

class BenchError extends Error {}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  wall: number;
}

/** Runs a command to completion; `echo` picks stdout lines to show as progress. */
function exec(cmd: string, args: string[], cwd: string, echo?: (line: string) => boolean, stderr: 'pipe' | 'inherit' = 'pipe'): Promise<Ran> {
  return new Promise((done, reject) => {
    const t0 = performance.now();
    const stdio: StdioOptions = ['ignore', 'pipe', stderr];
    const child = spawn(cmd, args, { cwd, stdio });
    let out = '';
    let err = '';
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!echo) return;
      const lines = (pending + d).split('\n');
      pending = lines.pop()!;
      for (const l of lines) if (echo(l)) console.log(`      ${l.trim()}`);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout: out, stderr: err, wall: (performance.now() - t0) / 1000 }));
  });
}

function firstLine(cmd: string, args: string[], hint: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new BenchError(`\`${cmd}\` is not available (${(r.error as NodeJS.ErrnoException).code}): ${hint}`);
  return (r.stdout + r.stderr).split('\n').find((l) => l.trim() !== '')?.trim() ?? '?';
}

// ---------------------------------------------------------------------------------
// One measured run of a tool.

interface Row {
  tool: string;
  states: number;
  transitions: number;
  depth: number;
  /** Search time as the tool measures it. */
  seconds: number;
  /** Wall time of the process (mmrace: node start and model load included). */
  wall: number;
  /** spin -a plus gcc, for SPIN builds. */
  build: number | null;
  verdict: string;
  /** mmrace on a scenario: whether the verdict is the expected one. */
  expectationMet?: boolean | undefined;
  /** mmrace's breadth-first search: bytes of its fingerprint set. */
  fingerprintBytes?: number | undefined;
  /** mmrace's breadth-first search: the worker threads that expanded levels. */
  workers?: number | undefined;
}

/** States per second of search; null when the search was too short for the tool's clock. */
const rate = (r: Row): number | null => (r.seconds > 0 ? r.states / r.seconds : null);

interface MmraceJson {
  verdict: string;
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  expectationMet?: boolean;
  fingerprintBytes?: number;
  workers?: number;
}

async function mmrace(args: string[], tool = 'mmrace (BFS)'): Promise<Row> {
  const r = await exec(process.execPath, ['bin/mmrace.js', 'check', ...args, '--json', '--progress'], ROOT, undefined, 'inherit');
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let json: MmraceJson;
  try {
    json = JSON.parse(last) as MmraceJson;
  } catch {
    throw new BenchError(`mmrace check ${args.join(' ')} printed no JSON result (exit ${r.code}):\n${r.stdout}`);
  }
  for (const k of ['states', 'transitions', 'depth', 'seconds'] as const) {
    if (typeof json[k] !== 'number') throw new BenchError(`mmrace's JSON lacks ${k}: ${last}`);
  }
  const { verdict, states, transitions, depth, seconds, expectationMet, fingerprintBytes, workers } = json;
  return { tool, verdict, states, transitions, depth, seconds, wall: r.wall, build: null, expectationMet, fingerprintBytes, workers };
}

/** The run with the shortest search of RUNS runs, reported as it goes. */
async function best(run: () => Promise<Row>): Promise<Row> {
  let b: Row | null = null;
  for (let i = 0; i < RUNS; i++) {
    const r = await run();
    console.log(`    ${fmtInt(r.states)} states in ${fmtSec(r.seconds)} s: ${fmtRate(r)} states/s`);
    if (b === null || r.seconds < b.seconds) b = r;
  }
  return b!;
}

/** The number after or before a label in pan's report. */
function panNumber(out: string, re: RegExp, what: string): number {
  const m = re.exec(out);
  if (!m) throw new BenchError(`pan's output has no ${what}:\n${out}`);
  return Number(m[1]);
}

async function pan(dir: string, bin: string, tool: string, hashBits: number, build: number): Promise<Row> {
  const r = await exec(join(dir, bin), [`-m${PAN_DEPTH}`, `-w${hashBits}`], dir, (l) => l.startsWith('Depth='));
  const out = r.stdout + r.stderr;
  const bad = /max search depth too small|depth limit|Search not completed|out of memory|MEMLIM bound/i.exec(out);
  if (bad) throw new BenchError(`${tool}: pan says "${bad[0]}"; its search is not complete:\n${out}`);
  const errors = panNumber(out, /errors: (\d+)/, 'error count');
  if (errors !== 0 || r.code !== 0) throw new BenchError(`${tool}: pan found ${errors} errors (exit ${r.code}):\n${out}`);
  return {
    tool,
    states: panNumber(out, /^\s*([\d.e+]+) states, stored/m, 'states stored'),
    transitions: panNumber(out, /^\s*([\d.e+]+) transitions \(= stored\+matched\)/m, 'transitions'),
    depth: panNumber(out, /depth reached (\d+)/, 'depth'),
    seconds: panNumber(out, /pan: elapsed time ([\d.e+-]+) seconds/, 'elapsed time'),
    wall: r.wall,
    build,
    verdict: 'safe',
  };
}

async function timed(what: string, cmd: string, args: string[], cwd: string): Promise<number> {
  const r = await exec(cmd, args, cwd);
  if (r.code !== 0) throw new BenchError(`${what} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return r.wall;
}

// ---------------------------------------------------------------------------------
// The counter at one size: mmrace, then SPIN with and without partial-order reduction.

interface SizeResult {
  threads: number;
  incs: number;
  rows: [Row, Row, Row];
  match: boolean;
}

async function counter(threads: number, incs: number): Promise<SizeResult> {
  const sp = `threads=${threads} incs=${incs}`;
  console.log(`  mmrace ${sp} …`);
  // One thread, as pan runs: a per-core comparison.
  const m = await best(() => mmrace(['models/counter/counter.ts', '-p', `threads=${threads}`, '-p', `incs=${incs}`, '--workers', '0']));
  if (m.verdict !== 'safe') throw new BenchError(`mmrace: counter ${sp} is ${m.verdict}, expected safe`);

  const dir = join(WORK, `counter-t${threads}-l${incs}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(ROOT, 'bench', 'promela', 'counter.pml'), join(dir, 'counter.pml'));
  console.log(`  spin -a -DTHREADS=${threads} -DINCS=${incs} counter.pml …`);
  const gen = await timed('spin -a', 'spin', ['-a', `-DTHREADS=${threads}`, `-DINCS=${incs}`, 'counter.pml'], dir);
  // A hash table with at least as many slots as states (pan's -w is log2 of the slots).
  const hashBits = Math.max(18, Math.ceil(Math.log2(m.states)));
  const builds = [
    { bin: 'pan-por', tool: 'SPIN, POR (default)', flags: [] as string[] },
    { bin: 'pan-full', tool: 'SPIN, -DNOREDUCE', flags: ['-DNOREDUCE'] },
  ];
  const rows: Row[] = [];
  for (const b of builds) {
    console.log(`  ${['gcc', '-O2', '-DSAFETY', ...b.flags, '-o', b.bin, 'pan.c'].join(' ')} …`);
    const cc = await timed('gcc', 'gcc', ['-O2', '-DSAFETY', `-DMEMLIM=${MEMLIM}`, ...b.flags, '-o', b.bin, 'pan.c'], dir);
    console.log(`  ./${b.bin} -m${PAN_DEPTH} -w${hashBits} …`);
    rows.push(await best(() => pan(dir, b.bin, b.tool, hashBits, gen + cc)));
  }
  const full = rows[1]!;
  const match = full.states === m.states && full.transitions === m.transitions + 1;
  if (!match) {
    console.log(`  !! state space differs: mmrace ${m.states} states ${m.transitions} transitions, SPIN -DNOREDUCE ${full.states} / ${full.transitions}`);
  }
  return { threads, incs, rows: [m, rows[0]!, full], match };
}

// ---------------------------------------------------------------------------------
// Report.

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtSec = (s: number): string => (s < 10 ? s.toFixed(2) : s.toFixed(1));
const fmtRate = (r: Row): string => {
  const v = rate(r);
  return v === null ? 'too fast to time' : fmtInt(v);
};
const fmtRatio = (a: Row, b: Row): string => {
  const x = rate(a);
  const y = rate(b);
  return x === null || y === null ? '–' : (x / y).toFixed(2);
};

/** Load averages (1, 5, 15 min): other work on the machine skews the figures. */
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(', ');

function machine(spin: string, gcc: string, loadBefore: string): string[] {
  let cpu = cpus()[0]?.model ?? '?';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: keep os.cpus()
  }
  return [
    '| | |',
    '|---|---|',
    `| date | ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} |`,
    `| nproc | ${availableParallelism()} |`,
    `| CPU | ${cpu} |`,
    `| memory | ${(totalmem() / 2 ** 30).toFixed(1)} GiB |`,
    `| node | ${process.version} |`,
    `| spin | ${spin} |`,
    `| gcc | ${gcc} |`,
    `| command | \`npm run bench${QUICK ? ' -- --quick' : ''}\` |`,
    `| load average before, after | ${loadBefore}; ${load()} |`,
    `| runs | each figure is the fastest search of ${RUNS} run${RUNS > 1 ? 's' : ''} |`,
  ];
}

function counterTables(results: SizeResult[]): string[] {
  const lines = [
    '## counter',
    '',
    'mmrace: `models/counter/counter.ts`; SPIN: `bench/promela/counter.pml`, same states (see "How to read").',
    'Rates are states stored per second of search time; a ratio is mmrace\'s rate divided by SPIN\'s.',
    '',
    '| threads × incs | states | mmrace states/s | SPIN POR states/s | SPIN NOREDUCE states/s | mmrace ÷ SPIN POR | mmrace ÷ SPIN NOREDUCE | same state space |',
    '|---|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of results) {
    const [m, por, full] = r.rows;
    lines.push(
      `| ${r.threads} × ${r.incs} | ${fmtInt(m.states)} | ${fmtRate(m)} | ${fmtRate(por)} | ${fmtRate(full)} | ${fmtRatio(m, por)} | ${fmtRatio(m, full)} | ${r.match ? 'yes' : '**NO**'} |`,
    );
  }
  for (const r of results) {
    lines.push('', `### counter, threads=${r.threads} incs=${r.incs}`, '');
    lines.push('| tool | states | transitions | depth | search s | wall s | build s | states/s |', '|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const row of r.rows) {
      const build = row.build === null ? '–' : fmtSec(row.build);
      lines.push(
        `| ${row.tool} | ${fmtInt(row.states)} | ${fmtInt(row.transitions)} | ${row.depth} | ${fmtSec(row.seconds)} | ${fmtSec(row.wall)} | ${build} | ${fmtRate(row)} |`,
      );
    }
  }
  return lines;
}

function contpteTable(row: Row | null): string[] {
  const lines = ['## contpte, N=16', ''];
  if (row === null) return [...lines, `Skipped: \`${CONTPTE}\` does not exist yet. mmrace only (no SPIN twin).`];
  const met = row.expectationMet === undefined ? '' : `, expectation ${row.expectationMet ? 'met' : 'NOT met'}`;
  return [
    ...lines,
    `mmrace only (no SPIN twin): \`${CONTPTE}\`, verdict ${row.verdict}${met}.`,
    '',
    '| tool | states | transitions | depth | search s | wall s | states/s |',
    '|---|--:|--:|--:|--:|--:|--:|',
    `| ${row.tool} | ${fmtInt(row.states)} | ${fmtInt(row.transitions)} | ${row.depth} | ${fmtSec(row.seconds)} | ${fmtSec(row.wall)} | ${fmtRate(row)} |`,
  ];
}

/** The reference scenario of the workers benchmark: the first file of bench/scenarios/. */
const PARALLEL = `bench/scenarios/${readdirSync(join(ROOT, 'bench', 'scenarios')).filter((f) => f.endsWith('.json')).sort()[0]}`;
/** A second one, memory-bound (trivial steps): the hard case for scaling. */
const PARALLEL_COUNTER = 'bench/scenarios/counter-4x5.json';
/** Every bench scenario, and three seed scenarios of a second or more (safe, safe, a late violation). */
const WORKER_SCENARIOS = QUICK
  ? ['bench/scenarios/contpte-n16.json', 'scenarios/contpte/s-n16.json']
  : [
      ...readdirSync(join(ROOT, 'bench', 'scenarios'))
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => `bench/scenarios/${f}`),
      'scenarios/contpte/s-n16.json',
      'scenarios/trans_pgd/v0-n6.json',
      'scenarios/trans_pgd/vf-hibernate-inv-other-n6.json',
    ];
const CONFIGS = [
  ['--workers 0', ['--workers', '0']],
  ['default (auto)', []],
  ['--workers 1', ['--workers', '1']],
  ['--workers 2', ['--workers', '2']],
] as const;

/** One scenario under each of CONFIGS, side by side: the runs alternate, RUNS rounds; a row is a config's run of the shortest wall time. */
interface WorkerRows {
  readonly file: string;
  readonly rows: readonly Row[];
}

async function workerRows(file: string): Promise<WorkerRows> {
  const runs: Row[][] = CONFIGS.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [c, [label, extra]] of CONFIGS.entries()) {
      const r = await mmrace([file, ...extra], label);
      console.log(`    ${label}: ${fmtSec(r.seconds)} s search, ${fmtSec(r.wall)} s wall${r.workers ? ` (${r.workers} workers)` : ''}`);
      runs[c]!.push(r);
    }
  }
  return { file, rows: runs.map((rs) => rs.reduce((a, b) => (b.wall < a.wall ? b : a))) };
}

/** Every scenario of `scenarios/` (--deep too) through `mmrace ci`, at --workers 0 and by default, side by side. */
interface CiRows {
  readonly zero: number;
  readonly auto: number;
  /** Searches of one run: scenarios, and mutants among them (its summary line). */
  readonly searches: number;
  readonly mutants: number;
}

async function ciRows(): Promise<CiRows> {
  const best = { zero: Infinity, auto: Infinity, searches: 0, mutants: 0 };
  for (let i = 0; i < RUNS; i++) {
    for (const [k, extra] of [['zero', ['--workers', '0']], ['auto', []]] as const) {
      const r = await exec(process.execPath, ['bin/mmrace.js', 'ci', 'scenarios', '--deep', '--quiet', ...extra], ROOT);
      if (r.code !== 0) throw new BenchError(`mmrace ci scenarios --deep ${extra.join(' ')} exited ${r.code}:\n${r.stdout}`);
      console.log(`    ci --deep ${extra.join(' ') || '(default)'}: ${fmtSec(r.wall)} s wall`);
      best[k] = Math.min(best[k], r.wall);
      const summary = /^(\d+) passed, (\d+) failed, \d+ skipped(?:; mutants: \d+ of (\d+) killed)?$/m.exec(r.stdout);
      if (summary === null) throw new BenchError(`mmrace ci printed no summary line:\n${r.stdout}`);
      best.searches = Number(summary[1]) + Number(summary[2]);
      best.mutants = Number(summary[3] ?? 0);
    }
  }
  return best;
}

const same = (a: Row, b: Row): boolean => a.verdict === b.verdict && a.states === b.states && a.transitions === b.transitions && a.depth === b.depth;

function workersTable(all: readonly WorkerRows[], ci: CiRows): string[] {
  const ratio = (x: number, y: number): string => (y > 0 ? (x / y).toFixed(2) : '–');
  return [
    '## Workers: the default against --workers 0, 1 and 2',
    '',
    `Every file of \`bench/scenarios/\` and three seed scenarios, each under the four settings in turn (${RUNS} round${RUNS > 1 ? 's' : ''}; each figure is the run of the shortest wall time). The default is \`--workers auto\`: breadth-first levels in the main thread, and worker threads (one per idle core) only once the search has run three seconds, with levels of 65,536 states or more that still grow (the last four levels at least 1.1 times the four before) and cores idle, kept only while they run levels 1.2 times faster than the main thread (src/parallel/levels-pool.ts). The goals: the default's wall time at most 1.05× that of \`--workers 0\` everywhere, and on the reference scenario, 2 workers at least 1.8× the states per second of \`--workers 0\`.`,
    '',
    '| scenario | verdict | states | same result in all four | wall s: --workers 0 / default / 1 / 2 | workers the default used | default ÷ --workers 0 (wall) | 2 workers ÷ --workers 0 (states/s) | 2 workers ÷ 1 (states/s) |',
    '|---|---|--:|---|--:|--:|--:|--:|--:|',
    ...all.map(({ file, rows }) => {
      const [zero, auto, one, two] = rows as [Row, Row, Row, Row];
      const ok = same(zero, auto) && same(zero, one) && same(zero, two);
      return `| \`${file}\` | ${zero.verdict} | ${fmtInt(zero.states)} | ${ok ? 'yes' : '**NO**'} | ${[zero, auto, one, two].map((r) => fmtSec(r.wall)).join(' / ')} | ${auto.workers ?? 0} | ${ratio(auto.wall, zero.wall)} | ${fmtRatio(two, zero)} | ${fmtRatio(two, one)} |`;
    }),
    '',
    `- Every scenario of \`scenarios/\` (\`mmrace ci scenarios --deep\`, ${ci.searches} searches in one process: ${ci.searches - ci.mutants} scenarios and ${ci.mutants} mutants): ${fmtSec(ci.zero)} s wall at \`--workers 0\`, ${fmtSec(ci.auto)} s by default: **${ratio(ci.auto, ci.zero)}×**.`,
  ];
}

function parallelTable(file: string, rows: readonly Row[], title: string): string[] {
  const [seq, auto, one, two] = rows as [Row, Row, Row, Row];
  const all = same(seq, auto) && same(seq, one) && same(seq, two);
  const s = one.seconds / two.seconds;
  // Amdahl: the serial fraction that this speedup on 2 workers implies, and what it gives on 16.
  const f = Math.min(1, Math.max(0, 2 / s - 1));
  const at16 = 1 / (f + (1 - f) / 16);
  return [
    `## ${title}`,
    '',
    `\`${file}\`, side by side (the four runs alternate, ${RUNS} round${RUNS > 1 ? 's' : ''}; each row is its run of the shortest wall time). Same verdict, states, transitions and depth in all four: ${all ? 'yes' : '**NO**'}.`,
    '',
    '| run | verdict | states | transitions | depth | workers used | search s | wall s | states/s | states/s per worker |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.tool} | ${r.verdict} | ${fmtInt(r.states)} | ${fmtInt(r.transitions)} | ${r.depth} | ${r.workers ?? 0} | ${fmtSec(r.seconds)} | ${fmtSec(r.wall)} | ${fmtRate(r)} | ${r.workers ? fmtInt(r.states / r.seconds / r.workers) : '–'} |`),
    '',
    `- 2 workers over --workers 0: **${(seq.seconds / two.seconds).toFixed(2)}×** in search time, ${(seq.wall / two.wall).toFixed(2)}× in wall time; 1 worker costs ${(one.seconds / seq.seconds).toFixed(2)}× the time of --workers 0.`,
    `- 2 workers over 1: ${s.toFixed(2)}× in search time, ${(one.wall / two.wall).toFixed(2)}× in wall time (process start and model loading included).`,
    `- The default over --workers 0: ${(seq.wall / auto.wall).toFixed(2)}× in wall time.`,
    `- Amdahl's law reads a serial fraction of ${(f * 100).toFixed(0)}% into the speedup of 2 workers over 1, which would give ${at16.toFixed(1)}× on 16 workers if that fraction stayed the same (see "Scaling" below).`,
    ...(two.fingerprintBytes
      ? [
          `- Shared fingerprint set: ${(two.fingerprintBytes / 2 ** 20).toFixed(0)} MiB for ${fmtInt(two.states)} states, **${(two.fingerprintBytes / two.states).toFixed(1)} bytes per state** (10-byte entries at load ${((10 * two.states) / two.fingerprintBytes).toFixed(2)}).`,
        ]
      : []),
  ];
}

/** Safe scenarios of every seed model, searched with and without partial-order reduction. */
const POR_SCENARIOS = [
  'scenarios/contpte/s.json',
  'scenarios/contpte/s-readers.json',
  'scenarios/contpte/s-readers2.json',
  'scenarios/contpte/s-n16.json',
  'scenarios/contpte/efi-mm.json',
  'scenarios/direct_map/b0.json',
  'scenarios/direct_map/f-3pages.json',
  'scenarios/riscv_kexec/x.json',
  'scenarios/trans_pgd/v2-n6.json',
  'scenarios/xen/v-39.json',
  PARALLEL,
];

interface PorRow {
  file: string;
  full: Row;
  por: Row;
  both: Row;
  /** `--sleep-sets --no-symmetry` (sleep sets do not combine with symmetry), next to `por`. */
  sleep: Row;
}

async function porRows(): Promise<PorRow[]> {
  const out: PorRow[] = [];
  for (const file of POR_SCENARIOS) {
    if (!existsSync(join(ROOT, file))) continue;
    console.log(`  ${file}`);
    const full = await mmrace([file, '--workers', '0', '--no-por', '--no-symmetry'], 'no reduction');
    const por = await mmrace([file, '--workers', '0', '--por', '--no-symmetry'], 'partial-order reduction');
    const both = await mmrace([file, '--workers', '0'], 'both reductions (the default)');
    const sleep = await mmrace([file, '--workers', '0', '--por', '--sleep-sets', '--no-symmetry'], 'partial-order reduction with sleep sets');
    if (sleep.states !== por.states || sleep.depth !== por.depth || sleep.verdict !== por.verdict) {
      throw new BenchError(`${file}: sleep sets changed the search: ${sleep.verdict}, ${sleep.states} states, depth ${sleep.depth}; without them ${por.verdict}, ${por.states}, depth ${por.depth}`);
    }
    out.push({ file, full, por, both, sleep });
  }
  return out;
}

function porTable(rows: PorRow[], counters: SizeResult[]): string[] {
  return [
    '## Reductions: partial-order and symmetry',
    '',
    'Safe scenarios of every seed model, sequential engine (`--workers 0`): `--no-por --no-symmetry`, then `--por --no-symmetry`, then the default (both). Only actors declared `private` are reduced by partial-order reduction, and only actors declared `symmetric` (with two instances or more) by symmetry (docs/por.md); a model without either is searched in full.',
    '',
    '| scenario | verdicts | states, no reduction | states, POR | POR ÷ none | states, POR + symmetry | both ÷ none | search s (none / POR / both) |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
    ...rows.map(
      (r) =>
        `| \`${r.file}\` | ${r.full.verdict} / ${r.por.verdict} / ${r.both.verdict} | ${fmtInt(r.full.states)} | ${fmtInt(r.por.states)} | ${(r.por.states / r.full.states).toFixed(3)} | ${fmtInt(r.both.states)} | ${(r.both.states / r.full.states).toFixed(3)} | ${fmtSec(r.full.seconds)} / ${fmtSec(r.por.seconds)} / ${fmtSec(r.both.seconds)} |`,
    ),
    '',
    'Sleep sets (`--sleep-sets`, docs/por.md) on the same scenarios, next to `--por --no-symmetry`: the same states and depth, fewer transitions, and the time it takes.',
    '',
    '| scenario | states (POR / POR + sleep sets) | transitions, POR | transitions, POR + sleep sets | sleep ÷ POR | search s (POR / POR + sleep sets) |',
    '|---|--:|--:|--:|--:|--:|',
    ...rows.map(
      (r) =>
        `| \`${r.file}\` | ${fmtInt(r.por.states)} / ${fmtInt(r.sleep.states)} | ${fmtInt(r.por.transitions)} | ${fmtInt(r.sleep.transitions)} | ${(r.sleep.transitions / r.por.transitions).toFixed(3)} | ${fmtSec(r.por.seconds)} / ${fmtSec(r.sleep.seconds)} |`,
    ),
    '',
    "SPIN's own reduction on the Promela reference model (`bench/promela/counter.pml`, the same runs as above): every step of the counter touches a shared variable, so neither tool can reduce it.",
    '',
    '| threads × incs | SPIN states, POR | SPIN states, -DNOREDUCE | SPIN POR ÷ full | mmrace states (no private actor) |',
    '|---|--:|--:|--:|--:|',
    ...counters.map((c) => `| ${c.threads} × ${c.incs} | ${fmtInt(c.rows[1].states)} | ${fmtInt(c.rows[2].states)} | ${(c.rows[1].states / c.rows[2].states).toFixed(3)} | ${fmtInt(c.rows[0].states)} |`),
  ];
}

const SCALING = `## Scaling: what stays serial, and 16 cores

Breadth-first search is level-synchronous (src/engine/levels.ts). A level runs in the
main thread as the sequential search itself (src/engine/level-thread.ts), or on the
workers: they expand batches and claim successors in the shared fingerprint set
(lock-free, one CAS per new state; src/engine/batch.ts), and the main thread walks the
batch results in order as they arrive, while later batches still run
(src/engine/level-merge.ts). Every buffer the threads exchange is a SharedArrayBuffer
that is reused: a result's columns reach the main thread shared, not moved, and a level's
states stay in the results of the batches that claimed them (the walk copies no state;
a batch reads its states from the segments it spans). What does not run on the workers:

1. **The walk** (main thread, O(states) per level): read the takeover logs, number the kept
   successors and push their parent links (8 bytes per state, in chunks), and find the
   first event. It overlaps the workers, except for what is left when the last batch
   arrives. On a machine with as many workers as cores it also takes CPU time from the
   workers: in a CPU profile of the 2-worker run (\`node --cpu-prof\`) the main thread is
   busy about 2.2 s of 10.5, of which about 0.8 s is loading the model and the first
   levels run before the workers are ready, 0.3 s the walk and the page touches of item 3,
   0.3 s garbage collection, 0.15 s growing the set and 0.15 s handing out tasks.
2. **The barrier**: a level ends when its slowest batch does and the walk has caught up.
   Batch sizes are guided (each a share of what remains of the level: 8192 states, then
   smaller ones down to 256 at the end), and each worker holds one queued batch, so that
   it never waits for the main thread to hand it the next. Levels under 4096 states run
   in the main thread alone (the narrow first and last levels of a search). In that
   profile each worker waits about 0.65 s of 10.1 for tasks: the ends of levels, the
   growths, and between tasks while this thread, sharing the two cores, hands out the next.
3. **Growing the set**: the main thread moves every entry into a buffer 4 times larger
   (2 times once the set is 64 MiB) while the workers wait, with plain writes (no atomics:
   no other thread runs then). The larger set is allocated a level ahead and its pages
   are touched while the walk takes results, so the move takes no page fault: about
   0.15 s for 3.1 million entries here. Which growth comes next is guessed from how the
   levels grow, so that no set is prepared for a growth that never comes. The set starts at 64K entries (640 KiB): the first
   levels run while the workers start, and their claims would otherwise fault in a page
   of a large fresh buffer each.
4. **Start-up**: worker threads boot and import the model's bundle (see "Start-up" above:
   node's worker, the compiled search code and the model, no TypeScript compiled in the
   thread). With a number
   of workers given they start with the first level of 4096 states; by default only after
   three seconds of search, at a level of 65,536 states or more while the levels still
   grow, with cores idle (src/parallel/levels-pool.ts). Levels run in the main thread until the workers are
   ready; a worker's first batches also run before its JIT has warmed up. On a 2-core
   machine the boot takes the core the main thread does not use, and the main thread's
   levels slow down meanwhile (memory and caches are shared): this, not the search on the
   workers, is what the default loses on models whose levels do not run faster on two
   workers (the counter).
5. **Memory**: the fingerprint set is read and written at random; every worker shares the
   same memory system, so a memory-bound model (the counter, whose steps are trivial)
   scales worse than a model whose steps do real work (contpte).

At 16 cores: the Amdahl figures in the tables are what these measurements project if
nothing else changed; they count every cost of the 2-worker run that 1 worker does not
pay as serial, start-up included. The walk is one thread's work per state whatever the worker
count: about 0.05 µs per state here (walk and garbage collection) against about 1.5 µs
of expansion per state on one worker, so it would keep pace with about 30 workers.
What grows with the worker count is the barrier (item 2): the tail of each level and the
growths stay one thread's time while the rest shrinks, and start-up is paid once per
worker. What would raise efficiency further: let the next level's first batches start
while the last ones of this level finish (the walk already knows the next level's first
segments), grow the set on the workers in disjoint partitions with plain writes, and
split the set into per-worker partitions updated without atomics, the design of
distributed model checkers. None of this is done; the figures above are what the current
code measures.
`;

const HOW_TO_READ = `## How to read

- **Same state space.** \`counter.pml\` makes each mmrace step one SPIN transition, so with
  \`-DNOREDUCE\` pan stores exactly mmrace's states. Its transition count is mmrace's plus
  one: pan's "transitions (= stored+matched)" counts the initial state as reached.
  "same state space" checks both. With its default partial-order reduction SPIN may store
  fewer states; on this model it cannot reduce (every step touches a shared variable).
- **Rate** is states stored per second of the search alone: mmrace's \`seconds\` (after its
  model is loaded), pan's "elapsed time". *wall s* is the whole process: for mmrace it adds
  node's start and loading the model (bundled by esbuild); *build s* (\`spin -a\` plus \`gcc -O2\`)
  is paid by SPIN before any search and is not in its rate.
- **Ratio** = mmrace's rate ÷ SPIN's rate on the same size: 1.00 is parity, 0.50 means
  mmrace stores states half as fast as SPIN.
- **What is stored differs.** mmrace keeps a 64-bit fingerprint per state (hash
  compaction, with a reported collision probability) and searches breadth-first; pan
  keeps each full state vector (exact) and searches depth-first.
- Each run is a fresh process; each row is the run with the shortest search of the runs
  made (see *runs* above). Load from other processes on the machine still shows.
`;

async function main(): Promise<number> {
  const spin = firstLine('spin', ['-V'], 'install SPIN (on Debian or Ubuntu: apt-get install spin)');
  const gcc = firstLine('gcc', ['--version'], 'install a C compiler (on Debian or Ubuntu: apt-get install gcc)');
  mkdirSync(WORK, { recursive: true });
  const loadBefore = load();
  console.log(`mmrace vs SPIN${QUICK ? ' (quick)' : ''}: ${spin}; ${gcc}`);

  const results: SizeResult[] = [];
  for (const [i, [t, l]] of SIZES.entries()) {
    console.log(`[${i + 1}/${SIZES.length}] counter threads=${t} incs=${l}`);
    results.push(await counter(t, l));
  }

  let contpte: Row | null = null;
  if (existsSync(join(ROOT, CONTPTE))) {
    console.log(`contpte: mmrace ${CONTPTE} …`);
    contpte = await best(() => mmrace([CONTPTE, '--workers', '0']));
    console.log(`    verdict ${contpte.verdict}`);
  } else {
    console.log(`contpte: skipped, ${CONTPTE} does not exist yet`);
  }

  console.log('partial-order reduction:');
  const por = await porRows();

  console.log('bug hunting: mmrace pct and random vs fast-check');
  const hunt = await huntSection();

  const workers: WorkerRows[] = [];
  for (const file of WORKER_SCENARIOS) {
    console.log(`workers: ${file}`);
    workers.push(await workerRows(file));
  }
  console.log('workers: every scenario through mmrace ci --deep');
  const ci = await ciRows();
  const rowsOf = (file: string): readonly Row[] => workers.find((w) => w.file === file)!.rows;
  console.log('start-up: --version, a seed violation, a worker boot');
  const startup = startupSection();

  const doc = [
    '# Benchmark results: mmrace vs SPIN',
    '',
    `Written by \`npm run bench${QUICK ? ' -- --quick' : ''}\` (bench/run.ts) in one run; do not edit by hand. See bench/README.md.`,
    '',
    ...machine(spin, gcc, loadBefore),
    '',
    ...counterTables(results),
    '',
    ...contpteTable(contpte),
    '',
    ...porTable(por, results),
    '',
    ...hunt,
    '',
    ...workersTable(workers, ci),
    '',
    ...startup,
    '',
    ...(QUICK ? [] : [...parallelTable(PARALLEL, rowsOf(PARALLEL), 'Workers on the reference scenario'), '', ...parallelTable(PARALLEL_COUNTER, rowsOf(PARALLEL_COUNTER), 'Workers on a memory-bound model')]),
    '',
    SCALING,
    '',
    HOW_TO_READ,
  ].join('\n');
  writeFileSync(join(ROOT, OUT), doc);
  console.log(`wrote ${OUT}`);
  if (results.some((r) => !r.match)) {
    console.error('bench: mmrace and SPIN -DNOREDUCE explored different state spaces; the models have drifted apart');
    return 1;
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`bench: ${e instanceof BenchError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);
