import { describe, expect, it } from 'vitest';
import { sarif, type SarifCase } from '../../../src/report/sarif.js';
import { checkResult } from './fixtures.js';
import type { CheckResult } from '../../../src/report/verdict.js';
import { ANY_MODEL_PATH, checkIn, compileModel, faulty } from '../helpers.js';

const result = checkResult;

const violation = (property: string, message: string, over: Partial<CheckResult> = {}) =>
  result({ verdict: 'violation', property, kind: 'invariant', message, ...over });

interface Log {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; informationUri?: string; rules: { id: string; shortDescription: { text: string } }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
      partialFingerprints: Record<string, string>;
    }[];
  }[];
}

const parse = (s: string) => JSON.parse(s) as Log;

/** One case of each kind: which are reported, and how, is what the tests check. */
const CASES: SarifCase[] = [
  { scenarioFile: 'scenarios/a/safe.json', name: 'safe', result: result({}), expected: 'safe', met: true },
  {
    scenarioFile: 'scenarios/xen/found.json',
    name: 'found',
    result: violation('INV-X', 'x is 2', { kind: 'fault' }),
    expected: 'violation of INV-X',
    met: true,
    traceFile: '.mmrace/traces/found-1.trace.json',
    modelFile: 'models/xen/xen.ts',
  },
  { scenarioFile: 'scenarios/xen/missed.json', name: 'missed', result: result({ states: 42 }), expected: 'violation of INV-X', met: false },
  {
    scenarioFile: 'scenarios/a/surprise.json',
    name: 'surprise',
    result: violation('INV-Y', 'y went negative'),
    expected: 'safe',
    met: false,
    traceFile: '.mmrace/traces/surprise-2.trace.json',
    modelFile: 'models/a/a.ts',
    modelLine: 17,
  },
  { scenarioFile: 'scenarios/a/broken.json', name: 'broken', error: { code: 'E_SCENARIO', message: 'no model' }, expected: '?', met: false },
  { scenarioFile: 'scenarios/a/threw.json', name: 'threw', result: result({ verdict: 'error', code: 'E_MODEL_THREW', message: 'step t.go threw' }), expected: 'safe', met: false },
  { scenarioFile: 'models/lone.ts', name: 'lone', result: result({ verdict: 'incomplete', limit: 'max-states' }) },
];

