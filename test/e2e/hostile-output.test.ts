/**
 * Issue 16, items 4 to 6: what a model, a scenario or a path holds never takes over
 * mmrace's output, and an input or output that is not a regular file never hangs it.
 *
 * - JUnit stays well-formed XML 1.0 when a label, a fault message or a property holds
 *   ESC or BEL: they are spelled out (`\u001b`).
 * - Text output (check, ci, replay, explain, shrink) holds no raw control character but
 *   the newlines between its lines, and under GITHUB_ACTIONS=true no line starts with a
 *   workflow command (`::`) but the annotations mmrace means to write.
 * - A scenario, trace or checkpoint that is a folder, /dev/zero, a FIFO or too large is
 *   refused before it is read; an output path that is a folder, a FIFO or on /proc is
 *   refused before the search; an error line is cut to a bounded length.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { bin, expectOneLineError, fixtures, root, tmp, type Run } from './run.js';

const HOSTILE = join(fixtures, 'hostile.ts');

/** Runs the CLI as `mmrace` (run.ts) does, but never for more than `timeout` ms: a hang fails the test instead of the run. */
function run(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}): Run & { timedOut: boolean } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', GITHUB_ACTIONS: '', ...opts.env },
    timeout: opts.timeout ?? 30_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 2 ** 20,
  });
  const stdout = r.stdout ?? '';
  const lines = stdout.trimEnd().split('\n');
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(lines[lines.length - 1] ?? '');
  } catch {
    /* text output */
  }
  return { code: r.status, stdout, stderr: r.stderr ?? '', lines, json, timedOut: r.error !== undefined || r.signal === 'SIGKILL' };
}

