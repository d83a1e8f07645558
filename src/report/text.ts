/**
 * Plain-text rendering of results and replays, for terminals and CI logs. Every model
 * string put into a line here (labels, actor names, slot paths and values, properties,
 * messages, parameters) goes through `oneLine` (escape.ts): its control characters and
 * newlines spelled out, so that it stays within its line. `headline` is also the text of
 * SARIF and the GitHub annotations, which escape in their own ways: its callers in text
 * output pass it through `oneLine`.
 */
import { match } from 'ts-pattern';
import { oneLine } from './escape.js';
import { choiceText } from './lkml.js';
import type { ReplayResult, ReplayStep } from '../trace/replay.js';
import type { CheckResult } from './verdict.js';

export function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function secs(s: number): string {
  return s < 10 ? s.toFixed(2) : s.toFixed(1);
}

export function formatParams(params: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(params).map(([k, v]) => oneLine(`${k}=${String(v)}`));
  return parts.length ? parts.join(' ') : '(no parameters)';
}

export function formatProbability(p: number): string {
  if (p === 0) return '0';
  if (p < 1e-3) return p.toExponential(1);
  return p.toPrecision(2);
}

/** The headline: verdict and what it is about. */
export function headline(r: CheckResult): string {
  return match(r.verdict)
    .with('safe', () => `SAFE: no violation in the ${num(r.states)} reachable states`)
    .with('violation', () => `VIOLATION of ${r.property}: ${r.message}`)
    .with('incomplete', () =>
      r.runs !== undefined
        ? `INCOMPLETE: ${walkText(r)}`
        : `INCOMPLETE: stopped by ${limitText(r)}; no violation in the ${num(r.states)} states explored, which is not a proof`,
    )
    .with('error', () => `ERROR ${r.code}: ${r.message}`)
    .exhaustive();
}

function limitText(r: CheckResult): string {
  return match(r.limit)
    .with('max-states', () => '--max-states')
    .with('max-depth', () => '--max-depth')
    .with('time-limit', () => '--time-limit')
    .with('memory', () => r.limitMessage ?? 'the memory limit (--memory)')
    .with('runs', () => '--runs')
    .with('exhausted', () => 'the end of the schedules')
    .with('interrupted', () => 'a signal (SIGINT or SIGTERM)')
    .with(undefined, () => 'a limit')
    .exhaustive();
}

const plural = (n: number, one: string, many = `${one}s`) => `${num(n)} ${n === 1 ? one : many}`;

/** A bug-hunting search that found nothing: what it tried; never a proof. */
function walkText(r: CheckResult): string {
  const notProof = 'a bug-hunting search is not a proof (use --strategy bfs for one)';
  if (r.strategy !== 'bounded') {
    return `no violation in ${plural(r.runs ?? 0, 'run')} of ${r.strategy}; stopped by ${limitText(r)}; ${notProof}`;
  }
  const b = r.preemptionBound;
  if (r.limit === 'exhausted') {
    const upTo = b !== undefined ? ` with up to ${plural(b, 'preemption')} (more add none)` : '';
    return `no violation in ${plural(r.runs ?? 0, 'schedule')}, every schedule${upTo} tried; bounded never reports safe: use --strategy bfs for a proof`;
  }
  const tried =
    b === undefined
      ? 'not every schedule without preemptions was tried'
      : b === 0
        ? 'every schedule without preemptions was tried'
        : `every schedule with at most ${plural(b, 'preemption')} was tried`;
  return `no violation in ${plural(r.runs ?? 0, 'schedule')}; ${tried}; stopped by ${limitText(r)}; ${notProof}`;
}

/** The bug-hunting strategies' line: seed, runs and their own parameters (null for the others). */
export function walkLine(r: CheckResult): string | null {
  if (r.runs === undefined) return null;
  const parts = [`seed ${r.seed}`, `${r.strategy === 'bounded' ? 'schedules' : 'runs'} ${num(r.runs)}`];
  if (r.pctDepth !== undefined) parts.push(`pct depth ${r.pctDepth}`);
  if (r.preemptions !== undefined) parts.push(`preemptions ${r.preemptions}`);
  else if (r.preemptionBound !== undefined) parts.push(`preemption bound ${r.preemptionBound} complete`);
  return parts.join(' · ');
}

