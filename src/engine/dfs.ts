/**
 * Depth-first search with an explicit stack. Expanding a frame's state stores its new
 * successors (seen-set, invariants, parent links: all in DfsStore) as the frame's
 * children; the search then enters the first child not yet entered, and pops a frame
 * when all its children were entered. The stack is always a path from an initial
 * state. Counterexamples are valid but not the shortest: use BFS for those.
 */
import { MmraceError, isMmraceError } from '../errors.js';
import type { CompiledModel, Ctx } from '../model/compile.js';
import { FingerprintSet } from '../state/fpset.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import { Judge, faultViolation, foundError, invariantViolation, pathPlus } from './judge.js';
import { defaultMemory, type Limits } from './limits.js';
import { Links, NO_PARENT } from './links.js';
import type { Clock } from './clock.js';
import { reductionsOf, type FoundError, type FoundViolation, type Path, type SearchOutcome, type StopKind } from './result.js';
import type { Watch } from './watchdog.js';
import { Expander, StepError, type SuccessorSink } from './transitions.js';

/** Where the depth-first search puts a newly stored state: the children of the frame being expanded. */
interface Frontier {
  add(state: Int32Array, id: number): void;
}


class Frame {
  readonly state: Int32Array;
  id = 0;
  depth = 0;
  /** Children: `n` state vectors of `size` ints, with their ids. */
  kids: Int32Array;
  kidIds: number[] = [];
  n = 0;
  next = 0;
  constructor(private readonly size: number) {
    this.state = new Int32Array(size);
    this.kids = new Int32Array(size * 4);
  }
  reset(id: number, depth: number): void {
    this.id = id;
    this.depth = depth;
    this.n = 0;
    this.next = 0;
  }
  addKid(state: Int32Array, id: number): void {
    const size = this.size;
    if ((this.n + 1) * size > this.kids.length) {
      const bigger = new Int32Array(this.kids.length * 2);
      bigger.set(this.kids);
      this.kids = bigger;
    }
    this.kids.set(state, this.n * size);
    this.kidIds[this.n++] = id;
  }
}

async function dfs(x: DfsStore): Promise<void> {
  const size = x.m.size;
  const stack: Frame[] = [];
  const frameAt = (i: number): Frame => {
    while (stack.length <= i) stack.push(new Frame(size));
    return stack[i]!;
  };
  // A virtual root frame (-1) holds the initial states as its children.
  const root = new Frame(size);
  let current = root;
  x.frontier = {
    add(state, id) {
      current.addKid(state, id);
    },
  };
  if (!x.addInitialStates()) return;
  let top = -1;
  const parentOf = (i: number): Frame => (i < 0 ? root : stack[i]!);
  while (!x.stopped) {
    const f = parentOf(top);
    if (f.next === f.n) {
      if (top < 0) break;
      top--;
      continue;
    }
    const j = f.next++;
    const child = frameAt(top + 1);
    child.reset(f.kidIds[j]!, top + 1);
    const off = j * size;
    for (let i = 0; i < size; i++) child.state[i] = f.kids[off + i]!;
    top++;
    current = child;
    x.currentId = child.id;
    x.currentDepth = child.depth;
    x.queued = top + 1;
    x.expand(child.state);
    if (x.clock.due()) {
      x.look();
      // A signal's handler runs only when this thread is free.
      if (x.clock.turnDue) await x.clock.turn();
    }
  }
}

/** The depth-first search's store: the seen set, parent links, counters, limits, and what it found. */
class DfsStore implements SuccessorSink {
  readonly m: CompiledModel;
  readonly ex: Expander;
  readonly judge: Judge;
  readonly seen: FingerprintSet;
  private readonly links: Links;
  private readonly nInst: number;
  readonly limits: Limits;
  readonly clock: Clock;

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
  error: FoundError | null = null;
  limitHit: StopKind | null = null;
  limitMessage: string | null = null;

  /** The state being expanded: its id and depth (set by the strategy). */
  currentId = -1;
  currentDepth = 0;
  frontier: Frontier | null = null;
  /** Queued states, for progress reports (kept by the strategy). */
  queued = 0;

