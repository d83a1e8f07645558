/**
 * mmrace's public API: the modelling language (also alone, without the checker, as
 * `mmrace/model`), the one `check` entry, and traces.
 */
export * from './model/index.js';
export { CompiledModel } from './model/compile.js';
export { loadModel } from './model/load.js';
export { loadScenario, parseScenario } from './run/scenario.js';
export type { Scenario } from './run/scenario.js';
export { check, checkTarget } from './run/check.js';
export type { Checked, ModelTarget, Target } from './run/check.js';
export type { Plan } from './run/plan.js';
export type { Progress } from './engine/result.js';
export type { CheckResult, Verdict } from './report/verdict.js';
export { EXIT, exitCodeOf } from './report/verdict.js';
export { readTrace, writeTrace, TRACE_FORMAT } from './trace/trace.js';
export type { Trace, TraceStep } from './trace/trace.js';
export { replay } from './trace/replay.js';
export type { ReplayResult } from './trace/replay.js';
export { VERSION } from './version.js';
