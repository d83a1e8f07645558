/**
 * The exploration loop's shared machinery: the set of seen states, parent links for
 * rebuilding counterexamples, counters, limits and the violation found. A strategy
 * (strategy/bfs.ts, strategy/dfs.ts) decides the order in which states are expanded;
 * this class decides nothing.
 *
 * Per stored state: a fingerprint in the set (≤ 16 bytes) plus a parent link and a
 * move (8 bytes) from which `pathTo` rebuilds the schedule, as TLC does.
 */
import { totalmem } from 'node:os';
import { MmraceError, isMmraceError } from '../errors.js';
import type { CompiledModel, Ctx } from '../model/compile.js';
import { FingerprintSet } from '../state/fpset.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import { IntColumn, StateQueue } from '../state/queue.js';
import { Expander, StepError, type SuccessorSink } from './transitions.js';
import { Judge, faultViolation, foundError, invariantViolation, pathPlus } from './judge.js';
import type { FoundError, FoundViolation, LimitKind, Path, Progress } from './result.js';

export type { FoundError, FoundViolation, LimitKind, Path, Progress } from './result.js';

export interface Limits {
  /** Stop after this many distinct states (the search is then incomplete). */
  readonly maxStates?: number | undefined;
  /** Do not expand states at this depth (the search is incomplete if any could move). */
  readonly maxDepth?: number | undefined;
  /** Stop after this many seconds. */
  readonly timeLimit?: number | undefined;
  /** Bytes the seen-set, parent links and frontier may take (default: half the machine's memory). */
  readonly memory?: number | undefined;
  /** Go on after a violation, to report the first violation of every property. */
  readonly allViolations?: boolean | undefined;
  /** Partial-order reduction (Expander.expandPor): used when the model declares a private actor. */
  readonly por?: boolean | undefined;
  /** Symmetry reduction (CompiledModel.canonical): used when the model declares a symmetric actor. */
  readonly symmetry?: boolean | undefined;
  /**
   * Sleep sets (Expander.expandSleep), with `por`, in breadth-first searches: off unless
   * true; used when no symmetry reduction is on and the model has at most 31 instances.
   * They explore fewer transitions, never fewer states, and cost more time than they save
   * on the seed models (docs/por.md).
   */
  readonly sleep?: boolean | undefined;
}

/** Where a strategy puts a newly discovered state. */
export interface Frontier {
  /** `sleep`: the state's sleep set (Expander.expandSleep), 0 when sleep sets are off. */
  add(state: Int32Array, id: number, depth: number, sleep: number): void;
}

/** Whether a breadth-first search may use sleep sets (Limits.sleep). */
export function sleepApplies(m: CompiledModel, limits: Limits, symmetry: boolean): boolean {
  return limits.por === true && limits.sleep === true && !symmetry && m.instances.length <= 31;
}

/** The default memory budget: half of the machine's memory (or of the process's cgroup limit). */
export function defaultMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const total = totalmem();
  return Math.floor((limit > 0 && limit < total ? limit : total) / 2);
}

export const NO_PARENT = -1;

/**
 * Parent links and moves of stored states, by state id: 8 bytes per state, from which
 * a counterexample is rebuilt (as TLC does). A move is k + instances × ordinal; an
 * initial state's parent is NO_PARENT and its move is its initial-state ordinal.
 */
export class Links {
  private readonly parent = new IntColumn();
  private readonly move = new IntColumn();
  constructor(private readonly nInst: number) {}

  get length(): number {
    return this.parent.length;
  }

  /** Keeps the links of the first `n` states only. */
  truncate(n: number): void {
    this.parent.truncate(n);
    this.move.truncate(n);
  }

  push(parent: number, move: number): void {
    this.parent.push(parent);
    this.move.push(move);
  }

