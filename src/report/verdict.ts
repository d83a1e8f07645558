/** Verdicts, exit codes, and the result of a search. */
import { match } from 'ts-pattern';
import type { ShardInfo, StopKind, Verdict, ViolationKind } from '../engine/result.js';
import type { ShrinkSize } from '../trace/shrink.js';
import type { Trace } from '../trace/trace.js';

export type { StopKind, Verdict };

export const EXIT = { ok: 0, violation: 1, error: 2, incomplete: 3 } as const;

export function exitCodeOf(v: Verdict): number {
  return match(v)
    .with('safe', () => EXIT.ok)
    .with('violation', () => EXIT.violation)
    .with('incomplete', () => EXIT.incomplete)
    .with('error', () => EXIT.error)
    .exhaustive();
}

export interface ViolationReport {
  readonly property: string;
  readonly kind: ViolationKind;
  readonly message: string;
  readonly trace: Trace;
}

export interface CheckResult {
  readonly verdict: Verdict;
  readonly model: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly strategy: string;
  readonly reductions: readonly string[];
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  /** Probability that a fingerprint collision hid a state (hashed storage). */
  readonly collisionProbability: number;
  /** Bytes of the seen-set and parent links at the end. */
  readonly storeBytes: number;
  /**
   * With --shard: which part of the search this is, and the depth whose states were
   * partitioned (null: the search ended before it, so this part explored everything).
   */
  readonly shard?: ShardInfo;
  /** Breadth-first search: the worker threads that expanded its levels (0: every level ran in this thread). */
  readonly workers?: number;
  /** With --compare-por on a safe result: the states of the same search without partial-order reduction. */
  readonly statesWithoutPor?: number;
  /** Parallel search: bytes of the shared fingerprint set at the end (10 per entry). */
  readonly fingerprintBytes?: number;
  /** For a violation: the violated invariant, fault property, or `deadlock`. */
  readonly property?: string;
  readonly kind?: ViolationKind;
  readonly message?: string;
  /** Which limit stopped the search (for incomplete; with --all-violations, also for violation). */
  readonly limit?: StopKind;
  /** Bug-hunting strategies (random, pct, bounded): the seed of their choices. */
  readonly seed?: number;
  /** Bug-hunting strategies: runs made (bounded: schedules tried, each cut at the state cache). */
  readonly runs?: number;
  /** pct: the bug depth d. */
  readonly pctDepth?: number;
  /** bounded, for a violation: the preemptions of the counterexample, the fewest of any violation. */
  readonly preemptions?: number;
  /** bounded: every schedule with at most this many preemptions was tried (absent: not even 0). */
  readonly preemptionBound?: number;
  /** What the limit was, in words (the memory limit). */
  readonly limitMessage?: string;
  /** With --all-violations: the first violation of every property, shortest first. */
  readonly violations?: readonly ViolationReport[];
  /** For error: a stable code. */
  readonly code?: string;
  readonly hint?: string;
  /** For a violation (and an error inside the model): the counterexample. */
  readonly trace?: Trace;
  /** The counterexample was shrunk (it need not have been the shortest): its size before and after. */
  readonly shrunk?: { readonly before: ShrinkSize; readonly after: ShrinkSize };
  /** A check of a scenario: its name, its expected verdict in words, and whether the result meets it. */
  readonly scenario?: string;
  readonly expected?: string;
  readonly expectationMet?: boolean;
}
