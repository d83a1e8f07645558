/**
 * One batch of a BFS level: expand its states, claim every successor in the shared
 * fingerprint set, check the invariants of what it claimed, and record what the main
 * thread needs to replay the level in sequential order. Runs in worker threads and, for
 * small levels, in the main thread itself: the same code either way.
 *
 * Positions. Inside a batch, `tx` counts transitions as the sequential engine does
 * (every successor handed to the sink, faults included). A transition event carries the
 * value of `tx` after it; an event of a whole state (a deadlock, an error, a state cut by
 * --max-depth) carries the value before it plus the state's index. The main thread
 * orders events by (state index, tx, transition before state event), which is the
 * order the sequential engine meets them in.
 *
 * Modes of a state:
 * - full: expand, claim, check invariants (a level below --max-depth);
 * - depth: only ask whether a step is enabled (the level at --max-depth);
 * - drain: only look for a deadlock (or a guard that throws), after a violation earlier
 *   in the level: the sequential engine then checks the rest of the level for deadlocks,
 *   whose counterexample is one step shorter. A batch drains when the control word says
 *   an older batch has an event, or after its own violation, fault or error (as that
 *   engine, it stops expanding the state at its first violation).
 *
 * The control word STOP holds the smallest batch id known to hold an event (a violation,
 * a fault, an error or a deadlock). A batch that claims a state violating an invariant
 * lowers it too: the batch that ends up owning that state is as old or older, and keeps
 * the violation. Batches younger than STOP then only drain.
 */
import { MmraceError, isMmraceError } from '../errors.js';
import { Expander, StepError, type SuccessorSink } from '../engine/transitions.js';
import { Judge, deadlockMessage } from '../engine/judge.js';
import { BEAT, STARTED, STATE } from '../engine/watchdog.js';
import type { CompiledModel, Ctx } from '../model/compile.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import type { SharedFingerprintSet } from '../state/shared-fpset.js';

/** Control words (an Int32Array over a SharedArrayBuffer): */
export const STOP = 0;
/** Set to 1 to make every batch return at once (the time limit). */
export const ABORT = 1;
export const CONTROL_WORDS = 2;
/** STOP when no batch has an event. */
export const NO_STOP = 0x7fffffff;

export type BatchMode = 'full' | 'depth';

export interface BatchInput {
  /** The batch's id in the search (the control word STOP holds these). */
  readonly batch: number;
  /** The batch's number in its level (its owner lane in the set, in the level's round). */
  readonly index: number;
  /** The round of the states this level claims (the set's `round`): the parity of their depth. */
  readonly round: number;
  /**
   * Retire the table entry of each state expanded (SharedFingerprintSet.retire): its
   * number follows the state. False when the set was rebuilt since the level was claimed
   * (the rebuilt set has every entry retired, and the numbers are of the old one).
   */
  readonly retire: boolean;
  /**
   * The batch's states, in order, where the level holds them (`Piece`); each a record of
   * `recordSize(m, sleep)` ints: the state, its sleep set with sleep sets, its entry in the set.
   */
  readonly pieces: readonly Piece[];
  /** The index in its level of the batch's first state (the watchdog's heart names states by it). */
  readonly offset: number;
  readonly count: number;
  readonly mode: BatchMode;
  /** Record every violated property and go on, instead of stopping at the first event. */
  readonly allViolations: boolean;
  /** Date.now() after which the batch returns early (aborted), or Infinity. */
  readonly deadline: number;
  /** Partial-order reduction (Expander.expandPor). */
  readonly por: boolean;
  /** Symmetry reduction (CompiledModel.canonical). */
  readonly symmetry: boolean;
  /** Sleep sets (Expander.expandSleep): each state of `states` and each candidate carries its sleep set. */
  readonly sleep: boolean;
  /**
   * A state of the batch on which a step hung when the level ran before (its worker was
   * stopped by the step watchdog), or null: see `StuckAt`.
   */
  readonly stuck?: StuckAt | null | undefined;
}

/**
 * A state whose expansion hung in an earlier run of the level: the batch records the
 * step timeout there instead of running the stuck step again, at the place the sequential
 * engine would meet it. A guard that hung hangs in every mode; a step body or an
 * invariant only when the state is expanded in full (a drained state only runs guards).
 */
