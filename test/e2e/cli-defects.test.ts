/**
 * End-to-end tests of defects of the command line: the exit code behind a closed pipe,
 * option values that are options, the one-line usage errors, what check says of a folder
 * or a missing file, what list and ci take for a scenario, the fields of the progress
 * lines, and the ci table with long scenario names. The real bin/mmrace.js runs in a child
 * process; the option sweep and the progress line's format run in this process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/engine/result.js';
import { buildProgram } from '../../src/cli/main.js';
import { createProgress, progressFields, progressLine } from '../../src/cli/progress.js';
import { EXIT } from '../../src/report/verdict.js';
import { runMain } from '../fuzz/harness.js';
import { bin, expectOneLineError, mmrace, root, tmp } from './run.js';

/** A scenario under scenarios/ whose expectation is a violation, and one expected safe. */
const VIOLATING = 'scenarios/contpte/b-kernel.json';
const SAFE = 'scenarios/contpte/s.json';
/** A small model with a violation (the README's first model), for scenarios made in a temporary folder. */
const LOST_UPDATE = join(root, 'examples/lost-update.ts');

/** Writes a scenario of the lost-update model to `file`, expecting `expect`. */
function scenario(file: string, expect: object, extra: object = {}): void {
  writeFileSync(file, JSON.stringify({ model: LOST_UPDATE, expect, ...extra }));
}

/**
 * Runs bin/mmrace.js with stdout a pipe whose reading end this side closes, as a reader
 * that goes away does: at once (`mmrace … | true`), or after the first chunk read
 * (`mmrace … | head -1`). Resolves with the exit code and what was read.
 */
