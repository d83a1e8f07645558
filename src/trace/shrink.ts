/**
 * Counterexample shrinking: turns a trace into one that ends in a violation of the same
 * property (same kind and property; for an `error` trace, the same error code) with the
 * fewest preemptions first, then the fewest steps.
 *
 * A preemption (CHESS, Musuvathi & Qadeer, PLDI 2007) is a step of another instance
 * than the one that ran the previous step while that one was still enabled. Switching
 * after an instance finished or became disabled (it waits on a lock) is free.
 *
 * The algorithm is a greedy descent to a fixed point, with delta debugging (Zeller &
 * Hildebrandt, TSE 2002) as the first of its passes. A candidate is a schedule of
 * (instance, choice vector) moves from an initial state. It is re-executed from that
 * initial state: each move is run by enumerating the step's choice vectors in the
 * explorer's order until one equals the move's, so labels, ordinals and fingerprints
 * are recomputed, never copied. A candidate is rejected when a move's instance is not
 * enabled, its choice vector no longer fits, another property is violated on the way
 * (a fault of another property, a model error in a violation trace), or the schedule
 * ends before the violation. When the violation appears before the last move, the
 * schedule is cut there. A candidate replaces the best schedule when it is strictly
 * smaller in the order (preemptions, steps, init's choice vector, then the steps'
 * choice ordinals, each lexicographically: the explorer's order of initial states and of
 * a step's successors); the order is well founded, so the descent ends. The passes:
 *
 *  1. remove blocks of steps: halves, quarters, …, single steps (ddmin's complements);
 *  2. merge runs (maximal blocks of steps of one instance) of the same instance: move a
 *     run up to the previous run of its instance or that one down to it, or only the
 *     first or last step of it (this is what takes context switches away);
 *  3. move any run to any run boundary;
 *  4. swap adjacent steps of different instances;
 *  5. change a step's data choice: one position of its choice vector set to a smaller
 *     value along a halving stream (0, x/2, 3x/4, …, x-1, as fast-check shrinks an
 *     integer), then to the larger ones (kept only when they cut the schedule short),
 *     with the rest of the vector kept or with the first option of every further choice;
 *  6. start from another initial state: init's choice vector changed the same way.
 *
 * They repeat until a whole round improves nothing (a fixed point: shrinking the result
 * again gives it back unchanged) or `maxRuns` re-executions were spent (the best schedule
 * so far is returned). A candidate that was once rejected is never re-executed (the best
 * only gets better, so it would be rejected again). The moves never add a step, and the
 * best never gets worse, so the result is never longer, nor has more preemptions, than
 * the input. It is built with `buildTrace` (the schedule as (instance, ordinal) moves)
 * and replayed with `replay` before it is returned.
 *
 * Why a direct delta-debugging loop rather than fast-check's shrinkers: fast-check's
 * shrink streams (e.g. `fc.array(...).shrink(value, context)`) propose removals and
 * smaller items for a value of a known arbitrary and take the first candidate for which
 * a property still fails. Here (a) the order is preemptions before length, which no
 * stream knows about; (b) the candidates that remove preemptions are reorderings (moving
 * runs), which no stream proposes; (c) whether an item (an instance and a choice vector)
 * is valid, and which smaller choices exist, depends on the state the prefix reaches,
 * so smaller choices come from enumerating the model at that state, not from an
 * arbitrary's shrinker; and (d) a re-execution that meets the violation early is cut,
 * so what is kept is not the candidate itself. fast-check is what tests this file
 * (test/props/shrink.props.test.ts), on random models.
 */
import { MmraceError, isMmraceError } from '../errors.js';
import { Expander } from '../engine/transitions.js';
import { Judge, deadlockMessage, invariantMessage } from '../engine/judge.js';
import type { Path } from '../engine/result.js';
import type { CompiledModel } from '../model/compile.js';
import { replay } from './replay.js';
import { buildTrace, type Trace } from './trace.js';

