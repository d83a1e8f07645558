/**
 * src/run/scenario.ts: the mutants of a safe scenario (the fix removals that must break
 * it), the rules a scenario file's `mutants` and `noMutants` follow, and the rule of this
 * repository that every safe scenario can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMmraceError } from '../../../src/errors.js';
import { mutantScenario, parseScenario } from '../../../src/run/scenario.js';
import { root } from '../../e2e/run.js';

const SAFE = { model: 'm.ts', params: { a: 1, b: 'x' }, expect: { verdict: 'safe' } };
const mutant = (name: string, params: Record<string, unknown>, property = 'P') => ({ name, params, expect: { verdict: 'violation', property } });

/** The E_SCENARIO message of parsing `json`, or '' when it parses. */
function refusal(json: unknown): string {
  try {
    parseScenario(json, 'dir/s.json');
    return '';
  } catch (e) {
    if (isMmraceError(e) && e.code === 'E_SCENARIO') return e.message;
    throw e;
  }
}

describe('mutants in a scenario file', () => {
  it('a mutant is the scenario with its parameters over the scenario\'s, its expectation and a name of its own', () => {
    const s = parseScenario({ ...SAFE, tags: ['deep'], mutants: [mutant('no-fix', { b: 'y', c: true }, 'INV-X')] }, 'dir/s.json');
    const m = mutantScenario(s, s.mutants[0]!);
    expect(m.name).toBe('s~no-fix');
    expect(m.params).toEqual({ a: 1, b: 'y', c: true });
    expect(m.expect).toEqual({ verdict: 'violation', property: 'INV-X' });
    expect(m.modelPath).toBe(s.modelPath);
    expect(m.tags).toEqual(['deep']);
    expect(m.mutants).toEqual([]);
  });

  it('refuses mutants of a scenario that expects a violation', () => {
    expect(refusal({ ...SAFE, expect: { verdict: 'violation', property: 'P' }, mutants: [mutant('m', { a: 2 })] })).toMatch(/at mutants: mutants belong to a safe scenario/);
  });

  it('refuses two mutants of one name', () => {
    expect(refusal({ ...SAFE, mutants: [mutant('m', { a: 2 }), mutant('m', { a: 3 })] })).toMatch(/at mutants\.1\.name: a second mutant named 'm'/);
  });

  it("refuses a mutant that sets every parameter as the scenario does (the scenario's own, safe, search)", () => {
    expect(refusal({ ...SAFE, mutants: [mutant('same', { a: 1 })] })).toMatch(/at mutants\.0\.params: mutant 'same' sets every parameter as the scenario does/);
  });

  it('refuses a mutant without parameters, a safe expectation, or a name that cannot name a file', () => {
    expect(refusal({ ...SAFE, mutants: [mutant('none', {})] })).toMatch(/at mutants\.0\.params: a mutant sets at least one parameter/);
    expect(refusal({ ...SAFE, mutants: [{ name: 'm', params: { a: 2 }, expect: { verdict: 'safe' } }] })).toMatch(/at mutants\.0\.expect\.verdict/);
    expect(refusal({ ...SAFE, mutants: [mutant('../up', { a: 2 })] })).toMatch(/at mutants\.0\.name: a mutant name is letters/);
  });

  it('takes noMutants (why a safe scenario has none) only on a safe scenario without mutants', () => {
    expect(refusal({ ...SAFE, noMutants: 'nothing to remove' })).toBe('');
    expect(refusal({ ...SAFE, noMutants: 'why', mutants: [mutant('m', { a: 2 })] })).toMatch(/at noMutants: a scenario with mutants needs no reason/);
    expect(refusal({ ...SAFE, expect: { verdict: 'violation', property: 'P' }, noMutants: 'why' })).toMatch(/at noMutants: applies to a safe scenario/);
  });
});

describe('the scenarios of this repository', () => {
  const files: string[] = [];
  for (const suite of readdirSync(join(root, 'scenarios'))) {
    for (const f of readdirSync(join(root, 'scenarios', suite))) if (f.endsWith('.json')) files.push(join(root, 'scenarios', suite, f));
  }
  const scenarios = files.map((f) => parseScenario(JSON.parse(readFileSync(f, 'utf8')), f));
  const safe = scenarios.filter((s) => s.expect.verdict === 'safe');

  it('every safe scenario lists the fix removals that break it, or says why none exists', () => {
    expect(safe.length).toBeGreaterThan(0);
    for (const s of safe) expect({ name: s.name, can: s.mutants.length > 0 || (s.noMutants ?? '').length > 0 }).toEqual({ name: s.name, can: true });
  });

  it('holds at least 25 mutants', () => {
    expect(safe.reduce((n, s) => n + s.mutants.length, 0)).toBeGreaterThanOrEqual(25);
  });
});

describe('a mutant parameter named __proto__', () => {
  it('is refused, though JSON.parse keeps it as an own key and the schema would drop it', () => {
    const json = JSON.parse('{"model":"m.ts","params":{"a":1},"expect":{"verdict":"safe"},"mutants":[{"name":"m","params":{"a":2,"__proto__":3},"expect":{"verdict":"violation","property":"P"}}]}');
    expect(refusal(json)).toMatch(/at mutants\.0\.params\.__proto__: not a parameter name/);
  });
});
