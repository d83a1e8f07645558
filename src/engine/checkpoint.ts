/**
 * Checkpoints: a breadth-first search of the parallel explorer saved at a level boundary,
 * so that another process goes on with it and reaches exactly the verdict, counts and
 * counterexample of a run that was never stopped (`check --checkpoint FILE`, `--resume
 * FILE`; docs/checkpoints.md).
 *
 * A checkpoint holds what the search needs to go on and nothing it can recompute: the
 * fingerprint set's buffer as it is (neither side rehashes), the parent links (to rebuild
 * counterexamples), the states of the level to expand next, the counts, and the
 * violations found so far (--all-violations). Its header names the search it belongs to,
 * and a run refuses a checkpoint of another model, source, parameters or options
 * (E_CHECKPOINT): going on from it would give another search's verdict under this one's
 * name.
 *
 * Layout (version 1; integers little-endian):
 *
 *   offset    bytes  content
 *   0         8      magic "MMRACECK"
 *   8         4      H, the header's length in bytes
 *   12        32     SHA-256 of the header
 *   44        H      the header: JSON (UTF-8), a CheckpointHeader
 *   44 + H    ...    the sections, back to back, in the order and of the sizes that
 *                    header.sections lists: table, parents, moves, level
 *   end - 32  32     SHA-256 of every byte before it
 *
 * The header has a hash of its own so that a checkpoint of another search is refused
 * before its sections (gigabytes, for a large search) are read; every version keeps this
 * prefix, so any checkpoint can say which version it is.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, readSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { MmraceError, isMmraceError } from '../errors.js';
import { checkOutputFile, openInput } from '../files.js';
import type { FoundViolation } from './result.js';
import type { CompiledModel } from '../model/compile.js';
import type { ParamValue } from '../model/define.js';
import { hashSource } from '../model/load.js';
import { VERSION } from '../version.js';

export const CHECKPOINT_FORMAT = 'mmrace-checkpoint';
export const CHECKPOINT_VERSION = 1;
const MAGIC = 'MMRACECK';
/** Bytes before the header: magic, header length, header hash. */
const PREFIX = 8 + 4 + 32;
/** Bytes of the trailing hash. */
const TRAILER = 32;
/** Largest header read: a header is kilobytes (the paths of --all-violations' counterexamples are most of it). */
const MAX_HEADER = 64 * 2 ** 20;
/**
 * Bytes per write or read call: fs calls take at most 2 GiB each, and between two writes
 * a second SIGINT is handled (the write is asynchronous for that).
 */
const IO_CHUNK = 16 * 2 ** 20;
/** Seconds between two saves when --checkpoint-every is not given. */
export const DEFAULT_EVERY = 300;

/**
 * The stable code of a checkpoint that cannot be resumed. The cast: errors.ts's ErrorCode
 * does not list it yet (that file belongs to another change).
 */

/** An E_CHECKPOINT error about `file`: one line, and what to do instead. */
function refuse(file: string, message: string, hint = 'run without --resume to start the search afresh'): MmraceError {
  return new MmraceError('E_CHECKPOINT', `checkpoint ${file} ${message}`, hint);
}

/** The sections of a checkpoint, in file order. */
export const SECTIONS = ['table', 'parents', 'moves', 'level'] as const;
export type SectionName = (typeof SECTIONS)[number];

const nat = z.number().int().min(0);
const violationSchema = z.object({
  kind: z.enum(['invariant', 'fault', 'deadlock']),
  property: z.string().min(1),
  message: z.string(),
  path: z.object({ init: nat, moves: z.array(z.tuple([nat, nat])) }),
});

const keySchema = z.object({
  model: z.string(),
  sourceHash: z.string(),
  params: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  stateSize: nat,
  instances: nat,
  strategy: z.literal('bfs'),
  por: z.boolean(),
  symmetry: z.boolean(),
  sleep: z.boolean(),
  allViolations: z.boolean(),
  maxStates: nat.nullable(),
  maxDepth: nat.nullable(),
  shard: z.object({ index: nat, count: nat, depth: nat.nullable() }).nullable(),
});

