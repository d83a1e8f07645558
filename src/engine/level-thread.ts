/**
 * A level of the breadth-first search in this thread: the sequential search itself. Its
 * states are expanded in order; each successor is put in canonical form (symmetry),
 * fingerprinted and inserted in the shared set, and a new one gets the next id, its
 * parent link, its invariants checked and its record in the next level. Every event is
 * met in the order that defines the search's result (the order a pooled level's merge
 * replays): a fault, an invariant, an error, a deadlock, the --max-states cut.
 *
 * After the first violation (without allViolations) the rest of the level is only checked
 * for a deadlock, whose counterexample is one step shorter and is reported instead.
 *
 * States are stored retired (state/shared-fpset.ts): no batch of a later level on the pool
 * takes them over, and nothing is left to retire.
 */
import type { Ctx } from '../model/compile.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import { Column, Records, addSpares, type BatchMode } from './batch.js';
import { faultViolation, invariantViolation, pathPlus } from './judge.js';
import { levelOf, piecesOf, type Level, type Segment } from './level.js';
import { shardOf, type LevelSearch, type Shard } from './levels.js';
import { StepError, type SuccessorSink } from './transitions.js';
import { BEAT, DEFAULT_STEP_TIMEOUT, IDLE, STATE, stuckError, watchThisThread } from './watchdog.js';
import { MmraceError, isMmraceError } from '../errors.js';

/**
 * States per segment of the next level: the level grows a segment at a time, so no
 * state is ever copied to make room, and a pooled level's batches read the segments
 * where they are (level.ts).
 */
const SEGMENT = 1 << 16;

/** The next level as this thread stores it: full segments, and the one being filled. */
class NextLevel {
  readonly segs: Segment[] = [];
  col: Column;
  /** Bytes of the full segments. */
  private full = 0;
  constructor(private readonly stride: number) {
    this.col = new Column(Math.min(SEGMENT, 1024) * stride);
  }
  /** Ends the segment being filled when it holds SEGMENT states. */
  roll(): void {
    if (this.col.length < SEGMENT * this.stride) return;
    this.end();
    this.col = new Column(SEGMENT * this.stride);
  }
  /** Ends the segment being filled. */
  end(): void {
    const count = (this.col.length / this.stride) | 0;
    if (count > 0) this.segs.push({ records: this.col.take(), kept: null, count });
    this.full += this.col.bytes;
    this.col = new Column(16);
  }
  get bytes(): number {
    return this.full + this.col.bytes;
  }
  /** The entries in the set of every state stored, for undoing the level. */
  entries(): Set<number> {
    this.end();
    const out = new Set<number>();
    for (const seg of this.segs) for (let at = this.stride - 1; at < seg.count * this.stride; at += this.stride) out.add(seg.records[at]!);
    return out;
  }
}

/** Where the successors of a state go: the set, the links, the next level. */
class LevelSink implements SuccessorSink {
  /** Id of the state being expanded. */
  parent = 0;
  /** The set had no room and could not grow (the memory limit). */
  full = false;
  private readonly nInst: number;
  private readonly size: number;
  private readonly maxStates: number;
  /** The shard of this search when the states stored here are the ones partitioned (else null). */
  private readonly shard: Shard | null;

  constructor(
    private readonly x: LevelSearch,
    readonly out: NextLevel,
    private readonly depth: number,
    private readonly levelBytes: number,
  ) {
    this.nInst = x.nInst;
    this.size = x.m.size;
    this.maxStates = x.opts.maxStates ?? Infinity;
    this.shard = x.shard !== null && depth === x.shardDepth ? x.shard : null;
  }

  successor(k: number, ordinal: number, work: Int32Array, ctx: Ctx): boolean {
    const x = this.x;
    x.transitions++;
    if (ctx.faultMsg !== null) {
      x.record(faultViolation(ctx.faultProp, ctx.faultMsg, pathPlus(x.links.pathTo(this.parent), k, ordinal)));
      // The first violation stops the expansion of its state (with allViolations, go on).
      return x.all;
    }
    try {
      return this.store(work, k, ordinal);
    } catch (e) {
      throw new StepError(isMmraceError(e) ? e : new MmraceError('E_MODEL_THREW', String(e)), k, ordinal);
    }
  }

  /** Stores successor `work` if it is new; false when the expansion stops. */
  private store(work: Int32Array, k: number, ordinal: number): boolean {
    const x = this.x;
    if (x.sym) x.m.canonical(work);
    if (x.table.stored >= x.table.growAt && !x.table.roomForOne(this.levelBytes + this.out.bytes)) {
      this.full = true;
      return false;
    }
    fingerprint(work, this.size);
    const entry = x.table.set.insert(fp.hi, fp.lo);
    if (entry < 0) return true;
    x.table.stored++;
    // --shard: a state of the partition depth that belongs to another shard stays in the
    // set (it is explored there), and nowhere else.
    if (this.shard !== null && shardOf(fp.hi, fp.lo, this.shard.count) !== this.shard.index) return true;
    if (x.states >= this.maxStates) {
      x.limitHit = 'max-states';
      return false;
    }
    const id = x.states++;
    x.links.push(this.parent, k + this.nInst * ordinal);
    if (this.depth > x.depth) x.depth = this.depth;
    const violated = x.judge.violated(work, x.all);
    for (const inv of violated) x.record(invariantViolation(inv, x.links.pathTo(id)));
    if (violated.length > 0 && !x.all) return false;
    this.out.roll();
    const col = this.out.col;
    col.pushState(work);
    if (x.sleep) col.push(x.ex.sleepOut);
    col.push(entry);
    return true;
  }
}

