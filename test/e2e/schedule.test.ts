/**
 * The one-line schedule on the command line: the `--schedule` command that check, ci,
 * replay and the md/html reports print after a violation is parsed from their real output,
 * run, and reproduces the same violation with no trace file; `check --schedule` tells the
 * replay as `mmrace replay` does (the same steps, end line and exit code); and a
 * malformed schedule, another version, or one that does not fit the model is one error
 * line, exit 2.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, mmrace, root, tmp, type Run } from './run.js';

/** The schedule command printed in `text` (a line `schedule: npx mmrace check …`), split into its words. */
function printedCommand(text: string): { line: string; args: string[]; schedule: string } {
  const lines = text.split('\n').filter((l) => /schedule: npx mmrace check /.test(l));
  expect(lines, text).toHaveLength(1);
  const line = lines[0]!.replace(/^.*schedule: /, '');
  // Every word of these commands is shell-safe: none is quoted.
  expect(line).not.toMatch(/['"\\]/);
  const words = line.split(' ');
  expect(words.slice(0, 3)).toEqual(['npx', 'mmrace', 'check']);
  const args = words.slice(2);
  const schedule = args[args.indexOf('--schedule') + 1]!;
  return { line, args, schedule };
}

/** The steps and the end line of a replay's text output: from the first step to `REPRODUCED …`. */
function told(r: Run): string[] {
  const lines = r.stdout.trimEnd().split('\n');
  const end = lines.findIndex((l) => /^(REPRODUCED|NOT REPRODUCED|DIVERGED)/.test(l));
  const start = lines.findIndex((l) => /^ +\d+\. /.test(l));
  expect(end, r.stdout).toBeGreaterThan(0);
  return lines.slice(start < 0 ? end : start, end + 1);
}

const SEEDS = [
  { scenario: 'scenarios/contpte/b-kernel.json', property: 'INV-KFAULT' },
  { scenario: 'scenarios/trans_pgd/v0-inv-other.json', property: 'INV-W' },
  { scenario: 'scenarios/xen/v-pre-high.json', property: 'INV-X' },
  { scenario: 'scenarios/direct_map/b2.json', property: 'INV-COPY' },
];

describe.each(SEEDS)('$scenario: the printed schedule reproduces $property', ({ scenario, property }) => {
  const dir = tmp();
  const trace = join(dir, 'found.trace.json');

  it('check prints it next to the replay command; check --schedule replays it as replay does the trace', () => {
    const found = mmrace(['check', scenario, '--workers', '0', '--trace', trace]);
    expect(found.code).toBe(1);
    expect(found.stdout).toContain(`VIOLATION of ${property}`);
    const lines = found.stdout.trimEnd().split('\n');
    const replayAt = lines.findIndex((l) => l.startsWith('replay: npx mmrace replay '));
    expect(lines[replayAt + 1]).toMatch(/^schedule: npx mmrace check /);
    const cmd = printedCommand(found.stdout);
    expect(cmd.args[1]).toBe(scenario);
    expect(cmd.line.length).toBeLessThan(200);

    const again = mmrace(cmd.args);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain(`REPRODUCED: violation of ${property}: `);
    const rep = mmrace(['replay', trace]);
    expect(rep.code).toBe(1);
    expect(told(again)).toEqual(told(rep));
    // replay prints the same schedule command.
    expect(printedCommand(rep.stdout).line).toBe(cmd.line);

    const json = mmrace([...cmd.args, '--json']);
    expect(json.code).toBe(1);
    expect(json.json.verdict).toBe('violation');
    expect(json.json.property).toBe(property);
    expect(json.json.reproduced).toBe(true);
    expect(json.json.schedule).toBe(cmd.schedule);
  });

  it('check --json gives the schedule and its command', () => {
    const r = mmrace(['check', scenario, '--workers', '0', '--trace', join(dir, 'j.trace.json'), '--json']);
    expect(r.code).toBe(1);
    expect(r.json.scheduleCommand).toBe(`npx mmrace check ${scenario} --schedule ${r.json.schedule}`);
    const again = mmrace(['check', scenario, '--schedule', r.json.schedule, '--json']);
    expect(again.json.property).toBe(property);
  });
});

describe('check --schedule', () => {
  const B = 'scenarios/contpte/b-kernel.json';

  it('with --param on the check, the printed command carries it, and replays on those parameters', () => {
    const dir = tmp();
    const r = mmrace(['check', B, '--workers', '0', '--param', 'cpus=3', '--trace', join(dir, 't.json')]);
    expect(r.code).toBe(1);
    const cmd = printedCommand(r.stdout);
    expect(cmd.args).toContain('cpus=3');
    const written = join(dir, 'again.trace.json');
    const again = mmrace([...cmd.args, '--json', '--trace', written]);
    expect(again.code).toBe(1);
    expect(again.json.reproduced).toBe(true);
    expect((JSON.parse(readFileSync(written, 'utf8')) as { params: { cpus: number } }).params.cpus).toBe(3);
  });

  it('on a model file: the printed command names the model and every parameter off its default', () => {
    const dir = tmp();
    const r = mmrace(['check', 'models/contpte/contpte.ts', '--workers', '0', '-p', 'mm=init_mm', '-p', 'gate=none', '--trace', join(dir, 't.json')]);
    expect(r.code).toBe(1);
    const cmd = printedCommand(r.stdout);
    expect(cmd.args[1]).toBe('models/contpte/contpte.ts');
    expect(cmd.args.filter((a) => a === '--param').length).toBeGreaterThan(0);
    const again = mmrace(cmd.args);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(`REPRODUCED: violation of ${r.stdout.match(/VIOLATION of (\S+):/)![1]}`);
  });

  it('--trace writes the trace the schedule stands for, which replays', () => {
    const dir = tmp();
    const first = mmrace(['check', B, '--workers', '0', '--trace', join(dir, 'a.json'), '--json']);
    const file = join(dir, 'from-schedule.trace.json');
    const r = mmrace(['check', B, '--schedule', first.json.schedule, '--trace', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`trace written to ${file}`);
    const rep = mmrace(['replay', file]);
    expect(rep.code).toBe(1);
    expect(rep.stdout).toContain(`REPRODUCED: violation of ${first.json.property}`);
  });

  it('--format md tells it as a report whose replay command is the schedule command', () => {
    const dir = tmp();
    const first = mmrace(['check', B, '--workers', '0', '--trace', join(dir, 'a.json'), '--json']);
    const r = mmrace(['check', B, '--schedule', first.json.schedule, '--format', 'md']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(first.json.property);
    expect(r.stdout).toContain(first.json.scheduleCommand);
  });

  it('a schedule that runs to its end with no violation: NOT REPRODUCED, exit 2, as replay', () => {
    const r = mmrace(['check', B, '--schedule', 'mm1.0']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/NOT REPRODUCED: the schedule runs to its end with no violation/);
  });

  it.each([
    ['malformed', 'mm1.0.x', 'E_USAGE', /is not a schedule: at character 7/],
    ['not a schedule at all', 'deadbeef', 'E_USAGE', /is not a schedule: it does not start with mm1/],
    ['another version', 'mm2.0.0', 'E_USAGE', /is version 2 of the schedule string, which mmrace .* does not read \(it reads mm1\)/],
    ['an instance the model lacks', 'mm1.0.0.99', 'E_TRACE_FORMAT', /step 3 names instance 99, and the model has \d+/],
    // U1 runs to its end in a handful of steps; one more of its steps is not enabled.
    ['a step not enabled', `mm1${'.0'.repeat(40)}`, 'E_TRACE_DIVERGED', /step \d+ \(U1\[0\] [^)]*\) is not enabled/],
    ['other choices than the step makes', 'mm1.1', 'E_TRACE_DIVERGED', /step 1 \(K\[0\] access\) makes other choices than \[\]/],
  ])('%s: one error line, exit 2', (_what, schedule, code, pattern) => {
    expectOneLineError(mmrace(['check', B, '--schedule', schedule]), code, pattern);
    const json = mmrace(['check', B, '--schedule', schedule, '--json']);
    expect(json.code).toBe(2);
    expect(json.json).toMatchObject({ verdict: 'error', code });
  });
});

describe('check --all-violations', () => {
  it('prints a schedule under each violation its schedule reproduces, and none under one it would not', () => {
    const dir = tmp();
    const model = 'test/e2e/fixtures/masked-invariant.ts';
    const r = mmrace(['check', model, '--all-violations', '--workers', '0', '--trace', join(dir, 't.json')]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    const at = (p: string) => lines.findIndex((l) => l.startsWith(`  ${p} (invariant, `));
    // b-clear: its state violates nothing else first, so its schedule reproduces it.
    expect(lines[at('b-clear') + 1]).toMatch(/^ {4}schedule: npx mmrace check /);
    const cmd = lines[at('b-clear') + 1]!.replace(/^ {4}schedule: npx mmrace /, '').split(' ');
    expect(mmrace(cmd).stdout).toContain('REPRODUCED: violation of b-clear');
    // not-both: its last state violates b-clear too, which a schedule would report instead.
    expect(lines[at('not-both') + 1] ?? '').not.toMatch(/schedule:/);
  });
});

describe('ci', () => {
  it('a surprise violation prints its schedule command, which reproduces it', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sc'));
    const wrong = JSON.parse(readFileSync(join(root, 'scenarios/contpte/b-kernel.json'), 'utf8')) as { model: string };
    writeFileSync(join(dir, 'sc', 'wrong.json'), JSON.stringify({ ...wrong, model: join(root, 'scenarios/contpte', wrong.model), name: 'wrong', expect: { verdict: 'safe' } }));
    copyFileSync(join(root, 'scenarios/contpte/s.json'), join(dir, 'sc', 's.json'));
    const s = JSON.parse(readFileSync(join(dir, 'sc', 's.json'), 'utf8')) as { model: string };
    writeFileSync(join(dir, 'sc', 's.json'), JSON.stringify({ ...s, model: join(root, 'scenarios/contpte', s.model) }));
    const r = mmrace(['ci', 'sc', '--workers', '0'], dir);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const surprise = lines.findIndex((l) => l.startsWith('SURPRISE wrong'));
    expect(lines[surprise + 1]).toMatch(/^ {2}replay: /);
    expect(lines[surprise + 2]).toMatch(/^ {2}schedule: npx mmrace check /);
    const cmd = printedCommand(r.stdout);
    expect(cmd.args[1]).toBe(join('sc', 'wrong.json'));
    const again = mmrace(cmd.args, dir);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('REPRODUCED: violation of INV-KFAULT');
    const json = mmrace(['ci', 'sc', '--workers', '0', '--json'], dir);
    const row = (json.json.scenarios as { name: string; schedule?: string }[]).find((x) => x.name === 'wrong');
    expect(row?.schedule).toBe(cmd.schedule);
    expect(existsSync(join(dir, 'sc', 'wrong.json'))).toBe(true);
  });
});