/** What a checkpoint must agree on with the run that resumes it: whatever changes the result. */
export type CheckpointKey = z.infer<typeof keySchema>;

const searchSchema = z.object({
  states: nat,
  transitions: nat,
  depth: nat,
  /** Seconds of search so far, over every run that took part. */
  seconds: z.number().min(0),
  /** The level to expand next: `n` states with ids from `firstId`, all at `depth`. */
  level: z.object({ firstId: nat, n: z.number().int().min(1), depth: nat }),
  /** Ints per state of the level (the state, its sleep set with sleep sets, its entry in the set). */
  recordSize: z.number().int().min(1),
  nextBatch: nat,
  /** The level's states hold their entry numbers in this set (batch.ts retires them). */
  retire: z.boolean(),
  /**
   * -1, or the round whose lanes still hold the claims of an expansion of the level that
   * was stopped and undone: the set is rebuilt without them when the checkpoint is loaded.
   */
  dropRound: z.number().int().min(-1).max(1),
  shardDepth: nat.nullable(),
  /** Violations found so far (only with --all-violations: otherwise the first one ends the search). */
  found: z.array(z.object({ violation: violationSchema, seq: nat })),
});

export type SearchSnapshot = z.infer<typeof searchSchema>;

/** Why a checkpoint was written: on schedule, or because the search stopped there. */
export type SaveReason = 'periodic' | 'interrupted' | 'time-limit' | 'memory';

const headerSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.literal(CHECKPOINT_VERSION),
  mmrace: z.string(),
  savedAt: z.string(),
  reason: z.enum(['periodic', 'interrupted', 'time-limit', 'memory']),
  /** The model file, for people reading the header (the key has its hash). */
  modelPath: z.string(),
  key: keySchema,
  search: searchSchema,
  /** Options of the run that saved it that do not change the result. */
  run: z.object({ workers: nat, memory: nat, timeLimit: z.number().nullable() }),
  sections: z.array(z.object({ name: z.enum(SECTIONS), bytes: nat })),
});

export type CheckpointHeader = z.infer<typeof headerSchema>;

/** The options of a search that make up its key, after the model says which reductions apply. */
export interface KeyOptions {
  readonly por: boolean;
  readonly symmetry: boolean;
  readonly sleep: boolean;
  readonly allViolations: boolean;
  readonly maxStates?: number | undefined;
  readonly maxDepth?: number | undefined;
  readonly shard?: { readonly index: number; readonly count: number; readonly depth?: number | undefined } | undefined;
}

/** The key of a breadth-first search of `m` (hashes the model's source). */
export function checkpointKey(m: CompiledModel, modelPath: string, o: KeyOptions): CheckpointKey {
  return {
    model: m.id,
    sourceHash: hashSource(modelPath),
    params: { ...m.params },
    stateSize: m.size,
    instances: m.instances.length,
    strategy: 'bfs',
    por: o.por,
    symmetry: o.symmetry,
    sleep: o.sleep,
    allViolations: o.allViolations,
    maxStates: o.maxStates ?? null,
    maxDepth: o.maxDepth ?? null,
    shard: o.shard ? { index: o.shard.index, count: o.shard.count, depth: o.shard.depth ?? null } : null,
  };
}

/** A parameter's value as the messages print it; `(not set)` for one a side does not have. */
const paramValue = (p: Readonly<Record<string, ParamValue>>, k: string): string => (Object.hasOwn(p, k) ? `${k}=${String(p[k])}` : `${k} (not set)`);

/** The value of an option of a key, as the messages print it: on or off, a number or none, a shard. */
function optionText(v: CheckpointKey[keyof CheckpointKey]): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (v === null) return 'none';
  if (typeof v === 'object' && 'index' in v) return `${v.index}/${v.count}${v.depth === null ? '' : ` at depth ${String(v.depth)}`}`;
  return String(v);
}

/** The options of a key, and how the messages name each. */
const OPTIONS: readonly (readonly [keyof CheckpointKey, string])[] = [
  ['por', 'partial-order reduction (--por, --no-por)'],
  ['symmetry', 'symmetry reduction (--symmetry, --no-symmetry)'],
  ['sleep', 'sleep sets (--sleep-sets)'],
  ['allViolations', '--all-violations'],
  ['maxStates', '--max-states'],
  ['maxDepth', '--max-depth'],
  ['shard', '--shard'],
];

