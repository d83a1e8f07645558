/**
 * Parallel exhaustive search: level-synchronous BFS on a pool of worker threads, with
 * the same verdict, counts and counterexample whatever the number of workers.
 *
 * Each level's states, in id order, are cut into batches of BATCH states; batches get
 * increasing ids across the whole search. Phase 1: workers expand batches and claim
 * every successor in the shared fingerprint set for their batch; a state claimed by
 * several batches belongs to the smallest batch id (the set lowers the owner
 * atomically), which is the batch that sequential BFS would have found it in first.
 * Phase 2, after every claim of the level: each batch keeps the successors it owns,
 * in its expansion order, and checks their invariants. The main thread then numbers
 * the kept states batch by batch, in order: the ids, parent links and the next level
 * are exactly those of sequential BFS, and so is every count. The first violation is
 * chosen by (batch, state, instance, choice), again as sequential BFS meets them; a
 * deadlock of the level comes first (its counterexample is one step shorter).
 *
 * What is serial: numbering kept states and copying them into the next level's
 * batches (a memory copy), resizing the fingerprint set between levels, and the
 * per-level barrier.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { MmraceError } from '../errors.js';
import type { CheckOptions } from '../engine/check.js';
import { Links, NO_PARENT, type FoundError, type FoundViolation, type LimitKind, type Path } from '../engine/explore.js';
import type { CompiledModel } from '../model/compile.js';
import type { CheckResult, Verdict } from '../report/verdict.js';
import { collisionProbability, fingerprint, fp } from '../state/fingerprint.js';
import { CLAIM_NEW, SharedFingerprintSet } from '../state/shared-fpset.js';
import { buildTrace } from '../trace/trace.js';
import type { ExpandResult, FilterResult, ModelRef, Task, TaskResult } from './protocol.js';

/** States per batch. Fixed, so that results do not depend on the number of workers. */
export const BATCH = 8192;

export interface ParallelOptions extends CheckOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly workers?: number;
  /** A pool to run on (from createPool; kept open), instead of one made for this check. */
  readonly pool?: Pool;
  /** States per batch (for tests; the default is BATCH). */
  readonly batchSize?: number;
  /** First capacity of the fingerprint set (for tests: a small one makes levels overflow it). */
  readonly tableCapacity?: number;
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export type Pool = Piscina<Task, TaskResult>;

/** A pool of `workers` explorer threads, to share between checks (`mmrace ci`); destroy() it after. */
export function createPool(workers: number): Pool {
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > 1024) {
    throw new MmraceError('E_USAGE', `workers = ${String(workers)}: must be an integer from 1 to 1024`);
  }
  return new Piscina<Task, TaskResult>({
    filename: new URL('./worker-entry.mjs', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
  });
}

interface Level {
  /** Id of the level's first state. */
  readonly firstId: number;
  /** The level's states, in id order, as batches of up to `batchSize` states. */
  readonly chunks: Int32Array[];
  readonly counts: number[];
}