  /**
   * Pushes the links of candidates `kept[from]` to `kept[to - 1]`: parent `base +
   * parents[c]`, move `moves[c]` (the parallel explorer's batches, numbered in order).
   */
  pushKept(base: number, parents: Int32Array, moves: Int32Array, kept: Int32Array, from: number, to: number): void {
    for (let j = from; j < to; j++) {
      const c = kept[j]!;
      this.parent.push(base + parents[c]!);
      this.move.push(moves[c]!);
    }
  }

  /** The parent and move columns as views of their chunks, in order (to save them: checkpoints). */
  views(): { readonly parents: Int32Array[]; readonly moves: Int32Array[] } {
    return { parents: this.parent.views(), moves: this.move.views() };
  }

  /** Appends saved links (`views` of another run), adopting the arrays instead of copying them. */
  adopt(parents: Int32Array, moves: Int32Array): void {
    if (parents.length !== moves.length) throw new MmraceError('E_INTERNAL', `links: ${parents.length} parents for ${moves.length} moves`);
    this.parent.adopt(parents);
    this.move.adopt(moves);
  }

  /** The path from an initial state to state `id`. */
  pathTo(id: number): Path {
    const moves: [number, number][] = [];
    let cur = id;
    while (this.parent.get(cur) !== NO_PARENT) {
      const mv = this.move.get(cur);
      moves.push([mv % this.nInst, Math.floor(mv / this.nInst)]);
      cur = this.parent.get(cur);
    }
    moves.reverse();
    return { init: this.move.get(cur), moves };
  }

  get bytes(): number {
    return this.parent.bytes + this.move.bytes;
  }
}

export class Exploration implements SuccessorSink {
  readonly m: CompiledModel;
  readonly ex: Expander;
  readonly judge: Judge;
  readonly seen: FingerprintSet;
  private readonly links: Links;
  private readonly nInst: number;
  readonly limits: Limits;
  private readonly started = performance.now();
  private readonly deadline: number;
  private readonly onProgress: ((p: Progress) => void) | undefined;
  private readonly progressEvery: number;
  private nextProgress: number;
  private tick = 0;

  states = 0;
  transitions = 0;
  /** Greatest depth of a stored state. */
  depth = 0;
  violation: FoundViolation | null = null;
  /** With allViolations: the first violation of each property, in the order found. */
  readonly allFound: FoundViolation[] = [];
  private readonly foundProps = new Set<string>();
  readonly all: boolean;
  /** Partial-order reduction is on (and the model has a private actor for it to use). */
  readonly por: boolean;
  /** Symmetry reduction is on (and the model has a symmetric actor with two instances or more). */
  readonly sym: boolean;
  /** Sleep sets may be used (sleepApplies); a breadth-first strategy turns them on with useSleep. */
  readonly sleepable: boolean;
  /** Expand with sleep sets: `currentSleep` is the sleep set of the state being expanded. */
  useSleep = false;
  currentSleep = 0;
  error: FoundError | null = null;
  limitHit: LimitKind | null = null;
  limitMessage: string | null = null;

  /** The state being expanded: its id and depth (set by the strategy). */
  currentId = -1;
  currentDepth = 0;
  frontier: Frontier | null = null;
  /** Queued states, for progress reports (kept by the strategy). */
  queued = 0;

  constructor(m: CompiledModel, limits: Limits, onProgress?: (p: Progress) => void, progressEvery = 2) {
    this.m = m;
    this.ex = new Expander(m);
    this.judge = new Judge(m, this.ex);
    this.all = limits.allViolations === true;
    this.por = limits.por === true && m.hasPrivate;
    this.sym = limits.symmetry === true && m.symmetry !== null;
    this.sleepable = sleepApplies(m, limits, this.sym);
    this.seen = new FingerprintSet(limits.maxStates !== undefined ? Math.min(limits.maxStates * 1.4 + 16, 1 << 20) : 1 << 16);
    this.seen.maxBytes = limits.memory ?? defaultMemory();
    this.nInst = m.instances.length;
    this.links = new Links(this.nInst);
    this.limits = limits;
    this.deadline = limits.timeLimit !== undefined ? this.started + limits.timeLimit * 1000 : Infinity;
    this.onProgress = onProgress;
    this.progressEvery = progressEvery;
    this.nextProgress = this.started + progressEvery * 1000;
  }

  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** True when the search must stop: a violation, an error, or a limit. */
  get stopped(): boolean {
    return this.violation !== null || this.error !== null || this.limitHit !== null;
  }