/**
 * Why a checkpoint of search `saved` cannot go on as search `now`, in words, or null when
 * it can: the model, its source, the parameters (each one that differs, with its value
 * in the checkpoint and in this run), the state layout, then the options (each one that
 * differs). The parameters come before the layout, which they shape: a parameter given
 * another value is told as that, not as a change of the model's files.
 */
export function keyMismatch(saved: CheckpointKey, now: CheckpointKey): string | null {
  if (saved.model !== now.model) return `is of model ${saved.model}; this run checks model ${now.model}`;
  if (saved.sourceHash !== now.sourceHash) return `was saved from another source of model ${now.model}: the model file changed since`;
  const names = [...new Set([...Object.keys(saved.params), ...Object.keys(now.params)])].sort();
  const params = names.filter((k) => paramValue(saved.params, k) !== paramValue(now.params, k));
  if (params.length > 0) {
    return `was saved with other parameters: ${params.map((k) => `${paramValue(saved.params, k)} in the checkpoint, ${paramValue(now.params, k)} in this run`).join('; ')}`;
  }
  if (saved.stateSize !== now.stateSize || saved.instances !== now.instances) {
    return `was saved with another state layout of model ${now.model} (${saved.stateSize} ints and ${saved.instances} actor instances per state, now ${now.stateSize} and ${now.instances}) with the same parameters: a file it imports changed since`;
  }
  const options = OPTIONS.filter(([k]) => optionText(saved[k]) !== optionText(now[k]));
  if (options.length > 0) {
    return `was saved with other options: ${options.map(([k, name]) => `${name} ${optionText(saved[k])} in the checkpoint, ${optionText(now[k])} in this run`).join('; ')}`;
  }
  return null;
}

/** A section to write: its bytes as one or more views (a column's chunks, a buffer). */
export interface Section {
  readonly name: SectionName;
  readonly parts: readonly ArrayBufferView[];
}

export interface Written {
  readonly file: string;
  /** Size of the checkpoint file. */
  readonly bytes: number;
  /** Time the write took, hashing and syncing included. */
  readonly seconds: number;
}

/**
 * The temporary file a checkpoint is written to before it is renamed over `file`, so
 * that `file` is always a whole checkpoint (the last one) even if the process is killed
 * while writing. Known to the CLI, which removes it when a second signal ends mmrace.
 */
export function tempFileOf(file: string): string {
  return `${resolve(file)}.${process.pid}.tmp`;
}

/** The bytes of a view, as a Uint8Array over the same memory. */
function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Writes a checkpoint: header and sections to a temporary file, synced, then renamed
 * over `file`. Asynchronous, in chunks, so that signals are handled meanwhile. E_IO when
 * it cannot (the temporary file is removed).
 */
