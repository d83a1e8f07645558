/**
 * What the Jenkins xUnit plugin's junit-10.xsd (the JUnit schema CI servers validate
 * against) requires of a JUnit file, written down as a check: the elements, their
 * attributes (required and allowed), where each may appear, and the time format. The
 * rules are those of the schema; the code is this project's. Returns the problems found,
 * empty for a valid file.
 */
import { XMLParser } from 'fast-xml-parser';

interface ElementRule {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  readonly children: readonly string[];
  /** Text content allowed (mixed or simple content). */
  readonly text: boolean;
  /** Attributes whose value must match the SUREFIRE_TIME pattern. */
  readonly times?: readonly string[];
}

const RERUN = ['rerunFailure', 'rerunError', 'flakyFailure', 'flakyError'];
const RULES: Readonly<Record<string, ElementRule>> = {
  testsuites: { required: [], optional: ['name', 'time', 'tests', 'failures', 'errors'], children: ['testsuite'], text: false, times: ['time'] },
  testsuite: {
    required: ['name', 'tests', 'failures', 'errors'],
    optional: ['group', 'time', 'skipped', 'timestamp', 'hostname', 'id', 'package', 'file', 'log', 'url'],
    children: ['testsuite', 'properties', 'testcase', 'system-out', 'system-err'],
    text: false,
    times: ['time'],
  },
  testcase: { required: ['name'], optional: ['time', 'classname', 'group'], children: ['skipped', 'error', 'failure', ...RERUN, 'system-out', 'system-err'], text: false },
  failure: { required: [], optional: ['type', 'message'], children: [], text: true },
  error: { required: [], optional: ['type', 'message'], children: [], text: true },
  skipped: { required: [], optional: ['type', 'message'], children: [], text: true },
  properties: { required: [], optional: [], children: ['property'], text: false },
  property: { required: ['name', 'value'], optional: [], children: [], text: false },
  'system-out': { required: [], optional: [], children: [], text: true },
  'system-err': { required: [], optional: [], children: [], text: true },
  ...Object.fromEntries(RERUN.map((r) => [r, { required: ['type'], optional: ['message'], children: ['stackTrace', 'system-out', 'system-err'], text: true }])),
  stackTrace: { required: [], optional: [], children: [], text: true },
};

/** xs:string with the pattern of SUREFIRE_TIME: groups of digits with optional thousands commas, then an optional fraction. */
const SUREFIRE_TIME = /^(?:(?:[0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(?:\.[0-9]*)?$/;

type Node = Record<string, unknown>;

export function junit10Problems(xml: string): string[] {
  const problems: string[] = [];
  let doc: unknown[];
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, trimValues: true }).parse(xml) as unknown[];
  } catch (e) {
    return [`not well-formed: ${(e as Error).message}`];
  }
  const roots = doc.filter((n) => !Object.keys(n as Node).some((k) => k === '?xml'));
  if (roots.length !== 1 || Object.keys(roots[0] as Node).filter((k) => k !== ':@')[0] !== 'testsuites') {
    problems.push('the root element is not one testsuites');
  }
  const visit = (node: Node, path: string): void => {
    const name = Object.keys(node).find((k) => k !== ':@')!;
    const rule = RULES[name];
    const at = `${path}/${name}`;
    if (rule === undefined) {
      problems.push(`${at}: no such element`);
      return;
    }
    const attrs = (node[':@'] ?? {}) as Record<string, string>;
    for (const a of rule.required) if (!(a in attrs)) problems.push(`${at}: attribute ${a} is required`);
    for (const a of Object.keys(attrs)) if (!rule.required.includes(a) && !rule.optional.includes(a)) problems.push(`${at}: attribute ${a} is not allowed`);
    for (const a of rule.times ?? []) if (a in attrs && !SUREFIRE_TIME.test(String(attrs[a]))) problems.push(`${at}: ${a}="${attrs[a]}" is not a SUREFIRE_TIME`);
    for (const child of (node[name] ?? []) as Node[]) {
      const childName = Object.keys(child).find((k) => k !== ':@')!;
      if (childName === '#text') {
        if (!rule.text) problems.push(`${at}: text is not allowed`);
        continue;
      }
      if (!rule.children.includes(childName)) problems.push(`${at}: ${childName} may not appear here`);
      visit(child, at);
    }
  };
  for (const r of roots) visit(r as Node, '');
  return problems;
}
