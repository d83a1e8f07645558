/**
 * src/files.ts: inputs read bounded (a regular file of at most a limit, checked before a
 * byte is read), outputs checked before they are written (a regular file or a new one,
 * not a folder, a device, a FIFO, nor a file of /proc or /sys).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MmraceError } from '../../src/errors.js';
import { MAX_INPUT_BYTES, checkInputFile, checkOutputFile, readInputText } from '../../src/files.js';

const dir = mkdtempSync(join(tmpdir(), 'mmrace-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error `f` throws: its code and message. */
function refusal(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof MmraceError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('not refused');
}

describe('readInputText', () => {
  it('reads a regular file, through a link too', () => {
    writeFileSync(join(dir, 'a.json'), '{"a":1}');
    symlinkSync(join(dir, 'a.json'), join(dir, 'link.json'));
    expect(readInputText(join(dir, 'link.json'), { what: 'scenario' })).toBe('{"a":1}');
  });

  it('refuses a folder, /dev/zero and a FIFO, with the code asked for', () => {
    expect(refusal(() => readInputText(dir, { what: 'trace' }))).toEqual({ code: 'E_IO', message: `${dir} is a folder, not a trace file` });
    if (existsSync('/dev/zero')) expect(refusal(() => readInputText('/dev/zero', { what: 'checkpoint', code: 'E_CHECKPOINT', limit: Infinity })).code).toBe('E_CHECKPOINT');
    const fifo = join(dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) expect(refusal(() => readInputText(fifo, { what: 'scenario' })).message).toMatch(/is a FIFO/);
  });

  it('refuses a file larger than the limit, before reading it', () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, MAX_INPUT_BYTES + 1);
    expect(refusal(() => readInputText(big, { what: 'scenario' })).message).toMatch(/too large for a scenario file: 67108865 bytes/);
    expect(refusal(() => readInputText(join(dir, 'a.json'), { what: 'trace', limit: 3 })).message).toMatch(/too large/);
  });

  it('lets the errors of a missing file through, for the caller to word', () => {
    let code: string | undefined;
    try {
      readInputText(join(dir, 'none.json'), { what: 'scenario' });
    } catch (e) {
      code = (e as NodeJS.ErrnoException).code;
    }
    expect(code).toBe('ENOENT');
  });
});

describe('checkInputFile: one wording per refusal, for every input', () => {
  it('missing, a folder, a FIFO, /dev/zero, too large; a regular file passes', () => {
    writeFileSync(join(dir, 'ok.ts'), 'x');
    expect(checkInputFile(join(dir, 'ok.ts'), { what: 'model' }).isFile()).toBe(true);
    expect(refusal(() => checkInputFile(join(dir, 'gone.ts'), { what: 'model' }))).toEqual({ code: 'E_IO', message: `no such model file: ${join(dir, 'gone.ts')}` });
    expect(refusal(() => checkInputFile(join(dir, 'ok.ts/x.json'), { what: 'scenario' })).message).toBe(`no such scenario file: ${join(dir, 'ok.ts/x.json')}`);
    expect(refusal(() => checkInputFile(dir, { what: 'model' })).message).toBe(`${dir} is a folder, not a model file`);
    const fifo = join(dir, 'in.fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) expect(refusal(() => checkInputFile(fifo, { what: 'model' })).message).toBe(`${fifo} is a FIFO (named pipe), not a model file`);
    if (existsSync('/dev/zero')) expect(refusal(() => checkInputFile('/dev/zero', { what: 'scenario' })).message).toBe('/dev/zero is a character device, not a scenario file');
    expect(refusal(() => checkInputFile(join(dir, 'ok.ts'), { what: 'model', limit: 0 })).message).toMatch(/ok\.ts is too large for a model file: 1 bytes, more than the 0 bytes mmrace reads$/);
  });

  it("each caller's code and hint, and one case's own", () => {
    const o = { what: 'model', code: 'E_MODEL_LOAD', codes: { folder: 'E_USAGE' }, hint: 'a model file', hints: { folder: 'mmrace ci' } } as const;
    let e: unknown;
    try {
      checkInputFile(dir, o);
    } catch (x) {
      e = x;
    }
    expect(e).toMatchObject({ code: 'E_USAGE', message: `${dir} is a folder, not a model file`, hint: 'mmrace ci' });
    try {
      checkInputFile(join(dir, 'gone.ts'), o);
    } catch (x) {
      e = x;
    }
    expect(e).toMatchObject({ code: 'E_MODEL_LOAD', message: `no such model file: ${join(dir, 'gone.ts')}`, hint: 'a model file' });
  });
});

describe('checkOutputFile', () => {
  it('takes a regular file, and a new one in folders still to be made', () => {
    writeFileSync(join(dir, 'out.xml'), 'x');
    expect(() => checkOutputFile(join(dir, 'out.xml'), '')).not.toThrow();
    expect(() => checkOutputFile(join(dir, 'new/deeper/out.xml'), '')).not.toThrow();
  });

  it('refuses a folder, a FIFO, /dev/zero, and a path under a file', () => {
    mkdirSync(join(dir, 'folder'), { recursive: true });
    expect(refusal(() => checkOutputFile(join(dir, 'folder'), 'trace'))).toMatchObject({ code: 'E_IO', message: expect.stringMatching(/^cannot write trace .*: it is a folder$/) });
    if (existsSync('/dev/zero')) expect(refusal(() => checkOutputFile('/dev/zero', '')).message).toMatch(/character device/);
    writeFileSync(join(dir, 'file'), '');
    expect(refusal(() => checkOutputFile(join(dir, 'file/x.json'), '')).message).toMatch(/not a folder/);
    const fifo = join(dir, 'out.fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) expect(refusal(() => checkOutputFile(fifo, '')).message).toMatch(/is a FIFO/);
  });

  it.runIf(existsSync('/dev/null'))('takes /dev/null, but not for a file renamed into place (a checkpoint)', () => {
    expect(() => checkOutputFile('/dev/null', '')).not.toThrow();
    expect(refusal(() => checkOutputFile('/dev/null', 'checkpoint', { renamed: true })).message).toMatch(/character device/);
  });

  it.runIf(existsSync('/proc/self'))('refuses /proc and /sys', () => {
    expect(refusal(() => checkOutputFile('/proc/self/attr/current', '')).message).toMatch(/procfs/);
    expect(refusal(() => checkOutputFile('/proc/new-file.xml', '')).message).toMatch(/procfs/);
    if (existsSync('/sys/kernel')) expect(refusal(() => checkOutputFile('/sys/kernel/x.json', '')).message).toMatch(/sysfs/);
  });
});
