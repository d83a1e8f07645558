/**
 * `mmrace ci [dir]`: checks every scenario against its expected verdict, prints a table,
 * writes JUnit XML and SARIF, annotates GitHub Actions runs. Exit 0 when every expectation is met, 1 on any mismatch (with the
 * replay command of each surprise), 2 when a scenario could not be run at all.
 */
import { basename, dirname, relative, sep } from 'node:path';
import type { Progress } from '../engine/result.js';
import { MmraceError, isMmraceError } from '../errors.js';
import type { CaseResult } from '../report/junit.js';
import type { SarifCase } from '../report/sarif.js';
import { num, secs } from '../report/text.js';
import { EXIT, type CheckResult } from '../report/verdict.js';
import { checkTarget } from '../run/check.js';
import type { CompiledModel } from '../model/compile.js';
import { reproduceOf } from '../report/reproduce.js';
import { autoWorkers, fitting } from '../run/plan.js';
import type { StrategyName } from '../strategy/index.js';
import { expectationText } from '../run/result.js';
import { mutantScenario, type Scenario } from '../run/scenario.js';
import { writeTrace } from '../trace/trace.js';
import { defaultTraceFile } from './check.js';
import { findScenarios, type FoundScenario } from './list.js';
import { oneLine, out, shq } from './output.js';
import { checkOutputFile } from '../files.js';
import { MAX_MESSAGE, capped } from '../report/escape.js';
import { junitCase, writeCiOutputs } from './ci-output.js';
import { createProgress } from './progress.js';

export interface CiFlags {
  deep?: boolean;
  workers?: number | 'auto';
  memory?: number;
  /** false with --no-por. */
  por?: boolean;
  /** false with --no-symmetry. */
  symmetry?: boolean;
  junit?: string;
  sarif?: string;
  /** --quiet: no live progress line. */
  quiet?: boolean;
  json?: boolean;
}

interface Row {
  readonly file: string;
  readonly name: string;
  readonly suite: string;
  readonly expected: string;
  readonly got: string;
  readonly ok: boolean;
  readonly error: boolean;
  readonly skipped: boolean;
  readonly states: number;
  readonly seconds: number;
  readonly traceFile?: string;
  /** A violation's one-line schedule, and the command that replays it with no trace file. */
  readonly schedule?: string;
  readonly scheduleCommand?: string;
  readonly message?: string;
  /** What SARIF and the GitHub annotations say about the scenario (not in the --json output). */
  readonly ci?: SarifCase;
  /** A mutant of the scenario in `file`: its name and the parameters it sets over the scenario's. */
  readonly mutant?: { readonly name: string; readonly params: Readonly<Record<string, number | boolean | string>> };
}

function gotText(r: CheckResult): string {
  switch (r.verdict) {
    case 'violation':
      return `violation of ${r.property}`;
    case 'incomplete':
      return `incomplete (${r.limit})`;
    case 'error':
      return `error ${r.code}`;
    case 'safe':
      return 'safe';
  }
}

/**
 * Runs scenario `s`. `onStopped(row)` is told the row of a scenario whose step was stopped
 * in this thread (E_STEP_TIMEOUT, E_MODEL_MEMORY), just before the process ends: such a
 * step cannot be stopped and the process go on.
 */
async function runOne(s: Scenario, workers: number, flags: CiFlags, onStopped: (row: Row) => void): Promise<Row> {
  const base = { file: relative(process.cwd(), s.file), name: s.name, suite: basename(dirname(s.file)), expected: expectationText(s), skipped: false };
  // A live progress line on a terminal while a long scenario runs.
  const live = !flags.json && process.stderr.isTTY ? createProgress({ stream: process.stderr, quiet: flags.quiet, workers }) : null;
  const progress = live ? { onProgress: (p: Progress) => live.update(p), progressEvery: 0.1 } : {};
  let r: CheckResult;
  let m: CompiledModel;
  try {
    // The suite's --workers and reductions, where they fit this scenario's strategy.
    const onStepTimeout = (stuck: CheckResult): void => {
      live?.stop();
      onStopped(rowOf(s, stuck, base));
    };
    ({ result: r, model: m } = await checkTarget(s, { ...fitting({ workers: flags.workers, memory: flags.memory, por: flags.por !== false, symmetry: flags.symmetry !== false, ...progress }, s.strategy as StrategyName), onStepTimeout }));
  } finally {
    live?.stop();
  }
  return rowOf(s, r, base, m);
}

