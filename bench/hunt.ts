/**
 * The bug-hunting benchmark: how many runs, and how long, mmrace's bug-hunting strategies
 * (`pct`, `random`) and fast-check's scheduler (`fc.scheduler()`) need to find the seed
 * violation of each model.
 *
 * - mmrace: `node bin/mmrace.js check <scenario> --strategy pct|random --seed N --runs CAP
 *   --time-limit S --json`, one fresh process per seed (as bench/run.ts runs mmrace); the
 *   runs and search seconds are the ones its JSON result reports.
 * - fast-check, in this process: `fc.check` of an async property over `fc.scheduler()` and
 *   `fc.gen()` that runs the async rendition of the same scenario (bench/hunt/<model>.ts,
 *   on the runtime of bench/hunt/runtime.ts), with `seed: N`, `numRuns: CAP`,
 *   `endOnFailure` (no shrinking) and `fc.interruptAfterTimeLimit`; the number of the
 *   failing run is read from `counterexamplePath`, the time is the wall time of fc.check.
 *
 * `huntSection()` returns the Markdown section (bench/run.ts can splice it into
 * RESULTS.md); `node --import tsx bench/hunt.ts` (`npm run bench:hunt`) prints it, with
 * progress on stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { contpte } from './hunt/contpte.js';
import { directMap } from './hunt/direct_map.js';
import { riscvKexec } from './hunt/riscv_kexec.js';
import type { Rendition, Violation } from './hunt/runtime.js';
import { transPgd } from './hunt/trans_pgd.js';
import { xen } from './hunt/xen.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The seeds of every tool. */
export const SEEDS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/** Per seed: at most this many runs ... */
export const CAP_RUNS = 10_000;
/** ... and this many seconds of search. */
export const CAP_SECONDS = 5;
/** Past this many seconds for the whole benchmark, the remaining seeds are not run. */
export const BUDGET_SECONDS = 240;
/** mmrace's pct bug depth (its default). */
const PCT_DEPTH = 3;

export interface HuntCase {
  /** The model folder under models/. */
  readonly model: string;
  readonly rendition: Rendition;
}

/** One seed violation per seed model, with its async rendition. */
export const CASES: readonly HuntCase[] = [
  { model: 'contpte', rendition: contpte },
  { model: 'direct_map', rendition: directMap },
  { model: 'riscv_kexec', rendition: riscvKexec },
  { model: 'trans_pgd', rendition: transPgd },
  { model: 'xen', rendition: xen },
];

/** One seed of one tool. */
export interface Attempt {
  readonly seed: number;
  /** The expected violation was found within the caps. */
  readonly found: boolean;
  /** The run that found it; when not found, the runs made. */
  readonly runs: number;
  /** Search seconds (mmrace: its JSON `seconds`; fast-check: wall time of fc.check). */
  readonly seconds: number;
  /** The property of the violation found, if any (another one than expected is not "found"). */
  readonly property: string | null;
  /** Not run: the benchmark's time budget was spent. */
  readonly skipped?: boolean;
}

// ---------------------------------------------------------------------------------
// mmrace, one process per seed.

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export function mmraceArgs(scenario: string, strategy: 'pct' | 'random', seed: number, trace?: string): string[] {
  return [
    'bin/mmrace.js', 'check', scenario, '--strategy', strategy, '--seed', String(seed),
    '--runs', String(CAP_RUNS), '--time-limit', String(CAP_SECONDS), '--json',
    ...(trace === undefined ? [] : ['--trace', trace]),
  ];
}

