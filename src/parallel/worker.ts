/**
 * A parallel-explorer worker: rebuilds the model from its file and parameters (once per
 * model), attaches to the shared buffers, and runs expand and move tasks.
 */
import { isMainThread, parentPort, threadId } from 'node:worker_threads';
import { describeThrown } from '../errors.js';
import { Expander } from '../engine/transitions.js';
import { BEAT, DONE, HEART_STRIDE, HEART_WORDS, WORKER } from '../engine/watchdog.js';
import { CompiledModel } from '../model/compile.js';
import { importModel } from '../model/load.js';
import { guardExit, realExit } from '../model/exit.js';
import { SharedFingerprintSet } from '../state/shared-fpset.js';
import { addSpares, expandBatch } from '../engine/batch.js';
import { EXIT_OUTSIDE, WORKER_FAILURE, type ExpandResult, type ExpandTask, type LoadResult, type LoadTask, type ModelRef, type MoveResult, type MoveTask, type Task, type TaskResult, type WorkerFailure } from './protocol.js';

interface Loaded {
  readonly key: string;
  readonly m: CompiledModel;
  readonly ex: Expander;
}

// This thread runs model code for all its life: the model's process.exit throws
// E_MODEL_EXIT (model/exit.ts), which its step's batch reports as a model error; the
// thread's own end (below) calls the original. (Imported in a main thread, it leaves
// that thread's exit alone.)
if (!isMainThread) guardExit();

let loaded: Loaded | null = null;
const attached = new WeakMap<SharedArrayBuffer, SharedFingerprintSet>();
const views = new WeakMap<SharedArrayBuffer, Int32Array>();

async function modelFor(ref: ModelRef): Promise<Loaded> {
  const key = JSON.stringify([ref.url, ref.params]);
  if (loaded?.key !== key) {
    const m = new CompiledModel(await importModel(ref.url, ref.path), ref.params);
    loaded = { key, m, ex: new Expander(m) };
  }
  return loaded;
}

function tableFor(buf: SharedArrayBuffer): SharedFingerprintSet {
  let t = attached.get(buf);
  if (t === undefined) {
    t = SharedFingerprintSet.fromBuffer(buf);
    attached.set(buf, t);
  }
  return t;
}

function int32(buf: SharedArrayBuffer): Int32Array {
  let v = views.get(buf);
  if (v === undefined) {
    v = new Int32Array(buf);
    views.set(buf, v);
  }
  return v;
}

/** The heart of an expander that no watchdog watches (between tasks). */
const idleHeart = new Int32Array(HEART_WORDS);

async function expand(task: ExpandTask): Promise<ExpandResult> {
  const { m, ex } = await modelFor(task.model);
  addSpares(task.spare);
  // The batch's heart: the main thread watches it (engine/watchdog.ts watchSlots), and
  // stops a batch whose step hangs by terminating this thread.
  const heart = new Int32Array(task.heart, task.slot * HEART_STRIDE * 4, HEART_WORDS);
  Atomics.store(heart, WORKER, threadId);
  ex.heart = heart;
  try {
    return { kind: 'expand', ...expandTask(m, ex, task) };
  } finally {
    ex.heart = idleHeart;
    Atomics.store(heart, BEAT, DONE);
  }
}

function expandTask(m: CompiledModel, ex: Expander, task: ExpandTask) {
  return expandBatch(m, ex, tableFor(task.table), int32(task.control), {
    batch: task.batch,
    index: task.index,
    round: task.round,
    retire: task.retire,
    pieces: task.pieces.map((p) => ({ records: int32(p.buf), kept: p.kept, from: p.from, count: p.count })),
    offset: task.offset,
    count: task.count,
    mode: task.mode,
    allViolations: task.allViolations,
    deadline: task.deadline,
    por: task.por,
    symmetry: task.symmetry,
    sleep: task.sleep,
    stuck: task.stuck,
  });
}

function moveRange(task: MoveTask): MoveResult {
  const moved = tableFor(task.to).moveRange(tableFor(task.from), task.start, task.end, task.drop);
  return { kind: 'move', moved };
}

/** Imports the model; a failure is the main thread's to report (it loads the file too). */
async function preload(task: LoadTask): Promise<LoadResult> {
  await importModel(task.model.url, task.model.path).catch(() => {});
  return { kind: 'load' };
}

/**
 * An error thrown outside a step (in a callback the model scheduled): this worker tells
 * the main thread why and ends at once; the tasks it holds are lost, and run again
 * elsewhere (parallel/explore.ts). Left to piscina, an uncaught error would leave the dead
 * worker's port referenced, and the main thread's process would never exit.
 */
process.on('uncaughtException', (error) => {
  const failure: WorkerFailure = { [WORKER_FAILURE]: { threadId, message: `an error thrown outside a step: ${describeThrown(error)}` } };
  parentPort?.postMessage(failure);
  realExit(EXIT_OUTSIDE);
});

export default async function run(task: Task): Promise<TaskResult> {
  if (task.kind === 'move') return moveRange(task);
  if (task.kind === 'load') return preload(task);
  // The result's columns are SharedArrayBuffers: shared with the main thread, not copied.
  return expand(task);
}
