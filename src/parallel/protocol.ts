/**
 * Messages between the parallel explorer (main thread) and its workers. States travel
 * as Int32Array batches moved as transferable buffers; the fingerprint set is a
 * SharedArrayBuffer every worker attaches to.
 */

/** What a worker needs to rebuild the model: the file and the parameter values. */
export interface ModelRef {
  readonly path: string;
  readonly params: Readonly<Record<string, number | boolean | string>>;
}

/** A model error inside a worker, with where it happened in the batch. */
export interface TaskError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string | undefined;
  /** Index of the state in the batch (expand) or of the candidate (filter). */
  readonly index: number;
  /** The transition that failed (k, ordinal; ordinal -1 for a guard), or -1. */
  readonly k: number;
  readonly ordinal: number;
}

/** Phase 1: expand every state of a batch, claim each successor for the batch. */
export interface ExpandTask {
  readonly kind: 'expand';
  readonly model: ModelRef;
  readonly table: SharedArrayBuffer;
  readonly batch: number;
  /** Id of the batch's first state; states are consecutive ids. */
  readonly firstId: number;
  readonly count: number;
  readonly states: Int32Array;
  /** The batch is at --max-depth: only look for enabled steps and deadlocks. */
  readonly atDepthLimit: boolean;
}

export interface ExpandResult {
  readonly kind: 'expand';
  readonly batch: number;
  readonly transitions: number;
  /** Successors this batch claimed: vectors, parent ids, moves (k + instances × ordinal). */
  readonly cand: Int32Array;
  readonly parents: Int32Array;
  readonly moves: Int32Array;
  /** The fingerprint-set entry of each candidate (its owner is read there in phase 2). */
  readonly entries: Int32Array;
  readonly candCount: number;
  /** First fault raised by a transition of the batch, in expansion order. */
  readonly fault: { readonly index: number; readonly k: number; readonly ordinal: number; readonly message: string; readonly property: string } | null;
  /** First deadlocked state of the batch, or -1. */
  readonly deadlock: number;
  /** At the depth limit: some state had an enabled step. */
  readonly truncated: boolean;
  /** The table had no room: the level is run again on a larger one. */
  readonly full: boolean;
  readonly error: TaskError | null;
}

/** Phase 2 (after every claim of the level): keep what the batch owns, check invariants. */
export interface FilterTask {
  readonly kind: 'filter';
  readonly model: ModelRef;
  readonly table: SharedArrayBuffer;
  readonly batch: number;
  readonly cand: Int32Array;
  readonly parents: Int32Array;
  readonly moves: Int32Array;
  readonly entries: Int32Array;
  readonly candCount: number;
}

export interface FilterResult {
  readonly kind: 'filter';
  readonly batch: number;
  readonly kept: Int32Array;
  readonly parents: Int32Array;
  readonly moves: Int32Array;
  readonly keptCount: number;
  /** First kept state that violates an invariant (its index among the kept), or null. */
  readonly violation: { readonly index: number; readonly property: string } | null;
  readonly error: TaskError | null;
}

export type Task = ExpandTask | FilterTask;
export type TaskResult = ExpandResult | FilterResult;
