/**
 * From what a search found to what a check reports: the verdict, the counts, and the
 * counterexamples as traces (built by re-executing their paths), for every search alike;
 * and a scenario's expectation, met or not.
 */
import { MmraceError, isMmraceError } from '../errors.js';
import type { FoundViolation, SearchOutcome } from '../engine/result.js';
import { verdictOf } from '../engine/result.js';
import type { CompiledModel } from '../model/compile.js';
import type { CheckResult } from '../report/verdict.js';
import { collisionProbability } from '../state/fingerprint.js';
import { NONDETERMINISTIC_HINT } from '../engine/transitions.js';
import { TraceDiverged, replay, type ReplayResult } from '../trace/replay.js';
import { countPreemptions, shrink, type ShrinkOptions, type ShrinkSize } from '../trace/shrink.js';
import { buildTrace, type Trace } from '../trace/trace.js';
import type { Scenario } from './scenario.js';

/**
 * The result of a search: verdict (error, then violation, then a limit), counts, and the
 * traces. With allViolations the shortest counterexample comes first, then the order
 * found; the first is the reported violation.
 */
export function buildResult(m: CompiledModel, modelPath: string, o: SearchOutcome): CheckResult {
  // Under symmetry reduction a path's moves name instances of the sorted states, and a
  // deadlock was judged in a sorted state, whose instances may not be the real ones: the
  // message names those of the counterexample's last state.
  const canonical = { canonical: o.reductions.includes('symmetry') };
  const traceOf = (f: FoundViolation) =>
    buildTrace(m, modelPath, f.path, { verdict: 'violation', violation: { kind: f.kind, property: f.property, message: f.message } }, canonical);
  const real = (f: FoundViolation): FoundViolation => {
    if (f.kind !== 'deadlock' || !canonical.canonical) return f;
    let end: ReplayResult;
    try {
      end = replay(traceOf(f), m);
    } catch {
      // A trace that does not replay: confirmViolations says why.
      return f;
    }
    return end.kind === 'deadlock' && end.message !== undefined ? { ...f, message: end.message } : f;
  };
  const found = o.found
    .map(real)
    .map((v, i) => ({ v, i }))
    .sort((a, b) => a.v.path.moves.length - b.v.path.moves.length || a.i - b.i)
    .map((e) => e.v);
  const e = o.error;
  const v = e === null ? (found[0] ?? null) : null;
  const base: CheckResult = {
    verdict: verdictOf(o),
    model: m.id,
    params: { ...m.params },
    strategy: o.strategy,
    reductions: [...o.reductions],
    states: o.states,
    transitions: o.transitions,
    depth: o.depth,
    seconds: o.seconds,
    statesPerSecond: o.seconds > 0 ? o.states / o.seconds : o.states,
    collisionProbability: collisionProbability(o.states),
    storeBytes: o.storeBytes,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.fingerprintBytes !== undefined ? { fingerprintBytes: o.fingerprintBytes } : {}),
    ...(o.shard !== undefined ? { shard: o.shard } : {}),
    ...o.sampling,
    ...(o.limitHit ? { limit: o.limitHit, ...(o.limitMessage ? { limitMessage: o.limitMessage } : {}) } : {}),
  };
  if (v) {
    const all = o.allViolations ? { violations: found.map((f) => ({ property: f.property, kind: f.kind, message: f.message, trace: traceOf(f) })) } : {};
    return { ...base, property: v.property, kind: v.kind, message: v.message, trace: traceOf(v), ...all };
  }
  if (e) {
    const trace = e.path ? buildTrace(m, modelPath, e.path, { verdict: 'error', error: { code: e.code, message: e.message } }, canonical) : undefined;
    return { ...base, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(trace ? { trace } : {}) };
  }
  return base;
}

/**
 * `buildResult`, then `confirmViolations`: the result `check` reports. A path the search
 * found that does not re-execute (a step it took is not enabled again: buildTrace throws
 * E_NONDETERMINISTIC) gives that error, without a trace.
 */