export async function writeCheckpoint(file: string, header: Omit<CheckpointHeader, 'sections'>, sections: readonly Section[]): Promise<Written> {
  const started = performance.now();
  const full: CheckpointHeader = { ...header, sections: sections.map((s) => ({ name: s.name, bytes: s.parts.reduce((n, p) => n + p.byteLength, 0) })) };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  createHash('sha256').update(json).digest().copy(prefix, 12);
  const tmp = tempFileOf(file);
  const whole = createHash('sha256');
  let bytes = 0;
  checkOutputFile(file, 'checkpoint', { renamed: true });
  try {
    mkdirSync(dirname(tmp), { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      const put = async (data: Uint8Array, hashed: boolean): Promise<void> => {
        for (let at = 0; at < data.length; at += IO_CHUNK) {
          const part = data.subarray(at, Math.min(data.length, at + IO_CHUNK));
          if (hashed) whole.update(part);
          for (let done = 0; done < part.length; ) done += (await fh.write(part, done)).bytesWritten;
          bytes += part.length;
        }
      };
      await put(prefix, true);
      await put(json, true);
      for (const s of sections) for (const p of s.parts) await put(bytesOf(p), true);
      await put(whole.digest(), false);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new MmraceError('E_IO', `cannot write checkpoint ${file}: ${(e as Error).message}`, 'free some space or give --checkpoint another file');
  }
  return { file, bytes, seconds: (performance.now() - started) / 1000 };
}

/** A checkpoint read back: its header, and its sections in buffers the explorer's threads can share. */
export interface Checkpoint {
  readonly file: string;
  readonly header: CheckpointHeader;
  readonly sections: Readonly<Record<SectionName, SharedArrayBuffer>>;
}

/** An open checkpoint file whose header was read and checked. */
interface Opened {
  readonly fd: number;
  readonly size: number;
  readonly header: CheckpointHeader;
  /** Bytes of prefix and header: where the sections start. */
  readonly start: number;
  /** The bytes of prefix and header, for the whole-file hash. */
  readonly head: Buffer;
}

/** Reads `n` bytes at `pos` into `into` (from `offset`); false at the end of the file. */
function readFully(fd: number, into: Uint8Array, pos: number): boolean {
  for (let done = 0; done < into.length; ) {
    const n = readSync(fd, into, done, Math.min(IO_CHUNK, into.length - done), pos + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

/** Opens `file` and reads its header, checking the magic, the header's hash, its format and version, and its schema. */
function openCheckpoint(file: string): Opened {
  let fd: number;
  let size: number;
  try {
    // A regular file (a folder, a device or a FIFO is refused before a byte is read), of
    // any size: what is read is what the header announces, checked against the size.
    ({ fd, size } = openInput(file, { what: 'checkpoint', code: 'E_CHECKPOINT', limit: Infinity, hint: 'give --resume the file that --checkpoint wrote' }));
  } catch (e) {
    if (isMmraceError(e)) throw new MmraceError(e.code, `checkpoint ${e.message}`, e.hint);
    throw refuse(file, `cannot be read: ${(e as Error).message}`, 'give --resume the file that --checkpoint wrote');
  }
  try {
    const prefix = Buffer.alloc(PREFIX);
    if (!readFully(fd, prefix, 0) || prefix.toString('latin1', 0, 8) !== MAGIC) {
      throw refuse(file, 'is not an mmrace checkpoint (it does not start with MMRACECK)', 'give --resume the file that --checkpoint wrote');
    }
    const h = prefix.readUInt32LE(8);
    if (h > MAX_HEADER || PREFIX + h > size) throw refuse(file, `is truncated or corrupted: its header (${h} bytes) does not fit in its ${size} bytes`);
    const json = Buffer.alloc(h);
    readFully(fd, json, PREFIX);
    if (!createHash('sha256').update(json).digest().equals(prefix.subarray(12, PREFIX))) {
      throw refuse(file, 'is corrupted: the checksum of its header does not match');
    }
    const header = parseHeader(file, json);
    return { fd, size, header, start: PREFIX + h, head: Buffer.concat([prefix, json]) };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The header from its JSON: the format and version first (each with its own message), then the schema. */
function parseHeader(file: string, json: Buffer): CheckpointHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch {
    throw refuse(file, 'is corrupted: its header is not JSON');
  }
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (o['format'] !== CHECKPOINT_FORMAT) throw refuse(file, `is not an mmrace checkpoint (format ${JSON.stringify(o['format'])})`);
  if (o['version'] !== CHECKPOINT_VERSION) {
    throw refuse(file, `has format version ${JSON.stringify(o['version'])}; this mmrace (${VERSION}) reads version ${CHECKPOINT_VERSION}`, 'resume it with the mmrace that wrote it, or start afresh without --resume');
  }
  if (o['mmrace'] !== VERSION) {
    throw refuse(file, `was written by mmrace ${String(o['mmrace'])}; this is mmrace ${VERSION}, and only the version that wrote a checkpoint resumes it`, 'resume it with that version, or start afresh without --resume');
  }
  const r = headerSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw refuse(file, `has a malformed header: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

/** The header of checkpoint `file`, checked (for tools, and to see how far a running search got). */
export function readCheckpointHeader(file: string): CheckpointHeader {
  const o = openCheckpoint(file);
  closeSync(o.fd);
  return o.header;
}

/**
 * Reads checkpoint `file` for a search whose key is `expect`: refuses (E_CHECKPOINT) a
 * checkpoint of another search from its header alone, then one that is truncated,
 * corrupted (the trailing hash) or inconsistent, before the explorer uses any of it.
 */
export function readCheckpoint(file: string, expect: CheckpointKey): Checkpoint {
  const o = openCheckpoint(file);
  try {
    const { header } = o;
    const why = keyMismatch(header.key, expect);
    if (why !== null) throw refuse(file, `cannot be resumed by this run: it ${why}`, 'resume with the model, parameters and options it was saved with, or run without --resume to start afresh');
    const names = header.sections.map((s) => s.name).join(',');
    if (names !== SECTIONS.join(',')) throw refuse(file, `has a malformed header: sections ${names}`);
    const body = header.sections.reduce((n, s) => n + s.bytes, 0);
    const want = o.start + body + TRAILER;
    if (o.size < want) throw refuse(file, `is truncated: ${o.size} bytes of the ${want} its header announces`);
    if (o.size > want) throw refuse(file, `is corrupted: ${o.size - want} bytes more than its header announces`);
    checkConsistent(file, header);
    const whole = createHash('sha256').update(o.head);
    const sections = {} as Record<SectionName, SharedArrayBuffer>;
    let pos = o.start;
    for (const s of header.sections) {
      const buf = new SharedArrayBuffer(s.bytes);
      const view = new Uint8Array(buf);
      readFully(o.fd, view, pos);
      for (let at = 0; at < view.length; at += IO_CHUNK) whole.update(view.subarray(at, Math.min(view.length, at + IO_CHUNK)));
      sections[s.name] = buf;
      pos += s.bytes;
    }
    const trailer = Buffer.alloc(TRAILER);
    readFully(o.fd, trailer, pos);
    if (!whole.digest().equals(trailer)) throw refuse(file, 'is corrupted: its checksum does not match (the file changed after it was written)');
    return { file, header, sections };
  } finally {
    closeSync(o.fd);
  }
}

/**
 * The sizes and counts of a header agree with each other: a header that passed its hash
 * but does not (a bug, or a crafted file) is refused rather than trusted.
 */
function checkConsistent(file: string, h: CheckpointHeader): void {
  const s = h.search;
  const bytes = Object.fromEntries(h.sections.map((x) => [x.name, x.bytes])) as Record<SectionName, number>;
  const wrong = (what: string): never => {
    throw refuse(file, `is inconsistent: ${what}`);
  };
  if (bytes.table === 0 || bytes.table % 20 !== 0) wrong(`a fingerprint set of ${bytes.table} bytes`);
  if (bytes.parents !== 4 * s.states || bytes.moves !== 4 * s.states) wrong(`${s.states} states but ${bytes.parents / 4} parent links`);
  if (s.level.firstId + s.level.n !== s.states) wrong(`the level to expand (states ${s.level.firstId} to ${s.level.firstId + s.level.n - 1}) is not the last of ${s.states} states`);
  if (s.recordSize !== h.key.stateSize + (h.key.sleep ? 2 : 1)) wrong(`records of ${s.recordSize} ints for states of ${h.key.stateSize}`);
  if (bytes.level !== 4 * s.level.n * s.recordSize) wrong(`a level of ${s.level.n} states in ${bytes.level} bytes`);
  if (s.level.depth !== s.depth) wrong(`the level to expand is at depth ${s.level.depth}, the deepest state at ${s.depth}`);
  if (s.dropRound >= 0 && s.dropRound !== ((s.level.depth + 1) & 1)) wrong(`claims of round ${s.dropRound} to drop before a level of depth ${s.level.depth}`);
  if (!h.key.allViolations && s.found.length > 0) wrong('violations found by a search that stops at its first');
}

/** A violation found so far, with its order of discovery, as the explorer keeps it. */
export interface SavedViolation {
  readonly violation: FoundViolation;
  readonly seq: number;
}
