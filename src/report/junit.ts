/**
 * JUnit XML for CI systems: one testsuite, one testcase per scenario. Every string in it
 * goes through `xmlText` (escape.ts) on its way into the document: XML 1.0 may not hold a
 * model's ESC or BEL, not even as a character reference, so they are spelled out
 * (`\u001b`), and the file stays well-formed whatever a label or message holds.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { oneLine, xmlText } from './escape.js';

export interface CaseResult {
  /** Folder of the scenario (the model family), as the test class. */
  readonly suite: string;
  readonly name: string;
  readonly seconds: number;
  readonly outcome: 'pass' | 'failure' | 'error' | 'skipped';
  readonly message?: string;
  readonly detail?: string;
}

export function junitXml(cases: readonly CaseResult[], totalSeconds: number): string {
  const count = (o: CaseResult['outcome']) => cases.filter((c) => c.outcome === o).length;
  const testcase = cases.map((c) => ({
    '@_classname': c.suite,
    '@_name': c.name,
    '@_time': c.seconds.toFixed(3),
    ...(c.outcome === 'failure' ? { failure: { '@_message': c.message ?? '', '#text': c.detail ?? '' } } : {}),
    ...(c.outcome === 'error' ? { error: { '@_message': c.message ?? '', '#text': c.detail ?? '' } } : {}),
    ...(c.outcome === 'skipped' ? { skipped: { '@_message': c.message ?? '' } } : {}),
  }));
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': 'mmrace',
      '@_tests': cases.length,
      '@_failures': count('failure'),
      '@_errors': count('error'),
      // junit-10.xsd (the schema CI servers validate against) has no skipped on testsuites: only on testsuite.
      '@_time': totalSeconds.toFixed(3),
      testsuite: {
        '@_name': 'mmrace ci',
        '@_tests': cases.length,
        '@_failures': count('failure'),
        '@_errors': count('error'),
        '@_skipped': count('skipped'),
        '@_time': totalSeconds.toFixed(3),
        testcase,
      },
    },
  };
  const b = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    suppressEmptyNode: true,
    // An attribute is one line (a parser turns a raw line break in it into a space): every control character spelled out.
    attributeValueProcessor: (_name: string, v: unknown) => (typeof v === 'string' ? oneLine(xmlText(v)) : v),
    tagValueProcessor: (_name: string, v: unknown) => (typeof v === 'string' ? xmlText(v) : v),
  });
  return b.build(doc) as string;
}
