/**
 * Errors with stable codes. A user error (bad input, a model that misbehaves) is an
 * MmraceError; anything else reaching the CLI is reported as an internal bug.
 */
export type ErrorCode =
  | 'E_USAGE' // bad command line
  | 'E_SCENARIO' // malformed scenario file
  | 'E_MODEL_LOAD' // model file missing or failed to import
  | 'E_MODEL_DEF' // model definition is not well formed
  | 'E_PARAM' // unknown or invalid model parameter
  | 'E_MODEL_THREW' // a step, guard, init or invariant threw
  | 'E_MODEL_RANGE' // a step wrote a value outside the declared type
  | 'E_STEP_TIMEOUT' // a step ran longer than the step timeout (--step-timeout)
  | 'E_MODEL_MEMORY' // a step, guard, init or invariant used memory without end
  | 'E_MODEL_EXIT' // the model called process.exit (in a step, in init, or when its file was imported)
  | 'E_TRACE_FORMAT' // malformed trace file
  | 'E_TRACE_DIVERGED' // replay behaved differently from the recorded run
  | 'E_NONDETERMINISTIC' // the model gave two results for one run (a violation that does not reproduce, or the determinism probe)
  | 'E_IO' // a file could not be read or written
  | 'E_LIMIT' // a resource limit could not be honoured
  | 'E_WORKER' // a worker thread of the parallel explorer died
  | 'E_CHECKPOINT' // a checkpoint that cannot be resumed here (another model, options, version; damaged)
  | 'E_MEMORY' // the memory limit (--memory) was reached
  | 'E_MERGE' // shard results that do not belong together
  | 'E_INTERNAL'; // a bug in mmrace itself

export class MmraceError extends Error {
  readonly code: ErrorCode;
  /** The likely cause or the next thing to try; printed after the message. */
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'MmraceError';
    this.code = code;
    this.hint = hint;
  }
}

export function isMmraceError(e: unknown): e is MmraceError {
  return e instanceof MmraceError;
}

/** Message of an unknown thrown value, without its stack. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return `${e.name === 'Error' ? '' : e.name + ': '}${e.message}`;
  return String(e);
}
