/**
 * src/report/junit.ts against the rules of junit-10.xsd (test/unit/report/junit10.ts):
 * every outcome, hostile strings, random sets of cases; and the checker itself can say no.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { junitXml, type CaseResult } from '../../../src/report/junit.js';
import { junit10Problems } from './junit10.js';

const outcome = fc.constantFrom<CaseResult['outcome']>('pass', 'failure', 'error', 'skipped');
const text = fc.string({ unit: 'binary', maxLength: 40 });
const caseResult: fc.Arbitrary<CaseResult> = fc.record({
  suite: text,
  name: text,
  seconds: fc.double({ min: 0, max: 1e6, noNaN: true }),
  outcome,
  message: fc.option(text, { nil: undefined }),
  detail: fc.option(text, { nil: undefined }),
}).map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as unknown as CaseResult);

describe('JUnit XML is valid against junit-10.xsd', () => {
  it('with a case of every outcome', () => {
    const xml = junitXml(
      [
        { suite: 'contpte', name: 's', seconds: 0.5, outcome: 'pass' },
        { suite: 'contpte', name: 's~nobbm', seconds: 1.25, outcome: 'failure', message: 'mutant survived', detail: 'expected violation of INV-BBM, got safe' },
        { suite: 'xen', name: 'v-39', seconds: 0, outcome: 'error', message: 'E_MODEL_THREW', detail: 'a step threw' },
        { suite: 'trans_pgd', name: 'v0-n6', seconds: 0, outcome: 'skipped', message: 'deep scenario: run with --deep' },
      ],
      3.75,
    );
    expect(junit10Problems(xml)).toEqual([]);
  });

  it('with no case at all', () => {
    expect(junit10Problems(junitXml([], 0))).toEqual([]);
  });

  it('whatever the names, messages and times (random cases, control characters, markup)', () => {
    fc.assert(
      fc.property(fc.array(caseResult, { maxLength: 6 }), fc.double({ min: 0, max: 1e7, noNaN: true }), (cases, total) => {
        expect(junit10Problems(junitXml(cases, total))).toEqual([]);
      }),
    );
  });
});

describe('the junit-10.xsd check says no', () => {
  const ok = '<?xml version="1.0"?><testsuites name="m" tests="1" failures="0" errors="0" time="1.000"><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c" classname="k" time="0.5"/></testsuite></testsuites>';
  it('to nothing in a valid file', () => {
    expect(junit10Problems(ok)).toEqual([]);
  });
  it('to skipped on testsuites, an attribute the schema has only on testsuite', () => {
    expect(junit10Problems(ok.replace('<testsuites name="m"', '<testsuites name="m" skipped="0"'))).toEqual(['/testsuites: attribute skipped is not allowed']);
  });
  it('to a testcase with file and line (not in junit-10.xsd)', () => {
    expect(junit10Problems(ok.replace('<testcase name="c"', '<testcase name="c" file="a.ts" line="3"'))).toEqual([
      '/testsuites/testsuite/testcase: attribute file is not allowed',
      '/testsuites/testsuite/testcase: attribute line is not allowed',
    ]);
  });
  it('to a testsuite without its required counts, and a time that is not SUREFIRE_TIME', () => {
    expect(junit10Problems(ok.replace(' failures="0" errors="0"><testcase', '><testcase').replace('time="1.000"', 'time="1e3"'))).toEqual([
      '/testsuites: time="1e3" is not a SUREFIRE_TIME',
      '/testsuites/testsuite: attribute failures is required',
      '/testsuites/testsuite: attribute errors is required',
    ]);
  });
  it('to an element out of place, and to a file that is not XML', () => {
    expect(junit10Problems(ok.replace('<testcase name="c"', '<failure/><testcase name="c"'))).toEqual(['/testsuites/testsuite: failure may not appear here']);
    expect(junit10Problems('<testsuites><testsuite')).toHaveLength(1);
  });
});
