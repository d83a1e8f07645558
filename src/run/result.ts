/**
 * From what a search found to what a check reports: the verdict, the counts, and the
 * counterexamples as traces (built by re-executing their paths), for every search alike;
 * and a scenario's expectation, met or not.
 */
import type { FoundViolation, SearchOutcome } from '../engine/result.js';
import { verdictOf } from '../engine/result.js';
import type { CompiledModel } from '../model/compile.js';
import type { CheckResult } from '../report/verdict.js';
import { collisionProbability } from '../state/fingerprint.js';
import { replay } from '../trace/replay.js';
import { buildTrace } from '../trace/trace.js';
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
    const end = replay(traceOf(f), m);
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

/** A scenario's expected verdict, in words: `safe`, `violation of INV-X`. */
export function expectationText(s: Scenario): string {
  return s.expect.verdict === 'safe' ? 'safe' : `violation of ${s.expect.property}`;
}

/** Whether a result meets a scenario's expectation: safe, or a violation of its property. */
export function meetsExpectation(s: Scenario, r: CheckResult): boolean {
  if (s.expect.verdict === 'safe') return r.verdict === 'safe';
  return r.verdict === 'violation' && r.property === s.expect.property;
}
