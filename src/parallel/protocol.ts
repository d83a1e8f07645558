/**
 * Messages between the parallel explorer (main thread) and its workers. Every buffer is a
 * SharedArrayBuffer: the fingerprint set, the control words, and the columns of batch
 * results, which come back shared, not copied; a level's states stay in the results of
 * the level before, where every worker reads them.
 */
import type { BatchMode, BatchResult, Piece, StuckAt } from '../engine/batch.js';

/** Where a worker imports the model from: the model file (for messages) and its bundle (model/load.ts). */
export interface ModelFile {
  readonly path: string;
  readonly url: string;
}

/** What a worker needs to rebuild the model: its file and the parameter values. */
export interface ModelRef extends ModelFile {
  readonly params: Readonly<Record<string, number | boolean | string>>;
}

/** A batch.ts Piece as sent to a worker: its records' buffer, and its kept record numbers from 0 (`from` 0) or null. */
export interface SharedPiece {
  readonly buf: SharedArrayBuffer;
  readonly kept: Int32Array | null;
  readonly from: number;
  readonly count: number;
}

/** Expand one batch of a level (see batch.ts). */
export interface ExpandTask {
  readonly kind: 'expand';
  readonly model: ModelRef;
  readonly table: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  /** Where the batch's states are (batch.ts Piece), each piece in the buffer of a result of the level before. */
  readonly pieces: readonly SharedPiece[];
  readonly batch: number;
  readonly index: number;
  readonly round: number;
  readonly retire: boolean;
  readonly offset: number;
  readonly count: number;
  readonly mode: BatchMode;
  readonly allViolations: boolean;
  readonly deadline: number;
  readonly por: boolean;
  readonly symmetry: boolean;
  /** Sleep sets: each state of the level is followed by its sleep set. */
  readonly sleep: boolean;
  /** Buffers of earlier results, handed back for this worker to reuse (batch.ts addSpares). */
  readonly spare: SharedArrayBuffer[];
  /**
   * The hearts of the level's batches (engine/watchdog.ts, HEART_STRIDE Int32 words apart):
   * this batch's, at `slot`, tells the main thread which step runs, for the step watchdog,
   * and whether the batch started, when its worker dies.
   */
  readonly heart: SharedArrayBuffer;
  readonly slot: number;
  /** A state of the batch whose step hung when the level ran before (batch.ts). */
  readonly stuck: StuckAt | null;
}

export interface ExpandResult extends BatchResult {
  readonly kind: 'expand';
}

/** Move entries `from`..`to` of one fingerprint set into a larger one (parallel growth). */
export interface MoveTask {
  readonly kind: 'move';
  readonly from: SharedArrayBuffer;
  readonly to: SharedArrayBuffer;
  readonly start: number;
  readonly end: number;
  /** Drop the entries owned by a batch of this round (-1: none). */
  readonly drop: number;
}

export interface MoveResult {
  readonly kind: 'move';
  readonly moved: number;
}

/** Import a model file ahead of the first batch (a pool warming up while the main thread loads it too). */
export interface LoadTask {
  readonly kind: 'load';
  readonly model: ModelFile;
}

export interface LoadResult {
  readonly kind: 'load';
}

export type Task = ExpandTask | MoveTask | LoadTask;
export type TaskResult = ExpandResult | MoveResult | LoadResult;

/**
 * Sent by a worker, on its own (piscina's pool emits it as 'message'), just before it ends
 * with exit code EXIT_OUTSIDE: an error was thrown outside a step (worker.ts).
 */
export const WORKER_FAILURE = 'mmraceWorkerFailure';
export const EXIT_OUTSIDE = 70;

export interface WorkerFailure {
  readonly [WORKER_FAILURE]: { readonly threadId: number; readonly message: string };
}

export function isWorkerFailure(m: unknown): m is WorkerFailure {
  return typeof m === 'object' && m !== null && WORKER_FAILURE in m;
}

/** A piece as a worker receives it: its kept numbers, if any, copied from 0 (a view would send its whole buffer). */
export function sharedPiece(p: Piece): SharedPiece {
  if (p.kept === null) return { buf: p.records.buffer as SharedArrayBuffer, kept: null, from: p.from, count: p.count };
  return { buf: p.records.buffer as SharedArrayBuffer, kept: p.kept.slice(p.from, p.from + p.count), from: 0, count: p.count };
}