/** A control character a terminal or a CI log would act on: anything but the newline between lines. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The lines GitHub Actions reads as workflow commands: `::` or `##[` after blanks (the runner trims them). */
const commandLines = (text: string): string[] => text.split('\n').filter((l) => /^\s*(::|##\[)/.test(l));

/** Output that a terminal and GitHub Actions show as text: no raw control character, and no workflow command but `allowed`. */
function expectPlainText(r: Run, allowed: readonly RegExp[] = []): void {
  const all = r.stdout + r.stderr;
  const bad = RAW_CONTROL.exec(all);
  expect(bad, bad ? `raw U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} near ${JSON.stringify(all.slice(Math.max(0, bad.index - 40), bad.index + 40))}` : '').toBeNull();
  const commands = commandLines(all);
  expect(commands).toHaveLength(allowed.length);
  allowed.forEach((re, i) => expect(commands[i]).toMatch(re));
}

/** A character XML 1.0 does not allow (its Char production), even as a character reference. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** A JUnit file: well-formed (fast-xml-parser's validator and XML 1.0's characters), parsed. */
function junitOf(file: string): any {
  const xml = readFileSync(file, 'utf8');
  expect(XMLValidator.validate(xml)).toBe(true);
  const bad = NOT_XML_CHAR.exec(xml);
  expect(bad, bad ? `U+${bad[0].codePointAt(0)!.toString(16)} is not an XML 1.0 character` : '').toBeNull();
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(xml);
}

let dir = '';
let scenarios = '';

beforeAll(() => {
  dir = tmp('mmrace-hostile-');
  // A suite folder and scenario names that would start a line with a workflow command.
  scenarios = join(dir, 'scenarios');
  const suite = join(scenarios, '::error::suite');
  mkdirSync(suite, { recursive: true });
  writeFileSync(join(suite, 'fault.json'), JSON.stringify({ name: '::error::pwned-name\u2028::error::two', model: HOSTILE, expect: { verdict: 'safe' } }));
  writeFileSync(
    join(suite, 'invariant.json'),
    JSON.stringify({ name: 'inv', model: HOSTILE, params: { end: 'invariant' }, expect: { verdict: 'violation', property: 'INV-\x1b[7mSMALL\x07\n::error::invariant' } }),
  );
});

describe('JUnit with control characters in model strings', () => {
  it('check --junit: well-formed XML, ESC and BEL spelled out', () => {
    const junit = join(dir, 'check.xml');
    const r = run(['check', HOSTILE, '--workers', '0', '--trace', join(dir, 'check.trace.json'), '--junit', junit]);
    expect(r.code).toBe(1);
    const doc = junitOf(junit);
    const failure = doc.testsuites.testsuite.testcase.failure;
    expect(failure['@_message']).toContain('INV\\u001b[1m\\n::error::property');
    expect(failure['#text']).toContain('msg \\u001b]8;;https://evil.example\\u0007link');
  });

  it('ci --junit: well-formed XML for the scenarios, names and properties spelled out', () => {
    const junit = join(dir, 'ci.xml');
    const r = run(['ci', scenarios, '--workers', '0', '--junit', junit], { cwd: dir });
    expect(r.code).toBe(1);
    const c = junitOf(junit).testsuites.testsuite.testcase;
    const cases: any[] = Array.isArray(c) ? c : [c];
    expect(cases.map((x) => x['@_name'])).toEqual(['::error::pwned-name\\u2028::error::two', 'inv']);
    expect(cases[0].failure['@_message']).toBe('expected safe, got violation of INV\\u001b[1m\\n::error::property');
    expect(cases[1].failure).toBeUndefined();
  });
});

describe('text output with hostile model strings', () => {
  it('check: no raw control character, no workflow command; the strings kept, spelled out', () => {
    const r = run(['check', HOSTILE, '--workers', '0', '--trace', join(dir, 'text.trace.json')]);
    expect(r.code).toBe(1);
    expectPlainText(r);
    expect(r.stdout).toContain('lab\\u001b[31mel\\u0007\\n::error::label\\u2028::warning::sep');
    expect(r.stdout).toContain('VIOLATION of INV\\u001b[1m\\n::error::property: msg \\u001b]8;;https://evil.example\\u0007link');
    expect(r.stdout).toContain('\\r\\n##[error]old\\u202eexe.txt');
    expect(r.stdout).toContain('v\\u001b[2J\\n::error::value');
  });

  it('check -p end=invariant: the invariant name spelled out', () => {
    const r = run(['check', HOSTILE, '--workers', '0', '-p', 'end=invariant', '--trace', join(dir, 'inv.trace.json')]);
    expect(r.code).toBe(1);
    expectPlainText(r);
    expect(r.stdout).toContain('VIOLATION of INV-\\u001b[7mSMALL\\u0007\\n::error::invariant');
  });

  it('check under GITHUB_ACTIONS=true: exactly the one annotation mmrace writes', () => {
    const r = run(['check', HOSTILE, '--workers', '0', '--trace', join(dir, 'gh.trace.json')], { env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code).toBe(1);
    expectPlainText(r, [/^::error file=[^\n]*title=mmrace hostile%3A violation of INV\\u001b\[1m%0A%3A%3Aerror%3A%3Aproperty::VIOLATION of /]);
  });

  it('ci under GITHUB_ACTIONS=true: the table and the surprises are text; one ::error (the surprise; the expected violation is none), mmrace\'s', () => {
    const r = run(['ci', scenarios, '--workers', '0'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code).toBe(1);
    expectPlainText(r, [/^::error file=[^\n]*,line=\d+,title=mmrace %3A%3Aerror%3A%3Apwned-name\\u2028/]);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::error'))).toHaveLength(1);
    expect(r.stdout).toContain('\\u003a:error::suite/::error::pwned-name\\u2028::error::two');
  });

  it('replay, explain and shrink of the trace: text, no command', () => {
    const trace = join(dir, 'text.trace.json');
    if (!existsSync(trace)) run(['check', HOSTILE, '--workers', '0', '--trace', trace]);
    for (const args of [['replay', trace], ['explain', trace], ['shrink', trace, '--out', join(dir, 'shrunk.trace.json')]]) {
      const r = run(args, { env: { GITHUB_ACTIONS: 'true' } });
      expect(r.code, `${args[0]}: ${r.stderr}`).not.toBe(2);
      expectPlainText(r);
      expect(r.stdout, args[0]).toContain('lab\\u001b[31mel\\u0007\\n::error::label');
    }
  });
});

describe('inputs that are not regular files, or too large', () => {
  const hasFifo = (path: string): boolean => spawnSync('mkfifo', [path]).status === 0;

  it('--resume of a folder: E_CHECKPOINT, not E_INTERNAL EISDIR', () => {
    const r = run(['check', join(fixtures, 'two-violations.ts'), '--workers', '0', '--resume', dir]);
    expectOneLineError(r, 'E_CHECKPOINT', /is a folder, not a checkpoint file/);
  });

  it.runIf(existsSync('/dev/zero'))('a scenario, a trace and a checkpoint that are /dev/zero (through a link): refused before reading', () => {
    const scenario = join(dir, 'zero.json');
    const trace = join(dir, 'zero.trace.json');
    symlinkSync('/dev/zero', scenario);
    symlinkSync('/dev/zero', trace);
    const s = run(['check', scenario], { timeout: 20_000 });
    expect(s.timedOut).toBe(false);
    expectOneLineError(s, 'E_IO', /is a character device, not a scenario file/);
    const t = run(['replay', trace], { timeout: 20_000 });
    expect(t.timedOut).toBe(false);
    expectOneLineError(t, 'E_IO', /is a character device, not a trace file/);
    const c = run(['check', join(fixtures, 'two-violations.ts'), '--workers', '0', '--resume', trace], { timeout: 20_000 });
    expectOneLineError(c, 'E_CHECKPOINT', /is a character device, not a checkpoint file/);
  });

  it('a scenario, a trace and a checkpoint that are FIFOs: refused, never waiting for a writer', (ctx) => {
    const fifo = join(dir, 'fifo.json');
    if (!hasFifo(fifo)) return ctx.skip();
    const s = run(['check', fifo], { timeout: 20_000 });
    expect(s.timedOut).toBe(false);
    expectOneLineError(s, 'E_IO', /is a FIFO \(named pipe\), not a scenario file/);
    const t = run(['replay', fifo], { timeout: 20_000 });
    expect(t.timedOut).toBe(false);
    expectOneLineError(t, 'E_IO', /not a trace file/);
    const c = run(['check', join(fixtures, 'two-violations.ts'), '--workers', '0', '--resume', fifo], { timeout: 20_000 });
    expect(c.timedOut).toBe(false);
    expectOneLineError(c, 'E_CHECKPOINT', /is a FIFO/);
  });

  it('a scenario and a trace of more than 64 MiB: E_IO before reading', () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 64 * 2 ** 20 + 1);
    expectOneLineError(run(['check', big]), 'E_IO', /too large for a scenario file: 67108865 bytes/);
    expectOneLineError(run(['replay', big]), 'E_IO', /too large for a trace file/);
  });
});

describe('outputs that are not regular files', () => {
  const model = join(fixtures, 'two-violations.ts');

  it('--trace, --junit, --sarif, --checkpoint to a FIFO or a folder: E_IO before the search, never blocked', () => {
    const fifo = join(dir, 'out.fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      for (const flag of ['--trace', '--junit', '--sarif', '--checkpoint']) {
        const r = run(['check', model, '--workers', '0', flag, fifo], { timeout: 20_000 });
        expect(r.timedOut, flag).toBe(false);
        expectOneLineError(r, 'E_IO', /is a FIFO/);
      }
    }
    const folder = join(dir, 'out-folder');
    mkdirSync(folder, { recursive: true });
    for (const flag of ['--trace', '--junit', '--sarif', '--checkpoint']) {
      expectOneLineError(run(['check', model, '--workers', '0', flag, folder]), 'E_IO', /is a folder/);
    }
  });

  it.runIf(existsSync('/proc/self'))('an output on /proc: E_IO before the search (/proc/self/comm took a JUnit file and renamed the process)', () => {
    for (const [flag, file] of [['--junit', '/proc/self/comm'], ['--trace', '/proc/self/attr/current'], ['--sarif', '/proc/new.sarif']]) {
      const r = run(['check', model, '--workers', '0', flag!, file!], { timeout: 20_000 });
      expect(r.timedOut, flag).toBe(false);
      expectOneLineError(r, 'E_IO', /procfs, a file system of the kernel/);
    }
  });

  it('explain --out and ci --junit to a FIFO or a folder: E_IO', (ctx) => {
    const trace = join(dir, 'explain.trace.json');
    expect(run(['check', model, '--workers', '0', '--trace', trace]).code).toBe(1);
    expectOneLineError(run(['explain', trace, '--format', 'md', '--out', dir]), 'E_IO', /is a folder/);
    expectOneLineError(run(['ci', scenarios, '--workers', '0', '--junit', dir], { cwd: dir }), 'E_IO', /is a folder/);
    const fifo = join(dir, 'explain.fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return ctx.skip();
    const r = run(['explain', trace, '--format', 'md', '--out', fifo], { timeout: 20_000 });
    expect(r.timedOut).toBe(false);
    expectOneLineError(r, 'E_IO', /is a FIFO/);
  });
});

describe('error lines of bounded length', () => {
  it('a message quoting a huge input is cut, saying how long it was', () => {
    const long = join(dir, 'long.json');
    writeFileSync(long, JSON.stringify({ model: `${'m'.repeat(200_000)}.ts`, expect: { verdict: 'safe' } }));
    const r = run(['check', long]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(1500);
    expect(lines[0]).toMatch(/… \(\d+ characters\)/);
  });
});
