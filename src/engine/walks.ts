/**
 * The walk driver of the bug-hunting search: runs (executions) from an initial state,
 * one step at a time, where a chooser (strategy/chooser.ts) picks each step among the
 * enabled transitions. It executes what the chooser picks and judges, at every step, what
 * every search judges (engine/judge.ts): the fault of the transition taken, the
 * invariants of the state reached, a deadlock. A model that throws is an error. It never
 * chooses; a chooser never sees a state, only the enabled transitions, the run so far
 * and the state's fingerprint.
 *
 * A bug-hunting search never proves safety: without a violation the verdict is
 * `incomplete`, whatever was tried.
 */
import { MmraceError, isMmraceError } from '../errors.js';
import type { CompiledModel, Ctx } from '../model/compile.js';
import { fingerprint, fp } from '../state/fingerprint.js';
import { FingerprintSet } from '../state/fpset.js';
import { FRESH, PRUNE, WALK_DEFAULTS, type Chooser, type ChooserOptions, type Enabled, type RunEnd, type RunView } from '../strategy/chooser.js';
import { defaultMemory, type Limits } from './limits.js';
import { Judge, faultViolation, foundError, invariantViolation } from './judge.js';
import type { FoundError, FoundViolation, Path, SearchOutcome, StopKind } from './result.js';
import { Expander, type SuccessorSink } from './transitions.js';
import type { Watch } from './watchdog.js';
import { Clock } from './clock.js';

/**
 * The successors of the current state, collected by one enumeration: their states
 * (packed), instances, ordinals and faults. Reused from step to step.
 */
class Successors implements Enabled, SuccessorSink {
  length = 0;
  width = 0;
  private readonly size: number;
  private states: Int32Array;
  private readonly ks: number[] = [];
  private readonly ords: number[] = [];
  private readonly faultMsgs: (string | null)[] = [];
  private readonly faultProps: string[] = [];
  private readonly insts: number[] = [];
  private readonly firsts: number[] = [];

  constructor(size: number) {
    this.size = size;
    this.states = new Int32Array(Math.max(1, size * 16));
  }

  reset(): void {
    this.length = 0;
    this.width = 0;
  }

  successor(k: number, ordinal: number, work: Int32Array, ctx: Ctx): boolean {
    const i = this.length++;
    if (this.width === 0 || this.insts[this.width - 1] !== k) {
      this.insts[this.width] = k;
      this.firsts[this.width++] = i;
    }
    this.ks[i] = k;
    this.ords[i] = ordinal;
    this.faultMsgs[i] = ctx.faultMsg;
    this.faultProps[i] = ctx.faultProp;
    if ((i + 1) * this.size > this.states.length) {
      const bigger = new Int32Array(this.states.length * 2);
      bigger.set(this.states);
      this.states = bigger;
    }
    this.states.set(work, i * this.size);
    return true;
  }

  instance(j: number): number {
    return this.insts[j]!;
  }
  first(j: number): number {
    return j >= this.width ? this.length : this.firsts[j]!;
  }
  indexOf(k: number): number {
    for (let j = 0; j < this.width; j++) if (this.insts[j] === k) return j;
    return -1;
  }
  k(i: number): number {
    return this.ks[i]!;
  }
  ordinal(i: number): number {
    return this.ords[i]!;
  }
  faultMsg(i: number): string | null {
    return this.faultMsgs[i]!;
  }
  faultProp(i: number): string {
    return this.faultProps[i]!;
  }
  get bytes(): number {
    return this.states.byteLength;
  }
  /** Copies the state of successor i into `dst` at `offset`. */
  copyState(i: number, dst: Int32Array, offset: number): void {
    dst.set(this.states.subarray(i * this.size, (i + 1) * this.size), offset);
  }
}

