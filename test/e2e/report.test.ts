/**
 * The reports on the command line: `explain` in every format, `--format` on check and
 * replay, and the CI outputs (JUnit, SARIF, GitHub Actions annotations) of check and ci.
 */
import { XMLParser } from 'fast-xml-parser';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, mmrace, tmp } from './run.js';

let dir = '';
let trace = '';

beforeAll(() => {
  dir = tmp();
  trace = join(dir, 'b-kernel.trace.json');
  const r = mmrace(['check', 'scenarios/contpte/b-kernel.json', '--workers', '0', '--trace', trace]);
  expect(r.code).toBe(1);
});

describe('explain', () => {
  it('lkml: the race diagram, two columns (U1 and the kernel CPU), within 80 columns, ending at the fault', () => {
    const r = mmrace(['explain', trace, '--format', 'lkml']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    const t = JSON.parse(readFileSync(trace, 'utf8')) as { schedule: { actor: string }[] };
    const actors = [...new Set(t.schedule.map((s) => s.actor))];
    expect(actors).toHaveLength(2);
    const header = lines.find((l) => actors.every((a) => l.includes(a)));
    expect(header, 'a header naming both actors').toBeDefined();
    expect(r.stdout).toMatch(/-> (fault|Oops)/);
  });

  it('md: verdict, diagram, one table row per step, and the exact replay command', () => {
    const r = mmrace(['explain', trace, '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('INV-KFAULT');
    expect(r.stdout).toContain(`npx mmrace replay ${trace}`);
    const steps = (JSON.parse(readFileSync(trace, 'utf8')) as { schedule: unknown[] }).schedule.length;
    const rows = r.stdout.split('\n').filter((l) => /^\|\s*\d+\s*\|/.test(l));
    expect(rows).toHaveLength(steps);
  });

  it('html --out: one self-contained file with an SVG timeline and nothing from the network', () => {
    const file = join(dir, 'report.html');
    const r = mmrace(['explain', trace, '--format', 'html', '--out', file]);
    expect(r.code).toBe(0);
    const page = readFileSync(file, 'utf8');
    expect(page).toMatch(/<svg[\s>]/);
    expect(page).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(page).not.toMatch(/<link\b/i);
  });

  it('json: the trace itself, valid, with its model path relative to where it is written', () => {
    const r = mmrace(['explain', trace, '--format', 'json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout) as { format: string; model: { path: string } };
    expect(t.format).toBe('mmrace-trace/1');
    expect(existsSync(join(process.cwd(), t.model.path))).toBe(true);
  });

  it('text: the steps with what they changed', () => {
    const r = mmrace(['explain', trace]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/REPRODUCED: violation of INV-KFAULT/);
  });

  it('a trace of an unknown format version, or with a field missing, is refused: exit 2, one line', () => {
    const t = JSON.parse(readFileSync(trace, 'utf8')) as Record<string, unknown>;
    const sub = join(dir, 'bad');
    mkdirSync(sub, { recursive: true });
    const v2 = join(sub, 'v2.trace.json');
    writeFileSync(v2, JSON.stringify({ ...t, format: 'mmrace-trace/2' }));
    expectOneLineError(mmrace(['explain', v2, '--format', 'lkml']), 'E_TRACE_FORMAT');
    const { schedule: _s, ...noSchedule } = t;
    const missing = join(sub, 'missing.trace.json');
    writeFileSync(missing, JSON.stringify(noSchedule));
    expectOneLineError(mmrace(['explain', missing, '--format', 'md']), 'E_TRACE_FORMAT', /schedule/);
    expectOneLineError(mmrace(['explain', trace, '--format', 'pdf']), 'E_USAGE');
  });
});

/** The words of a command a report prints (none of them quoted in these reports). */
function words(command: string): string[] {
  expect(command).not.toMatch(/['"\\]/);
  return command.trim().split(/\s+/);
}

/** The trace file a Markdown report carries: the ```json block inside <details>, and the sh blocks before it. */
function fromMarkdown(md: string): { json: string; commands: string[] } {
  const details = md.indexOf('<details><summary>trace (JSON)</summary>');
  expect(details).toBeGreaterThan(0);
  const json = /```json\n([\s\S]*?)\n```\n/.exec(md.slice(details))?.[1];
  expect(json).toBeDefined();
  const commands = [...md.slice(0, details).matchAll(/```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
  return { json: json! + '\n', commands };
}

/** The trace file an HTML report carries, and its replay and schedule commands, read as a browser does. */
async function fromHtml(page: string): Promise<{ json: string; replay: string; schedule: string }> {
  const { Window } = await import('happy-dom');
  const w = new Window({ url: 'file:///report.html' });
  try {
    const doc = new w.DOMParser().parseFromString(page, 'text/html');
    const get = (sel: string): string => {
      const e = doc.querySelector(sel);
      expect(e, sel).not.toBeNull();
      return e!.textContent ?? '';
    };
    return { json: get('pre#mmrace-trace'), replay: get('#replay'), schedule: get('#schedule') };
  } finally {
    await w.happyDOM.close();
  }
}

describe('self-contained reports: the trace and the schedule travel with them', () => {
  /** A fresh trace of b-kernel, in a folder of its own, and the violation check reported. */
  function found(): { file: string; property: string } {
    const file = join(tmp(), 'sub', 'b-kernel.trace.json');
    const r = mmrace(['check', 'scenarios/contpte/b-kernel.json', '--workers', '0', '--trace', file, '--json']);
    expect(r.code).toBe(1);
    return { file, property: r.json.property };
  }

  /**
   * Runs the report's replay command with the trace file gone and the report's JSON saved
   * under the name it gives; then its schedule command. Both reproduce `property`.
   */
  function reproduces(file: string, json: string, replay: string, schedule: string, property: string): void {
    const original = readFileSync(file, 'utf8');
    rmSync(file);
    expect(JSON.parse(json)).toEqual(JSON.parse(original));
    writeFileSync(file, json);
    const cmd = words(replay);
    expect(cmd.slice(0, 3)).toEqual(['npx', 'mmrace', 'replay']);
    expect(cmd[3]).toBe(file);
    const rep = mmrace(cmd.slice(2));
    expect(rep.code).toBe(1);
    expect(rep.stdout).toContain(`REPRODUCED: violation of ${property}: `);
    const sch = words(schedule);
    expect(sch.slice(0, 3)).toEqual(['npx', 'mmrace', 'check']);
    expect(sch).toContain('--schedule');
    const again = mmrace(sch.slice(2));
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(`REPRODUCED: violation of ${property}: `);
  }

  it('explain --format md: the JSON in the report, saved as the file its replay command names, replays; so does its schedule command', () => {
    const { file, property } = found();
    const r = mmrace(['explain', file, '--format', 'md']);
    expect(r.code).toBe(0);
    const { json, commands } = fromMarkdown(r.stdout);
    expect(commands).toHaveLength(2);
    reproduces(file, json, commands[0]!, commands[1]!, property);
  });

  it('explain --format html --out: the same from the HTML page', async () => {
    const { file, property } = found();
    const out = join(tmp(), 'report.html');
    expect(mmrace(['explain', file, '--format', 'html', '--out', out]).code).toBe(0);
    const page = await fromHtml(readFileSync(out, 'utf8'));
    reproduces(file, page.json, page.replay, page.schedule, property);
  });

  it('check --format md and replay --format html carry them too', async () => {
    const file = join(tmp(), 'c.trace.json');
    const md = mmrace(['check', 'scenarios/trans_pgd/v0-inv-other.json', '--workers', '0', '--trace', file, '--format', 'md']);
    expect(md.code).toBe(1);
    const fromCheck = fromMarkdown(md.stdout);
    expect(JSON.parse(fromCheck.json)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    const rep = mmrace(['replay', file, '--format', 'html']);
    expect(rep.code).toBe(1);
    const page = await fromHtml(rep.stdout);
    expect(JSON.parse(page.json)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    expect(page.schedule).toBe(fromCheck.commands[1]);
    reproduces(file, page.json, page.replay, page.schedule, 'INV-W');
  });
});

describe('which model a trace loads', () => {
  it('the model of its scenario, and replay says which; a trace naming another model is refused, nothing loaded', () => {
    const r = mmrace(['replay', trace]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}model models\/contpte\/contpte\.ts \(named by scenario scenarios\/contpte\/b-kernel\.json\)$/m);
    const t = JSON.parse(readFileSync(trace, 'utf8')) as { model: { path: string } };
    const other = join(dir, 'other-model.trace.json');
    writeFileSync(other, JSON.stringify({ ...t, model: { ...t.model, path: t.model.path.replace('contpte/contpte.ts', 'direct_map/direct_map.ts') } }));
    for (const cmd of ['replay', 'explain', 'shrink']) {
      expectOneLineError(mmrace([cmd, other]), 'E_TRACE_FORMAT', /names model models\/direct_map\/direct_map\.ts, but its scenario .* names models\/contpte\/contpte\.ts/);
    }
  });
});

describe('--format on check and replay', () => {
  it('check --format lkml prints the diagram of the counterexample; md says safe for a safe scenario', () => {
    const bug = mmrace(['check', 'scenarios/contpte/b-kernel.json', '--workers', '0', '--format', 'lkml', '--trace', join(dir, 'f.trace.json')]);
    expect(bug.code).toBe(1);
    expect(bug.stdout).toMatch(/-> (fault|Oops)/);
    for (const l of bug.stdout.trimEnd().split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    const safe = mmrace(['check', 'scenarios/contpte/efi-mm.json', '--workers', '0', '--format', 'md']);
    expect(safe.code).toBe(0);
    expect(safe.stdout).toMatch(/SAFE/);
  });

  it('replay --format md: the report, and exit 1 as the violation reproduces', () => {
    const r = mmrace(['replay', trace, '--format', 'md']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('INV-KFAULT');
  });
});

describe('CI outputs', () => {
  it('ci --junit and --sarif: one testcase per scenario, a SARIF result for the scenario that fails its expectation', () => {
    const scen = join(dir, 'scen');
    mkdirSync(scen, { recursive: true });
    copyFileSync('scenarios/contpte/b-kernel.json', join(scen, 'b-kernel.json'));
    copyFileSync('scenarios/contpte/efi-mm.json', join(scen, 'efi-mm.json'));
    // The same scenario, wrongly expected safe: a surprise.
    const wrong = JSON.parse(readFileSync('scenarios/contpte/b-kernel.json', 'utf8')) as Record<string, unknown>;
    writeFileSync(join(scen, 'wrong.json'), JSON.stringify({ ...wrong, name: 'wrong', expect: { verdict: 'safe' } }));
    for (const f of ['b-kernel.json', 'efi-mm.json', 'wrong.json']) {
      const s = JSON.parse(readFileSync(join(scen, f), 'utf8')) as { model: string };
      writeFileSync(join(scen, f), JSON.stringify({ ...s, model: join(process.cwd(), 'scenarios/contpte', s.model) }));
    }
    const junit = join(dir, 'out/junit.xml');
    const sarifFile = join(dir, 'out/mmrace.sarif');
    const r = mmrace(['ci', scen, '--workers', '0', '--junit', junit, '--sarif', sarifFile], process.cwd(), { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(1);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')) as any;
    const cases = [xml.testsuites.testsuite.testcase].flat();
    expect(cases.map((c: any) => c['@_name']).sort()).toEqual(['b-kernel', 'efi-mm', 'wrong']);
    expect(cases.filter((c: any) => c.failure !== undefined).map((c: any) => c['@_name'])).toEqual(['wrong']);
    // junit-10.xsd: skipped is an attribute of testsuite, not of testsuites.
    expect(xml.testsuites['@_skipped']).toBeUndefined();
    const log = JSON.parse(readFileSync(sarifFile, 'utf8')) as any;
    expect(log.version).toBe('2.1.0');
    // Only the surprise is a result (the two expectations met are none).
    const results = log.runs[0].results;
    expect(results).toHaveLength(1);
    expect(results[0].level).toBe('error');
    // It points at the line of the model file that defines the failing step, relative to
    // the repository (SRCROOT), and at the scenario.
    const [step, scenario] = results[0].locations.map((l: any) => l.physicalLocation);
    expect(log.runs[0].originalUriBaseIds.SRCROOT.uri).toBe(`file://${process.cwd()}/`);
    expect(step.artifactLocation).toEqual({ uri: expect.stringMatching(/^models\/contpte\/[^/]+\.ts$/), uriBaseId: 'SRCROOT' });
    expect(step.region.startLine).toBeGreaterThan(1);
    const trace = JSON.parse(readFileSync(results[0].properties.traceFile, 'utf8')) as { schedule: { label: string }[] };
    const label = trace.schedule.at(-1)!.label;
    const line = readFileSync(step.artifactLocation.uri, 'utf8').split('\n')[step.region.startLine - 1]!;
    expect(line).toContain(label);
    expect(scenario.artifactLocation.uri).toMatch(/wrong\.json$/);
    // GitHub Actions: one error annotation, for the surprise, on that line.
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toContain(`::error file=${step.artifactLocation.uri},line=${step.region.startLine},`);
  });

  it('check --junit --sarif on one scenario', () => {
    const junit = join(dir, 'check/junit.xml');
    const sarifFile = join(dir, 'check/out.sarif');
    const r = mmrace(['check', 'scenarios/contpte/b-kernel.json', '--workers', '0', '--trace', join(dir, 'c.trace.json'), '--junit', junit, '--sarif', sarifFile]);
    expect(r.code).toBe(1);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')) as any;
    // The scenario expects this violation: its testcase passes.
    expect(xml.testsuites['@_failures']).toBe('0');
    // Green: no result, since code scanning shows each as an alert.
    const log = JSON.parse(readFileSync(sarifFile, 'utf8')) as any;
    expect(log.runs[0].results).toEqual([]);
  });
});
