/**
 * End-to-end tests of `mmrace shrink`: the real `bin/mmrace.js` in a child process, on a
 * depth-first counterexample of a contpte scenario, and on input it must refuse.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, fixtures, mmrace, tmp as tmpIn } from './run.js';

const tmp = (): string => tmpIn('mmrace-e2e-shrink-');

const labels = (t: { schedule: { actor: string; label: string }[] }) => t.schedule.map((s) => `${s.actor}:${s.label}`);

describe('shrink a depth-first counterexample of B-kernel', () => {
  let dir: string;
  let dfsTrace: string;
  let dfs: { schedule: { actor: string; label: string }[]; scenario?: string; params: unknown };

  beforeAll(() => {
    dir = tmp();
    dfsTrace = join(dir, 'b-kernel.trace.json');
    const r = mmrace(['check', 'scenarios/contpte/b-kernel.json', '--strategy', 'dfs', '--workers', '0', '--trace', dfsTrace]);
    expect(r.code).toBe(1);
    dfs = JSON.parse(readFileSync(dfsTrace, 'utf8'));
  });

  it('writes <name>.shrunk.trace.json next to the input, says before → after, ends with the replay command', () => {
    const r = mmrace(['shrink', dfsTrace]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const out = join(dir, 'b-kernel.shrunk.trace.json');
    expect(existsSync(out)).toBe(true);
    expect(r.lines[0]).toBe(`shrink of ${dfsTrace}: violation of INV-KFAULT`);
    // The shortest counterexample of B-kernel has 5 steps and one preemption (K walks
    // while U1 is inside contpte_convert).
    expect(r.lines[1]).toMatch(new RegExp(`^  steps ${dfs.schedule.length} → 5 · preemptions \\d+ → 1 · \\d+ re-executions, to a fixed point$`));
    expect(r.stdout).toMatch(/^REPRODUCED: violation of INV-KFAULT: /m);
    expect(r.lines[r.lines.length - 2]).toBe(`shrunk trace written to ${out}`);
    expect(r.lines[r.lines.length - 1]).toBe(`replay: npx mmrace replay ${out}`);

    const t = JSON.parse(readFileSync(out, 'utf8'));
    expect(t.format).toBe('mmrace-trace/1');
    expect(t.violation).toMatchObject({ kind: 'fault', property: 'INV-KFAULT' });
    expect(t.scenario).toBe(dfs.scenario);
    expect(t.params).toEqual(dfs.params);
    expect(t.schedule).toHaveLength(5);
    const l = labels(t);
    expect(l[l.length - 1]).toBe('K:mmu:walk');
    expect(l).toContain('U1:contpte_convert:xchg');

    const rep = mmrace(['replay', out]);
    expect(rep.code).toBe(1);
    expect(rep.stdout).toMatch(/REPRODUCED: violation of INV-KFAULT/);
  });

  it('--json --out: one JSON object; shrinking the result again changes nothing', () => {
    const out = join(dir, 'sub', 'small.json');
    const r = mmrace(['shrink', dfsTrace, '--out', out, '--json']);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(1);
    const j = JSON.parse(r.lines[0]!);
    expect(j).toMatchObject({
      verdict: 'violation',
      kind: 'fault',
      property: 'INV-KFAULT',
      reproduced: true,
      before: { steps: dfs.schedule.length },
      after: { steps: 5, preemptions: 1 },
      limitHit: false,
      shrunk: true,
      trace: dfsTrace,
      traceFile: out,
      replay: `npx mmrace replay ${out}`,
    });
    expect(j.before.preemptions).toBeGreaterThanOrEqual(1);
    const first = JSON.parse(readFileSync(out, 'utf8'));

    const again = mmrace(['shrink', out, '--json']);
    expect(again.code).toBe(1);
    const j2 = JSON.parse(again.lines[0]!);
    expect(j2.after).toEqual(j2.before);
    const second = JSON.parse(readFileSync(join(dir, 'sub', 'small.shrunk.trace.json'), 'utf8'));
    expect(second.schedule).toEqual(first.schedule);
  });

  it('--max-runs bounds the work and keeps the best found so far', () => {
    const out = join(dir, 'bounded.trace.json');
    const r = mmrace(['shrink', dfsTrace, '--max-runs', '3', '--out', out, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.lines[0]!);
    expect(j).toMatchObject({ reproduced: true, runs: 3, limitHit: true });
    expect(j.after.steps).toBeLessThanOrEqual(j.before.steps);
    expect(j.after.preemptions).toBeLessThanOrEqual(j.before.preemptions);
    expect(mmrace(['replay', out]).code).toBe(1);
  });
});

describe('shrink: other traces and bad input', () => {
  it('a model error trace keeps its error code; the exit code is replay’s (2)', () => {
    const dir = tmp();
    const trace = join(dir, 'throws.json');
    expect(mmrace(['check', join(fixtures, 'throws.ts'), '--trace', trace]).code).toBe(2);
    const r = mmrace(['shrink', trace]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^REPRODUCED: model error E_MODEL_THREW: /m);
    const t = JSON.parse(readFileSync(join(dir, 'throws.shrunk.trace.json'), 'utf8'));
    expect(t.error.code).toBe('E_MODEL_THREW');
    expect(t.schedule.map((s: { label: string }) => s.label)).toEqual(['one', 'two']);
  });

  it('a trace that does not reproduce its violation is refused', () => {
    const dir = tmp();
    const trace = join(dir, 'b-kernel.trace.json');
    expect(mmrace(['check', 'scenarios/contpte/b-kernel.json', '--workers', '0', '--trace', trace]).code).toBe(1);
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    t.violation.property = 'INV-OTHER';
    writeFileSync(trace, JSON.stringify(t));
    const r = mmrace(['shrink', trace]);
    expectOneLineError(r, 'E_TRACE_DIVERGED');
    expect(r.stderr).toMatch(/does not reproduce its violation of INV-OTHER \(fault\): it now ends in fault INV-KFAULT; there is nothing to shrink/);
    expect(existsSync(join(dir, 'b-kernel.shrunk.trace.json'))).toBe(false);
  });

  it('a nondeterministic model is refused, naming the step', () => {
    const dir = tmp();
    const trace = join(dir, 'nondet.json');
    // check itself ends with E_NONDETERMINISTIC (exit 2), and writes the trace to the step.
    expect(mmrace(['check', join(fixtures, 'nondet.ts'), '--trace', trace, '--json']).json).toMatchObject({ verdict: 'error', code: 'E_NONDETERMINISTIC' });
    const r = mmrace(['shrink', trace]);
    expectOneLineError(r, 'E_TRACE_DIVERGED');
    expect(r.stderr).toMatch(/step 1 \(a\[0\] bump\)/);
  });

  it.each([
    ['a missing file', () => ['shrink', join(tmp(), 'none.json')], 'E_IO'],
    [
      'a malformed trace',
      () => {
        const f = join(tmp(), 'trace.json');
        writeFileSync(f, JSON.stringify({ format: 'mmrace-trace/1', schedule: 'no' }));
        return ['shrink', f];
      },
      'E_TRACE_FORMAT',
    ],
    ['--max-runs 0', () => ['shrink', join(tmp(), 'none.json'), '--max-runs', '0'], 'E_USAGE'],
    ['no trace', () => ['shrink'], 'E_USAGE'],
  ] as const)('%s exits 2 with one line on stderr', (_what, args, code) => {
    expectOneLineError(mmrace([...args()]), code);
  });
});
