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
import { check } from '../run/check.js';
import { autoWorkers } from '../run/plan.js';
import { expectationText } from '../run/result.js';
import { loadScenario, type Scenario } from '../run/scenario.js';
import { writeTrace } from '../trace/trace.js';
import { defaultTraceFile } from './check.js';
import { findFiles } from './list.js';
import { out, shq } from './output.js';
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
  readonly message?: string;
  /** What SARIF and the GitHub annotations say about the scenario (not in the --json output). */
  readonly ci?: SarifCase;
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

async function runOne(s: Scenario, workers: number, flags: CiFlags): Promise<Row> {
  const base = { file: relative(process.cwd(), s.file), name: s.name, suite: basename(dirname(s.file)), expected: expectationText(s), skipped: false };
  // A live progress line on a terminal while a long scenario runs.
  const live = !flags.json && process.stderr.isTTY ? createProgress({ stream: process.stderr, quiet: flags.quiet, workers }) : null;
  const progress = live ? { onProgress: (p: Progress) => live.update(p), progressEvery: 0.1 } : {};
  let r: CheckResult;
  try {
    r = await check(s, { workers: flags.workers, memory: flags.memory, por: flags.por !== false, symmetry: flags.symmetry !== false, ...progress });
  } finally {
    live?.stop();
  }
  let traceFile: string | undefined;
  if (r.trace) {
    traceFile = defaultTraceFile(s.name, r.params);
    writeTrace({ ...r.trace, scenario: s.file }, traceFile);
  }
  const ok = r.expectationMet === true;
  return {
    ...base,
    ci: { scenarioFile: base.file.split(sep).join('/'), name: s.name, result: r, expected: base.expected, met: ok, ...(traceFile ? { traceFile } : {}) },
    got: gotText(r),
    ok,
    error: r.verdict === 'error',
    states: r.states,
    seconds: r.seconds,
    ...(traceFile ? { traceFile } : {}),
    ...(r.message ? { message: r.message } : {}),
  };
}

export async function runCi(dir: string, flags: CiFlags): Promise<number> {
  const started = performance.now();
  const files = findFiles(dir, (n) => n.endsWith('.json'));
  if (files.length === 0) throw new MmraceError('E_USAGE', `no scenario files (.json) under ${dir}`);
  const rows: Row[] = [];
  const workers = flags.workers === undefined || flags.workers === 'auto' ? autoWorkers() : flags.workers;
  {
    for (const f of files) {
      let s: Scenario;
      try {
        s = loadScenario(f);
      } catch (e) {
        rows.push(errorRow(f, e));
        continue;
      }
      if (s.tags.includes('deep') && !flags.deep) {
        rows.push({ file: relative(process.cwd(), f), name: s.name, suite: basename(dirname(f)), expected: expectationText(s), got: 'skipped (deep)', ok: true, error: false, skipped: true, states: 0, seconds: 0 });
        if (!flags.json) printRow(rows[rows.length - 1]!, rows.length === 1);
        continue;
      }
      try {
        rows.push(await runOne(s, workers, flags));
      } catch (e) {
        rows.push({ ...errorRow(f, e), name: s.name, expected: expectationText(s) });
      }
      if (!flags.json) printRow(rows[rows.length - 1]!, rows.length === 1);
    }
  }
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
  if (flags.json) {
    out(JSON.stringify({ verdict: code === 0 ? 'pass' : 'fail', scenarios: rows.map(({ ci: _ci, ...row }) => row), passed: ran.length - bad.length, failed: bad.length, skipped: rows.length - ran.length, seconds: total }));
    return code;
  }
  out('');
  out(`${ran.length - bad.length} passed, ${bad.length} failed, ${rows.length - ran.length} skipped`);
  out(`in ${secs(total)} s${rows.length > ran.length ? '; skipped scenarios are tagged deep: run them with --deep' : ''}`);
  for (const r of bad) {
    out(`SURPRISE ${r.name}: expected ${r.expected}, got ${r.got}${r.message && r.error ? `: ${r.message}` : ''}`);
    if (r.traceFile) out(`  replay: npx mmrace replay ${shq(r.traceFile)}`);
    else if (!r.error) out(`  rerun: npx mmrace check ${shq(r.file)}`);
  }
  if (flags.junit) out(`JUnit XML written to ${flags.junit}`);
  if (flags.sarif) out(`SARIF written to ${flags.sarif}`);
  return code;
}

function errorRow(f: string, e: unknown): Row {
  const code = isMmraceError(e) ? e.code : 'E_INTERNAL';
  const message = e instanceof Error ? e.message : String(e);
  return { file: relative(process.cwd(), f), name: basename(f).replace(/\.json$/, ''), suite: basename(dirname(f)), expected: '?', got: `error ${code}`, ok: false, error: true, skipped: false, states: 0, seconds: 0, message };
}

function printRow(r: Row, first: boolean): void {
  if (first) out(`${'scenario'.padEnd(34)} ${'expected'.padEnd(28)} ${'got'.padEnd(28)} ${'states'.padStart(12)} ${'seconds'.padStart(8)}`);
  const mark = r.skipped ? '-' : r.ok ? 'ok' : 'FAIL';
  const name = `${r.suite}/${r.name}`;
  out(`${name.padEnd(34)} ${r.expected.padEnd(28)} ${r.got.padEnd(28)} ${(r.skipped ? '' : num(r.states)).padStart(12)} ${(r.skipped ? '' : secs(r.seconds)).padStart(8)}  ${mark}`);
}