export function buildConfirmedResult(m: CompiledModel, modelPath: string, o: SearchOutcome, fresh: () => CompiledModel): CheckResult {
  let r: CheckResult;
  try {
    r = buildResult(m, modelPath, o);
  } catch (e) {
    if (!isMmraceError(e) || e.code !== 'E_NONDETERMINISTIC') throw e;
    return buildResult(m, modelPath, { ...o, found: [], error: { code: e.code, message: e.message, hint: e.hint, path: null } });
  }
  return confirmViolations(r, fresh);
}

/**
 * Every violation is confirmed before it is reported: its trace is re-executed from the
 * start on a fresh copy of the model (`fresh()`, compiled from the same definition and
 * parameters) by `replay`, which runs each step twice and compares each state with the
 * trace's, and must end in the same violation (kind and property). A model whose steps
 * depend on more than the state (Math.random, Date.now, a module-level counter) can make
 * the search meet a violation its counterexample does not show: then the result is the
 * error E_NONDETERMINISTIC, whose message names the step where the re-execution diverged
 * (or says how the trace now ends), with the trace kept (the violation as the search
 * reported it: `mmrace replay` shows what it does now). With --all-violations every one
 * is confirmed; the first that does not reproduce is the error's. A result that is not a
 * violation comes back as it is.
 */
export function confirmViolations(r: CheckResult, fresh: () => CompiledModel): CheckResult {
  if (r.verdict !== 'violation' || r.trace === undefined) return r;
  const traces = [r.trace, ...(r.violations ?? []).map((v) => v.trace)];
  for (const t of traces) {
    const why = notReproduced(t, fresh());
    if (why === null) continue;
    const v = t.violation!;
    const { property: _p, kind: _k, violations: _v, shrunk: _s, ...rest } = r;
    return {
      ...rest,
      verdict: 'error',
      code: 'E_NONDETERMINISTIC',
      message: `the search found a violation of ${v.property} (${v.kind}) that does not reproduce: ${why}`,
      hint: NONDETERMINISTIC_HINT,
      trace: t,
    };
  }
  return r;
}

/** Why re-executing violation trace `t` on `m` does not end in its violation, or null when it does. */
function notReproduced(t: Trace, m: CompiledModel): string | null {
  const v = t.violation;
  if (v === undefined) return null;
  const from = 're-executing its counterexample from the start';
  let end: ReplayResult;
  try {
    end = replay(t, m);
  } catch (e) {
    if (e instanceof TraceDiverged) {
      const d = e.partial.diverged!;
      return `${from}, it diverged at ${d.where}: ${d.reason}`;
    }
    if (isMmraceError(e)) return `${from}, the model failed: ${e.code}: ${e.message}`;
    throw e;
  }
  if (end.reproduced && end.kind === v.kind && end.property === v.property) return null;
  const steps = t.schedule.length;
  const last = steps === 0 ? 'its initial state' : `its last state (after step ${steps})`;
  if (end.kind !== undefined) return `${from}, it ends in ${end.kind} ${end.property} after ${end.steps.length} steps: ${end.message}`;
  if (v.kind === 'fault') return `${from}, step ${steps} raises no fault ${v.property}`;
  if (v.kind === 'deadlock') return `${from}, ${last} is not a deadlock`;
  return `${from}, ${last} does not violate ${v.property}`;
}

/** A scenario's expected verdict, in words: `safe`, `violation of INV-X`. */
export function expectationText(s: Scenario): string {
  return s.expect.verdict === 'safe' ? 'safe' : `violation of ${s.expect.property}`;
}

/** Whether a result meets a scenario's expectation: safe, or a violation of its property. */
export function meetsExpectation(s: Scenario, r: CheckResult): boolean {
  if (s.expect.verdict === 'safe') return r.verdict === 'safe';
  return r.verdict === 'violation' && r.property === s.expect.property;
}

