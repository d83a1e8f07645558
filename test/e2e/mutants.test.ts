/**
 * `mmrace ci` and the mutants of a safe scenario: each runs after its scenario, a killed
 * one passes, a surviving one fails the run with the command that reruns it, and the
 * JSON, text and JUnit outputs count them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mmrace, root, tmp } from './run.js';

/** A folder of one scenario: contpte's s.json with `mutants`, its model named by absolute path. */
function suite(mutants: unknown[]): { dir: string; file: string } {
  const dir = tmp();
  const sc = join(dir, 'scenarios/contpte');
  mkdirSync(sc, { recursive: true });
  const s = JSON.parse(readFileSync(join(root, 'scenarios/contpte/s.json'), 'utf8'));
  s.model = join(root, 'models/contpte/contpte.ts');
  s.mutants = mutants;
  const file = join(sc, 's.json');
  writeFileSync(file, JSON.stringify(s));
  return { dir, file };
}

const KILLED = { name: 'ungated', params: { mm: 'init_mm', gate: 'none' }, expect: { verdict: 'violation', property: 'INV-KFAULT' } };
/** One CPU instead of two: nothing races the fold, so no violation, and the mutant survives. */
const SURVIVES = { name: 'one-cpu', params: { cpus: 1 }, expect: { verdict: 'violation', property: 'INV-KFAULT' } };

describe('ci runs the mutants of a safe scenario', () => {
  it('passes when every mutant is killed, and counts them', () => {
    const { dir } = suite([KILLED]);
    const r = mmrace(['ci', 'scenarios', '--json'], dir);
    expect(r.code).toBe(0);
    expect(r.json.mutants).toEqual({ total: 1, killed: 1 });
    const rows = r.json.scenarios as { name: string; got: string; ok: boolean; mutant?: { name: string } }[];
    expect(rows.map((x) => [x.name, x.got, x.ok, x.mutant?.name])).toEqual([
      ['s', 'safe', true, undefined],
      ['s~ungated', 'violation of INV-KFAULT', true, 'ungated'],
    ]);
  });

  it('fails on a surviving mutant, says so, and prints the command that reruns it', () => {
    const { dir } = suite([KILLED, SURVIVES]);
    const junit = join(dir, 'junit.xml');
    const r = mmrace(['ci', 'scenarios', '--junit', junit], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^contpte\/s~one-cpu\s+violation of INV-KFAULT\s+safe\s.*FAIL$/m);
    expect(r.stdout).toMatch(/^2 passed, 1 failed, 0 skipped; mutants: 1 of 2 killed$/m);
    expect(r.stdout).toMatch(/SURPRISE s~one-cpu: mutant survived \(the scenario could not fail without its fix\): expected violation of INV-KFAULT, got safe/);
    const rerun = /rerun: npx mmrace check (\S+) (-p \S+)/.exec(r.stdout);
    expect(rerun).not.toBeNull();
    expect(rerun![2]).toBe('-p cpus=1');
    // The command runs the mutant's search: safe, as ci said.
    const again = mmrace(['check', rerun![1]!, ...rerun![2]!.split(' '), '--json'], dir);
    expect(again.json.verdict).toBe('safe');
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toMatch(/<testcase [^>]*name="s~one-cpu"/);
  });

  it('skips the mutants of a deep scenario with it', () => {
    const { dir, file } = suite([KILLED]);
    const s = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...s, tags: ['deep'] }));
    const r = mmrace(['ci', 'scenarios', '--json'], dir);
    expect(r.code).toBe(0);
    expect(r.json.skipped).toBe(2);
    expect(r.json.mutants).toEqual({ total: 0, killed: 0 });
  });

  it('refuses a scenario whose mutant names a parameter the model does not have', () => {
    const { dir } = suite([{ ...KILLED, params: { nosuch: 1 } }]);
    const r = mmrace(['ci', 'scenarios', '--json'], dir);
    expect(r.code).toBe(2);
    const bad = (r.json.scenarios as { name: string; got: string }[]).find((x) => x.name === 's~ungated');
    expect(bad?.got).toMatch(/^error E_/);
  });
});