/** Event order within a level: (batch, state in batch, instance, ordinal). */
type Key = readonly [number, number, number, number];
function before(a: Key, b: Key): boolean {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

export async function parallelCheck(m: CompiledModel, modelPath: string, opts: ParallelOptions = {}): Promise<CheckResult> {
  const workers = opts.pool ? opts.pool.options.maxThreads : (opts.workers ?? defaultWorkers());
  const batchSize = opts.batchSize ?? BATCH;
  const started = performance.now();
  const deadline = opts.timeLimit !== undefined ? started + opts.timeLimit * 1000 : Infinity;
  const size = m.size;
  const nInst = m.instances.length;
  const links = new Links(nInst);
  const modelRef: ModelRef = { path: modelPath, params: { ...m.params } };
  let table = new SharedFingerprintSet(opts.tableCapacity ?? SharedFingerprintSet.capacityFor(1 << 20));
  let states = 0;
  let transitions = 0;
  let depth = 0;
  let violation: FoundViolation | null = null;
  let error: FoundError | null = null;
  let limitHit: LimitKind | null = null;
  let nextBatch = 1;

  // Initial states: batch 0, numbered in init's order, on the main thread.
  let level: Level = { firstId: 0, chunks: [], counts: [] };
  {
    const kept: Int32Array[] = [];
    try {
      m.forEachInitialState((s, i) => {
        if (states + 1 > table.capacity * 0.75) table = SharedFingerprintSet.grownFrom(table, Math.ceil((states + 1) * 2));
        fingerprint(s, size);
        if (table.claim(fp.hi, fp.lo, 0) !== CLAIM_NEW) return true;
        if (opts.maxStates !== undefined && states >= opts.maxStates) {
          limitHit = 'max-states';
          return false;
        }
        const id = states++;
        links.push(NO_PARENT, i);
        const inv = m.violatedInvariant(s);
        if (inv !== null) {
          violation = { kind: 'invariant', property: inv, message: `${inv} does not hold in an initial state`, path: links.pathTo(id) };
          return false;
        }
        kept.push(s.slice());
        return true;
      });
    } catch (e) {
      const err = e instanceof MmraceError ? e : new MmraceError('E_INTERNAL', String(e));
      error = { code: err.code, message: err.message, hint: err.hint, path: null };
    }
    level = rechunk(0, kept, kept.map(() => 1), size, batchSize);
  }

  const pool = opts.pool ?? createPool(workers);
  try {
    while (violation === null && error === null && limitHit === null && level.counts.length > 0) {
      if (performance.now() >= deadline) {
        limitHit = 'time-limit';
        break;
      }
      opts.onProgress?.({ states, transitions, depth, queued: level.counts.reduce((a, b) => a + b, 0), seconds: (performance.now() - started) / 1000 });
      const atDepthLimit = opts.maxDepth !== undefined && depth >= opts.maxDepth;
      const firstBatch = nextBatch;
      nextBatch += level.counts.length;
      // How many successors a level claims is not known before it runs: a level that
      // overflows the table runs again on a larger one that keeps only older claims.
      let expanded: ExpandResult[];
      for (;;) {
        const tasks = level.chunks.map((chunk, b) => {
          const firstId = level.firstId + b * batchSize;
          const t: Task = {
            kind: 'expand',
            model: modelRef,
            table: table.buffer,
            batch: firstBatch + b,
            firstId,
            count: level.counts[b]!,
            states: chunk,
            atDepthLimit,
          };
          // Copied, not moved: a level that overflows the table runs again from the same batches.
          return run<ExpandResult>(pool, t);
        });
        expanded = await Promise.all(tasks);
        if (!expanded.some((r) => r.full)) break;
        // Keep only the claims of older levels; the level's own are made again.
        table = SharedFingerprintSet.grownFrom(table, table.capacity * 2, firstBatch);
      }
      for (const r of expanded) transitions += r.transitions;
      // A model error or a deadlock among the level's states: the first in batch order.
      let first: { key: Key; found: FoundViolation | FoundError } | null = null;
      for (const r of expanded) {
        const b = r.batch - firstBatch;
        const at = level.firstId + b * batchSize;
        if (r.error) {
          const e = r.error;
          const key: Key = [b, e.index, e.k, e.ordinal];
          if (first === null || before(key, first.key)) {
            const base = links.pathTo(at + e.index);
            const path: Path = e.k >= 0 ? { init: base.init, moves: [...base.moves, [e.k, e.ordinal]] } : base;
            first = { key, found: { code: e.code, message: e.message, hint: e.hint, path } };
          }
        }
        if (r.deadlock >= 0) {
          const key: Key = [b, r.deadlock, -1, -1];
          if (first === null || before(key, first.key)) first = { key, found: deadlockAt(links, at + r.deadlock) };
        }
      }
      const firstFound = first as { key: Key; found: FoundViolation | FoundError } | null;
      const anyDeadlock = expanded.some((r) => r.deadlock >= 0);
      if (firstFound !== null && anyDeadlock) {
        // A deadlock of this level is one step shorter than anything phase 2 can find;
        // a model error before it stops the search first, as in sequential BFS.
        if ('kind' in firstFound.found) violation = firstFound.found;
        else error = firstFound.found;
        break;
      }
      if (atDepthLimit) {
        if (firstFound !== null) error = firstFound.found as FoundError;
        else if (expanded.some((r) => r.truncated)) limitHit = 'max-depth';
        break;
      }
      // Phase 2: keep what each batch owns.
      const filtered = await Promise.all(
        expanded.map(
          (r) =>
            run<FilterResult>(pool, {
              kind: 'filter',
              model: modelRef,
              table: table.buffer,
              batch: r.batch,
              cand: r.cand,
              parents: r.parents,
              moves: r.moves,
              entries: r.entries,
              candCount: r.candCount,
            }, [r.cand.buffer, r.parents.buffer, r.moves.buffer, r.entries.buffer] as ArrayBuffer[]),
        ),
      );
      // Number the kept states batch by batch; find the first event of the level.
      const nextFirst = states;
      const kept: Int32Array[] = [];
      const keptCounts: number[] = [];
      let event: { key: Key; found: () => FoundViolation | FoundError } | null = null;
      const offer = (key: Key, found: () => FoundViolation | FoundError): void => {
        if (event === null || before(key, event.key)) event = { key, found };
      };
      if (firstFound !== null) offer(firstFound.key, () => firstFound.found);
      let cut = false;
      for (let b = 0; b < filtered.length; b++) {
        const f = filtered[b]!;
        const x = expanded[b]!;
        const batchFirstId = level.firstId + b * batchSize;
        if (x.fault) {
          const fault = x.fault;
          offer([b, fault.index, fault.k, fault.ordinal], () => {
            const base = links.pathTo(batchFirstId + fault.index);
            return { kind: 'fault', property: fault.property, message: fault.message, path: { init: base.init, moves: [...base.moves, [fault.k, fault.ordinal]] } };
          });
        }
        let take = f.keptCount;
        if (opts.maxStates !== undefined && states + take > opts.maxStates) {
          take = Math.max(0, opts.maxStates - states);
          cut = true;
        }
        const firstKeptId = states;
        for (let c = 0; c < take; c++) links.push(f.parents[c]!, f.moves[c]!);
        states += take;
        if (f.error) {
          const e = f.error;
          const parentId = f.parents[e.index]!;
          offer([b, parentId - batchFirstId, e.k, e.ordinal], () => {
            const base = links.pathTo(parentId);
            return { code: e.code, message: e.message, hint: e.hint, path: { init: base.init, moves: [...base.moves, [e.k, e.ordinal]] } };
          });
        }
        if (f.violation && f.violation.index < take) {
          const v = f.violation;
          const mv = f.moves[v.index]!;
          const id = firstKeptId + v.index;
          offer([b, f.parents[v.index]! - batchFirstId, mv % nInst, Math.floor(mv / nInst)], () => ({
            kind: 'invariant',
            property: v.property,
            message: `${v.property} does not hold`,
            path: links.pathTo(id),
          }));
        }
        if (take > 0) {
          kept.push(f.kept.subarray(0, take * size));
          keptCounts.push(take);
        }
        if (cut) break;
      }
      if (states > nextFirst) depth++;
      if (event !== null) {
        const found = (event as { found: () => FoundViolation | FoundError }).found();
        if ('kind' in found) violation = found;
        else error = found;
        break;
      }
      if (cut) {
        limitHit = 'max-states';
        break;
      }
      level = rechunk(nextFirst, kept, keptCounts, size, batchSize);
      // Room for a next level as large as this one, at load 3/4 at most.
      const want = SharedFingerprintSet.capacityFor(states + 2 * (states - nextFirst));
      if (want > table.capacity) table = SharedFingerprintSet.grownFrom(table, Math.max(want, table.capacity * 2));
    }
  } finally {
    if (!opts.pool) await pool.destroy();
  }

  const seconds = (performance.now() - started) / 1000;
  const v = violation as FoundViolation | null;
  const e = error as FoundError | null;
  const verdict: Verdict = e ? 'error' : v ? 'violation' : limitHit ? 'incomplete' : 'safe';
  const base = {
    verdict,
    model: m.id,
    params: { ...m.params },
    strategy: 'bfs',
    reductions: [] as string[],
    states,
    transitions,
    depth,
    seconds,
    statesPerSecond: seconds > 0 ? states / seconds : states,
    collisionProbability: collisionProbability(states),
    storeBytes: table.bytes + links.bytes,
    workers,
  };
  if (v) {
    const trace = buildTrace(m, modelPath, v.path, { verdict: 'violation', violation: { kind: v.kind, property: v.property, message: v.message } });
    return { ...base, property: v.property, kind: v.kind, message: v.message, trace };
  }
  if (e) {
    const trace = e.path ? buildTrace(m, modelPath, e.path, { verdict: 'error', error: { code: e.code, message: e.message } }) : undefined;
    return { ...base, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(trace ? { trace } : {}) };
  }
  if (limitHit) return { ...base, limit: limitHit };
  return base;
}

/** Runs a task; a worker that died (not a model error, which comes back as data) is E_WORKER. */
async function run<R extends TaskResult>(pool: Pool, task: Task, transferList?: ArrayBuffer[]): Promise<R> {
  try {
    return (await pool.run(task, transferList ? { transferList } : {})) as R;
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new MmraceError(
      'E_WORKER',
      `a worker thread of the parallel explorer failed: ${why}`,
      'a model must not exit the process or exhaust memory; run without --workers to see the failure in the sequential engine',
    );
  }
}

function deadlockAt(links: Links, id: number): FoundViolation {
  return { kind: 'deadlock', property: 'deadlock', message: 'no step is enabled and some actor has not finished', path: links.pathTo(id) };
}

/** Re-cuts the kept states of every batch, in order, into batches of `batchSize`. */
function rechunk(firstId: number, parts: Int32Array[], partCounts: number[], size: number, batchSize: number): Level {
  const total = partCounts.reduce((a, b) => a + b, 0);
  const chunks: Int32Array[] = [];
  const counts: number[] = [];
  let p = 0;
  let off = 0; // states of parts[p] already copied
  for (let done = 0; done < total; ) {
    const n = Math.min(batchSize, total - done);
    const chunk = new Int32Array(n * size);
    let filled = 0;
    while (filled < n) {
      const avail = partCounts[p]! - off;
      const take = Math.min(avail, n - filled);
      chunk.set(parts[p]!.subarray(off * size, (off + take) * size), filled * size);
      filled += take;
      off += take;
      if (off === partCounts[p]) {
        p++;
        off = 0;
      }
    }
    chunks.push(chunk);
    counts.push(n);
    done += n;
  }
  return { firstId, chunks, counts };
}