  /** Stores the initial states; false if the search already stopped. */
  addInitialStates(): boolean {
    let ok = true;
    try {
      this.m.forEachInitialState((s, i) => (ok = this.addInitial(s, i)));
    } catch (e) {
      if (this.error === null) this.fail(e, null);
      return false;
    }
    return ok;
  }

  private addInitial(s: Int32Array, i: number): boolean {
    try {
      return this.store(s, NO_PARENT, i, 0, 0) >= 0;
    } catch (e) {
      this.fail(e, { init: i, moves: [] });
      return false;
    }
  }

  /**
   * Stores state `s` if it is new: its parent link, its move, its depth; checks the
   * invariants and hands it to the frontier. Returns 1 for a new state, 0 for one seen
   * before, -1 when the search must stop (a limit or a violation). An invariant that
   * throws propagates.
   */
  /** Records a violation: it stops the search, or with allViolations, is kept if its property is new. */
  found(v: FoundViolation): void {
    if (!this.all) {
      this.violation = v;
      return;
    }
    if (this.foundProps.has(v.property)) return;
    this.foundProps.add(v.property);
    this.allFound.push(v);
  }

  private store(s: Int32Array, parent: number, move: number, depth: number, sleep: number): number {
    this.m.canonical(s, this.sym);
    fingerprint(s, s.length);
    // The memory limit counts the parent links next to the set.
    this.seen.otherBytes = this.links.bytes;
    let isNew: boolean;
    try {
      isNew = this.seen.put(fp.hi, fp.lo);
    } catch (e) {
      if (isMmraceError(e) && e.code === 'E_MEMORY') {
        this.limitHit = 'memory';
        this.limitMessage = e.message;
        return -1;
      }
      throw e;
    }
    if (!isNew) return 0;
    const max = this.limits.maxStates;
    if (max !== undefined && this.states >= max) {
      this.limitHit = 'max-states';
      return -1;
    }
    const id = this.states++;
    this.links.push(parent, move);
    if (depth > this.depth) this.depth = depth;
    const inv = this.judge.invariant(s);
    if (inv !== null) {
      this.found(invariantViolation(inv, this.pathTo(id)));
      if (!this.all) return -1;
    }
    this.frontier!.add(s, id, depth, sleep);
    return 1;
  }

  /**
   * Expands `src` (the state currentId at currentDepth): every successor goes through
   * `successor`, new ones to the frontier. Checks deadlock, limits and time.
   */
  expand(src: Int32Array): void {
    if ((++this.tick & 1023) === 0) this.checkClock();
    if (this.limits.maxDepth !== undefined && this.currentDepth >= this.limits.maxDepth) {
      this.atDepthLimit(src);
      return;
    }
    let enabled: number;
    try {
      if (this.useSleep) enabled = this.ex.expandSleep(src, this.currentSleep, this, this.por);
      else enabled = this.por ? this.ex.expandPor(src, this) : this.ex.expand(src, this);
    } catch (e) {
      this.fail(e, this.pathTo(this.currentId));
      return;
    }
    if (enabled === 0 && !this.judge.allDone(src)) this.deadlock(src);
  }

  private atDepthLimit(src: Int32Array): void {
    let any: boolean;
    try {
      any = this.judge.anyEnabled(src);
    } catch (e) {
      this.fail(e, this.pathTo(this.currentId));
      return;
    }
    if (any) this.limitHit ??= 'max-depth';
    else if (!this.judge.allDone(src)) this.deadlock(src);
  }