export async function mmraceHunt(scenario: string, property: string, strategy: 'pct' | 'random', seed: number, traceDir: string): Promise<Attempt> {
  const r = await run(mmraceArgs(scenario, strategy, seed, join(traceDir, `${strategy}-${seed}.trace.json`)));
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let json: { verdict?: unknown; runs?: unknown; seconds?: unknown; property?: unknown };
  try {
    json = JSON.parse(last) as typeof json;
  } catch {
    throw new Error(`mmrace check ${scenario} --strategy ${strategy} --seed ${seed} printed no JSON result (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  }
  if (typeof json.runs !== 'number' || typeof json.seconds !== 'number') throw new Error(`mmrace's JSON lacks runs or seconds: ${last}`);
  if (json.verdict !== 'violation' && json.verdict !== 'incomplete') throw new Error(`mmrace check ${scenario}: verdict ${String(json.verdict)} (exit ${r.code}): ${last}`);
  const got = json.verdict === 'violation' && typeof json.property === 'string' ? json.property : null;
  return { seed, found: got === property, runs: json.runs, seconds: json.seconds, property: got };
}

// ---------------------------------------------------------------------------------
// fast-check's scheduler on the rendition, in this process.

export async function fastCheckHunt(r: Rendition, seed: number, capRuns = CAP_RUNS, capSeconds = CAP_SECONDS): Promise<Attempt> {
  let last: Violation | null = null;
  const property = fc.asyncProperty(fc.scheduler(), fc.gen(), async (s, g) => {
    last = null;
    const w = r.start(s, (n) => g(fc.integer, { min: 0, max: n - 1 }));
    last = await w.run();
    return last === null;
  });
  const t0 = performance.now();
  const out = await fc.check(property, {
    seed,
    numRuns: capRuns,
    endOnFailure: true,
    plugins: [fc.interruptAfterTimeLimit(capSeconds * 1000)],
  });
  const seconds = (performance.now() - t0) / 1000;
  if (!out.failed || out.counterexamplePath === null) return { seed, found: false, runs: out.numRuns, seconds, property: null };
  // The failing run: the first index of the counterexample path (no shrinking, so it is all of it).
  const runs = Number(out.counterexamplePath.split(':')[0]) + 1;
  if (runs !== out.numRuns) throw new Error(`fast-check: counterexamplePath ${out.counterexamplePath} but numRuns ${out.numRuns}`);
  if (out.errorInstance !== null && last === null) throw out.errorInstance;
  const got = (last as Violation | null)?.property ?? null;
  return { seed, found: got === r.property, runs, seconds, property: got };
}

// ---------------------------------------------------------------------------------
// The section.

/** Median over the seeds, a seed that did not find it counting as above every cap. */
function median(attempts: readonly Attempt[], pick: (a: Attempt) => number): number {
  const v = attempts.map((a) => (a.found ? pick(a) : Infinity)).sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

const fmtRuns = (x: number): string => (Number.isFinite(x) ? (Number.isInteger(x) ? String(x) : x.toFixed(1)) : `> cap`);
const fmtSecs = (x: number): string => (Number.isFinite(x) ? (x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(3) : x.toFixed(1)) : `> cap`);
const perSeed = (attempts: readonly Attempt[]): string =>
  attempts.map((a) => (a.skipped ? '–' : a.found ? String(a.runs) : a.property !== null ? `${a.property}@${a.runs}` : `✗${a.runs}`)).join(' ');

interface Row {
  readonly tool: string;
  readonly attempts: readonly Attempt[];
}

export async function huntSection(): Promise<string[]> {
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(', ');
  const t0 = performance.now();
  const overBudget = () => (performance.now() - t0) / 1000 > BUDGET_SECONDS;
  const traceDir = mkdtempSync(join(tmpdir(), 'mmrace-hunt-'));
  const tables: string[] = [];
  let skippedAny = false;
  try {
    /** One attempt per seed, until the time budget is spent. */
    const everySeed = async (hunt: (seed: number) => Promise<Attempt>): Promise<Attempt[]> => {
      const attempts: Attempt[] = [];
      for (const seed of SEEDS) {
        if (overBudget()) {
          attempts.push({ seed, found: false, runs: 0, seconds: 0, property: null, skipped: true });
          skippedAny = true;
        } else attempts.push(await hunt(seed));
      }
      return attempts;
    };
    for (const c of CASES) {
      const r = c.rendition;
      const rows: Row[] = [];
      for (const strategy of ['pct', 'random'] as const) {
        const attempts = await everySeed((seed) => mmraceHunt(r.scenario, r.property, strategy, seed, traceDir));
        console.error(`hunt: ${c.model} mmrace ${strategy}: ${perSeed(attempts)}`);
        rows.push({ tool: `mmrace \`${strategy}\``, attempts });
      }
      const attempts = await everySeed((seed) => fastCheckHunt(r, seed));
      console.error(`hunt: ${c.model} fast-check: ${perSeed(attempts)}`);
      rows.push({ tool: '`fc.scheduler()`', attempts });

      const name = r.scenario.replace(/^scenarios\//, '').replace(/\.json$/, '');
      for (const [i, row] of rows.entries()) {
        const found = row.attempts.filter((a) => a.found).length;
        tables.push(
          `| ${i === 0 ? `${c.model}: \`${name}\`, ${r.property}` : ''} | ${row.tool} | ${found}/${SEEDS.length} | ${fmtRuns(median(row.attempts, (a) => a.runs))} | ${fmtSecs(median(row.attempts, (a) => a.seconds))} | ${perSeed(row.attempts)} |`,
        );
      }
    }
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  const loadAfter = loadavg().map((x) => x.toFixed(2)).join(', ');
  const seeds = `${SEEDS[0]}–${SEEDS[SEEDS.length - 1]}`;
  return [
    '## Bug hunting: mmrace pct and random vs fast-check\'s scheduler',
    '',
    `How many runs, and how many seconds, each bug-hunting tool needs to find the seed violation of each model: mmrace's \`pct\` (bug depth ${PCT_DEPTH}) and \`random\` strategies on the scenario, and fast-check's \`fc.scheduler()\` on an async JavaScript rendition of the same scenario (\`bench/hunt/<model>.ts\`: the same actors, atomic steps, guards, choices, state and properties; one scheduled point before each step, data choices drawn with \`fc.gen()\`). Seeds ${seeds} for every tool; *found* counts the seeds that found the expected violation within the caps; the medians are over all ${SEEDS.length} seeds, a seed that did not find it counting as above the cap.`,
    '',
    '| seed violation | tool | found | median runs | median search s | runs to find it, seeds ' + seeds + ' |',
    '|---|---|--:|--:|--:|---|',
    ...tables,
    '',
    `Runs are not the same unit across the tools: an mmrace run is one schedule of the model (a walk from an initial state to a violation, the end, or \`--max-depth\` 1000), a fast-check run is one schedule of the async rendition (one call of the property with a fresh \`fc.scheduler()\`, which releases one pending step at a time, picked uniformly, and is cut after 1000 steps as well). Both pick random schedules of the same steps, so the run counts compare how each tool's choices reach the bug, not the cost of a run: fast-check's scheduler sees only the pending steps, never the state, and picks among them uniformly, which is mmrace's \`random\` by another route (its data choices go through \`fc.gen()\`, whose small integers are near-uniform, with fast-check's bias), so the two should need runs of the same order; \`pct\` differs by design (random priorities with d − 1 change points), which pays on bugs that need a precise ordering of many steps and may cost runs on shallow ones. The seconds differ in kind too: mmrace's are the \`seconds\` of its JSON result (the search in a fresh process, after node started and the model loaded); fast-check's are the wall time of \`fc.check\` in the benchmark's process (no shrinking: \`endOnFailure\`). A violation of another property than the expected one shows as \`PROPERTY@run\` and counts as not found; \`✗N\`: not found in N runs; \`–\`: not run (time budget).`,
    '',
    `Caps per seed: ${CAP_RUNS.toLocaleString('en-US')} runs and ${CAP_SECONDS} s of search (mmrace \`--runs ${CAP_RUNS} --time-limit ${CAP_SECONDS}\`; fast-check \`numRuns: ${CAP_RUNS}\` and \`fc.interruptAfterTimeLimit(${CAP_SECONDS * 1000})\`); past ${BUDGET_SECONDS} s for the whole benchmark the remaining seeds are not run${skippedAny ? ' (**this run hit that budget**)' : ''}. This run took ${seconds.toFixed(1)} s; load average before, after: ${loadBefore}; ${loadAfter}.`,
    '',
    'Commands: `npm run bench:hunt` (`node --import tsx bench/hunt.ts`) runs it all and prints this section; each mmrace row is `node bin/mmrace.js check <scenario> --strategy pct|random --seed N --runs ' +
      `${CAP_RUNS} --time-limit ${CAP_SECONDS} --json\`; each fast-check row is \`fc.check(fc.asyncProperty(fc.scheduler(), fc.gen(), …), { seed: N, numRuns: ${CAP_RUNS}, endOnFailure: true, plugins: [fc.interruptAfterTimeLimit(${CAP_SECONDS * 1000})] })\` (bench/hunt.ts, \`fastCheckHunt\`).`,
  ];
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  huntSection().then(
    (lines) => console.log(lines.join('\n')),
    (e: unknown) => {
      console.error(`bench:hunt: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exitCode = 1;
    },
  );
}
