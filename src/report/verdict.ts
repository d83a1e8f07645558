/** Verdicts, exit codes, and the result of a search. */
import { match } from 'ts-pattern';
import type { LimitKind } from '../engine/explore.js';
import type { Trace } from '../trace/trace.js';

export type Verdict = 'safe' | 'violation' | 'incomplete' | 'error';

export const EXIT = { ok: 0, violation: 1, error: 2, incomplete: 3 } as const;

/**
 * Why a search ended without a violation: a limit, or for the bug-hunting strategies,
 * `runs` (--runs were made) or `exhausted` (bounded tried every schedule). The verdict is
 * then incomplete, never safe.
 */
export type StopKind = LimitKind | 'runs' | 'exhausted' | 'interrupted';

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
  readonly kind: 'invariant' | 'fault' | 'deadlock';
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
  readonly shard?: { readonly index: number; readonly count: number; readonly depth: number | null };
  /** Worker threads of a parallel search (absent: the sequential engine). */
  readonly workers?: number;
  /** With --compare-por on a safe result: the states of the same search without partial-order reduction. */
  readonly statesWithoutPor?: number;
  /** Parallel search: bytes of the shared fingerprint set at the end (10 per entry). */
  readonly fingerprintBytes?: number;
  /** For a violation: the violated invariant, fault property, or `deadlock`. */
  readonly property?: string;
  readonly kind?: 'invariant' | 'fault' | 'deadlock';
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
}
