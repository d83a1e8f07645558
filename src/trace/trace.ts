/**
 * Counterexamples as data: the `mmrace-trace/1` format, built from a search path,
 * validated on load, written next to the model it came from.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { MmraceError, isMmraceError } from '../errors.js';
import { checkOutputFile, readInputText } from '../files.js';
import type { Path } from '../engine/result.js';
import { Expander, NONDETERMINISTIC_HINT } from '../engine/transitions.js';
import type { CompiledModel } from '../model/compile.js';
import { fingerprintHex } from '../state/fingerprint.js';
import { hashSource } from '../model/load.js';
import { VERSION } from '../version.js';

export const TRACE_FORMAT = 'mmrace-trace/1';

const choiceSchema = z.array(z.number().int().min(0)).max(4096);

const stepSchema = z.strictObject({
  actor: z.string().min(1),
  instance: z.number().int().min(0),
  label: z.string().min(1),
  choice: choiceSchema.optional(),
  /** Set on the last step when its guard (await) threw: the step did not run. */
  guard: z.literal(true).optional(),
  /** Fingerprint of the state after the step, to detect a model that behaves differently. */
  fp: z.string().regex(/^[0-9a-f]{16}$/).optional(),
});

export const traceSchema = z.strictObject({
  format: z.literal(TRACE_FORMAT),
  tool: z.strictObject({ name: z.literal('mmrace'), version: z.string() }),
  model: z.strictObject({
    id: z.string().min(1),
    /** Path of the model file, relative to the trace file's folder once written. */
    path: z.string().min(1),
    sourceHash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  }),
  params: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  init: z.strictObject({ choice: choiceSchema.optional(), fp: z.string().regex(/^[0-9a-f]{16}$/).optional() }),
  schedule: z.array(stepSchema),
  verdict: z.enum(['violation', 'error']),
  violation: z
    .strictObject({
      kind: z.enum(['invariant', 'fault', 'deadlock']),
      property: z.string().min(1),
      message: z.string(),
    })
    .optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  /** The scenario file the trace came from, relative to the trace file's folder once written. */
  scenario: z.string().optional(),
});

export type Trace = z.infer<typeof traceSchema>;
export type TraceStep = z.infer<typeof stepSchema>;


/**
 * Re-executes `path` on the model to name each step (actor, instance, label, choice)
 * and fingerprint each state. The model path is kept absolute until `writeTrace`.
 */
export function buildTrace(
  m: CompiledModel,
  modelPath: string,
  path: Path,
  outcome: Pick<Trace, 'verdict' | 'violation' | 'error'>,
  opts: { readonly canonical?: boolean } = {},
): Trace {
  const first = m.initialAt(path.init);
  if (!first) throw new MmraceError('E_INTERNAL', `trace: no initial state #${path.init}`);
  const ex = new Expander(m);
  let s = first.state;
  const schedule: TraceStep[] = [];
  // `canonical`: the path comes from a search under symmetry reduction, whose moves name
  // the instances of the sorted form of each state; the trace names the instances of the
  // states the schedule really goes through.
  const sym = opts.canonical ? m.symmetry : null;
  for (const [ck, ordinal] of path.moves) {
    const k = sym ? sym.permutation(s)[ck]! : ck;
    const inst = m.instances[k]!;
    const label = inst.labelIn(s);
    if (ordinal < 0) {
      schedule.push({ actor: inst.actor, instance: inst.index, label, guard: true });
      break;
    }
    let choice: number[] | null;
    try {
      choice = ex.runOrdinal(s, k, ordinal);
    } catch {
      // The step that threw is the last one of an error trace, with the choices it made.
      const taken = m.choices.taken();
      schedule.push({ actor: inst.actor, instance: inst.index, label, ...(taken.length > 0 ? { choice: taken } : {}) });
      break;
    }
    if (choice === null) {
      // The search took this move from this state: a model whose steps depend on the state
      // alone has it again.
      throw new MmraceError(
        'E_NONDETERMINISTIC',
        `re-executing the path the search found: step ${schedule.length + 1} (${inst.name} ${label}) is not enabled, or makes fewer choices, than when the search took it`,
        NONDETERMINISTIC_HINT,
      );
    }
    s = ex.work.slice();
    schedule.push({
      actor: inst.actor,
      instance: inst.index,
      label,
      ...(choice.length > 0 ? { choice } : {}),
      fp: fingerprintHex(s),
    });
  }
  return {
    format: TRACE_FORMAT,
    tool: { name: 'mmrace', version: VERSION },
    model: { id: m.id, path: resolve(modelPath), sourceHash: hashSource(modelPath) },
    params: { ...m.params },
    init: { ...(first.choice.length > 0 ? { choice: first.choice } : {}), fp: fingerprintHex(first.state) },
    schedule,
    ...outcome,
  };
}