/**
 * Expands `level` in this thread; returns the next level, or null when the search stops
 * (a violation without allViolations, an error, a limit, the last level).
 */
export function expandInThread(x: LevelSearch, level: Level, mode: BatchMode): Level | null {
  const m = x.m;
  const size = m.size;
  const stride = x.size;
  const ex = x.ex;
  const judge = x.judge;
  const before = x.before();
  // The buffers of the last level go back to this thread's spares, for the next one.
  addSpares(x.stash.flat());
  x.stash = [];
  const out = new NextLevel(stride);
  const sink = new LevelSink(x, out, level.depth + 1, level.n * stride * 4);

  const src = new Int32Array(size);
  const pieces = piecesOf(level, 0, level.n);
  // The entries of a level claimed on the pool end now (nothing of a level stored in this
  // thread is left in a round's lanes).
  if (x.table.retire) {
    const rs = new Records(pieces, stride);
    for (let i = 0; i < level.n; i++) {
      const base = rs.next();
      x.table.set.retire(rs.arr[base + stride - 1]!);
    }
    x.table.retire = false;
  }
  // The step watchdog: a step that hangs ends the search with E_STEP_TIMEOUT, the path to
  // the state whose expansion hangs, and the counts of the completed levels.
  const seconds = x.opts.stepTimeout ?? DEFAULT_STEP_TIMEOUT;
  const watch = watchThisThread(seconds, (word, cause) => {
    const e = stuckError(m, word, cause);
    const at = Atomics.load(ex.heart, STATE);
    const path = x.links.pathTo(level.firstId + at);
    x.undo(before);
    x.error = { code: e.code, message: e.message, hint: e.hint, path };
    x.opts.onStuck?.(x.outcome());
  });
  const own = ex.heart;
  if (watch) {
    ex.heart = watch.heart;
    // No model code runs before the first guard: the level's set-up is the engine's.
    watch.heart[BEAT] = IDLE;
  }
  const records = new Records(pieces, stride);
  let i = 0;
  try {
    for (; i < level.n && !x.stopped; i++) {
      if (x.clock.due()) {
        const stop = x.look(level.n - i);
        if (stop !== null) {
          x.limitHit = stop;
          break;
        }
      }
      ex.heart[STATE] = i;
      const base = records.next();
      const arr = records.arr;
      for (let j = 0; j < size; j++) src[j] = arr[base + j]!;
      const id = level.firstId + i;
      if (mode === 'depth') {
        // At --max-depth: only whether a step is enabled, or a deadlock.
        let any: boolean;
        try {
          any = judge.anyEnabled(src);
        } catch (e) {
          x.fail(e, x.links.pathTo(id));
          break;
        }
        if (any) x.limitHit = 'max-depth';
        else if (!judge.allDone(src)) x.record(judge.deadlock(src, x.links.pathTo(id)));
        continue;
      }
      sink.parent = id;
      let enabled: number;
      try {
        if (x.sleep) enabled = ex.expandSleep(src, arr[base + size]!, sink, x.por);
        else enabled = x.por ? ex.expandPor(src, sink) : ex.expand(src, sink);
      } catch (e) {
        x.fail(e, x.links.pathTo(id));
        break;
      }
      if (sink.full) break;
      if (enabled === 0 && !judge.allDone(src)) x.record(judge.deadlock(src, x.links.pathTo(id)));
    }
    // A violation found while expanding level d has a counterexample of d + 1 steps; a
    // deadlock among the rest of level d has one of d steps and is reported instead.
    const first = x.found.size === 1 && !x.all && x.error === null && x.limitHit === null ? [...x.found.values()][0]!.violation : null;
    if (first !== null && first.kind !== 'deadlock') {
      for (; i < level.n; i++) {
        const base = records.next();
        const arr = records.arr;
        for (let j = 0; j < size; j++) src[j] = arr[base + j]!;
        let deadlocked: boolean;
        try {
          deadlocked = judge.deadlocked(src);
        } catch (e) {
          x.found.clear();
          x.fail(e, x.links.pathTo(level.firstId + i));
          break;
        }
        if (deadlocked) {
          x.found.clear();
          x.record(judge.deadlock(src, x.links.pathTo(level.firstId + i)));
          break;
        }
      }
    }
  } finally {
    watch?.stop();
    ex.heart = own;
  }
  const clockStop = x.limitHit === 'time-limit' || x.limitHit === 'interrupted' ? x.limitHit : null;
  if (sink.full || (clockStop !== null && x.opts.checkpoint !== undefined)) {
    // The memory limit, or the clock with a checkpoint to write: the level is undone, its
    // states taken out of the set, and the search stops before it, where a checkpoint
    // holds it (and the resumed search runs it again).
    const entries = out.entries();
    x.undo(before);
    x.table.dropEntries(entries);
    if (!sink.full) return x.stopBefore(level, clockStop);
    x.memoryLimit(`at depth ${level.depth + 1}, after ${x.states} states`);
    return x.stopBefore(level, null);
  }
  // The level is done: the buffers that held its states are free.
  x.free(level);
  out.end();
  if (x.stopped || mode === 'depth' || out.segs.length === 0) return null;
  return levelOf(level.firstId + level.n, level.depth + 1, out.segs);
}