export interface StuckAt {
  /** State index in the batch. */
  readonly i: number;
  /** The guard (await) hung, not the body of the step or an invariant. */
  readonly guard: boolean;
  /** The E_STEP_TIMEOUT error naming the step. */
  readonly code: string;
  readonly message: string;
  readonly hint?: string | undefined;
}

/** Ints per state of a level and per candidate: the state, its sleep set with sleep sets, its entry in the set. */
export function recordSize(m: CompiledModel, sleep: boolean): number {
  return m.size + (sleep ? 2 : 1);
}

/**
 * Consecutive states of a level, in the buffer of the batch result that claimed them (a
 * level is the kept candidates of the batches before it, left where the workers wrote
 * them: parallel/level.ts).
 */
export interface Piece {
  /** Records, `recordSize` ints each. */
  readonly records: Int32Array;
  /** The record numbers of the kept candidates, or null when every record from `from` on is kept. */
  readonly kept: Int32Array | null;
  /** The piece's first state: an index into `kept`, or a record number when `kept` is null. */
  readonly from: number;
  readonly count: number;
}

/** Walks the records of a batch's pieces in order: `next()` is the base of the next state's record in `arr`. */
export class Records {
  arr: Int32Array = EMPTY;
  private p = 0;
  private q = 0;
  constructor(
    private readonly pieces: readonly Piece[],
    private readonly stride: number,
  ) {}
  next(): number {
    let piece = this.pieces[this.p]!;
    while (this.q === piece.count) {
      piece = this.pieces[++this.p]!;
      this.q = 0;
    }
    this.arr = piece.records;
    const at = piece.from + this.q++;
    return (piece.kept === null ? at : piece.kept[at]!) * this.stride;
  }
}
const EMPTY = new Int32Array(0);

/** A model error and where it happened. */
export interface ErrorAt {
  readonly code: string;
  readonly message: string;
  readonly hint?: string | undefined;
  /** State index in the batch. */
  readonly i: number;
  /** Transitions of the batch before the error. */
  readonly tx: number;
  /** The failing step (k, ordinal; ordinal -1 for a guard), or k = -1. */
  readonly k: number;
  readonly ordinal: number;
}

export interface FaultAt {
  readonly i: number;
  readonly tx: number;
  readonly k: number;
  readonly ordinal: number;
  readonly message: string;
  readonly property: string;
}

/** A deadlocked state of the batch. */
export interface DeadlockAt {
  readonly i: number;
  readonly tx: number;
  readonly message: string;
}

/** A claimed successor that violates an invariant (or whose invariant threw). */
export interface MarkAt {
  /** Candidate index. */
  readonly c: number;
  readonly property: string | null;
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string | undefined } | null;
}

export interface BatchResult {
  readonly batch: number;
  /** Transitions of the states expanded in full mode. */
  readonly transitions: number;
  /**
   * Successors this batch claimed (new to the set, or taken from a younger batch), in
   * transition order: records as a level holds them (`recordSize`), parent state index in the batch, move
   * (k + instances × ordinal), table entry, and `tx` of the transition.
   */
  readonly candCount: number;
  readonly cand: Int32Array;
  readonly parents: Int32Array;
  readonly moves: Int32Array;
  readonly entries: Int32Array;
  readonly tx: Int32Array;
  /** Takeovers: (victim batch, entry) pairs; the victim drops its candidate of that entry. */
  readonly stolenCount: number;
  readonly stolen: Int32Array;
  /** The first mark (all-violations: the first of each property, and the first error). */
  readonly marks: readonly MarkAt[];
  /** The first fault (all-violations: the first of each property). */
  readonly faults: readonly FaultAt[];
  /** The first error raised while expanding (a step or a guard threw). */
  readonly error: ErrorAt | null;
  /** The first deadlocked state, with the batch's transitions before it and the judge's message (which instances wait). */
  readonly deadlock: DeadlockAt | null;
  /** The first state whose deadlock check threw (only drained or errored states are checked). */
  readonly drainError: ErrorAt | null;
  /** Depth mode: the first state with an enabled step. */
  readonly truncated: number;
  /** The table had no room: the level runs again on a larger one. */
  readonly full: boolean;
  /** Stopped by the deadline or the ABORT word. */
  readonly aborted: boolean;
}