  /**
   * True when `src` (state currentId) is a deadlock: no step enabled and some actor not
   * finished. Records the violation.
   */
  checkDeadlock(src: Int32Array): boolean {
    let deadlocked: boolean;
    try {
      deadlocked = this.judge.deadlocked(src);
    } catch (e) {
      this.fail(e, this.pathTo(this.currentId));
      return false;
    }
    if (deadlocked) this.deadlock(src);
    return deadlocked;
  }

  private deadlock(src: Int32Array): void {
    this.found(this.judge.deadlock(src, this.pathTo(this.currentId)));
  }

  successor(k: number, ordinal: number, work: Int32Array, ctx: Ctx): boolean {
    this.transitions++;
    if (ctx.faultMsg !== null) {
      this.found(faultViolation(ctx.faultProp, ctx.faultMsg, pathPlus(this.pathTo(this.currentId), k, ordinal)));
      return this.all;
    }
    try {
      return this.store(work, this.currentId, k + this.nInst * ordinal, this.currentDepth + 1, this.useSleep ? this.ex.sleepOut : 0) >= 0;
    } catch (e) {
      throw new StepError(isMmraceError(e) ? e : new MmraceError('E_MODEL_THREW', String(e)), k, ordinal);
    }
  }

  private checkClock(): void {
    const now = performance.now();
    if (now >= this.deadline) this.limitHit ??= 'time-limit';
    if (this.onProgress && now >= this.nextProgress) {
      this.nextProgress = now + this.progressEvery * 1000;
      this.onProgress({
        states: this.states,
        transitions: this.transitions,
        depth: this.depth,
        queued: this.queued,
        seconds: (now - this.started) / 1000,
      });
    }
  }

  /** Records a model error; `path` leads to the state where it happened. */
  fail(e: unknown, path: Path | null): void {
    this.error = foundError(e, path);
  }

  /** The path from an initial state to state `id`, from the parent links. */
  pathTo(id: number): Path {
    return this.links.pathTo(id);
  }

  /** Bytes used by the seen set and the parent links. */
  get storeBytes(): number {
    return this.seen.bytes + this.links.bytes;
  }
}

/**
 * Breadth-first search: states are expanded in the order they were discovered, so the
 * first violation found has a shortest counterexample.
 */
export function bfs(x: Exploration): void {
  const queue = new StateQueue(x.m.size);
  // Sleep sets: a state's is inherited from its first parent (Expander.expandSleep), which
  // in breadth-first order is the parent on its least shortest path.
  x.useSleep = x.sleepable;
  const sleeps = x.useSleep ? new StateQueue(1) : null;
  const sleep = new Int32Array(1);
  // BFS expands states in id order, so the id and depth of the head are implicit:
  // ids are consecutive and each level ends where the previous level's last child is.
  let levelEnd = 0;
  const frontier: Frontier = {
    add(state, _id, _depth, s) {
      queue.push(state);
      if (sleeps !== null) {
        sleep[0] = s;
        sleeps.push(sleep);
      }
    },
  };
  x.frontier = frontier;
  if (!x.addInitialStates()) return;
  levelEnd = x.states;
  const src = new Int32Array(x.m.size);
  let id = 0;
  let depth = 0;
  while (queue.length > 0 && !x.stopped) {
    if (id === levelEnd) {
      depth++;
      levelEnd = x.states;
    }
    queue.shiftInto(src);
    if (sleeps !== null) {
      sleeps.shiftInto(sleep);
      x.currentSleep = sleep[0]!;
    }
    x.currentId = id++;
    x.currentDepth = depth;
    x.queued = queue.length;
    x.expand(src);
  }
  // An invariant or fault found while expanding level d has a counterexample of d + 1
  // steps; a deadlock among the rest of level d has one of d steps and is reported instead.
  if (x.violation !== null && x.violation.kind !== 'deadlock' && x.error === null) {
    const found = x.violation;
    while (id < levelEnd && queue.length > 0) {
      queue.shiftInto(src);
      x.currentId = id++;
      x.currentDepth = depth;
      x.violation = null;
      if (x.checkDeadlock(src) || x.error !== null) return;
      x.violation = found;
    }
  }
}