/** The row of scenario `s`, which gave `r` on `m`; its trace is written. */
function rowOf(s: Scenario, r: CheckResult, base: Pick<Row, 'file' | 'name' | 'suite' | 'expected' | 'skipped'>, m?: CompiledModel): Row {
  let traceFile: string | undefined;
  if (r.trace) {
    traceFile = defaultTraceFile(s.name, r.params);
    writeTrace({ ...r.trace, scenario: s.file }, traceFile);
  }
  const again = r.trace && r.verdict === 'violation' && m !== undefined ? reproduceOf(r.trace, m, base.file, s.params) : null;
  const ok = r.expectationMet === true;
  return {
    ...base,
    ci: { scenarioFile: base.file.split(sep).join('/'), modelFile: s.modelPath, name: s.name, result: r, expected: base.expected, met: ok, ...(traceFile ? { traceFile } : {}) },
    got: gotText(r),
    ok,
    error: r.verdict === 'error',
    states: r.states,
    seconds: r.seconds,
    ...(traceFile ? { traceFile } : {}),
    ...(again !== null ? { schedule: again.schedule, scheduleCommand: again.command } : {}),
    ...(r.message ? { message: r.message } : {}),
  };
}

export async function runCi(dir: string, flags: CiFlags): Promise<number> {
  const started = performance.now();
  // The files it will write, checked before the scenarios run: not a folder, a device, a FIFO, /proc.
  for (const file of [flags.junit, flags.sarif]) if (file !== undefined) checkOutputFile(file, '');
  const found = findScenarios(dir);
  if (found.length === 0) throw new MmraceError('E_USAGE', `no scenarios under ${dir}`, 'a scenario is a .json file that names a model and the verdict expected of it: see docs/scenarios.md');
  const rows: Row[] = [];
  const workers = flags.workers === undefined || flags.workers === 'auto' ? autoWorkers() : flags.workers;
  // The table is printed a row at a time, as the scenarios run: its columns are sized first, to what the rows will hold.
  const table = tableOf(found);
  const print = (r: Row): void => {
    if (!flags.json) printRow(r, rows.length === 1, table);
  };
  for (const f of found) {
    if (!('scenario' in f)) {
      rows.push(errorRow(f.file, f.error));
      print(rows[rows.length - 1]!);
      continue;
    }
    const s = f.scenario;
    // The scenario, then each of its mutants (run/scenario.ts), as a row of its own.
    const runs = [{ s, mutant: undefined }, ...s.mutants.map((mu) => ({ s: mutantScenario(s, mu), mutant: { name: mu.name, params: mu.params } }))];
    if (s.tags.includes('deep') && !flags.deep) {
      for (const { s: r, mutant } of runs) {
        rows.push({ file: relative(process.cwd(), f.file), name: r.name, suite: basename(dirname(f.file)), expected: expectationText(r), got: SKIPPED, ok: true, error: false, skipped: true, states: 0, seconds: 0, ...(mutant ? { mutant } : {}) });
        print(rows[rows.length - 1]!);
      }
      continue;
    }
    const stopped = (last: Row): void => {
      rows.push(last);
      print(last);
      // The scenarios after it cannot run in this process: each is an error row, so that
      // JUnit and SARIF still list every scenario.
      for (const rest of found.slice(found.indexOf(f) + 1)) {
        const why = `not run: the run ended at ${s.name}, whose step could not be stopped in this process; run this scenario with mmrace check ${shq(relative(process.cwd(), rest.file))}`;
        const row = errorRow(rest.file, new MmraceError(row0Code(last), why));
        rows.push(row);
        print(row);
      }
      finish(rows, flags, started);
    };
    for (const { s: r, mutant } of runs) {
      try {
        rows.push({ ...(await runOne(r, workers, flags, stopped)), ...(mutant ? { mutant } : {}) });
      } catch (e) {
        rows.push({ ...errorRow(f.file, e), name: r.name, expected: expectationText(r), ...(mutant ? { mutant } : {}) });
      }
      print(rows[rows.length - 1]!);
    }
  }
  return finish(rows, flags, started);
}

/** The code a scenario that was not run is reported under: the code of the step that ended the run. */
function row0Code(stopped: Row): MmraceError['code'] {
  return stopped.got.replace(/^error /, '') as MmraceError['code'];
}

