/**
 * The files mmrace reads and writes, bounded. An input (a scenario, a trace, a checkpoint,
 * a shard's result) must be a regular file of at most a given size: a folder, a device
 * such as /dev/zero, a FIFO or a socket is refused before a byte is read (reading
 * /dev/zero never ends, opening a FIFO waits for a writer), and so is a file larger than
 * the limit. An output (a trace, JUnit, SARIF, a checkpoint, a report) goes to a regular
 * file or to a new one, never to a folder, a device, a FIFO or a file of a kernel file
 * system (/proc, /sys), where a write may block, or never end with the CPU busy.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, statfsSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MmraceError, type ErrorCode } from './errors.js';

/** The largest scenario or trace read: 64 MiB (a trace of a long counterexample is a few megabytes). */
export const MAX_INPUT_BYTES = 64 * 2 ** 20;

/** Bytes per read call. */
const CHUNK = 2 ** 20;

/** What a path that is not a regular file is, in words (`a folder`); null for a regular file. */
export function kindOf(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Why an input is refused: not there, a folder, another file that is not a regular one (a device, a FIFO, a socket), too large. */
export type InputRefusal = 'missing' | 'folder' | 'special' | 'tooLarge';

/** How an input is refused. */
export interface InputOptions {
  /** What the file should be, in words: `scenario`, `trace`, `checkpoint`. */
  readonly what: string;
  /** The stable code of a refusal: E_IO unless the kind of file has its own (E_CHECKPOINT). */
  readonly code?: ErrorCode;
  /** The code of one refusal, over `code` (`check` of a folder is a usage error). */
  readonly codes?: Readonly<Partial<Record<InputRefusal, ErrorCode>>>;
  /** The largest file read, in bytes: MAX_INPUT_BYTES unless given (Infinity: no limit). */
  readonly limit?: number;
  readonly hint?: string;
  /** The hint of one refusal, over `hint`. */
  readonly hints?: Readonly<Partial<Record<InputRefusal, string>>>;
}

/** The error of refusal `why` of `file`, in its one wording. */
function refused(file: string, o: InputOptions, why: InputRefusal, message: string): MmraceError {
  return new MmraceError(o.codes?.[why] ?? o.code ?? 'E_IO', message, o.hints?.[why] ?? o.hint);
}

function refuseInput(file: string, o: InputOptions, st: Stats): MmraceError | null {
  const kind = kindOf(st);
  if (kind !== null) return refused(file, o, st.isDirectory() ? 'folder' : 'special', `${file} is ${kind}, not a ${o.what} file`);
  return st.size > (o.limit ?? MAX_INPUT_BYTES) ? tooLarge(file, o, st.size) : null;
}

function tooLarge(file: string, o: InputOptions, bytes: number): MmraceError {
  const limit = o.limit ?? MAX_INPUT_BYTES;
  return refused(file, o, 'tooLarge', `${file} is too large for a ${o.what} file: ${bytes} bytes, more than the ${limit} bytes mmrace reads`);
}

/** Whether an error of stat or open says there is no such file (or a part of its path is not a folder). */
export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Checks input `file` before it is read (a scenario, a model, the target of `check`):
 * refused, each case in one wording for every input, when it is not there, is a folder,
 * is a device, a FIFO or a socket, or is larger than the limit. Its stat (through links)
 * when it is a regular file within the limit. Other errors of stat (EACCES) are thrown as
 * they are, for the caller to word.
 */
export function checkInputFile(file: string, o: InputOptions): Stats {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    if (isMissing(e)) throw refused(file, o, 'missing', `no such ${o.what} file: ${file}`);
    throw e;
  }
  const why = refuseInput(file, o, st);
  if (why !== null) throw why;
  return st;
}

/**
 * Opens input `file` for reading: its stat (through links) first, then the descriptor's,
 * each refused (an MmraceError) unless a regular file within the limit. The errors of
 * stat and open themselves (ENOENT, EACCES) are thrown as they are, for the caller to
 * word. Opened non-blocking, so a FIFO put in place between the two never blocks.
 */