/** What `shrinkCheckResult` did to one trace. */
export interface ShrinkReport {
  /** The violated property, or the error code. */
  readonly property: string;
  readonly before: ShrinkSize;
  readonly after: ShrinkSize;
  readonly runs: number;
  readonly limitHit: boolean;
  /** Why the trace was kept as it was, when shrinking failed (the message of the error). */
  readonly error?: string;
}

/**
 * Automatic shrinking for `check`, to call after a search that does not give shortest
 * counterexamples (any strategy but BFS; after BFS the length is already the shortest,
 * and only preemptions can still go down).
 *
 * Contract:
 * - `r` is a result of `check` or `parallelCheck` for `m`, and `m` is that search's
 *   compiled model (or one compiled from the same file with the same parameters); each
 *   trace's `model.path` names the model file, as `buildTrace` leaves it (absolute).
 * - Returns a new result; `r` is not modified. `trace` (and, with --all-violations,
 *   each `violations[i].trace`) is replaced by its shrunk version, and `message` (and
 *   `violations[i].message`) by the shrunk trace's message (a fault's message can name
 *   other values). Verdict, property, kind and every count are `r`'s: they describe the
 *   search, not the trace. A result without a trace comes back as it is.
 * - Never throws because of a trace: a trace that cannot be shrunk is kept as it is and
 *   its report says why (`error`). Throws only for bad options (E_USAGE).
 * - Synchronous and deterministic: the same result and model give the same traces. Each
 *   trace costs at most `opts.maxRuns` re-executions (default DEFAULT_MAX_RUNS).
 * - Writes no file and prints nothing: the caller writes the traces as before and should
 *   say that they were shrunk (steps and preemptions before → after, from the reports,
 *   one per shrunk trace in the order trace, then violations[1..]).
 */
export function shrinkCheckResult(
  r: CheckResult,
  m: CompiledModel,
  opts: ShrinkOptions = {},
): { readonly result: CheckResult; readonly reports: readonly ShrinkReport[] } {
  if (opts.maxRuns !== undefined && !(Number.isSafeInteger(opts.maxRuns) && opts.maxRuns >= 1)) {
    throw new MmraceError('E_USAGE', `maxRuns = ${String(opts.maxRuns)}: must be a positive integer`);
  }
  if (!r.trace) return { result: r, reports: [] };
  const reports: ShrinkReport[] = [];
  const one = (t: Trace): Trace => {
    const property = t.verdict === 'error' ? (t.error?.code ?? 'error') : (t.violation?.property ?? 'violation');
    try {
      const s = shrink(t, m, opts);
      reports.push({ property, before: s.before, after: s.after, runs: s.runs, limitHit: s.limitHit });
      return s.trace;
    } catch (e) {
      const size = { steps: t.schedule.length, preemptions: preemptionsOf(t, m) };
      reports.push({ property, before: size, after: size, runs: 0, limitHit: false, error: e instanceof Error ? e.message : String(e) });
      return t;
    }
  };
  const messageOf = (t: Trace, fallback: string | undefined) => (t.verdict === 'error' ? t.error?.message : t.violation?.message) ?? fallback;
  const trace = one(r.trace);
  const violations = r.violations?.map((v, i) => {
    // The first of the violations is the reported one: its trace was just shrunk.
    const t = i === 0 && v.property === r.property ? trace : one(v.trace);
    return { ...v, trace: t, message: messageOf(t, v.message)! };
  });
  const message = messageOf(trace, r.message);
  return {
    result: { ...r, trace, ...(message !== undefined ? { message } : {}), ...(violations ? { violations } : {}) },
    reports,
  };
}

/** The preemptions of trace `t`, or 0 when it does not replay. */
function preemptionsOf(t: Trace, m: CompiledModel): number {
  try {
    return countPreemptions(t, m);
  } catch {
    return 0;
  }
}
