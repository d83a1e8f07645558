/** mmrace's public API: what a model file and a program that embeds the checker use. */
export { bool, int, enumOf, lock, record, array, describeType } from './model/schema.js';
export type { Type, ViewOf, LockView, ScalarArrayView, RecordView } from './model/schema.js';
export { defineModel, actor, param, isModel } from './model/define.js';
export type { Model, ModelDef, ActorDef, StepCtx, StepDef, World, InitCtx, ParamSpecs, ParamValues } from './model/define.js';
export { CompiledModel } from './model/compile.js';
export { loadModel } from './model/load.js';
export { loadScenario, parseScenario } from './model/scenario.js';
export type { Scenario } from './model/scenario.js';
export { check } from './engine/check.js';
export type { CheckOptions } from './engine/check.js';
export type { CheckResult, Verdict } from './report/verdict.js';
export { EXIT, exitCodeOf } from './report/verdict.js';
export { readTrace, writeTrace, TRACE_FORMAT } from './trace/trace.js';
export type { Trace, TraceStep } from './trace/trace.js';
export { replay } from './trace/replay.js';
export type { ReplayResult } from './trace/replay.js';
export { MmraceError } from './errors.js';
export { VERSION } from './version.js';