describe('sarif', () => {
  const log = parse(sarif(CASES, '9.8.7'));
  const run = log.runs[0]!;

  it('is a SARIF 2.1.0 log with one run of mmrace', () => {
    expect(log.$schema).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver.name).toBe('mmrace');
    expect(run.tool.driver.version).toBe('9.8.7');
    expect(run.tool.driver).not.toHaveProperty('informationUri');
    expect(Array.isArray(run.results)).toBe(true);
    // What the SARIF schema requires of a result, and the one location code scanning needs.
    for (const r of run.results) {
      expect(typeof r.ruleId).toBe('string');
      expect(['none', 'note', 'warning', 'error']).toContain(r.level);
      expect(r.message.text.length).toBeGreaterThan(0);
      expect(r.locations.length).toBeGreaterThan(0);
      for (const l of r.locations) expect(l.physicalLocation.artifactLocation.uri).toMatch(/^[^/]/);
    }
  });

  it('reports only surprises, as errors: an expected violation found (a scenario passing) and a met safe are no results', () => {
    const got = run.results.map((r) => [r.locations.at(-1)!.physicalLocation.artifactLocation.uri, r.ruleId, r.level]);
    expect(got).toEqual([
      ['scenarios/xen/missed.json', 'EXPECTATION-NOT-MET', 'error'],
      ['scenarios/a/surprise.json', 'INV-Y', 'error'],
      ['scenarios/a/broken.json', 'E_SCENARIO', 'error'],
      ['scenarios/a/threw.json', 'E_MODEL_THREW', 'error'],
    ]);
    // A green run: no result at all (code scanning shows every result as an alert).
    const green = parse(sarif(CASES.filter((c) => c.met === true), '1'));
    expect(green.runs[0]!.results).toEqual([]);
  });

  it('has one rule per rule id used, each result pointing at its own', () => {
    const ids = run.tool.driver.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(['E_MODEL_THREW', 'E_SCENARIO', 'EXPECTATION-NOT-MET', 'INV-Y'].sort());
    for (const r of run.results) {
      expect(Number.isInteger(r.ruleIndex)).toBe(true);
      expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
    }
    for (const rule of run.tool.driver.rules) expect(rule.shortDescription.text.length).toBeGreaterThan(0);
  });

  it('says the headline and how to replay', () => {
    const byRule = new Map(run.results.map((r) => [r.ruleId, r.message.text]));
    expect(byRule.has('INV-X')).toBe(false);
    expect(byRule.get('INV-Y')).toContain('VIOLATION of INV-Y: y went negative');
    expect(byRule.get('INV-Y')).toContain('expected safe: NOT MET');
    expect(byRule.get('INV-Y')).toContain('mmrace replay .mmrace/traces/surprise-2.trace.json');
    // No trace for a search that found nothing: how to run it again instead.
    expect(byRule.get('EXPECTATION-NOT-MET')).toContain('SAFE: no violation in the 42 reachable states');
    expect(byRule.get('EXPECTATION-NOT-MET')).toContain('mmrace check scenarios/xen/missed.json');
    expect(byRule.get('E_SCENARIO')).toContain('E_SCENARIO: no model');
    expect(byRule.get('E_MODEL_THREW')).toContain('E_MODEL_THREW: step t.go threw');
  });

  it('points at the line of the model that defines the failing step or invariant, then the scenario; else the scenario, line 1', () => {
    const surprise = run.results.find((r) => r.ruleId === 'INV-Y')!;
    expect(surprise.locations).toEqual([
      { physicalLocation: { artifactLocation: { uri: 'models/a/a.ts' }, region: { startLine: 17 } } },
      { physicalLocation: { artifactLocation: { uri: 'scenarios/a/surprise.json' }, region: { startLine: 1 } } },
    ]);
    const missed = run.results.find((r) => r.ruleId === 'EXPECTATION-NOT-MET')!;
    expect(missed.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: 'scenarios/xen/missed.json' }, region: { startLine: 1 } } }]);
  });

  it('with the repository root: each URI relative to SRCROOT, which originalUriBaseIds names', () => {
    const rooted = parse(sarif(CASES, '1', '/home/u/linux-models')) as Log & { runs: { originalUriBaseIds?: Record<string, { uri: string }> }[] };
    expect(rooted.runs[0]!.originalUriBaseIds).toEqual({ SRCROOT: { uri: 'file:///home/u/linux-models/' } });
    for (const r of rooted.runs[0]!.results) for (const l of r.locations) expect(l.physicalLocation.artifactLocation).toMatchObject({ uriBaseId: 'SRCROOT' });
  });

  it('gives relative URIs with forward slashes, a space or # encoded', () => {
    const one = parse(sarif([{ scenarioFile: 'scenarios\\my dir\\a#1.json', name: 'a', result: violation('P', 'm') }], '1'));
    expect(one.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('scenarios/my%20dir/a%231.json');
  });

  it('fingerprints a result by scenario and rule, not by counts, times or messages', () => {
    const fp = (c: SarifCase) => parse(sarif([c], '1')).runs[0]!.results[0]!.partialFingerprints;
    const base: SarifCase = { scenarioFile: 'scenarios/a/s.json', name: 's', result: violation('P', 'first run'), traceFile: 't1.json' };
    const a = fp(base);
    expect(Object.keys(a)).toHaveLength(1);
    expect(Object.values(a)[0]).toMatch(/^[0-9a-f]{16,}$/);
    expect(fp({ ...base, result: violation('P', 'another message', { states: 999, seconds: 7 }), traceFile: 't2.json' })).toEqual(a);
    expect(fp({ ...base, result: violation('Q', 'first run') })).not.toEqual(a);
    expect(fp({ ...base, scenarioFile: 'scenarios/b/s.json' })).not.toEqual(a);
  });

  it('round-trips through JSON and ends with a newline', () => {
    const text = sarif(CASES, '9.8.7');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.stringify(JSON.parse(text), null, 2) + '\n').toBe(text);
  });

  it('keeps a hostile property name and message as JSON strings', () => {
    const property = 'INV"},{"ruleId":"pwned"}],"x":"\\';
    const message = 'line one\nline two\r\n</script>\u2028\u0000 "quoted" ${x}';
    const log2 = parse(sarif([{ scenarioFile: 'scenarios/a/h"x.json', name: 'h', result: violation(property, message), expected: 'safe', met: false }], '1'));
    const run2 = log2.runs[0]!;
    expect(run2.results).toHaveLength(1);
    expect(run2.results[0]!.ruleId).toBe(property);
    expect(run2.tool.driver.rules.map((r) => r.id)).toEqual([property]);
    expect(run2.results[0]!.message.text).toContain(`VIOLATION of ${property}: ${message}`);
    expect(Object.keys(log2).sort()).toEqual(['$schema', 'runs', 'version']);
  });

  it('reports a real counterexample of check', async () => {
    const r = await checkIn(compileModel(faulty), ANY_MODEL_PATH);
    expect(r.verdict).toBe('violation');
    const out = parse(sarif([{ scenarioFile: 'examples/faulty.ts', name: 'faulty', result: r, traceFile: 'faulty.trace.json' }], '1')).runs[0]!;
    expect(out.results.map((x) => [x.ruleId, x.level])).toEqual([['oops', 'error']]);
    expect(out.results[0]!.message.text).toContain('VIOLATION of oops: x is 2');
    expect(out.tool.driver.rules[0]!.shortDescription.text).toContain('oops');
  });
});
