/**
 * What `check` and `ci` write for CI systems besides their own output: JUnit XML
 * (--junit), SARIF (--sarif), and GitHub Actions annotations when GITHUB_ACTIONS=true.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MmraceError } from '../errors.js';
import { checkOutputFile } from '../files.js';
import { githubAnnotations } from '../report/github.js';
import { junitXml, type CaseResult } from '../report/junit.js';
import { findingLine, repositoryRoot, underRoot } from '../report/locate.js';
import { sarif, type SarifCase } from '../report/sarif.js';
import { VERSION } from '../version.js';
import { command } from './output.js';

/** Writes a report file, making its folder; E_IO when it cannot, or when `file` is no place for one (checkOutputFile). */
export function writeReport(file: string, text: string): void {
  checkOutputFile(file, '');
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (e) {
    throw new MmraceError('E_IO', `cannot write ${file}: ${(e as Error).message}`);
  }
}

/** The JUnit testcase of one check: a scenario's expectation, or for a bare model its verdict. */
export function junitCase(c: SarifCase, suite: string): CaseResult {
  const r = c.result;
  const seconds = r?.seconds ?? 0;
  if (c.error) return { suite, name: c.name, seconds, outcome: 'error', message: `error ${c.error.code}: ${c.error.message}` };
  if (r === undefined) return { suite, name: c.name, seconds, outcome: 'error', message: 'no result' };
  const got = r.verdict === 'violation' ? `violation of ${r.property}` : r.verdict === 'error' ? `error ${r.code}` : r.verdict;
  const detail = [
    `scenario ${c.scenarioFile}`,
    ...(c.expected !== undefined ? [`expected ${c.expected}`] : []),
    `got ${got}`,
    ...(r.message ? [r.message] : []),
    ...(c.traceFile ? [`replay: npx mmrace replay ${c.traceFile}`] : []),
  ].join('\n');
  if (r.verdict === 'error') return { suite, name: c.name, seconds, outcome: 'error', message: `${got}: ${r.message ?? ''}`, detail };
  if (c.met !== undefined) {
    return c.met ? { suite, name: c.name, seconds, outcome: 'pass' } : { suite, name: c.name, seconds, outcome: 'failure', message: `expected ${c.expected}, got ${got}`, detail };
  }
  if (r.verdict === 'violation') return { suite, name: c.name, seconds, outcome: 'failure', message: `${got}: ${r.message ?? ''}`, detail };
  if (r.verdict === 'incomplete') return { suite, name: c.name, seconds, outcome: 'skipped', message: `incomplete (${r.limit ?? 'a limit'})` };
  return { suite, name: c.name, seconds, outcome: 'pass' };
}

/**
 * --sarif and the GitHub annotations for `cases`; with `junit`, also the JUnit file of
 * the given testcases.
 */
export function writeCiOutputs(cases: readonly SarifCase[], flags: { readonly junit?: string | undefined; readonly sarif?: string | undefined }, seconds: number, junit?: readonly CaseResult[]): void {
  if (flags.junit !== undefined) writeReport(flags.junit, junitXml(junit ?? cases.map((c) => junitCase(c, 'mmrace check')), seconds));
  const github = process.env['GITHUB_ACTIONS'] === 'true';
  if (flags.sarif === undefined && !github) return;
  // Paths from the repository that holds the working folder (code scanning's), and the
  // line of the model that defines what failed.
  const root = repositoryRoot(process.cwd());
  const located = cases.map((c) => locate(c, root ?? process.cwd()));
  if (flags.sarif !== undefined) writeReport(flags.sarif, sarif(located, VERSION, root ?? undefined));
  if (github) for (const line of githubAnnotations(located)) command(line);
}

/** Case `c` with its paths relative to `root` and, when its result names one, the line of the model it is about. */
function locate(c: SarifCase, root: string): SarifCase {
  const line = c.result !== undefined && c.modelFile !== undefined ? findingLine(c.modelFile, c.result) : null;
  return {
    ...c,
    scenarioFile: underRoot(c.scenarioFile, root),
    ...(c.modelFile !== undefined ? { modelFile: underRoot(c.modelFile, root) } : {}),
    ...(line !== null ? { modelLine: line } : {}),
  };
}
