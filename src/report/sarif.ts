/**
 * SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, IDE SARIF viewers): one run of
 * the tool `mmrace`, one result per scenario whose outcome is a surprise (an unexpected
 * violation, an expected one that did not come, an error): a green run has none, since
 * code scanning shows every result as an alert. Which scenarios those are, and how each is
 * worded, is decided once by `findingOf`, which the GitHub annotations (github.ts) share,
 * so the two formats never disagree. A result points at the line of the model file that
 * defines the failing step or invariant, with paths relative to the repository.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { shq } from './shell.js';
import { headline } from './text.js';
import type { CheckResult } from './verdict.js';

/** One checked scenario (or model), as `check` and `ci` know it. */
export interface SarifCase {
  /** Path of the scenario (or model) file relative to the repository root, forward slashes. */
  readonly scenarioFile: string;
  readonly name: string;
  readonly result?: CheckResult;
  /** The scenario could not be run at all (no result): its stable code and message. */
  readonly error?: { readonly code: string; readonly message: string };
  /** The scenario's expectation, in words: `safe`, `violation of INV-X`. */
  readonly expected?: string;
  /** Whether the result meets the expectation (absent: no expectation, e.g. a bare model). */
  readonly met?: boolean;
  /** Where the counterexample was written, for the replay command. */
  readonly traceFile?: string;
  /** Path of the model file relative to the repository root, when known. */
  readonly modelFile?: string;
  /** The line of the model file that defines the failing step or invariant, when known: the result's location. */
  readonly modelLine?: number;
}

/** The identifier of the SARIF 2.1.0 schema (OASIS): only an identifier, never fetched. */
export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json';

/** The rule of a scenario whose expected verdict was not met without a violation or an error (safe or incomplete). */
export const EXPECTATION_RULE = 'EXPECTATION-NOT-MET';

/** What a case reports, for SARIF and the GitHub annotations alike. */
export interface Finding {
  /** The violated property, the error code, or EXPECTATION_RULE. */
  readonly ruleId: string;
  readonly kind: 'violation' | 'error' | 'expectation';
  /** Always error: only surprises are findings. */
  readonly level: 'error';
  /** One line for a title: the scenario and what happened. */
  readonly title: string;
  /** The headline, the expectation, and the command that replays (or reruns) it, one per line. */
  readonly text: string;
  /** For a violation: invariant, fault or deadlock. */
  readonly violationKind?: 'invariant' | 'fault' | 'deadlock';
}

/** What the result was, in the words of `mmrace ci`'s table. */
function gotText(r: CheckResult | undefined, errorCode: string | undefined): string {
  if (errorCode !== undefined) return `error ${errorCode}`;
  if (r === undefined) return 'no result';
  if (r.verdict === 'violation') return `violation of ${r.property}`;
  if (r.verdict === 'incomplete') return `incomplete (${r.limit ?? 'a limit'})`;
  return r.verdict;
}

/**
 * The finding of a case, or null when there is nothing to report: a case is reported when
 * its expectation is not met, when it ended in an error (never what a scenario expects),
 * or in a violation with no expectation (a bare model). A violation that was expected and
 * found is the scenario passing: nothing to report.
 */
export function findingOf(c: SarifCase): Finding | null {
  const r = c.result;
  const errorCode = c.error?.code ?? (r?.verdict === 'error' ? (r.code ?? 'E_INTERNAL') : undefined);
  const lines: string[] = [];
  if (r) lines.push(headline(r));
  else if (c.error) lines.push(`ERROR ${c.error.code}: ${c.error.message}`);
  if (c.expected !== undefined) lines.push(`expected ${c.expected}: ${c.met ? 'met' : 'NOT MET'}`);
  if (c.traceFile !== undefined) lines.push(`replay: npx mmrace replay ${shq(c.traceFile)}`);
  else if (errorCode === undefined) lines.push(`rerun: npx mmrace check ${shq(c.scenarioFile)}`);
  const text = lines.join('\n');
  if (errorCode !== undefined) {
    return { ruleId: errorCode, kind: 'error', level: 'error', title: `${c.name}: error ${errorCode}`, text };
  }
  if (r?.verdict === 'violation') {
    if (c.met === true) return null;
    const property = r.property ?? 'violation';
    return {
      ruleId: property,
      kind: 'violation',
      level: 'error',
      title: `${c.name}: violation of ${property}`,
      text,
      ...(r.kind ? { violationKind: r.kind } : {}),
    };
  }
  if (c.met === false) {
    return {
      ruleId: EXPECTATION_RULE,
      kind: 'expectation',
      level: 'error',
      title: `${c.name}: expected ${c.expected ?? 'another verdict'}, got ${gotText(r, undefined)}`,
      text,
    };
  }
  return null;
}