/**
 * Buffers of results the main thread is done with, handed back to this thread to hold the
 * next results. They are SharedArrayBuffers: a result's columns reach the main thread
 * shared, not moved, and come back the same way, so no thread allocates per batch. (A
 * moved ArrayBuffer is a new one on the side that receives it, and the main thread's
 * garbage collector would run for every few dozen megabytes of results it received.)
 */
const spares: SharedArrayBuffer[] = [];
/** Most buffers kept for reuse (a few batches' worth). */
const MAX_SPARES = 48;

/** Keeps `bufs` for the next columns of this thread. */
export function addSpares(bufs: readonly SharedArrayBuffer[]): void {
  for (const b of bufs) if (spares.length < MAX_SPARES && b.byteLength > 0) spares.push(b);
}

/** An Int32Array of at least `n` values, over a spare buffer when one is large enough. */
function int32s(n: number): Int32Array {
  for (let j = 0; j < spares.length; j++) {
    const b = spares[j]!;
    if (b.byteLength >= n * 4) {
      spares[j] = spares[spares.length - 1]!;
      spares.pop();
      return new Int32Array(b);
    }
  }
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

/** A growable column of Int32 values, over a SharedArrayBuffer (reused from the spares when one is large enough). */
export class Column {
  data: Int32Array;
  length = 0;
  constructor(initial: number) {
    this.data = int32s(Math.max(16, initial));
  }
  grow(extra: number): void {
    let cap = this.data.length * 2;
    while (cap < this.length + extra) cap *= 2;
    const next = int32s(cap);
    next.set(this.data.subarray(0, this.length));
    addSpares([this.data.buffer as SharedArrayBuffer]);
    this.data = next;
  }
  push(v: number): void {
    if (this.length === this.data.length) this.grow(1);
    this.data[this.length++] = v;
  }
  pushState(s: Int32Array): void {
    if (this.length + s.length > this.data.length) this.grow(s.length);
    this.data.set(s, this.length);
    this.length += s.length;
  }
  /** Bytes of the column's buffer. */
  get bytes(): number {
    return this.data.byteLength;
  }
  /** The values, in the column's own buffer (shared with the main thread, not copied). */
  take(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

function asError(e: unknown): MmraceError {
  return isMmraceError(e) ? e : new MmraceError('E_INTERNAL', e instanceof Error ? e.message : String(e));
}

function errorAt(e: unknown, i: number, tx: number): ErrorAt {
  const err = asError(e);
  const k = e instanceof StepError ? e.k : -1;
  const ordinal = e instanceof StepError ? e.ordinal : -1;
  return { code: err.code, message: err.message, hint: err.hint, i, tx, k, ordinal };
}

/** Lowers the STOP word to `batch` (an event is known in this batch). */
export function lowerStop(control: Int32Array, batch: number): void {
  let cur = Atomics.load(control, STOP);
  while (batch < cur) {
    const seen = Atomics.compareExchange(control, STOP, cur, batch);
    if (seen === cur) return;
    cur = seen;
  }
}

class BatchSink implements SuccessorSink {
  /** Index of the state being expanded. */
  i = 0;
  tx = 0;
  full = false;
  readonly cand: Column;
  readonly parents: Column;
  readonly moves: Column;
  readonly entries: Column;
  readonly txs: Column;
  readonly stolen = new Column(64);
  readonly marks: MarkAt[] = [];
  readonly faults: FaultAt[] = [];
  private readonly markSeen = new Set<string>();
  private readonly faultSeen = new Set<string>();
  private markError = false;
  private readonly judge: Judge;
  /** Successors are put in canonical form (symmetry reduction). */
  sym = false;
  /** Sleep sets: each candidate is followed by its sleep set (ex.sleepOut). */
  sleep = false;

  constructor(
    private readonly m: CompiledModel,
    private readonly table: SharedFingerprintSet,
    private readonly control: Int32Array,
    private readonly batch: number,
    private readonly index: number,
    private readonly all: boolean,
    expect: number,
    private readonly ex: Expander,
    stride: number,
  ) {
    this.judge = new Judge(m, ex);
    this.cand = new Column(expect * stride);
    this.parents = new Column(expect);
    this.moves = new Column(expect);
    this.entries = new Column(expect);
    this.txs = new Column(expect);
  }

  successor(k: number, ordinal: number, work: Int32Array, ctx: Ctx): boolean {
    const tx = ++this.tx;
    if (ctx.faultMsg !== null) {
      const prop = ctx.faultProp;
      if (this.all ? !this.faultSeen.has(prop) : this.faults.length === 0) {
        this.faultSeen.add(prop);
        this.faults.push({ i: this.i, tx, k, ordinal, message: ctx.faultMsg, property: prop });
      }
      // The sequential engine stops at its first violation: so does the batch (it then
      // only drains), and a later step of the state, which that engine never runs, is not run.
      return this.all;
    }
    if (this.sym) {
      try {
        this.m.canonical(work);
      } catch (e) {
        throw new StepError(asError(e), k, ordinal);
      }
    }
    fingerprint(work, work.length);
    let entry: number;
    try {
      entry = this.table.claimEntry(fp.hi, fp.lo, this.index);
    } catch (e) {
      if (isMmraceError(e) && e.code === 'E_LIMIT') {
        this.full = true;
        return false;
      }
      throw e;
    }
    if (entry < 0) return true;
    const c = this.parents.length;
    this.cand.pushState(work);
    if (this.sleep) this.cand.push(this.ex.sleepOut);
    this.cand.push(entry);
    this.parents.push(this.i);
    this.moves.push(k + this.m.instances.length * ordinal);
    this.entries.push(entry);
    this.txs.push(tx);
    const victim = this.table.victim;
    if (victim >= 0) {
      this.stolen.push(this.batch - this.index + victim);
      this.stolen.push(entry);
    }
    if (!this.all && this.marks.length > 0) return true;
    let violated: readonly string[];
    try {
      violated = this.judge.violated(work, this.all);
    } catch (e) {
      if (!this.markError) {
        this.markError = true;
        const err = asError(e);
        this.marks.push({ c, property: null, error: { code: err.code, message: err.message, hint: err.hint } });
        lowerStop(this.control, this.batch);
      }
      return this.all;
    }
    for (const inv of violated) {
      if (this.all && this.markSeen.has(inv)) continue;
      this.markSeen.add(inv);
      this.marks.push({ c, property: inv, error: null });
      if (!this.all) {
        // As after a fault: the batch stops here and drains (expandBatch).
        lowerStop(this.control, this.batch);
        return false;
      }
    }
    return true;
  }
}

/** Expands one batch; see the file comment. */
export function expandBatch(
  m: CompiledModel,
  ex: Expander,
  table: SharedFingerprintSet,
  control: Int32Array,
  input: BatchInput,
): BatchResult {
  const size = m.size;
  const stride = recordSize(m, input.sleep);
  const { batch, pieces, offset, count, mode, allViolations: all, deadline } = input;
  table.round = input.round;
  const sink = new BatchSink(m, table, control, batch, input.index, all, mode === 'full' ? count * 2 : 0, ex, stride);
  sink.sym = input.symmetry && m.symmetry !== null;
  sink.sleep = input.sleep;
  const src = new Int32Array(size);
  let error: ErrorAt | null = null;
  let deadlock: DeadlockAt | null = null;
  const judge = new Judge(m, ex);
  let drainError: ErrorAt | null = null;
  let truncated = -1;
  let aborted = false;
  /** This batch only drains from now on (its own fault or error came first). */
  let drainSelf = false;

  const deadlockAt = (i: number, tx: number): DeadlockAt => ({ i, tx, message: deadlockMessage(m, src) });
  /** The sequential engine's deadlock check of state i; true when it ends the drain. */
  const drain = (i: number): boolean => {
    try {
      if (!judge.deadlocked(src)) return false;
    } catch (e) {
      drainError ??= errorAt(e, i, sink.tx);
      return true;
    }
    deadlock ??= deadlockAt(i, sink.tx);
    return true;
  };

  // The heartbeat (engine/watchdog.ts): this batch has started; STATE follows the state expanded.
  const heart = ex.heart;
  heart[BEAT] = STARTED;
  const stuck = input.stuck ?? null;
  // The entries of the batch's states, claimed by the level before, end while this level
  // claims in the other round. All at once, before any claim: the stores miss the cache,
  // and a claim's atomic operations would wait for each of them.
  if (input.retire) {
    const rs = new Records(pieces, stride);
    for (let i = 0; i < count; i++) {
      const base = rs.next();
      table.retire(rs.arr[base + stride - 1]!);
    }
  }
  const records = new Records(pieces, stride);
  for (let i = 0; i < count; i++) {
    if ((i & 127) === 0 && (Atomics.load(control, ABORT) !== 0 || (deadline !== Infinity && Date.now() >= deadline))) {
      aborted = true;
      break;
    }
    heart[STATE] = offset + i;
    const base = records.next();
    const states = records.arr;
    for (let j = 0; j < size; j++) src[j] = states[base + j]!;
    if (stuck !== null && stuck.i === i) {
      // Where a step hung before: the step timeout is this state's event, as a step that
      // threw would be (a state that is only drained hangs again only in a guard).
      const draining = mode === 'depth' || drainSelf || Atomics.load(control, STOP) < batch;
      if (!draining || stuck.guard) {
        const e: ErrorAt = { code: stuck.code, message: stuck.message, hint: stuck.hint, i, tx: mode === 'depth' ? 0 : sink.tx, k: -1, ordinal: -1 };
        if (draining && mode !== 'depth') {
          drainError ??= e;
          break;
        }
        error = e;
        lowerStop(control, batch);
        if (mode === 'depth') break;
        // Its step is enabled (it ran), so the state is no deadlock: nothing to drain.
        drainSelf = true;
        continue;
      }
    }
    if (mode === 'depth') {
      let any: boolean;
      try {
        any = judge.anyEnabled(src);
      } catch (e) {
        error = errorAt(e, i, 0);
        lowerStop(control, batch);
        break;
      }
      if (any) {
        truncated = i;
        break;
      }
      if (!judge.allDone(src)) {
        deadlock ??= deadlockAt(i, 0);
        lowerStop(control, batch);
        if (!all) break;
      }
      continue;
    }
    if (drainSelf || Atomics.load(control, STOP) < batch) {
      if (drain(i)) break;
      continue;
    }
    sink.i = i;
    const before = sink.tx;
    const faults = sink.faults.length;
    const marks = sink.marks.length;
    let enabled: number;
    try {
      if (input.sleep) enabled = ex.expandSleep(src, states[base + size]!, sink, input.por);
      else enabled = input.por ? ex.expandPor(src, sink) : ex.expand(src, sink);
    } catch (e) {
      error = errorAt(e, i, sink.tx);
      lowerStop(control, batch);
      drainSelf = true;
      if (drain(i)) break;
      continue;
    }
    if (sink.full) break;
    if (enabled === 0 && !judge.allDone(src)) {
      deadlock ??= deadlockAt(i, before);
      if (!all) {
        lowerStop(control, batch);
        break;
      }
    }
    if (!all && (sink.faults.length > faults || sink.marks.length > marks)) {
      // Its first violation: from here on the batch only drains, as the sequential engine
      // then only looks for a deadlock (a violation it took from a younger batch is that
      // one's no more; one an older batch takes from it, the older batch reports first).
      lowerStop(control, batch);
      drainSelf = true;
    }
  }
  return {
    batch,
    transitions: sink.tx,
    candCount: sink.parents.length,
    cand: sink.cand.take(),
    parents: sink.parents.take(),
    moves: sink.moves.take(),
    entries: sink.entries.take(),
    tx: sink.txs.take(),
    stolenCount: sink.stolen.length >> 1,
    stolen: sink.stolen.take(),
    marks: sink.marks,
    faults: sink.faults,
    error,
    deadlock,
    drainError,
    truncated,
    full: sink.full,
    aborted,
  };
}

/**
 * The buffers of a result the main thread is done with once the level is walked, to hand
 * back for reuse (addSpares). Not the candidates': they hold the next level's states.
 */
export function resultBuffers(r: BatchResult): SharedArrayBuffer[] {
  const bufs = new Set<SharedArrayBuffer>();
  for (const a of [r.parents, r.moves, r.entries, r.tx, r.stolen]) bufs.add(a.buffer as SharedArrayBuffer);
  bufs.delete(r.cand.buffer as SharedArrayBuffer);
  return [...bufs];
}