/** Writes JUnit and SARIF for `rows` and prints the summary; returns the exit code. */
function finish(rows: readonly Row[], flags: CiFlags, started: number): number {
  const total = (performance.now() - started) / 1000;
  {
    // What each scenario ran into, for SARIF, the annotations and JUnit; one that could not run is an error.
    const caseOf = (r: Row): SarifCase => r.ci ?? { scenarioFile: r.file.split(sep).join('/'), name: r.name, error: { code: r.got.replace(/^error /, ''), message: r.message ?? '' } };
    const junit: CaseResult[] = rows.map((r) =>
      r.skipped ? { suite: r.suite, name: r.name, seconds: 0, outcome: 'skipped', message: 'deep scenario: run with --deep' } : junitCase(caseOf(r), r.suite),
    );
    writeCiOutputs(rows.filter((r) => !r.skipped).map(caseOf), flags, total, junit);
  }
  const ran = rows.filter((r) => !r.skipped);
  const bad = ran.filter((r) => !r.ok);
  const errors = ran.filter((r) => r.error);
  const code = errors.length > 0 ? EXIT.error : bad.length > 0 ? EXIT.violation : EXIT.ok;
  // Mutants run: killed when their expected violation was found.
  const mutants = ran.filter((r) => r.mutant !== undefined);
  const killed = mutants.filter((r) => r.ok).length;
  if (flags.json) {
    out(JSON.stringify({ verdict: code === 0 ? 'pass' : 'fail', scenarios: rows.map(({ ci: _ci, ...row }) => row), passed: ran.length - bad.length, failed: bad.length, skipped: rows.length - ran.length, mutants: { total: mutants.length, killed }, seconds: total }));
    return code;
  }
  out('');
  out(`${ran.length - bad.length} passed, ${bad.length} failed, ${rows.length - ran.length} skipped${mutants.length > 0 ? `; mutants: ${killed} of ${mutants.length} killed` : ''}`);
  out(`in ${secs(total)} s${rows.length > ran.length ? '; skipped scenarios are tagged deep: run them with --deep' : ''}`);
  for (const r of bad) {
    const what = r.mutant && !r.error ? `mutant survived (the scenario could not fail without its fix): expected ${r.expected}, got ${r.got}` : `expected ${r.expected}, got ${r.got}`;
    out(capped(oneLine(`SURPRISE ${r.name}: ${what}${r.message && r.error ? `: ${r.message}` : ''}`), 2 * MAX_MESSAGE));
    if (r.traceFile) out(`  ${oneLine(`replay: npx mmrace replay ${shq(r.traceFile)}`)}`);
    if (r.scheduleCommand) out(`  ${oneLine(`schedule: ${r.scheduleCommand}`)}`);
    if (!r.traceFile && !r.scheduleCommand && !r.error) out(`  ${oneLine(`rerun: npx mmrace check ${shq(r.file)}${mutantParams(r)}`)}`);
  }
  if (flags.junit) out(oneLine(`JUnit XML written to ${flags.junit}`));
  if (flags.sarif) out(oneLine(`SARIF written to ${flags.sarif}`));
  return code;
}

/** The `-p name=value` options that give a mutant's search from its scenario's file ('' for a scenario). */
function mutantParams(r: Row): string {
  return Object.entries(r.mutant?.params ?? {})
    .map(([k, v]) => ` -p ${shq(`${k}=${String(v)}`)}`)
    .join('');
}

function errorRow(f: string, e: unknown): Row {
  const code = isMmraceError(e) ? e.code : 'E_INTERNAL';
  const message = e instanceof Error ? e.message : String(e);
  return { file: relative(process.cwd(), f), name: basename(f).replace(/\.json$/, ''), suite: basename(dirname(f)), expected: '?', got: `error ${code}`, ok: false, error: true, skipped: false, states: 0, seconds: 0, message };
}

/** What the row of a deep scenario left out says. */
const SKIPPED = 'skipped (deep)';

/** The widths of the table's columns of text (scenario, expected, got), sized to the rows. */
interface Table {
  readonly name: number;
  readonly expected: number;
  readonly got: number;
}

/**
 * The widths of the columns, from the scenarios found, before any runs: a column is as
 * wide as its longest entry (the names of scenarios may be long). `got` is known only once
 * a scenario has run; it is as wide as `expected` (what it says when the expectation is
 * met), or as the words of a skipped scenario, and a longer one (a surprise) pushes the
 * rest of its row right.
 */
export function tableOf(found: readonly FoundScenario[]): Table {
  const suite = (f: FoundScenario) => basename(dirname(f.file));
  const names = found.flatMap((f) =>
    'scenario' in f ? [f.scenario, ...f.scenario.mutants.map((mu) => mutantScenario(f.scenario, mu))].map((s) => rowName(suite(f), s.name)) : [rowName(suite(f), basename(f.file).replace(/\.json$/, ''))],
  );
  const expected = found.flatMap((f) => ('scenario' in f ? [f.scenario, ...f.scenario.mutants.map((mu) => mutantScenario(f.scenario, mu))].map((s) => oneLine(expectationText(s))) : ['?']));
  const name = Math.max('scenario'.length, ...names.map((n) => n.length));
  const exp = Math.max('expected'.length, ...expected.map((e) => e.length));
  return { name, expected: exp, got: Math.max('got'.length, exp, SKIPPED.length) };
}

/** A row's scenario, escaped (`oneLine`): its folder and name, which a scenario file gives. */
function rowName(suite: string, name: string): string {
  return oneLine(`${suite}/${name}`);
}

function printRow(r: Row, first: boolean, t: Table): void {
  if (first) out(`${'scenario'.padEnd(t.name)}  ${'expected'.padEnd(t.expected)}  ${'got'.padEnd(t.got)}  ${'states'.padStart(12)}  ${'seconds'.padStart(8)}`);
  const mark = r.skipped ? '-' : r.ok ? 'ok' : 'FAIL';
  out(`${rowName(r.suite, r.name).padEnd(t.name)}  ${oneLine(r.expected).padEnd(t.expected)}  ${oneLine(r.got).padEnd(t.got)}  ${(r.skipped ? '' : num(r.states)).padStart(12)}  ${(r.skipped ? '' : secs(r.seconds)).padStart(8)}  ${mark}`);
}
