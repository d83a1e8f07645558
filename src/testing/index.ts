/**
 * Helpers for model authors' tests (vitest or any runner): check a model with some
 * parameters and assert the verdict, with the counterexample in the failure message.
 *
 * ```ts
 * import { checkModel, assertVerdict } from 'mmrace/testing';
 * const r = await checkModel('models/contpte/contpte.ts', { mm: 'init_mm', gate: 'none' });
 * assertVerdict(r, { verdict: 'violation', property: 'INV-KFAULT' });
 *
 * // or from a scenario file, with its parameters and limits (BFS in this thread):
 * await expectViolation('scenarios/contpte/b-kernel.json', 'INV-KFAULT');
 * await expectSafe('scenarios/contpte/s.json');
 * ```
 */
import { shq } from '../report/shell.js';
import type { Model, ParamValue } from '../model/define.js';
import { lkml } from '../report/lkml.js';
import { buildStory } from '../report/story.js';
import { reproduceOf } from '../report/reproduce.js';
import { num } from '../report/text.js';
import type { CheckResult } from '../report/verdict.js';
import { check, checkTarget, type Checked } from '../run/check.js';
import type { Plan } from '../run/plan.js';

export type Expectation = { verdict: 'safe' } | { verdict: 'violation'; property: string };

/** Checks a model (a path, or a model object and the file that defines it) with `params`, as `check` does. */
export async function checkModel(
  model: string | { model: Model; file: string | URL },
  params: Readonly<Record<string, ParamValue>> = {},
  opts: Plan = {},
): Promise<CheckResult> {
  return check(typeof model === 'string' ? model : { ...model, params }, typeof model === 'string' ? { ...opts, params: { ...params, ...opts.params } } : opts);
}

/** Throws an Error describing the result and its schedule when it does not meet `want`. */
export function assertVerdict(r: CheckResult, want: Expectation): void {
  const ok = want.verdict === 'safe' ? r.verdict === 'safe' : r.verdict === 'violation' && r.property === want.property;
  if (ok) return;
  const wantText = want.verdict === 'safe' ? 'safe' : `violation of ${want.property}`;
  throw new Error([`model ${r.model} (${JSON.stringify(r.params)}): expected ${wantText}, got ${gotText(r)} after ${r.states} states`, ...scheduleLines(r)].join('\n'));
}

/** What a result is, for a failure message. */
function gotText(r: CheckResult): string {
  if (r.verdict === 'violation') return `violation of ${r.property}`;
  if (r.verdict === 'error') return `error ${r.code}: ${r.message}`;
  if (r.verdict === 'incomplete') return `incomplete (stopped by ${r.limit ?? 'a limit'})`;
  return r.verdict;
}

/** The counterexample's schedule, one step a line: the failure message's fallback when it cannot be replayed into a diagram. */
function scheduleLines(r: CheckResult): string[] {
  return r.trace?.schedule.map((s, i) => `  ${i + 1}. ${s.actor}[${s.instance}] ${s.label}${s.choice ? ` choice ${s.choice.join(',')}` : ''}`) ?? [];
}

/**
 * The failure of an expectation: expected against got, and for a counterexample its race
 * diagram, the commands that write and replay its trace (`<scenario>.trace.json`), and
 * for a violation the one-line schedule command, which replays it with no trace file.
 */
function mismatch(file: string, run: Checked, want: string): Error {
  const { scenario: sc, result: r } = run;
  const lines = [`${file}: expected ${want}, got ${gotText(r)} after ${num(r.states)} states`];
  if (r.verdict === 'violation' && r.message !== undefined) lines.push(`  ${r.message}`);
  if (r.trace !== undefined) {
    const name = sc?.name ?? r.model;
    const traceFile = `${name}.trace.json`;
    try {
      const story = buildStory({ ...r.trace, scenario: name }, run.model, traceFile);
      lines.push('', lkml(story).trimEnd(), '');
      lines.push(`write the trace: npx mmrace check ${shq(file)} --trace ${shq(traceFile)}`, `replay it:       ${story.replayCommand}`);
    } catch (e) {
      // A model that replays differently still has its schedule told.
      lines.push(`(no diagram: the replay failed: ${(e as Error).message})`, ...scheduleLines(r));
    }
    const again = r.verdict === 'violation' ? reproduceOf(r.trace, run.model, file, sc?.params) : null;
    if (again !== null) lines.push(`or, no file:     ${again.command}`);
  }
  return new Error(lines.join('\n'));
}

/**
 * Checks the scenario file `scenario` (BFS in this thread, with its parameters and limits)
 * and resolves to the result when it is safe; rejects with an Error stating what was found
 * otherwise, with the counterexample's race diagram.
 */
export async function expectSafe(scenario: string, opts: Plan = {}): Promise<CheckResult> {
  const run = await checkTarget(scenario, opts);
  if (run.result.verdict !== 'safe') throw mismatch(scenario, run, 'safe');
  return run.result;
}

/**
 * Checks the scenario file `scenario` like `expectSafe` and resolves to the result when it
 * violates `property` (an invariant, a fault property or `deadlock`); rejects otherwise.
 */
export async function expectViolation(scenario: string, property: string, opts: Plan = {}): Promise<CheckResult> {
  const run = await checkTarget(scenario, opts);
  const r = run.result;
  if (r.verdict !== 'violation' || r.property !== property) throw mismatch(scenario, run, `violation of ${property}`);
  return r;
}
