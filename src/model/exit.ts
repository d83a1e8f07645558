/**
 * mmrace owns the process's exit. While model code can run (a model file being imported,
 * a search, a replay, a shrink; in the main thread, and in a worker thread for its whole
 * life), `process.exit` is a function that throws E_MODEL_EXIT: a model that ends the
 * process would otherwise end `mmrace check` or `mmrace ci` with exit 0 and no output, as if
 * all were well. The throw reaches mmrace as any error of model code does (compile.ts
 * `wrapThrown` keeps its code): verdict `error`, naming the step, init or the import, with
 * the trace to it. mmrace's own exits call the original, `realExit`.
 *
 * The guard is reentrant (a check inside the command line, a replay inside a check): the
 * original comes back when the outermost guard is restored. Its state lives on the global
 * object, so two copies of this module in one thread (sources and dist) share it.
 */
import { MmraceError } from '../errors.js';

type Exit = (code?: number | string | null) => never;

interface Guard {
  /** `process.exit` as it was when the outermost guard began. */
  real: Exit;
  /** What stands in for it while guarded. */
  readonly stand: Exit;
  /** Guards not yet restored. */
  depth: number;
}

const KEY = Symbol.for('mmrace.exitGuard');

/** The hint of E_MODEL_EXIT. */
export const MODEL_EXIT_HINT =
  'a model must not end the process (mmrace ends it, with the verdict): report a failure of the modelled code with c.fault(message), and keep a model file free of code that runs when it is imported';

/** How the model's `process.exit(code)` is told: the code as it was given. */
function codeText(code: unknown): string {
  if (code === undefined) return '';
  if (typeof code === 'string') return JSON.stringify(code);
  try {
    return String(code);
  } catch {
    return typeof code;
  }
}

function modelExit(code?: number | string | null): never {
  throw new MmraceError('E_MODEL_EXIT', `the model called process.exit(${codeText(code)})`, MODEL_EXIT_HINT);
}

function guardOf(): Guard | undefined {
  return (globalThis as Record<symbol, unknown>)[KEY] as Guard | undefined;
}

/**
 * Replaces `process.exit` by a function that throws E_MODEL_EXIT, until the function
 * returned is called (once; calling it again does nothing). Nested guards are counted.
 */
export function guardExit(): () => void {
  let g = guardOf();
  if (g === undefined) {
    g = { real: process.exit, stand: modelExit, depth: 0 };
    (globalThis as Record<symbol, unknown>)[KEY] = g;
  }
  const guard = g;
  if (guard.depth++ === 0 && process.exit !== guard.stand) {
    guard.real = process.exit;
    process.exit = guard.stand;
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    // Whoever replaced process.exit meanwhile keeps their own.
    if (--guard.depth === 0 && process.exit === guard.stand) process.exit = guard.real;
  };
}

/** Whether `process.exit` is guarded now (in this thread). */
export function exitGuarded(): boolean {
  return (guardOf()?.depth ?? 0) > 0 && process.exit === guardOf()!.stand;
}

/** Ends the process (in a worker thread: the thread) with `code`: mmrace's own exit, guarded or not. */
export function realExit(code?: number): never {
  const g = guardOf();
  const exit = g !== undefined && g.depth > 0 ? g.real : process.exit;
  return exit.call(process, code);
}
