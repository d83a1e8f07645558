/**
 * The modelling language, and nothing of the checker: what a model file imports
 * (`import { defineModel, int } from 'mmrace/model'`). Loading it loads no search code,
 * so a model starts fast wherever it is loaded: in the command line, in each worker
 * thread, in a test.
 */
export { bool, int, enumOf, lock, record, array, describeType } from './schema.js';
export type { Type, ViewOf, LockView, ScalarArrayView, RecordView } from './schema.js';
export { defineModel, actor, param, isModel } from './define.js';
export type { Model, ModelDef, ActorDef, StepCtx, StepDef, World, InitCtx, ParamSpecs, ParamValues } from './define.js';
export { MmraceError } from '../errors.js';