/**
 * The text of a trace file in folder `dir`: JSON, its model and scenario paths relative to
 * `dir`, with forward slashes.
 */
export function traceText(trace: Trace, dir: string): string {
  const here = (p: string) => relative(resolve(dir), isAbsolute(p) ? p : resolve(p)).split(sep).join('/');
  const out: Trace = {
    ...trace,
    model: { ...trace.model, path: here(trace.model.path) },
    ...(trace.scenario !== undefined ? { scenario: here(trace.scenario) } : {}),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

/** Writes a trace, storing the model path relative to the trace file's folder. */
export function writeTrace(trace: Trace, file: string): void {
  const abs = resolve(file);
  const text = traceText(trace, dirname(abs));
  checkOutputFile(file, 'trace');
  try {
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  } catch (e) {
    throw new MmraceError('E_IO', `cannot write trace ${file}: ${(e as Error).message}`);
  }
}

/**
 * Reads and validates a trace file; the model and scenario paths come back absolute. A
 * trace is a regular file of at most 64 MiB (MAX_INPUT_BYTES), or E_IO before a byte is
 * read (a folder, /dev/zero, a FIFO).
 */
export function readTrace(file: string): Trace {
  let text: string;
  try {
    text = readInputText(file, { what: 'trace' });
  } catch (e) {
    if (isMmraceError(e)) throw e;
    throw new MmraceError('E_IO', `cannot read trace ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    // An editor may have saved it with a byte-order mark, which JSON.parse refuses.
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new MmraceError('E_TRACE_FORMAT', `${file} is not JSON: ${(e as Error).message}`);
  }
  checkFormatVersion(json, file);
  const r = traceSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.map(String).join('.') : 'the top level';
    throw new MmraceError('E_TRACE_FORMAT', `${file} is not an ${TRACE_FORMAT} trace: at ${where}: ${issue.message}`);
  }
  const t = r.data;
  const dir = dirname(resolve(file));
  return {
    ...t,
    model: { ...t.model, path: resolve(dir, t.model.path) },
    ...(t.scenario !== undefined ? { scenario: resolve(dir, t.scenario) } : {}),
  };
}

/**
 * A trace names its format first: another version (`mmrace-trace/2`, written by a later
 * mmrace) is refused with what this mmrace reads, before any field is looked at, since
 * the fields of another version may mean something else (docs/trace-format.md).
 */
function checkFormatVersion(json: unknown, file: string): void {
  const format = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { format?: unknown }).format : undefined;
  if (format === TRACE_FORMAT) return;
  const not = `${file} is not an ${TRACE_FORMAT} trace: at format`;
  if (typeof format === 'string' && /^mmrace-trace\/\S+$/.test(format)) {
    throw new MmraceError(
      'E_TRACE_FORMAT',
      `${not}: ${JSON.stringify(format).slice(0, 80)} is another version of the format, which mmrace ${VERSION} does not read`,
      'record the trace again with this mmrace (mmrace check), or replay it with the mmrace that wrote it',
    );
  }
  const what = format === undefined ? 'no format field' : `${JSON.stringify(format)?.slice(0, 80) ?? String(format)} is not a trace format`;
  throw new MmraceError('E_TRACE_FORMAT', `${not}: ${what}`, `a trace written by mmrace check starts with "format": "${TRACE_FORMAT}"`);
}