export function statsLine(r: CheckResult): string {
  return (
    `states ${num(r.states)} · transitions ${num(r.transitions)} · depth ${r.depth} · ` +
    `${secs(r.seconds)} s · ${num(r.statesPerSecond)} states/s · ` +
    `strategy ${r.strategy}${r.workers ? ` on ${r.workers} worker${r.workers > 1 ? 's' : ''}` : ''} · ` +
    `reductions ${r.reductions.length ? r.reductions.join(', ') : 'none'}`
  );
}

/** With --compare-por: what partial-order reduction saved, or null. */
export function porLine(r: CheckResult): string | null {
  if (r.statesWithoutPor === undefined) return null;
  return `partial-order reduction: ${num(r.states)} states of ${num(r.statesWithoutPor)} without it (${(r.states / r.statesWithoutPor).toFixed(3)})`;
}

export function collisionLine(r: CheckResult): string {
  return `fingerprint collision probability ≤ ${formatProbability(r.collisionProbability)} (64-bit fingerprints)`;
}

/** Who takes a step: the actor (its name escaped) and instance. */
function whoOf(s: ReplayStep): string {
  return `${oneLine(s.actor)}[${s.instance}]`;
}

function stepHead(s: ReplayStep, width: number): string {
  const who = whoOf(s);
  // The choices by value when the replay recorded them (`page 1, store`), else the indices.
  const choice = s.values?.length ? ` (${oneLine(choiceText(s))})` : s.choice?.length ? ` choice ${s.choice.join(',')}` : '';
  return `${String(s.n).padStart(3)}. ${who.padEnd(width)} ${oneLine(s.label)}${choice}`;
}

/** The steps of a replay, each with the slots it changed. */
export function formatSteps(r: ReplayResult, indent = '  '): string[] {
  const width = Math.max(4, ...r.steps.map((s) => whoOf(s).length));
  const lines: string[] = [];
  for (const s of r.steps) {
    lines.push(indent + stepHead(s, width));
    const pad = indent + ' '.repeat(width + 6);
    const shown = s.changes.filter((c) => !c.slot.endsWith('.pc'));
    for (const n of s.notes ?? []) lines.push(`${pad}${oneLine(n.party === undefined ? `note: ${n.text}` : `${n.party}: ${n.text}`)}`);
    for (const c of shown) lines.push(`${pad}${oneLine(`${c.slot}: ${c.from} → ${c.to}`)}`);
    if (s.fault) lines.push(`${pad}FAULT ${oneLine(`${s.fault.property}: ${s.fault.message}`)}`);
  }
  return lines;
}

/** The replay of `traceFile`; `model` says which model file it ran on and who named it. */
export function formatReplay(r: ReplayResult, traceFile: string, model?: { readonly path: string; readonly namedBy: string }): string[] {
  const lines: string[] = [];
  lines.push(`replay of ${oneLine(traceFile)}${r.sourceChanged ? ' (the model source changed since it was recorded)' : ''}`);
  if (model) lines.push(`  model ${oneLine(`${model.path} (named by ${model.namedBy})`)}`);
  if (r.init?.values.length) lines.push(`  init chose: ${oneLine(r.init.values.map((v) => (v.name === undefined ? String(v.value) : `${v.name}=${String(v.value)}`)).join(', '))}`);
  lines.push('  initial state:');
  for (const s of r.initial) if (!s.slot.endsWith('.pc')) lines.push(`    ${oneLine(`${s.slot} = ${s.value}`)}`);
  lines.push(...formatSteps(r));
  lines.push(endLine(r));
  return lines;
}

/** How a replay ended: reproduced, something else, or where it parted from the trace. */
function endLine(r: ReplayResult): string {
  return oneLine(endText(r));
}

function endText(r: ReplayResult): string {
  if (r.diverged) {
    const replayed = `${plural(r.steps.length, 'step')} replayed`;
    return `DIVERGED at ${r.diverged.where}: ${r.diverged.reason} (${replayed})`;
  }
  if (r.reproduced) return `REPRODUCED: ${r.kind === 'error' ? 'model error ' : 'violation of '}${r.property}: ${r.message}`;
  if (r.notRun) return `NOT RUN AGAIN: model error ${r.property}: ${r.message}; the replay ends at the state that step ran from (a step that was stopped is not run again: check the model again to see it stopped)`;
  if (r.kind) return `NOT REPRODUCED: the trace now ends in ${r.kind} ${r.property}: ${r.message}`;
  return 'NOT REPRODUCED: the schedule runs to its end with no violation';
}