function withReaderGone(args: string[], cwd: string, when: 'at once' | 'after the first chunk'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    if (when === 'at once') child.stdout.destroy();
    else {
      child.stdout.setEncoding('utf8').once('data', (c: string) => {
        stdout += c;
        child.stdout.destroy();
      });
    }
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A folder with two scenarios of the lost-update model: the first met, the second a surprise (expects safe). */
function oneMetOneSurprise(): string {
  const dir = tmp();
  mkdirSync(join(dir, 'sc'));
  scenario(join(dir, 'sc/a-met.json'), { verdict: 'violation', property: 'counted' });
  scenario(join(dir, 'sc/b-surprise.json'), { verdict: 'safe' });
  return dir;
}

describe('1. the exit code survives a reader that goes away (EPIPE)', () => {
  it.each([['at once'], ['after the first chunk']] as const)('check of a violating scenario, reader gone %s: exit 1', async (when) => {
    const r = await withReaderGone(['check', VIOLATING, '--trace', join(tmp(), 't.json')], root, when);
    expect(r.code).toBe(EXIT.violation);
    expect(r.stderr).toBe('');
  });

  it.each([['at once'], ['after the first chunk']] as const)('check of a safe scenario, reader gone %s: exit 0', async (when) => {
    const r = await withReaderGone(['check', SAFE], root, when);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toBe('');
  });

  it('ci whose surprise comes after the reader went away still exits 1, having run every scenario', async () => {
    const dir = oneMetOneSurprise();
    for (const when of ['at once', 'after the first chunk'] as const) {
      const r = await withReaderGone(['ci', 'sc'], dir, when);
      expect(r.code, when).toBe(EXIT.violation);
      expect(r.stderr, when).toBe('');
    }
    // Both scenarios ran: each wrote its trace.
    expect(readdirSync(join(dir, '.mmrace/traces')).sort()).toEqual([expect.stringMatching(/^a-met-/), expect.stringMatching(/^b-surprise-/)]);
  });
});

describe('2. an option value that starts with -- is refused', () => {
  it('ci --junit --sarif: exit 2, E_USAGE, and no file named --sarif', () => {
    const dir = oneMetOneSurprise();
    const r = mmrace(['ci', '--junit', '--sarif', 'out.sarif', 'sc'], dir);
    expectOneLineError(r, 'E_USAGE', /--junit takes a value \(--junit <file>\) and was given the option --sarif/);
    expect(existsSync(join(dir, '--sarif'))).toBe(false);
    expect(existsSync(join(dir, 'out.sarif'))).toBe(false);
  });

  it('the --opt=--value form too', () => {
    const r = mmrace(['check', SAFE, '--trace=--json']);
    expectOneLineError(r, 'E_USAGE', /--trace takes a value/);
  });

  it('for every option of every command that takes a value (read from the program)', async () => {
    const dir = tmp();
    const seen: string[] = [];
    for (const c of buildProgram(() => {}).commands) {
      for (const o of c.options.filter((x) => x.required || x.optional)) {
        const flag = o.long ?? o.short!;
        const r = await runMain([c.name(), flag, '--quiet'], dir);
        expect(r.code, `${c.name()} ${flag}`).toBe(2);
        expect(r.stderr, `${c.name()} ${flag}`).toMatch(new RegExp(`^mmrace: error E_USAGE: ${flag} takes a value \\(.*\\) and was given the option --quiet \\(`));
        seen.push(`${c.name()} ${flag}`);
      }
    }
    expect(seen).toContain('ci --junit');
    expect(seen).toContain('check --param');
    expect(seen).toContain('explain --out');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a value that only contains -- is still taken', () => {
    const r = mmrace(['check', SAFE, '-p', 'mm=user--x']);
    expectOneLineError(r, 'E_PARAM');
  });
});

describe('3. a usage error is one line, without literal escapes', () => {
  it('a mistyped command names the command it may be', () => {
    const r = mmrace(['chek', SAFE]);
    expectOneLineError(r, 'E_USAGE');
    expect(r.stderr).toBe("mmrace: error E_USAGE: unknown command 'chek' (did you mean check? see mmrace --help)\n");
  });

  it('a mistyped option too', () => {
    const r = mmrace(['check', SAFE, '--jsno']);
    expectOneLineError(r, 'E_USAGE', /unknown option '--jsno' \(did you mean --json\?/);
    expect(r.stderr).not.toContain('\\n');
  });

  it('with --json, the JSON verdict has the message without the suggestion line', () => {
    const r = mmrace(['chek', '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ verdict: 'error', code: 'E_USAGE', message: "unknown command 'chek'" });
  });
});

describe('4. check of a folder, of a missing file', () => {
  it('a folder: E_USAGE saying what check takes, and that ci checks a folder', () => {
    const r = mmrace(['check', 'scenarios/contpte']);
    expectOneLineError(r, 'E_USAGE', /scenarios\/contpte is a folder, not a scenario or model file \(check takes a scenario \.json or a model file/);
    expect(r.stderr).toMatch(/mmrace ci scenarios\/contpte checks every scenario under a folder/);
    expect(r.stderr).not.toMatch(/not found/);
  });

  it('a missing scenario: E_IO, no such file, what check takes, no bare ENOENT', () => {
    const r = mmrace(['check', 'scenarios/none.json']);
    expectOneLineError(r, 'E_IO', /no such scenario file: scenarios\/none\.json \(check takes a scenario \.json or a model file/);
    expect(r.stderr).not.toMatch(/ENOENT/);
  });

  it('a missing model file: E_MODEL_LOAD, no such file', () => {
    const r = mmrace(['check', 'models/none.ts']);
    expectOneLineError(r, 'E_MODEL_LOAD', /no such model file: models\/none\.ts \(check takes a scenario \.json or a model file/);
  });
});

describe('5. list and ci take only scenarios for scenarios', () => {
  /** A user's project: its package.json and friends, node_modules, a dot-folder, a trace, and one scenario. */
  function project(): string {
    const dir = tmp();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'kernel-models', version: '1.0.0', type: 'module', dependencies: { mmrace: '*' } }));
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'kernel-models', lockfileVersion: 3, packages: {} }));
    // tsconfig.json may hold comments: not JSON at all.
    writeFileSync(join(dir, 'tsconfig.json'), '{\n  // strict\n  "compilerOptions": { "strict": true }\n}\n');
    writeFileSync(join(dir, 'settings.json'), '[1, 2, 3]');
    mkdirSync(join(dir, 'node_modules/dep'), { recursive: true });
    scenario(join(dir, 'node_modules/dep/not-mine.json'), { verdict: 'safe' });
    mkdirSync(join(dir, '.cache'));
    scenario(join(dir, '.cache/hidden.json'), { verdict: 'safe' });
    mkdirSync(join(dir, 'traces'));
    writeFileSync(join(dir, 'traces/t.trace.json'), JSON.stringify({ format: 'mmrace-trace/1', model: { id: 'lost-update', path: LOST_UPDATE }, schedule: [] }));
    mkdirSync(join(dir, 'scenarios'));
    scenario(join(dir, 'scenarios/lost.json'), { verdict: 'violation', property: 'counted' });
    return dir;
  }

  it('list . shows the scenario and nothing of the other .json files', () => {
    const dir = project();
    const r = mmrace(['list', '.', '--json'], dir);
    expect(r.code).toBe(0);
    expect(r.json.entries).toEqual([expect.objectContaining({ kind: 'scenario', name: 'lost', file: join('scenarios', 'lost.json') })]);
    const text = mmrace(['list', '.'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/invalid|package|tsconfig|settings|trace|not-mine|hidden/);
  });

  it('a .json that means to be a scenario but is not a valid one is still reported', () => {
    const dir = project();
    writeFileSync(join(dir, 'scenarios/broken.json'), JSON.stringify({ model: 3, expect: { verdict: 'safe' } }));
    writeFileSync(join(dir, 'scenarios/half.json'), '{ "model": "x.ts", "expect": ');
    writeFileSync(join(dir, 'scenarios/no-model.json'), JSON.stringify({ expect: { verdict: 'safe' } }));
    const r = mmrace(['list', '.', '--json'], dir);
    expect(r.code).toBe(0);
    expect(r.json.entries.filter((e: { kind: string }) => e.kind === 'invalid').map((e: { file: string }) => e.file).sort()).toEqual(
      ['broken.json', 'half.json', 'no-model.json'].map((f) => join('scenarios', f)),
    );
    expect(mmrace(['list', '.'], dir).code).toBe(2);
  });

  it('ci . runs the scenario only', () => {
    const dir = project();
    const r = mmrace(['ci', '.', '--json'], dir);
    expect(r.code).toBe(0);
    expect(r.json.scenarios.map((s: { name: string }) => s.name)).toEqual(['lost']);
  });

  it('ci of a folder with no scenario: E_USAGE', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'package.json'), '{"name":"x"}');
    expectOneLineError(mmrace(['ci', dir]), 'E_USAGE', /no scenarios under/);
  });
});