/** The states of the run in progress: state t is the state after t moves. */
class RunStack {
  private buf: Int32Array;
  readonly fpHi: number[] = [];
  readonly fpLo: number[] = [];
  constructor(private readonly size: number) {
    this.buf = new Int32Array(Math.max(1, size * 64));
  }
  /** Room for state t; returns the offset of state t. */
  slot(t: number): number {
    const need = (t + 1) * this.size;
    if (need > this.buf.length) {
      let n = this.buf.length * 2;
      while (n < need) n *= 2;
      const bigger = new Int32Array(n);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    return t * this.size;
  }
  get buffer(): Int32Array {
    return this.buf;
  }
  view(t: number): Int32Array {
    return this.buf.subarray(t * this.size, (t + 1) * this.size);
  }
  get bytes(): number {
    return this.buf.byteLength;
  }
}

/** What the runs found, for engine/check.ts's `buildResult`. */
export interface WalkOutcome {
  readonly states: number;
  /** Moves executed by all runs (restored prefixes are not executed again). */
  readonly transitions: number;
  /** Longest run. */
  readonly depth: number;
  readonly runs: number;
  readonly seconds: number;
  readonly storeBytes: number;
  readonly violation: FoundViolation | null;
  readonly error: FoundError | null;
  readonly limitHit: StopKind | null;
  readonly limitMessage: string | null;
}

export interface WalkLimits extends Pick<Limits, 'maxStates' | 'timeLimit' | 'memory'> {
  /** Run length bound (Infinity: none). */
  readonly maxDepth: number;
  /** Stop after this many runs (Infinity: none). */
  readonly runs: number;
}

/**
 * Runs `strategy` on `m` until a violation, an error, a limit, the runs, or the
 * strategy's end. Deterministic for a deterministic strategy (time limit aside).
 */
export async function runWalks(m: CompiledModel, limits: WalkLimits, strategy: Chooser, clock: Clock = new Clock(limits), watch?: Watch<WalkOutcome>): Promise<WalkOutcome> {
  const memory = limits.memory ?? defaultMemory();
  const ex = new Expander(m);
  const judge = new Judge(m, ex);
  const size = m.size;
  const seen = new FingerprintSet(limits.maxStates !== undefined ? Math.min(limits.maxStates * 1.4 + 16, 1 << 20) : 1 << 12);
  seen.maxBytes = memory;
  // The successors of state t of the run, enumerated once: a run that keeps the first t
  // moves of the previous one (bounded) chooses again among them without enumerating.
  const levels: Successors[] = [];
  /** levels[t] holds the successors of the current state t. */
  const known: boolean[] = [];
  let levelBytes = 0;
  const stack = new RunStack(size);
  const moves: [number, number][] = [];

  /** Distinct states visited (the set may hold one more: the state that hit --max-states). */
  let states = 0;
  let transitions = 0;
  let longest = 0;
  let runs = 0;
  let violation: FoundViolation | null = null;
  let error: FoundError | null = null;
  let limitHit: StopKind | null = null;
  let limitMessage: string | null = null;
  let init = 0;
  let depth = 0;
  let last = -1;

  const view: RunView = {
    get run() {
      return runs;
    },
    get depth() {
      return depth;
    },
    get last() {
      return last;
    },
    get lastEnabled() {
      return last >= 0 && ex.enabled(stack.view(depth), last);
    },
    get fpHi() {
      return stack.fpHi[depth]!;
    },
    get fpLo() {
      return stack.fpLo[depth]!;
    },
  };
  const path = (): Path => ({ init, moves: moves.map(([k, o]) => [k, o] as const) });
  const fail = (e: unknown, p: Path | null): void => {
    error = foundError(e, p);
  };
  const deadlock = (s: Int32Array): void => {
    violation = judge.deadlock(s, path());
  };
  /**
   * Records state t of the run (already in the stack): its fingerprint, the distinct-state
   * count, the invariants. False when the run (or the search) must stop.
   */
  const visit = (t: number): boolean => {
    const s = stack.view(t);
    fingerprint(s, size);
    stack.fpHi[t] = fp.hi;
    stack.fpLo[t] = fp.lo;
    seen.otherBytes = stack.bytes + levelBytes + strategy.bytes;
    try {
      if (seen.put(fp.hi, fp.lo)) {
        if (limits.maxStates !== undefined && states >= limits.maxStates) {
          limitHit = 'max-states';
          return false;
        }
        states++;
      }
    } catch (e) {
      if (isMmraceError(e) && e.code === 'E_MEMORY') {
        limitHit = 'memory';
        limitMessage = e.message;
        return false;
      }
      throw e;
    }
    let inv: string | null;
    try {
      inv = judge.invariant(s);
    } catch (e) {
      fail(e, path());
      return false;
    }
    if (inv !== null) {
      violation = invariantViolation(inv, path());
      return false;
    }
    return true;
  };

  const outcome = (): WalkOutcome => ({
    states,
    transitions,
    depth: longest,
    runs,
    seconds: clock.seconds,
    storeBytes: seen.bytes + stack.bytes + levelBytes + strategy.bytes,
    violation,
    error,
    limitHit,
    limitMessage,
  });
  if (watch) {
    ex.heart = watch.heart;
    // The stuck step is one of the current state of the run (after `moves`); before the
    // first run, the model's init is.
    watch.found = (e) => ({ ...outcome(), error: { ...e, path: runs > 0 ? path() : null } });
  }

  // The initial states, enumerated once.
  const inits: Int32Array[] = [];
  try {
    m.forEachInitialState((s) => (inits.push(s.slice()), true));
  } catch (e) {
    fail(e, null);
  }
  if (error !== null || inits.length === 0) return outcome();

  for (;;) {
    if (runs >= limits.runs) {
      limitHit = 'runs';
      break;
    }
    const timeUp = clock.look(() => ({ states, transitions, depth: longest, queued: 0 }));
    if (timeUp !== null) {
      limitHit = timeUp;
      break;
    }
    // A signal's handler runs only when this thread is free.
    if (clock.turnDue) await clock.turn();
    if (seen.bytes + stack.bytes + levelBytes + strategy.bytes > memory) {
      limitHit = 'memory';
      limitMessage = `the memory limit (${Math.round(memory / 2 ** 20)} MiB) was reached after ${runs} runs`;
      break;
    }
    const keep = strategy.startRun();
    if (keep === null) {
      limitHit = 'exhausted';
      break;
    }
    runs++;
    let end: RunEnd;
    if (keep === FRESH) {
      init = strategy.chooseInit(inits.length);
      if (!(init >= 0 && init < inits.length)) throw new MmraceError('E_INTERNAL', `strategy chose initial state ${init} of ${inits.length}`);
      moves.length = 0;
      depth = 0;
      last = -1;
      const at = stack.slot(0);
      stack.buffer.set(inits[init]!, at);
      known[0] = false;
      if (!visit(0)) {
        if (violation !== null) strategy.endRun('violation', view);
        break;
      }
    } else {
      if (!(keep >= 0 && keep <= moves.length)) throw new MmraceError('E_INTERNAL', `strategy kept ${keep} of ${moves.length} moves`);
      moves.length = keep;
      depth = keep;
      last = keep > 0 ? moves[keep - 1]![0] : -1;
    }
    // One run: step until it ends.
    let stop = false;
    for (;;) {
      if (clock.due()) {
        const timeUp = clock.look(() => ({ states, transitions, depth: longest, queued: 0 }));
        if (timeUp !== null) {
          limitHit = timeUp;
          stop = true;
          break;
        }
        if (clock.turnDue) await clock.turn();
      }
      const src = stack.view(depth);
      if (depth >= limits.maxDepth) {
        // At the length bound: only a deadlock is still to be seen.
        let any: boolean;
        try {
          any = judge.anyEnabled(src);
        } catch (e) {
          fail(e, path());
          stop = true;
          break;
        }
        if (!any && !judge.allDone(src)) {
          deadlock(src);
          end = 'violation';
        } else end = any ? 'depth' : 'finished';
        strategy.endRun(end, view);
        stop = violation !== null;
        break;
      }
      let entered: number;
      try {
        entered = strategy.enter ? strategy.enter(view) : 0;
      } catch (e) {
        fail(e, path());
        stop = true;
        break;
      }
      if (entered === PRUNE) {
        strategy.endRun('pruned', view);
        break;
      }
      let succ = levels[depth];
      if (succ === undefined) {
        succ = levels[depth] = new Successors(size);
        levelBytes += succ.bytes;
      }
      if (known[depth] !== true) {
        const before = succ.bytes;
        succ.reset();
        try {
          ex.expand(src, succ);
        } catch (e) {
          fail(e, path());
          stop = true;
          break;
        }
        levelBytes += succ.bytes - before;
        known[depth] = true;
      }
      if (succ.length === 0) {
        if (judge.allDone(src)) end = 'finished';
        else {
          deadlock(src);
          end = 'violation';
        }
        strategy.endRun(end, view);
        stop = violation !== null;
        break;
      }
      const i = strategy.choose(succ, view);
      if (i === PRUNE) {
        strategy.endRun('pruned', view);
        break;
      }
      if (!(Number.isInteger(i) && i >= 0 && i < succ.length)) {
        throw new MmraceError('E_INTERNAL', `strategy chose transition ${i} of ${succ.length}`);
      }
      const k = succ.k(i);
      moves.push([k, succ.ordinal(i)]);
      transitions++;
      depth++;
      last = k;
      if (depth > longest) longest = depth;
      const faultMsg = succ.faultMsg(i);
      if (faultMsg !== null) {
        violation = faultViolation(succ.faultProp(i), faultMsg, path());
        strategy.endRun('violation', view);
        stop = true;
        break;
      }
      const at = stack.slot(depth);
      succ.copyState(i, stack.buffer, at);
      known[depth] = false;
      if (!visit(depth)) {
        if (violation !== null) strategy.endRun('violation', view);
        stop = true;
        break;
      }
    }
    if (stop || violation !== null || error !== null) break;
  }
  return outcome();
}

/** The options of a bug-hunting search (the search options it reads). */
export interface WalkSearchOptions extends Pick<Limits, 'maxStates' | 'maxDepth' | 'timeLimit' | 'memory'> {
  readonly seed?: number | undefined;
  readonly runs?: number | undefined;
  readonly pctDepth?: number | undefined;
}

/**
 * One bug-hunting search with strategy `name` (made by `make`), its defaults filled in:
 * what `buildResult` turns into the result, with the seed, the runs and the strategy's
 * own fields.
 */
export async function walkSearch(
  m: CompiledModel,
  name: string,
  make: (o: ChooserOptions) => Chooser,
  o: WalkSearchOptions,
  clock: Clock,
  watch?: Watch<SearchOutcome>,
): Promise<SearchOutcome> {
  const seed = o.seed ?? WALK_DEFAULTS.seed;
  const exhaustive = name === 'bounded';
  const maxDepth = o.maxDepth ?? (exhaustive ? Infinity : WALK_DEFAULTS.walkDepth);
  const strategy = make({ seed, pctDepth: o.pctDepth ?? WALK_DEFAULTS.pctDepth, instances: m.instances.length, maxDepth });
  const runs = o.runs ?? (exhaustive ? Infinity : WALK_DEFAULTS.runs);
  const searchOutcome = (r: WalkOutcome): SearchOutcome => ({
    strategy: name,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds: r.seconds,
    storeBytes: r.storeBytes,
    found: r.violation ? [r.violation] : [],
    allViolations: false,
    error: r.error,
    limitHit: r.limitHit,
    limitMessage: r.limitMessage,
    reductions: [],
    sampling: { seed, runs: r.runs, ...strategy.summary() },
  });
  // The step watchdog reads what the runs found through the same conversion.
  let walkWatch: Watch<WalkOutcome> | undefined;
  if (watch) {
    const inner: Watch<WalkOutcome> = (walkWatch = { heart: watch.heart, found: null });
    watch.found = (e) => searchOutcome(inner.found!(e));
  }
  const limits = { maxStates: o.maxStates, timeLimit: o.timeLimit, memory: o.memory, maxDepth, runs };
  return searchOutcome(await runWalks(m, limits, strategy, clock, walkWatch));
}
