/**
 * A parallel-explorer worker: rebuilds the model from its file and parameters (once per
 * model), attaches to the shared buffers, and runs expand and move tasks.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { Expander } from '../engine/transitions.js';
import { CompiledModel } from '../model/compile.js';
import { loadModel } from '../model/load.js';
import { SharedFingerprintSet } from '../state/shared-fpset.js';
import { addSpares, expandBatch, resultBuffers } from './batch.js';
import type { ExpandResult, ExpandTask, LoadResult, LoadTask, ModelRef, MoveResult, MoveTask, Task, TaskResult } from './protocol.js';

interface Loaded {
  readonly key: string;
  readonly m: CompiledModel;
  readonly ex: Expander;
}

let loaded: Loaded | null = null;
const attached = new WeakMap<SharedArrayBuffer, SharedFingerprintSet>();
const views = new WeakMap<SharedArrayBuffer, Int32Array>();

async function modelFor(ref: ModelRef): Promise<Loaded> {
  const key = JSON.stringify([ref.path, ref.params]);
  if (loaded?.key !== key) {
    const { model } = await loadModel(ref.path);
    const m = new CompiledModel(model, ref.params);
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

async function expand(task: ExpandTask): Promise<ExpandResult> {
  const { m, ex } = await modelFor(task.model);
  addSpares(task.spare);
  const r = expandBatch(m, ex, tableFor(task.table), int32(task.control), {
    batch: task.batch,
    index: task.index,
    round: task.round,
    retire: task.retire,
    states: int32(task.level),
    offset: task.offset,
    count: task.count,
    mode: task.mode,
    allViolations: task.allViolations,
    deadline: task.deadline,
    por: task.por,
    symmetry: task.symmetry,
    sleep: task.sleep,
  });
  return { kind: 'expand', ...r };
}

function moveRange(task: MoveTask): MoveResult {
  const moved = tableFor(task.to).moveRange(tableFor(task.from), task.start, task.end, task.drop);
  return { kind: 'move', moved };
}

/** Imports the model file; a failure is the main thread's to report (it loads the file too). */
async function preload(task: LoadTask): Promise<LoadResult> {
  await loadModel(task.path).catch(() => {});
  return { kind: 'load' };
}

/** Hands `value` back with its buffers moved, not copied. */
function moved(value: TaskResult, buffers: ArrayBuffer[]): TaskResult {
  return move({ [transferableSymbol]: buffers, [valueSymbol]: value } as never) as unknown as TaskResult;
}

export default async function run(task: Task): Promise<TaskResult> {
  if (task.kind === 'move') return moveRange(task);
  if (task.kind === 'load') return preload(task);
  const r = await expand(task);
  return moved(r, resultBuffers(r));
}
