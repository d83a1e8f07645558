/**
 * A parallel-explorer worker: rebuilds the model from its file and parameters (once per
 * model), attaches to the shared fingerprint set, and runs expand and filter tasks.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { MmraceError, isMmraceError } from '../errors.js';
import { Expander, StepError, type SuccessorSink } from '../engine/transitions.js';
import { CompiledModel, type Ctx } from '../model/compile.js';
import { loadModel } from '../model/load.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import { SharedFingerprintSet } from '../state/shared-fpset.js';
import type { ExpandResult, ExpandTask, FilterResult, FilterTask, ModelRef, Task, TaskError, TaskResult } from './protocol.js';

interface Loaded {
  readonly key: string;
  readonly m: CompiledModel;
  readonly ex: Expander;
}

let loaded: Loaded | null = null;
let table: SharedFingerprintSet | null = null;

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
  if (table?.buffer !== buf) table = SharedFingerprintSet.fromBuffer(buf);
  return table;
}

/** A growable column of Int32 values. */
class Column {
  data: Int32Array;
  length = 0;
  constructor(initial: number) {
    this.data = new Int32Array(Math.max(16, initial));
  }
  reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < this.length + extra) cap *= 2;
    const next = new Int32Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  push(v: number): void {
    this.reserve(1);
    this.data[this.length++] = v;
  }
  pushState(s: Int32Array): void {
    this.reserve(s.length);
    this.data.set(s, this.length);
    this.length += s.length;
  }
  take(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

function taskError(e: unknown, index: number, k: number, ordinal: number): TaskError {
  const err = isMmraceError(e) ? e : new MmraceError('E_INTERNAL', e instanceof Error ? e.message : String(e));
  if (e instanceof StepError) return { code: err.code, message: err.message, hint: err.hint, index, k: e.k, ordinal: e.ordinal };
  return { code: err.code, message: err.message, hint: err.hint, index, k, ordinal };
}

class ClaimSink implements SuccessorSink {
  index = 0;
  parentId = 0;
  transitions = 0;
  fault: ExpandResult['fault'] = null;
  full = false;
  constructor(
    private readonly t: SharedFingerprintSet,
    private readonly batch: number,
    private readonly nInst: number,
    readonly cand: Column,
    readonly parents: Column,
    readonly moves: Column,
    readonly entries: Column,
  ) {}
  successor(k: number, ordinal: number, work: Int32Array, ctx: Ctx): boolean {
    this.transitions++;
    if (ctx.faultMsg !== null) {
      this.fault ??= { index: this.index, k, ordinal, message: ctx.faultMsg, property: ctx.faultProp };
      return true;
    }
    fingerprint(work, work.length);
    let entry: number;
    try {
      entry = this.t.claimEntry(fp.hi, fp.lo, this.batch);
    } catch (e) {
      if (isMmraceError(e) && e.code === 'E_LIMIT') {
        this.full = true;
        return false;
      }
      throw e;
    }
    if (entry >= 0) {
      this.cand.pushState(work);
      this.parents.push(this.parentId);
      this.moves.push(k + this.nInst * ordinal);
      this.entries.push(entry);
    }
    return true;
  }
}

async function expand(task: ExpandTask): Promise<ExpandResult> {
  const { m, ex } = await modelFor(task.model);
  const size = m.size;
  const nInst = m.instances.length;
  const t = tableFor(task.table);
  const n = task.count * 2;
  const sink = new ClaimSink(t, task.batch, nInst, new Column(n * size), new Column(n), new Column(n), new Column(n));
  const src = new Int32Array(size);
  let deadlock = -1;
  let truncated = false;
  let error: TaskError | null = null;
  for (let i = 0; i < task.count && error === null && !sink.full; i++) {
    for (let j = 0; j < size; j++) src[j] = task.states[i * size + j]!;
    sink.index = i;
    sink.parentId = task.firstId + i;
    try {
      if (task.atDepthLimit) {
        let any = false;
        for (let k = 0; k < nInst && !any; k++) any = ex.enabled(src, k);
        if (any) truncated = true;
        else if (deadlock < 0 && !allDone(m, src)) deadlock = i;
        continue;
      }
      const enabled = ex.expand(src, sink);
      if (enabled === 0 && deadlock < 0 && !allDone(m, src)) deadlock = i;
    } catch (e) {
      error = taskError(e, i, -1, -1);
    }
  }
  return {
    kind: 'expand',
    batch: task.batch,
    transitions: sink.transitions,
    cand: sink.cand.take(),
    parents: sink.parents.take(),
    moves: sink.moves.take(),
    entries: sink.entries.take(),
    candCount: sink.parents.length,
    fault: sink.fault,
    deadlock,
    truncated,
    full: sink.full,
    error,
  };
}

function allDone(m: CompiledModel, s: Int32Array): boolean {
  for (const inst of m.instances) if (inst.pcIn(s) !== inst.done) return false;
  return true;
}

async function filter(task: FilterTask): Promise<FilterResult> {
  const { m } = await modelFor(task.model);
  const size = m.size;
  const nInst = m.instances.length;
  const t = tableFor(task.table);
  const kept = new Column(task.candCount * size);
  const parents = new Column(task.candCount);
  const moves = new Column(task.candCount);
  const s = new Int32Array(size);
  let violation: FilterResult['violation'] = null;
  let error: TaskError | null = null;
  for (let c = 0; c < task.candCount; c++) {
    if (t.ownerAt(task.entries[c]!) !== task.batch) continue;
    for (let j = 0; j < size; j++) s[j] = task.cand[c * size + j]!;
    const index = parents.length;
    kept.pushState(s);
    parents.push(task.parents[c]!);
    moves.push(task.moves[c]!);
    if (violation !== null) continue;
    try {
      const inv = m.violatedInvariant(s);
      if (inv !== null) violation = { index, property: inv };
    } catch (e) {
      const mv = task.moves[c]!;
      error = taskError(e, index, mv % nInst, Math.floor(mv / nInst));
      break;
    }
  }
  return {
    kind: 'filter',
    batch: task.batch,
    kept: kept.take(),
    parents: parents.take(),
    moves: moves.take(),
    keptCount: parents.length,
    violation,
    error,
  };
}

/** Hands `value` back with its buffers moved, not copied. */
function moved(value: TaskResult, buffers: ArrayBufferLike[]): TaskResult {
  return move({ [transferableSymbol]: buffers, [valueSymbol]: value } as never) as unknown as TaskResult;
}

export default async function run(task: Task): Promise<TaskResult> {
  if (task.kind === 'expand') {
    const r = await expand(task);
    return moved(r, [r.cand.buffer, r.parents.buffer, r.moves.buffer, r.entries.buffer]);
  }
  const r = await filter(task);
  return moved(r, [r.kept.buffer, r.parents.buffer, r.moves.buffer]);
}
