/**
 * The modelling language, and nothing of the checker: what a model file imports
 * (`import { defineModel, int } from 'mmrace/model'`). Loading it loads no search code,
 * so a model starts fast wherever it is loaded: in the command line, in each worker
 * thread, in a test.
 */
export { bool, int, enumOf, lock, record, array, describeType } from './schema.js';
export { defineModel, actor, param, isModel } from './define.js';
export { MmraceError } from '../errors.js';
// Every type of the language (Model, StepCtx, Type, ViewOf, …): also every type a
// model's inferred type can mention, so that a project that emits
// declarations (`tsc --init`'s defaults) can name the type of `defineModel(...)`.
export type * from './schema.js';
export type * from './define.js';
