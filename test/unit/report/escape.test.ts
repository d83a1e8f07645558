/**
 * The one escaping rule of mmrace's output (src/report/escape.ts), and where it is used:
 * error lines (formatError, cut to a bounded length), JUnit (well-formed XML 1.0 whatever a
 * model string holds), the GitHub annotations (no raw control character).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { MmraceError } from '../../../src/errors.js';
import { formatError } from '../../../src/report/error.js';
import { MAX_MESSAGE, capped, oneLine, printable, xmlText } from '../../../src/report/escape.js';
import { githubAnnotations } from '../../../src/report/github.js';
import { junitXml } from '../../../src/report/junit.js';
import { checkResult } from './fixtures.js';

/** Strings a model may hold that a terminal, a CI log or an XML parser would act on. */
const HOSTILE = [
  '\x1b[31mred\x1b[0m',
  '\x1b]8;;https://evil.example\x07link\x1b]8;;\x07',
  'bell\x07',
  'x\n::error::pwned',
  'a\r\n##[error]old',
  'line\u2028sep\u2029para',
  'rtl\u202eexe.txt',
  'nul\0del\x7fcsi\u009b',
  'zero\u200bwidth\ufeff',
];

/** A character a terminal acts on: controls, DEL, C1, the separators, bidirectional controls. */
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Not an XML 1.0 character (its Char production). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

describe('oneLine', () => {
  it('spells out every control character, newlines too, and keeps the rest', () => {
    for (const s of HOSTILE) expect(oneLine(s), JSON.stringify(s)).not.toMatch(RAW);
    expect(oneLine('x\n::error::pwned')).toBe('x\\n::error::pwned');
    expect(oneLine('\x1b[31m\x07\t\r')).toBe('\\u001b[31m\\u0007\\t\\r');
    expect(oneLine('rtl\u202eexe')).toBe('rtl\\u202eexe');
    expect(oneLine('中文 😀 é <>&')).toBe('中文 😀 é <>&');
  });
});

describe('printable', () => {
  it('keeps the newlines between lines, spells out the other controls', () => {
    expect(printable('a\x1b[2J\nb\x07')).toBe('a\\u001b[2J\nb\\u0007');
    expect(printable('a\u2028b')).toBe('a\\u2028b');
  });

  it('lets no line start with a workflow command, after blanks either', () => {
    const text = printable(['::error::x', '  ::warning file=a::y', 'ok ::error::inside', '##[error]old', '\u3000::notice::z', 'fine'].join('\n'));
    expect(text.split('\n').filter((l) => /^\s*(::|##\[)/.test(l))).toEqual([]);
    expect(text.split('\n')).toEqual(['\\u003a:error::x', '  \\u003a:warning file=a::y', 'ok ::error::inside', '\\u0023#[error]old', '\u3000\\u003a:notice::z', 'fine']);
  });

  it('leaves JSON the same JSON', () => {
    const value = { s: HOSTILE.join(' '), n: 1 };
    expect(JSON.parse(printable(JSON.stringify(value)))).toEqual(value);
  });
});

describe('xmlText', () => {
  it('spells out what XML 1.0 may not hold, keeps tab, newline and carriage return', () => {
    for (const s of HOSTILE) expect(xmlText(s), JSON.stringify(s)).not.toMatch(NOT_XML_CHAR);
    expect(xmlText('a\x1b[1m\x07\t\n\r\ud800\uffff')).toBe('a\\u001b[1m\\u0007\t\n\r\\ud800\\uffff');
  });
});

describe('capped and formatError', () => {
  it('cuts a long message, saying how long it was, never an escape in the middle', () => {
    expect(capped('short')).toBe('short');
    const long = 'x'.repeat(10_000_000);
    expect(capped(long)).toBe(`${'x'.repeat(MAX_MESSAGE)}… (10000000 characters)`);
    const escaped = oneLine('y'.repeat(MAX_MESSAGE - 2) + '\x1b'.repeat(10));
    expect(capped(escaped)).toBe(`${'y'.repeat(MAX_MESSAGE - 2)}… (${escaped.length} characters)`);
  });

  it('an error quoting 10 MB of input is one line of bounded length', () => {
    const input = 'z\n'.repeat(5_000_000);
    const line = formatError(new MmraceError('E_SCENARIO', `bad: ${input} and again ${input}`, `hint ${input}`));
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThan(2 * MAX_MESSAGE + 200);
    expect(line).toMatch(/^mmrace: error E_SCENARIO: bad: z\\nz\\n.*… \(\d+ characters\) \(hint z\\n.*… \(\d+ characters\)\)$/);
    expect(formatError(new Error('y'.repeat(100_000))).length).toBeLessThan(MAX_MESSAGE + 200);
  });
});

describe('junitXml with hostile strings', () => {
  it('is well-formed XML 1.0 and keeps every string, spelled out', () => {
    const xml = junitXml(
      HOSTILE.map((s, i) => ({ suite: `suite ${s}`, name: `case ${i} ${s}`, seconds: 1, outcome: (i % 2 ? 'failure' : 'error') as 'failure' | 'error', message: `message ${s}`, detail: `detail ${s}\nsecond line` })),
      3,
    );
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(NOT_XML_CHAR);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(xml);
    const cases = doc.testsuites.testsuite.testcase as Record<string, any>[];
    expect(cases).toHaveLength(HOSTILE.length);
    cases.forEach((c, i) => {
      const node = c['failure'] ?? c['error'];
      expect(c['@_name']).toBe(`case ${i} ${oneLine(HOSTILE[i]!)}`);
      expect(node['@_message']).toBe(`message ${oneLine(HOSTILE[i]!)}`);
      // A parser may turn a carriage return into a newline.
      const lf = (t: string) => t.replace(/\r\n?/g, '\n');
      expect(lf(String(node['#text']))).toContain(lf(`detail ${xmlText(HOSTILE[i]!)}`));
    });
  });
});

describe('githubAnnotations with control characters', () => {
  it('spells them out: the line holds no raw control character', () => {
    const lines = githubAnnotations([
      {
        scenarioFile: 's/\x1b[31m.json',
        name: 'n\x07',
        result: checkResult({ verdict: 'violation', property: 'P\x1b]8;;x\x07', kind: 'fault', message: HOSTILE.join(' ') }),
        expected: 'safe',
        met: false,
      },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(RAW);
    expect(lines[0]).toMatch(/^::error file=s\/\\u001b\[31m\.json,line=1,title=mmrace n\\u0007%3A /);
    expect(lines[0]).toContain('P\\u001b]8;;x\\u0007');
  });
});
