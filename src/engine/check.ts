/**
 * One exhaustive check: compile, explore with a strategy under limits, and turn what
 * was found into a verdict, a result and (for a violation) a trace.
 */
import { match } from 'ts-pattern';
import { MmraceError } from '../errors.js';
import type { CompiledModel } from '../model/compile.js';
import { collisionProbability } from '../state/fingerprint.js';
import { EXHAUSTIVE, type StrategyName } from '../strategy/index.js';
import { buildTrace } from '../trace/trace.js';
import type { CheckResult, Verdict } from '../report/verdict.js';
import { Exploration, type FoundViolation, type Limits, type Progress } from './explore.js';

export interface CheckOptions extends Limits {
  readonly strategy?: StrategyName;
  readonly onProgress?: (p: Progress) => void;
}

export function checkLimits(opts: CheckOptions): void {
  const bad = (name: string, v: unknown, what: string) =>
    new MmraceError('E_USAGE', `${name} = ${String(v)}: must be ${what}`);
  const { maxStates, maxDepth, timeLimit, strategy, memory } = opts;
  if (memory !== undefined && !(Number.isSafeInteger(memory) && memory >= 1 << 20)) throw bad('memory', memory, 'a number of bytes of at least 1 MiB');
  if (maxStates !== undefined && !(Number.isSafeInteger(maxStates) && maxStates >= 1)) throw bad('maxStates', maxStates, 'a positive integer');
  if (maxDepth !== undefined && !(Number.isSafeInteger(maxDepth) && maxDepth >= 0)) throw bad('maxDepth', maxDepth, 'a whole number');
  if (timeLimit !== undefined && !(timeLimit >= 0 && Number.isFinite(timeLimit))) throw bad('timeLimit', timeLimit, 'a number of seconds >= 0');
  if (strategy !== undefined && !(strategy in EXHAUSTIVE)) throw bad('strategy', strategy, `one of ${Object.keys(EXHAUSTIVE).join(', ')}`);
}

export function check(m: CompiledModel, modelPath: string, opts: CheckOptions = {}): CheckResult {
  checkLimits(opts);
  const strategy = opts.strategy ?? 'bfs';
  const x = new Exploration(m, opts, opts.onProgress);
  EXHAUSTIVE[strategy](x);
  const seconds = x.seconds;
  // With allViolations: the shortest counterexample first, then the order found.
  const all = [...x.allFound].map((v, i) => ({ v, i })).sort((a, b) => a.v.path.moves.length - b.v.path.moves.length || a.i - b.i).map((e) => e.v);
  if (x.all && x.error === null && all.length > 0) x.violation = all[0]!;
  const verdict: Verdict = x.error ? 'error' : x.violation ? 'violation' : x.limitHit ? 'incomplete' : 'safe';
  const base = {
    verdict,
    model: m.id,
    params: { ...m.params },
    strategy,
    reductions: [] as string[],
    states: x.states,
    transitions: x.transitions,
    depth: x.depth,
    seconds,
    statesPerSecond: seconds > 0 ? x.states / seconds : x.states,
    collisionProbability: collisionProbability(x.states),
    storeBytes: x.storeBytes,
  };
  const limit = x.limitHit ? { limit: x.limitHit, ...(x.limitMessage ? { limitMessage: x.limitMessage } : {}) } : {};
  const traceOf = (v: FoundViolation) =>
    buildTrace(m, modelPath, v.path, { verdict: 'violation', violation: { kind: v.kind, property: v.property, message: v.message } });
  return match(verdict)
    .with('safe', () => base)
    .with('incomplete', () => ({ ...base, ...limit }))
    .with('violation', () => {
      const v = x.violation!;
      const violations = x.all ? { violations: all.map((f) => ({ property: f.property, kind: f.kind, message: f.message, trace: traceOf(f) })) } : {};
      return { ...base, ...limit, property: v.property, kind: v.kind, message: v.message, trace: traceOf(v), ...violations };
    })
    .with('error', () => {
      const e = x.error!;
      const trace = e.path
        ? buildTrace(m, modelPath, e.path, { verdict: 'error', error: { code: e.code, message: e.message } })
        : undefined;
      return {
        ...base,
        code: e.code,
        message: e.message,
        ...(e.hint ? { hint: e.hint } : {}),
        ...(trace ? { trace } : {}),
      };
    })
    .exhaustive();
}