export interface ShrinkOptions {
  /**
   * At most this many candidate schedules are re-executed (default 20 000); then the
   * best schedule found so far is returned. A re-execution runs at most the input's
   * number of steps (each once per choice vector before the wanted one); a step of the
   * kernel models takes a few microseconds, so the default bounds a shrink of a trace of
   * a few dozen steps to seconds. The DFS traces of every violating scenario reach their
   * fixed point in under 100 re-executions (measured with `mmrace shrink --json`).
   */
  readonly maxRuns?: number;
  /** How errors name the trace (default: `the trace`), e.g. its file. */
  readonly name?: string;
}

export const DEFAULT_MAX_RUNS = 20_000;

export interface ShrinkSize {
  readonly steps: number;
  readonly preemptions: number;
}

export interface ShrinkResult {
  /** The shrunk trace (the input itself when it cannot be shrunk, see `shrunk`). */
  readonly trace: Trace;
  readonly before: ShrinkSize;
  readonly after: ShrinkSize;
  /** Candidate schedules re-executed. */
  readonly runs: number;
  /** True when `maxRuns` stopped the search before a fixed point: `trace` is the best so far. */
  readonly limitHit: boolean;
  /**
   * False when the shrinker could not re-execute the input to its violation under its
   * stricter rules (a model error or invariant that throws on the way, a choice the
   * explorer would not reach first): the input is returned unchanged.
   */
  readonly shrunk: boolean;
}

/** What the shrunk trace must still end in. */
type Target =
  | { readonly kind: 'invariant' | 'fault' | 'deadlock'; readonly property: string }
  | { readonly kind: 'error'; readonly code: string };

/** One step of a candidate: instance k with a choice vector. */
interface Move {
  readonly k: number;
  readonly choice: readonly number[];
}

/** One step of an executed schedule. */
interface Executed extends Move {
  /** Position in the explorer's order of the step's choice vectors; -1: the guard threw. */
  readonly ordinal: number;
  /** The number of options of each choice of `choice`. */
  readonly arity: readonly number[];
  /** The state the step ran from. */
  readonly before: Int32Array;
}

/** A schedule that reaches the target. */
interface Run {
  /** init's choice vector. */
  readonly init: readonly number[];
  readonly steps: readonly Executed[];
  readonly preemptions: number;
  /** The violation's message (a fault's or an error's); null: the trace's own. */
  readonly message: string | null;
}