  constructor(m: CompiledModel, limits: Limits, clock: Clock) {
    this.m = m;
    this.ex = new Expander(m);
    this.judge = new Judge(m, this.ex);
    this.all = limits.allViolations === true;
    this.por = limits.por === true && m.hasPrivate;
    this.sym = limits.symmetry === true && m.symmetry !== null;
    this.seen = new FingerprintSet(limits.maxStates !== undefined ? Math.min(limits.maxStates * 1.4 + 16, 1 << 20) : 1 << 16);
    this.seen.maxBytes = limits.memory ?? defaultMemory();
    this.nInst = m.instances.length;
    this.links = new Links(this.nInst);
    this.limits = limits;
    this.clock = clock;
  }

  get seconds(): number {
    return this.clock.seconds;
  }

  /** True when the search must stop: a violation, an error, or a limit. */
  get stopped(): boolean {
    return this.violation !== null || this.error !== null || this.limitHit !== null;
  }

  /** Stores the initial states; false if the search already stopped. */
  addInitialStates(): boolean {
    let ok = true;
    try {
      this.m.forEachInitialState((s, i) => {
        ok = this.addInitial(s, i);
        // The invariants of that state left the heart IDLE: init runs again next.
        this.ex.beatInit();
        return ok;
      });
    } catch (e) {
      if (this.error === null) this.fail(e, null);
      return false;
    }
    return ok;
  }

  private addInitial(s: Int32Array, i: number): boolean {
    try {
      return this.store(s, NO_PARENT, i, 0) >= 0;
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

  private store(s: Int32Array, parent: number, move: number, depth: number): number {
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
    const violated = this.judge.violated(s, this.all);
    for (const inv of violated) this.found(invariantViolation(inv, this.pathTo(id)));
    if (violated.length > 0 && !this.all) return -1;
    this.frontier!.add(s, id);
    return 1;
  }

  /**
   * Expands `src` (the state currentId at currentDepth): every successor goes through
   * `successor`, new ones to the frontier. Checks deadlock, limits and time.
   */
  expand(src: Int32Array): void {
    if (this.limits.maxDepth !== undefined && this.currentDepth >= this.limits.maxDepth) {
      this.atDepthLimit(src);
      return;
    }
    let enabled: number;
    try {
      enabled = this.por ? this.ex.expandPor(src, this) : this.ex.expand(src, this);
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
      return this.store(work, this.currentId, k + this.nInst * ordinal, this.currentDepth + 1) >= 0;
    } catch (e) {
      throw new StepError(isMmraceError(e) ? e : new MmraceError('E_MODEL_THREW', String(e)), k, ordinal);
    }
  }

  /** Looks at the clock: the time limit, the signal, progress. */
  look(): void {
    const stop = this.clock.look(() => ({ states: this.states, transitions: this.transitions, depth: this.depth, queued: this.queued }));
    if (stop !== null) this.limitHit ??= stop;
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

/** A depth-first search of `m` in this thread; `watch`: the step watchdog's heart and report. */
export async function dfsSearch(m: CompiledModel, limits: Limits, clock: Clock, watch: Watch<SearchOutcome> | undefined): Promise<SearchOutcome> {
  const x = new DfsStore(m, limits, clock);
  if (watch) {
    x.ex.heart = watch.heart;
    // The stuck step is one of the state being expanded (or of an initial state's invariants).
    watch.found = (error) => ({ ...outcomeOf(x), error: { ...error, path: x.currentId >= 0 ? x.pathTo(x.currentId) : null } });
  }
  await dfs(x);
  return outcomeOf(x);
}

/** What a depth-first search has found so far. */
function outcomeOf(x: DfsStore): SearchOutcome {
  return {
    strategy: 'dfs',
    reductions: reductionsOf(x.por, false, x.sym),
    states: x.states,
    transitions: x.transitions,
    depth: x.depth,
    seconds: x.seconds,
    storeBytes: x.storeBytes,
    found: x.all ? x.allFound : x.violation ? [x.violation] : [],
    allViolations: x.all,
    error: x.error,
    limitHit: x.limitHit,
    limitMessage: x.limitMessage,
  };
}
