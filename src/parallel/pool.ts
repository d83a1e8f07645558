/**
 * The parallel explorer's pool of worker threads (piscina): starting it, warming it up,
 * and running a task on it, where a task that does not come back is WorkerLost.
 */
import { Piscina } from 'piscina';
import { MmraceError } from '../errors.js';
import { EXIT_OUTSIDE, WORKER_FAILURE, isWorkerFailure, type ModelFile, type Task, type TaskResult } from './protocol.js';

export type Pool = Piscina<Task, TaskResult>;

/** Batches queued at each worker at once (see createPool). */
const TASKS_PER_WORKER = 2;

/** Explorer threads started in this process (each pool's at its start; not those piscina starts to replace one lost). */
let started = 0;

/** The explorer threads this process has started, for tests that a search started none it did not use. */
export function threadsStarted(): number {
  return started;
}

/**
 * A pool of `workers` explorer threads, to share between checks; destroy() it after. The
 * threads start at once (piscina's minThreads): make a pool only for a level to run on it.
 */
export function createPool(workers: number): Pool {
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > 1024) {
    throw new MmraceError('E_USAGE', `workers = ${String(workers)}: must be an integer from 1 to 1024`);
  }
  started += workers;
  const pool = new Piscina<Task, TaskResult>({
    filename: new URL('./worker-entry.cjs', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    // Each worker holds a next batch in its queue, so it starts it as soon as it finishes
    // one, without waiting for this thread (busy walking results) to hand it over.
    concurrentTasksPerWorker: TASKS_PER_WORKER,
    idleTimeout: 60_000,
  });
  // A worker that fails between tasks (memory exhausted) is replaced, and no task is lost;
  // piscina tells it as an 'error' event, which unheard would end this process with a
  // stack trace.
  pool.on('error', () => {});
  // Why a worker that is about to end does (worker.ts: an error thrown outside a step).
  pool.on('message', (m: unknown) => {
    if (isWorkerFailure(m)) lastFailure.set(pool, m[WORKER_FAILURE].message);
  });
  return pool;
}

/** Per pool: the last reason a worker gave before it ended (worker.ts). */
const lastFailure = new WeakMap<Pool, string>();

/**
 * Why a task was lost: the reason its worker gave before it ended with EXIT_OUTSIDE (its
 * task, or another one it held, is lost), else piscina's message.
 */
export function lostWhy(pool: Pool, e: WorkerLost): string {
  return e.why.endsWith(`code: ${EXIT_OUTSIDE}`) ? (lastFailure.get(pool) ?? e.why) : e.why;
}

/**
 * Starts `pool`'s threads importing the model of `model` without waiting for them:
 * booting a worker and loading a model take a few hundred milliseconds, which then overlap
 * the main thread's own loading instead of delaying the first pooled level.
 */
export function warmPool(pool: Pool, model: ModelFile): Promise<void> {
  const loads: Promise<unknown>[] = [];
  for (let i = 0; i < pool.options.maxThreads; i++) loads.push(pool.run({ kind: 'load', model }).catch(() => {}));
  return Promise.all(loads).then(() => {});
}

/**
 * A task that did not come back (not a model error, which comes back as data): its worker
 * died (the model exited the thread, exhausted its memory, threw outside a step), or the
 * step watchdog terminated it.
 */
export class WorkerLost extends MmraceError {
  /** `outOfMemory`: the worker's heap filled (Node's ERR_WORKER_OUT_OF_MEMORY). */
  constructor(
    readonly why: string,
    readonly outOfMemory = false,
  ) {
    super('E_WORKER', `a worker thread of the parallel explorer failed: ${why}`, WORKER_HINT);
  }
}

export const WORKER_HINT = 'a model must not exit its thread, exhaust memory or throw outside its steps; run with --workers 0 to see the failure in the sequential engine';

/** Runs a task; a task that does not come back is WorkerLost (E_WORKER). */
export async function run<R extends TaskResult>(pool: Pool, task: Task): Promise<R> {
  try {
    // (No AbortSignal to stop a task: piscina then gives its worker no next task to hold.)
    return (await pool.run(task)) as R;
  } catch (e) {
    throw new WorkerLost(e instanceof Error ? e.message.split('\n')[0]! : String(e), (e as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY');
  }
}
