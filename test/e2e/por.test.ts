/** --por / --no-por on the command line: same verdicts, fewer states, the same at any worker count. */
import { describe, expect, it } from 'vitest';
import { mmrace } from './run.js';

const check = (args: string[]) => mmrace(['check', ...args, '--json']);

describe('partial-order reduction on the command line', () => {
  it('a safe contpte scenario: safe either way, fewer states with reduction (the default), the same at 0 and 2 workers', () => {
    const off = check(['scenarios/contpte/s.json', '--no-por', '--workers', '0']);
    const on = check(['scenarios/contpte/s.json', '--workers', '0']);
    const onPar = check(['scenarios/contpte/s.json', '--por', '--workers', '2']);
    expect([off.code, on.code, onPar.code]).toEqual([0, 0, 0]);
    expect(off.json['reductions']).toEqual([]);
    expect(on.json['reductions']).toEqual(['por']);
    expect(on.json['states'] as number).toBeLessThan(off.json['states'] as number);
    for (const k of ['verdict', 'states', 'transitions', 'depth', 'reductions']) expect(onPar.json[k], k).toEqual(on.json[k]);
  });

  it('--compare-por reports the states without the reduction: those of --no-por', () => {
    const off = check(['scenarios/contpte/s.json', '--no-por', '--workers', '0']);
    const cmp = check(['scenarios/contpte/s.json', '--compare-por', '--workers', '0']);
    expect(cmp.code).toBe(0);
    expect(cmp.json['statesWithoutPor']).toBe(off.json['states']);
    expect(cmp.json['states'] as number).toBeLessThan(cmp.json['statesWithoutPor'] as number);
  });

  it('a violating contpte scenario: the same violated property with and without reduction', () => {
    const off = check(['scenarios/contpte/b-kernel.json', '--no-por', '--workers', '0']);
    const on = check(['scenarios/contpte/b-kernel.json', '--workers', '0']);
    expect([off.code, on.code]).toEqual([1, 1]);
    expect(on.json['property']).toBe(off.json['property']);
    expect(on.json['expectationMet']).toBe(true);
  });

  it('--sleep-sets: the same states, depth and counterexample with fewer transitions, the same at 0 and 2 workers', () => {
    const plain = check(['scenarios/contpte/s.json', '--workers', '0']);
    const seq = check(['scenarios/contpte/s.json', '--sleep-sets', '--workers', '0']);
    const par = check(['scenarios/contpte/s.json', '--sleep-sets', '--workers', '2']);
    expect([plain.code, seq.code, par.code]).toEqual([0, 0, 0]);
    expect(seq.json['reductions']).toEqual(['por', 'sleep-sets']);
    for (const k of ['verdict', 'states', 'depth']) expect(seq.json[k], k).toEqual(plain.json[k]);
    expect(seq.json['transitions'] as number).toBeLessThan(plain.json['transitions'] as number);
    for (const k of ['verdict', 'states', 'transitions', 'depth', 'reductions']) expect(par.json[k], k).toEqual(seq.json[k]);
    const bug = check(['scenarios/contpte/b-kernel.json', '--workers', '0']);
    const bugSleep = check(['scenarios/contpte/b-kernel.json', '--sleep-sets', '--workers', '2']);
    expect([bug.code, bugSleep.code]).toEqual([1, 1]);
    expect(bugSleep.json['trace']).toEqual(bug.json['trace']);
  });
});