export function openInput(file: string, o: InputOptions): { readonly fd: number; readonly size: number } {
  const before = refuseInput(file, o, statSync(file));
  if (before !== null) throw before;
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    const after = refuseInput(file, o, st);
    if (after !== null) throw after;
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * The text (UTF-8) of input `file`, refused as `openInput` says; a file that grows past
 * the limit while it is read is refused too.
 */
export function readInputText(file: string, o: InputOptions): string {
  const { fd, size } = openInput(file, o);
  try {
    const limit = o.limit ?? MAX_INPUT_BYTES;
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size + 1));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw tooLarge(file, o, total);
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** File systems of the kernel, by their magic number (statfs): a file there is an interface to the kernel. */
const KERNEL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x62656570, 'configfs'],
  [0xde5e81e4, 'efivarfs'],
  [0xcafe4a11, 'bpf'],
  [0x6e736673, 'nsfs'],
]);

/** The kernel file system `dir` is on (its name), or null. */
function kernelFileSystem(dir: string): string | null {
  try {
    const real = realpathSync(dir);
    if (/^\/(proc|sys)(\/|$)/.test(real)) return real.startsWith('/proc') ? 'procfs' : 'sysfs';
  } catch {
    /* the statfs below, or the write itself, will tell */
  }
  try {
    return KERNEL_FILE_SYSTEMS.get(Number(statfsSync(dir).type)) ?? null;
  } catch {
    return null;
  }
}

/** Whether `file` is (a link to) /dev/null. */
function isNullDevice(file: string): boolean {
  try {
    return realpathSync(file) === '/dev/null';
  } catch {
    return false;
  }
}

/** How an output is checked. */
export interface OutputOptions {
  /** The stable code of a refusal: E_IO unless given. */
  readonly code?: ErrorCode;
  /**
   * The writer puts a new file in its place (a checkpoint, written aside and renamed):
   * /dev/null is refused too, or the rename would replace the device.
   */
  readonly renamed?: boolean;
}

/**
 * Checks output `file` before anything is written to it, refusing (E_IO) a path that
 * exists and is not a regular file (a folder, /dev/zero, a FIFO; /dev/null is let through
 * unless `renamed`), one under a path part that is not a folder, and one on a kernel file
 * system (/proc, /sys). A path that does not exist yet is fine when the nearest folder
 * that does is an ordinary one (the writers make the folders missing in between). Other
 * errors (a folder that cannot be read) are left to the write, which says what they are.
 * `what` names the file in the error (`trace`), or is empty.
 */
export function checkOutputFile(file: string, what: string, o: OutputOptions = {}): void {
  const code = o.code ?? 'E_IO';
  const abs = resolve(file);
  const cannot = (why: string): MmraceError =>
    new MmraceError(code, `cannot write ${what ? `${what} ` : ''}${file}: ${why}`, 'give the path of a regular file, or of a new one');
  let st: Stats | null = null;
  try {
    st = statSync(abs);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOTDIR') throw cannot('a part of its path is not a folder');
    if (errno !== 'ENOENT') return;
  }
  if (st !== null) {
    const kind = kindOf(st);
    // The null device takes any write at once: `--sarif /dev/null` throws a report away.
    if (kind !== null && (o.renamed === true || !st.isCharacterDevice() || !isNullDevice(abs))) throw cannot(`it is ${kind}`);
    if (kind !== null) return;
  }
  // The folder it goes in, or the nearest one above it that exists.
  let dir = dirname(abs);
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) throw cannot(`${dir} is not a folder`);
      break;
    } catch (e) {
      if (e instanceof MmraceError) throw e;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) return;
      dir = dirname(dir);
    }
  }
  const fs = kernelFileSystem(dir);
  if (fs !== null) throw cannot(`${dir} is on ${fs}, a file system of the kernel, not a place for files`);
}