/** Lexicographic order of number vectors (a proper prefix comes first): -1, 0 or 1. */
function lex(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** a < b in the order (preemptions, steps, init's choice vector, choice ordinals). */
function better(a: Run, b: Run): boolean {
  if (a.preemptions !== b.preemptions) return a.preemptions < b.preemptions;
  if (a.steps.length !== b.steps.length) return a.steps.length < b.steps.length;
  const i = lex(a.init, b.init);
  if (i !== 0) return i < 0;
  for (let i = 0; i < a.steps.length; i++) {
    const x = a.steps[i]!.ordinal;
    const y = b.steps[i]!.ordinal;
    if (x !== y) return x < y;
  }
  return false;
}

function targetOf(trace: Trace): Target {
  if (trace.verdict === 'error') {
    if (!trace.error) throw new MmraceError('E_TRACE_FORMAT', 'an error trace needs an error field with the code to reproduce');
    return { kind: 'error', code: trace.error.code };
  }
  if (!trace.violation) throw new MmraceError('E_TRACE_FORMAT', 'a violation trace needs a violation field with the property to reproduce');
  return { kind: trace.violation.kind, property: trace.violation.property };
}

function describeTarget(t: Target): string {
  return t.kind === 'error' ? `model error ${t.code}` : `violation of ${t.property} (${t.kind})`;
}

/**
 * Smaller values than x, largest steps first: 0, x - x/2, x - x/4, …, x - 1 (the stream
 * fast-check's integer shrinker walks towards 0).
 */
function smallerValues(x: number): number[] {
  const out: number[] = [];
  for (let d = x; d >= 1; d = Math.floor(d / 2)) if (out[out.length - 1] !== x - d) out.push(x - d);
  return out;
}

/**
 * The other values of a choice with `arity` options than x: the smaller ones first
 * (`smallerValues`), then the larger ones (all up to 32 options, else x+1, x+2, x+4, …).
 */
function otherValues(x: number, arity: number): number[] {
  const out = smallerValues(x);
  if (arity <= 32) for (let y = x + 1; y < arity; y++) out.push(y);
  else for (let d = 1; x + d < arity; d *= 2) out.push(x + d);
  return out;
}

/**
 * Other choice vectors than `v` (whose choices have `arity` options each): one position
 * changed along `otherValues`, then either the rest kept as it is or completed by
 * `complete` (the first option of every further choice after a prefix).
 */
function otherVectors(v: readonly number[], arity: readonly number[], complete: (prefix: number[]) => number[] | null): number[][] {
  const out: number[][] = [];
  const seen = new Set<string>([v.join(',')]);
  const add = (c: number[] | null) => {
    if (c === null || seen.has(c.join(','))) return;
    seen.add(c.join(','));
    out.push(c);
  };
  for (let j = 0; j < v.length; j++) {
    for (const x of otherValues(v[j]!, arity[j] ?? v[j]! + 1)) {
      const prefix = [...v.slice(0, j), x];
      add(complete(prefix));
      add([...prefix, ...v.slice(j + 1)]);
    }
  }
  return out;
}

const NOT_STARTED: Run = { init: [], steps: [], preemptions: Infinity, message: null };

/** The outcome of running one step with a wanted choice vector. */
type StepOutcome =
  | { readonly t: 'ok'; readonly ordinal: number; readonly arity: number[] }
  | { readonly t: 'nofit' }
  | { readonly t: 'threw'; readonly ordinal: number; readonly choice: number[]; readonly error: unknown };

class Shrinker {
  readonly ex: Expander;
  private readonly judge: Judge;
  /** Initial states by init's choice vector (null: the vector does not fit init). */
  private readonly inits = new Map<string, Int32Array | null>();
  runs = 0;
  limitHit = false;
  best: Run = NOT_STARTED;
  private readonly tried = new Set<string>();

  constructor(
    readonly m: CompiledModel,
    readonly target: Target,
    readonly maxRuns: number,
  ) {
    this.ex = new Expander(m);
    this.judge = new Judge(m, this.ex);
  }

  /** The initial state that init makes with the choice vector `choice`, or null. */
  initState(choice: readonly number[]): Int32Array | null {
    const key = choice.join(',');
    let s = this.inits.get(key);
    if (s === undefined) {
      try {
        s = this.m.initialState(choice);
      } catch {
        s = null; // init fails with these choices: not a start for a candidate
      }
      this.inits.set(key, s);
    }
    return s;
  }

  /** init's choice vector when it follows `prefix`, then takes the first option of every further choice. */
  initCompletion(prefix: readonly number[]): number[] | null {
    const ch = this.m.choices;
    ch.follow(prefix);
    try {
      this.m.initialState(null);
    } catch {
      return null;
    }
    if (ch.outOfRange || ch.ci < prefix.length) return null;
    return ch.taken();
  }

  /** Re-executes a candidate; true when it became the best. */
  try(init: readonly number[], moves: readonly Move[]): boolean {
    const key = `${init.join(',')}|${moves.map((mv) => `${mv.k}:${mv.choice.join(',')}`).join(' ')}`;
    if (this.tried.has(key)) return false;
    if (this.runs >= this.maxRuns) {
      this.limitHit = true;
      return false;
    }
    this.tried.add(key);
    const r = this.execute(init, moves);
    if (r !== null && better(r, this.best)) {
      this.best = r;
      return true;
    }
    return false;
  }

  get stop(): boolean {
    return this.limitHit;
  }

  private isTargetError(e: unknown): e is MmraceError {
    return this.target.kind === 'error' && isMmraceError(e) && e.code === this.target.code;
  }

  /** Instance k is enabled in s (a guard that throws counts as enabled). */
  private enabledSafe(s: Int32Array, k: number): boolean {
    try {
      return this.ex.enabled(s, k);
    } catch {
      return true;
    }
  }

  /**
   * Runs instance k's (enabled) step from `s`, enumerating its choice vectors in the
   * explorer's odometer order up to the one equal to `want`; the successor is then in
   * `ex.work`. A body that throws first ends the enumeration, as it ends the explorer's.
   */
  runMatching(s: Int32Array, k: number, want: readonly number[]): StepOutcome {
    const inst = this.m.instances[k]!;
    const ex = this.ex;
    if (inst.steps[inst.pcIn(s)]!.body === null) {
      if (want.length !== 0) return { t: 'nofit' };
      ex.runChoice(s, k, want);
      return { t: 'ok', ordinal: 0, arity: [] };
    }
    const ch = this.m.choices;
    let vec: readonly number[] = [];
    for (let o = 0; ; o++) {
      try {
        ex.runChoice(s, k, vec);
      } catch (e) {
        return { t: 'threw', ordinal: o, choice: ch.taken(), error: e };
      }
      let same = ch.ci === want.length;
      for (let i = 0; same && i < want.length; i++) same = ch.cv[i] === want[i];
      if (same) return { t: 'ok', ordinal: o, arity: ch.ar.slice(0, ch.ci) };
      if (!ch.advance()) return { t: 'nofit' };
      vec = ch.cv.slice(0, ch.len);
    }
  }

  /**
   * The choice vector of instance k's step from `s` when it follows `prefix`, then takes
   * the first option of every further choice; null when the prefix does not fit.
   */
  stepCompletion(s: Int32Array, k: number, prefix: readonly number[]): number[] | null {
    const ch = this.m.choices;
    try {
      if (this.ex.runChoice(s, k, prefix) === 'disabled') return null;
    } catch {
      return null;
    }
    if (ch.outOfRange || ch.ci < prefix.length) return null;
    return ch.taken();
  }

  /**
   * Whether state `s` (after `steps` steps) is where the schedule ends: 'reached' for the
   * target, 'reject' for a state the target cannot be reached through, else 'go on'.
   */
  private check(s: Int32Array, steps: number): { r: 'reached'; message: string } | { r: 'reject' } | { r: 'go on' } {
    const t = this.target;
    let violated: readonly string[];
    try {
      // An invariant target is reached where the state violates it, also after an earlier one.
      violated = this.judge.violated(s, t.kind === 'invariant');
    } catch (e) {
      return this.isTargetError(e) ? { r: 'reached', message: e.message } : { r: 'reject' };
    }
    if (t.kind === 'invariant') {
      return violated.includes(t.property) ? { r: 'reached', message: invariantMessage(t.property, steps === 0) } : { r: 'go on' };
    }
    if (t.kind === 'deadlock' && violated.length === 0) {
      let deadlocked: boolean;
      try {
        deadlocked = this.judge.deadlocked(s);
      } catch {
        return { r: 'reject' };
      }
      if (deadlocked) return { r: 'reached', message: deadlockMessage(this.m, s) };
    }
    return { r: 'go on' };
  }

  /** Runs a candidate from initial state `init`; the run when it reaches the target, else null. */
  execute(init: readonly number[], moves: readonly Move[]): Run | null {
    this.runs++;
    const s0 = this.initState(init);
    if (s0 === null) return null;
    const ex = this.ex;
    const steps: Executed[] = [];
    let preemptions = 0;
    const done = (message: string | null): Run => ({ init, steps, preemptions, message });
    let s = s0;
    const c0 = this.check(s, 0);
    if (c0.r === 'reached') return done(c0.message);
    if (c0.r === 'reject') return null;
    for (let i = 0; i < moves.length; i++) {
      const { k, choice } = moves[i]!;
      if (i > 0) {
        const prev = moves[i - 1]!.k;
        if (prev !== k && this.enabledSafe(s, prev)) preemptions++;
      }
      let enabled: boolean;
      try {
        enabled = ex.enabled(s, k);
      } catch (e) {
        if (!this.isTargetError(e)) return null;
        steps.push({ k, choice: [], ordinal: -1, arity: [], before: s });
        return done(e.message);
      }
      if (!enabled) return null;
      const o = this.runMatching(s, k, choice);
      if (o.t === 'nofit') return null;
      if (o.t === 'threw') {
        if (!this.isTargetError(o.error)) return null;
        steps.push({ k, choice: o.choice, ordinal: o.ordinal, arity: [], before: s });
        return done(o.error.message);
      }
      const next = ex.work.slice();
      steps.push({ k, choice, ordinal: o.ordinal, arity: o.arity, before: s });
      const ctx = this.m.instances[k]!.ctx;
      if (ctx.faultMsg !== null) {
        const t = this.target;
        return t.kind === 'fault' && t.property === ctx.faultProp ? done(ctx.faultMsg) : null;
      }
      s = next;
      const c = this.check(s, i + 1);
      if (c.r === 'reached') return done(c.message);
      if (c.r === 'reject') return null;
    }
    return null;
  }

  private moves(): Move[] {
    return this.best.steps.map(({ k, choice }) => ({ k, choice }));
  }

  /** Pass 1: remove blocks of n/2, n/4, …, 1 steps. */
  removeBlocks(): boolean {
    let improved = false;
    for (let size = Math.max(1, Math.floor(this.best.steps.length / 2)); size >= 1; size = size === 1 ? 0 : Math.floor(size / 2)) {
      let start = 0;
      while (start < this.best.steps.length) {
        const mv = this.moves();
        mv.splice(start, size);
        if (this.try(this.best.init, mv)) improved = true;
        else start += size;
        if (this.stop) return improved;
      }
    }
    return improved;
  }

  /** Maximal blocks of consecutive steps of one instance: [k, from, to). */
  private runsOf(): { k: number; from: number; to: number }[] {
    const out: { k: number; from: number; to: number }[] = [];
    this.best.steps.forEach((st, i) => {
      const last = out[out.length - 1];
      if (last && last.k === st.k) last.to = i + 1;
      else out.push({ k: st.k, from: i, to: i + 1 });
    });
    return out;
  }

  /** Pass 2: bring runs of the same instance together. */
  mergeRuns(): boolean {
    let improved = false;
    restart: for (;;) {
      const runs = this.runsOf();
      for (let b = 1; b < runs.length; b++) {
        let a = b - 1;
        while (a >= 0 && runs[a]!.k !== runs[b]!.k) a--;
        if (a < 0) continue;
        const A = runs[a]!;
        const B = runs[b]!;
        const mv = this.moves();
        const head = mv.slice(0, A.to);
        const mid = mv.slice(A.to, B.from);
        const tail = mv.slice(B.to);
        const bRun = mv.slice(B.from, B.to);
        const aRun = mv.slice(A.from, A.to);
        const pre = mv.slice(0, A.from);
        const candidates: Move[][] = [
          [...head, ...bRun, ...mid, ...tail], // B up to A
          [...pre, ...mid, ...aRun, ...bRun, ...tail], // A down to B
          [...head, bRun[0]!, ...mid, ...bRun.slice(1), ...tail], // B's first step up
          [...pre, ...aRun.slice(0, -1), ...mid, aRun[aRun.length - 1]!, ...bRun, ...tail], // A's last step down
        ];
        for (const c of candidates) {
          if (this.try(this.best.init, c)) {
            improved = true;
            continue restart;
          }
          if (this.stop) return improved;
        }
      }
      return improved;
    }
  }

  /** Pass 3: move any run to any run boundary. */
  moveRuns(): boolean {
    let improved = false;
    restart: for (;;) {
      const runs = this.runsOf();
      for (let r = 0; r < runs.length; r++) {
        const R = runs[r]!;
        for (let t = 0; t <= runs.length; t++) {
          if (t === r || t === r + 1) continue;
          const mv = this.moves();
          const block = mv.slice(R.from, R.to);
          const at = t < runs.length ? runs[t]!.from : mv.length;
          const without = [...mv.slice(0, R.from), ...mv.slice(R.to)];
          const pos = at > R.from ? at - block.length : at;
          const c = [...without.slice(0, pos), ...block, ...without.slice(pos)];
          if (this.try(this.best.init, c)) {
            improved = true;
            continue restart;
          }
          if (this.stop) return improved;
        }
      }
      return improved;
    }
  }

  /** Pass 4: swap adjacent steps of different instances. */
  swapAdjacent(): boolean {
    let improved = false;
    for (let i = 0; i + 1 < this.best.steps.length; i++) {
      const mv = this.moves();
      if (mv[i]!.k === mv[i + 1]!.k) continue;
      [mv[i], mv[i + 1]] = [mv[i + 1]!, mv[i]!];
      if (this.try(this.best.init, mv)) {
        improved = true;
        i = Math.max(-1, i - 2);
      }
      if (this.stop) return improved;
    }
    return improved;
  }

  /** Pass 5: another choice vector of one step. */
  otherChoices(): boolean {
    let improved = false;
    for (let i = 0; i < this.best.steps.length; i++) {
      const st = this.best.steps[i]!;
      if (st.choice.length === 0 || st.ordinal < 0) continue;
      for (const alt of otherVectors(st.choice, st.arity, (prefix) => this.stepCompletion(st.before, st.k, prefix))) {
        const mv = this.moves();
        mv[i] = { k: st.k, choice: alt };
        if (this.try(this.best.init, mv)) {
          improved = true;
          break;
        }
        if (this.stop) return improved;
      }
    }
    return improved;
  }

  /** Pass 6: another choice vector of init (the first initial state first). */
  otherInit(): boolean {
    const cur = this.best.init;
    const first = this.initCompletion([]);
    // The number of options of each of init's choices, from a run with the current vector
    // (which succeeded before).
    this.m.initialState(cur);
    const arity = this.m.choices.ar.slice(0, cur.length);
    const candidates = [...(first ? [first] : []), ...otherVectors(cur, arity, (prefix) => this.initCompletion(prefix))];
    for (const init of candidates) {
      if (this.try(init, this.moves())) return true;
      if (this.stop) return false;
    }
    return false;
  }

  /** The passes, round after round, to a fixed point or the limit. */
  descend(): void {
    const passes = [
      () => this.removeBlocks(),
      () => this.mergeRuns(),
      () => this.moveRuns(),
      () => this.swapAdjacent(),
      () => this.otherChoices(),
      () => this.otherInit(),
    ];
    let improved = true;
    while (improved && !this.stop) {
      improved = false;
      for (const pass of passes) {
        if (pass()) improved = true;
        if (this.stop) return;
      }
    }
  }
}

/** The instance number (k) of each step of a trace, or null when the model has no such instance. */
function movesOf(trace: Trace, m: CompiledModel): Move[] | null {
  const out: Move[] = [];
  for (const st of trace.schedule) {
    const inst = m.byActor.get(st.actor)?.[st.instance];
    if (!inst) return null;
    out.push({ k: inst.k, choice: st.choice ?? [] });
  }
  return out;
}

/** The ordinal of the initial state that init's choice vector `choice` makes, or -1. */
function initOrdinal(m: CompiledModel, choice: readonly number[]): number {
  let found = -1;
  m.forEachInitialState((_, i) => {
    const taken = m.choices.taken();
    if (taken.length === choice.length && taken.every((x, j) => x === choice[j])) {
      found = i;
      return false;
    }
    return true;
  });
  return found;
}

/**
 * The number of preemptions of a trace's schedule: steps of another instance than the
 * previous step's while that one was still enabled. The schedule is walked as far as it
 * runs (to the end, for a trace that replays).
 */
export function countPreemptions(trace: Trace, m: CompiledModel): number {
  const init = m.initialState(trace.init.choice ?? []);
  if (init === null) return 0;
  const ex = new Expander(m);
  let s = init;
  let prev = -1;
  let n = 0;
  for (const st of trace.schedule) {
    const inst = m.byActor.get(st.actor)?.[st.instance];
    if (!inst) break;
    if (prev >= 0 && prev !== inst.k) {
      let en = true;
      try {
        en = ex.enabled(s, prev);
      } catch {
        /* a guard that throws counts as enabled */
      }
      if (en) n++;
    }
    if (st.guard) break;
    let r: string;
    try {
      r = ex.runChoice(s, inst.k, st.choice ?? []);
    } catch {
      break;
    }
    if (r !== 'ok') break;
    s = ex.work.slice();
    prev = inst.k;
  }
  return n;
}

/**
 * Shrinks a trace of `m` (compiled with the trace's parameters; the trace's model path
 * names the file to hash into the result). Throws E_TRACE_DIVERGED when the trace does
 * not reproduce its violation to begin with, and what `replay` throws (a nondeterministic
 * model). See the header for the algorithm and the guarantees.
 */
export function shrink(trace: Trace, m: CompiledModel, opts: ShrinkOptions = {}): ShrinkResult {
  const maxRuns = opts.maxRuns ?? DEFAULT_MAX_RUNS;
  if (!Number.isSafeInteger(maxRuns) || maxRuns < 1) throw new MmraceError('E_USAGE', `maxRuns = ${String(maxRuns)}: must be a positive integer`);
  const target = targetOf(trace);
  const rep = replay(trace, m);
  if (!rep.reproduced) {
    const ends = rep.kind ? `it now ends in ${rep.kind === 'error' ? 'model error' : rep.kind} ${rep.property}` : 'its schedule runs to the end with no violation';
    throw new MmraceError(
      'E_TRACE_DIVERGED',
      `${opts.name ?? 'the trace'} does not reproduce its ${describeTarget(target)}: ${ends}; there is nothing to shrink`,
      rep.sourceChanged
        ? 'the model source changed since the trace was recorded; check the model again for a fresh trace'
        : `mmrace replay ${opts.name ?? '<trace>'} shows where it goes`,
    );
  }
  const before: ShrinkSize = { steps: trace.schedule.length, preemptions: countPreemptions(trace, m) };
  const unchanged = (runs: number): ShrinkResult => ({ trace, before, after: before, runs, limitHit: false, shrunk: false });
  const moves = movesOf(trace, m);
  if (moves === null) return unchanged(0);
  const sh = new Shrinker(m, target, maxRuns);
  if (!sh.try(trace.init.choice ?? [], moves)) return unchanged(sh.runs);
  // The input as re-executed (possibly cut) is the starting point; it is never worse than
  // the input, and every accepted candidate is better than it.
  sh.descend();
  const best = sh.best;
  const out = toTrace(trace, m, best);
  const verify = replay(out, m);
  const wanted = target.kind === 'error' ? { kind: 'error', property: target.code } : target;
  if (!verify.reproduced || verify.kind !== wanted.kind || verify.property !== wanted.property) {
    throw new MmraceError(
      'E_INTERNAL',
      `shrink: the shrunk trace (${out.schedule.length} steps) does not replay to the ${describeTarget(target)}: ${verify.kind ?? 'no violation'} ${verify.property ?? ''}`.trim(),
    );
  }
  return {
    trace: out,
    before,
    after: { steps: out.schedule.length, preemptions: best.preemptions },
    runs: sh.runs,
    limitHit: sh.limitHit,
    shrunk: true,
  };
}

/** Shrinks a trace (see `shrink`) and returns the shrunk trace only. */
export function shrinkTrace(trace: Trace, m: CompiledModel, opts: ShrinkOptions = {}): Trace {
  return shrink(trace, m, opts).trace;
}

/** Builds the trace of a run with the trace builder: same model, params and scenario as the input. */
function toTrace(input: Trace, m: CompiledModel, run: Run): Trace {
  const init = initOrdinal(m, run.init);
  if (init < 0) throw new MmraceError('E_INTERNAL', `shrink: no initial state has init's choices [${run.init.join(', ')}]`);
  const path: Path = { init, moves: run.steps.map((st) => [st.k, st.ordinal] as const) };
  const outcome: Pick<Trace, 'verdict' | 'violation' | 'error'> =
    input.verdict === 'error'
      ? { verdict: 'error', error: { code: input.error!.code, message: run.message ?? input.error!.message } }
      : { verdict: 'violation', violation: { ...input.violation!, message: run.message ?? input.violation!.message } };
  const built = buildTrace(m, input.model.path, path, outcome);
  return { ...built, params: { ...input.params }, ...(input.scenario !== undefined ? { scenario: input.scenario } : {}) };
}