/** A rule's descriptions, from the first finding that uses it. */
function ruleOf(f: Finding): Record<string, unknown> {
  const describe = (short: string, full: string) => ({ shortDescription: { text: short }, fullDescription: { text: full } });
  const texts =
    f.kind === 'error'
      ? describe(`mmrace error ${f.ruleId}`, `The scenario could not be checked: mmrace stopped with the stable error code ${f.ruleId} (bad input or a model that misbehaved).`)
      : f.kind === 'expectation'
        ? describe('Expected verdict not met', 'The check ended without the verdict the scenario expects (a safe or incomplete search where a violation was expected, or an incomplete one where safe was).')
        : describe(
            `Property ${f.ruleId} is violated`,
            f.violationKind === 'deadlock'
              ? 'Some schedule reaches a state where no step is enabled and some actor has not finished.'
              : f.violationKind === 'fault'
                ? `Some schedule makes a step raise a fault with property ${f.ruleId}.`
                : `Some schedule reaches a state where the invariant ${f.ruleId} does not hold.`,
          );
  return { id: f.ruleId, ...texts, defaultConfiguration: { level: 'error' } };
}

/**
 * A relative path as a URI reference: forward slashes, each segment percent-encoded, so a
 * space or `#` in a file name cannot make the URI invalid or change its meaning.
 */
export function pathUri(path: string): string {
  return path.replace(/\\/g, '/').split('/').map(encodeURIComponent).join('/');
}

/**
 * Identifies a result across runs, so code scanning tracks one alert per scenario and
 * rule: the scenario file, its name and the rule, never counts, times or messages.
 */
function fingerprint(c: SarifCase, ruleId: string): string {
  return createHash('sha256').update(`${c.scenarioFile}\0${c.name}\0${ruleId}`).digest('hex').slice(0, 32);
}

/** The base of the repository's paths in a SARIF log (originalUriBaseIds). */
export const SRCROOT = 'SRCROOT';

/** Where a case points code scanning: the step or invariant in the model file, else the scenario's first line. */
function locationsOf(c: SarifCase, base: object): Record<string, unknown>[] {
  // A file outside the repository is named by its absolute file URI, on no base.
  const artifact = (path: string) => (path.startsWith('/') ? { uri: pathToFileURL(path).href } : { uri: pathUri(path), ...base });
  const at = (path: string, line: number) => ({ physicalLocation: { artifactLocation: artifact(path), region: { startLine: line } } });
  const scenario = at(c.scenarioFile, 1);
  if (c.modelFile === undefined || c.modelLine === undefined) return [scenario];
  return c.modelFile === c.scenarioFile ? [at(c.modelFile, c.modelLine)] : [at(c.modelFile, c.modelLine), scenario];
}

/**
 * The SARIF log of `cases`, pretty-printed; `root`, the repository's absolute path, which
 * the case's paths are relative to (originalUriBaseIds), when known.
 */
export function sarif(cases: readonly SarifCase[], toolVersion: string, root?: string): string {
  const base = root !== undefined ? { uriBaseId: SRCROOT } : {};
  const rules: Record<string, unknown>[] = [];
  const index = new Map<string, number>();
  const results: Record<string, unknown>[] = [];
  for (const c of cases) {
    const f = findingOf(c);
    if (f === null) continue;
    let ruleIndex = index.get(f.ruleId);
    if (ruleIndex === undefined) {
      ruleIndex = rules.length;
      index.set(f.ruleId, ruleIndex);
      rules.push(ruleOf(f));
    }
    const locations = locationsOf(c, base);
    const r = c.result;
    results.push({
      ruleId: f.ruleId,
      ruleIndex,
      level: f.level,
      message: { text: f.text },
      locations,
      partialFingerprints: { 'mmraceScenarioRule/v1': fingerprint(c, f.ruleId) },
      properties: {
        scenario: c.name,
        ...(r ? { verdict: r.verdict, states: r.states } : { verdict: 'error' }),
        ...(c.expected !== undefined ? { expected: c.expected } : {}),
        ...(c.met !== undefined ? { expectationMet: c.met } : {}),
        ...(c.traceFile !== undefined ? { traceFile: c.traceFile } : {}),
      },
    });
  }
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'mmrace', version: toolVersion, rules } },
        ...(root !== undefined ? { originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(root.endsWith('/') ? root : `${root}/`).href } } } : {}),
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