describe('6. the progress lines', () => {
  const BIG: Progress = { states: 9_883_801, transitions: 12_772_020, depth: 60, queued: 344_946, seconds: 11.56, workers: 16 };
  /** A line with its numbers left out: the field names and separators only. */
  const names = (line: string) => line.replace(/[\d,.]+/g, '#');
  const TEXTS = new Set(progressFields(BIG, undefined).map((f) => f.text));

  it('without a width, the line has every field', () => {
    expect(progressLine(BIG, undefined)).toBe('  … states 9,883,801 · 855,000 states/s · transitions 12,772,020 · depth 60 · frontier 344,946 · 11.6 s · 16 workers');
  });

  it.each([200, 120, 100, 80, 60, 40, 30, 20, 10, 2, 1])('fits %i columns with whole fields, the states first', (width) => {
    const line = progressLine(BIG, undefined, width);
    expect(line.length).toBeLessThan(width);
    if (width >= 40) {
      const parts = line.replace(/^ {2}… /, '').split(' · ');
      expect(parts[0]).toBe('states 9,883,801');
      for (const p of parts) expect(TEXTS.has(p), p).toBe(true);
    }
  });

  it('an 80-column terminal keeps states, states/s, depth, frontier and time', () => {
    expect(progressLine(BIG, undefined, 80)).toBe('  … states 9,883,801 · 855,000 states/s · depth 60 · frontier 344,946 · 11.6 s');
  });

  it('the live line on a terminal of 80 columns fits them', () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    Object.assign(stream, { isTTY: true, columns: 80 });
    const p = createProgress({ stream: stream as unknown as NodeJS.WriteStream, env: {}, workers: 16 });
    p.update(BIG);
    const drawn = chunks.join('').replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
    p.stop();
    expect(drawn).toBe('  … states 9,883,801 · 855,000 states/s · depth 60 · frontier 344,946 · 11.6 s');
  });

  it('--progress prints lines with the field names of the live line, every field', () => {
    // About three seconds of search: a line comes after two.
    const r = mmrace(['check', 'models/counter/counter.ts', '-p', 'threads=5', '-p', 'incs=3', '--no-por', '--no-symmetry', '--workers', '0', '--time-limit', '3', '--progress', '--json']);
    expect(r.code).toBe(EXIT.incomplete);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    const live = names(progressLine({ states: 1, transitions: 1, depth: 1, queued: 1, seconds: 1, workers: 0 }, 0));
    for (const l of lines) expect(names(l)).toBe(live);
    expect(live).toBe('  … states # · # states/s · transitions # · depth # · frontier # · # s · main thread');
  });
});

describe('7. the ci table fits long scenario names', () => {
  /** Where each column of a line of the table starts: after two spaces or more. */
  const starts = (line: string) => [0, ...[...line.matchAll(/ {2,}(?=\S)/g)].map((m) => m.index! + m[0].length)];

  it('a 60-character name keeps its row and the columns in line', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sc'));
    const long = 'contpte-convert-with-a-kernel-access-in-the-window-and-no-bbm';
    expect(long.length).toBeGreaterThanOrEqual(35);
    scenario(join(dir, 'sc/long.json'), { verdict: 'violation', property: 'counted' }, { name: long });
    scenario(join(dir, 'sc/short.json'), { verdict: 'violation', property: 'counted' });
    const r = mmrace(['ci', 'sc'], dir);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.lines.slice(0, 3);
    expect(header).toMatch(/^scenario +expected +got +states +seconds$/);
    const row = rows.find((l) => l.startsWith(`sc/${long} `))!;
    expect(row).toBeDefined();
    const short = rows.find((l) => l.startsWith('sc/short '))!;
    const h = starts(header!);
    for (const l of [row, short]) {
      const s = starts(l);
      // scenario, expected and got start where their headings do.
      expect(s.slice(0, 3)).toEqual(h.slice(0, 3));
      expect(l.slice(s[1]!, s[1]! + 'violation of counted'.length)).toBe('violation of counted');
      expect(l.slice(s[2]!, s[2]! + 'violation of counted'.length)).toBe('violation of counted');
      // states and seconds end where their headings do.
      expect(l.slice(0, l.lastIndexOf('  ok')).trimEnd().length).toBe(header!.length);
    }
  });
});
