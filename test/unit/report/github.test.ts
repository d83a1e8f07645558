import { describe, expect, it } from 'vitest';
import { githubAnnotations } from '../../../src/report/github.js';
import type { SarifCase } from '../../../src/report/sarif.js';
import { checkResult } from './fixtures.js';

const result = checkResult;

/** Undoes the runner's escapes in one pass (so an escaped `%0A` is not decoded twice). */
const unescape = (s: string) => s.replace(/%(25|0D|0A|3A|2C)/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

/**
 * Reads a workflow command as the runner does: `::name k=v,k=v::message`, the properties
 * ending at the first `::`, split at `,` and the first `=`.
 */
function parseCommand(line: string): { name: string; props: Record<string, string>; message: string } {
  const m = /^::([a-z-]+) ([^]*?)::([^]*)$/.exec(line);
  if (!m) throw new Error(`not a workflow command: ${line}`);
  const props: Record<string, string> = {};
  for (const kv of m[2]!.split(',')) {
    const i = kv.indexOf('=');
    props[kv.slice(0, i)] = unescape(kv.slice(i + 1));
  }
  return { name: m[1]!, props, message: unescape(m[3]!) };
}

describe('githubAnnotations', () => {
  it('writes ::error for an expectation not met, escaped as GitHub reads it', () => {
    const lines = githubAnnotations([
      { scenarioFile: 'scenarios/xen/v.json', name: 'v', result: result({ states: 10 }), expected: 'violation of INV-X', met: false },
    ]);
    expect(lines).toEqual([
      '::error file=scenarios/xen/v.json,line=1,title=mmrace v%3A expected violation of INV-X%2C got safe::' +
        'SAFE: no violation in the 10 reachable states%0Aexpected violation of INV-X: NOT MET%0Arerun: npx mmrace check scenarios/xen/v.json',
    ]);
  });

  it('writes nothing for a green run: an expected violation found, a met safe', () => {
    const lines = githubAnnotations([
      { scenarioFile: 'scenarios/a/safe.json', name: 'safe', result: result({}), expected: 'safe', met: true },
      {
        scenarioFile: 'scenarios/contpte/b-kernel.json',
        name: 'b-kernel',
        result: result({ verdict: 'violation', property: 'INV-KFAULT', kind: 'fault', message: 'Oops' }),
        expected: 'violation of INV-KFAULT',
        met: true,
        traceFile: '.mmrace/traces/b-kernel-1.trace.json',
      },
    ]);
    expect(lines).toEqual([]);
  });

  it('points an unexpected violation at the line of the model that defines its step, with the replay command', () => {
    const lines = githubAnnotations([
      {
        scenarioFile: 'scenarios/contpte/s.json',
        modelFile: 'models/contpte/contpte.ts',
        modelLine: 42,
        name: 's',
        result: result({ verdict: 'violation', property: 'INV-KFAULT', kind: 'fault', message: 'Oops' }),
        expected: 'safe',
        met: false,
        traceFile: '.mmrace/traces/s-1.trace.json',
      },
    ]);
    const c = parseCommand(lines[0]!);
    expect(c.name).toBe('error');
    expect(c.props).toEqual({ file: 'models/contpte/contpte.ts', line: '42', title: 'mmrace s: violation of INV-KFAULT' });
    expect(c.message.split('\n')).toEqual(['VIOLATION of INV-KFAULT: Oops', 'expected safe: NOT MET', 'replay: npx mmrace replay .mmrace/traces/s-1.trace.json']);
  });

  it('writes ::error for an unexpected violation and for an error', () => {
    const lines = githubAnnotations([
      { scenarioFile: 's/a.json', name: 'a', result: result({ verdict: 'violation', property: 'P', kind: 'invariant', message: 'P does not hold' }), expected: 'safe', met: false },
      { scenarioFile: 's/b.json', name: 'b', error: { code: 'E_SCENARIO', message: 'bad' }, met: false },
    ]);
    expect(lines.map((l) => parseCommand(l).name)).toEqual(['error', 'error']);
    expect(parseCommand(lines[1]!).props['title']).toBe('mmrace b: error E_SCENARIO');
  });

  it('keeps hostile strings inside their own command', () => {
    const hostile = 'x\n::add-mask::secret\r\n::error file=/etc/passwd::pwned %0A, title=t: done';
    const file = 'scenarios/a,title=pwned:b::c%0A.json';
    const c: SarifCase = {
      scenarioFile: file,
      name: `n\n::warning::w`,
      result: result({ verdict: 'violation', property: `P,title=Q::R\n::error::e`, kind: 'fault', message: hostile }),
      expected: 'safe',
      met: false,
      traceFile: 't.json',
    };
    const lines = githubAnnotations([c]);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toMatch(/[\r\n]/);
    const got = parseCommand(line);
    expect(got.name).toBe('error');
    expect(Object.keys(got.props)).toEqual(['file', 'line', 'title']);
    expect(got.props['file']).toBe(file);
    expect(got.props['title']).toBe(`mmrace n\n::warning::w: violation of P,title=Q::R\n::error::e`);
    expect(got.message).toContain(`VIOLATION of P,title=Q::R\n::error::e: ${hostile}`);
  });
});
