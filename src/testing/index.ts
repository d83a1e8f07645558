/**
 * Helpers for model authors' tests (vitest or any runner): check a model with some
 * parameters and assert the verdict, with the counterexample in the failure message.
 *
 * ```ts
 * import { checkModel, assertVerdict } from 'mmrace/testing';
 * const r = await checkModel('models/contpte/contpte.ts', { mm: 'init_mm', gate: 'none' });
 * assertVerdict(r, { verdict: 'violation', property: 'INV-KFAULT' });
 * ```
 */
import { fileURLToPath } from 'node:url';
import { check, type CheckOptions } from '../engine/check.js';
import { CompiledModel } from '../model/compile.js';
import type { Model, ParamValue } from '../model/define.js';
import { loadModel } from '../model/load.js';
import type { CheckResult } from '../report/verdict.js';

export type Expectation = { verdict: 'safe' } | { verdict: 'violation'; property: string };

/** Checks a model (a path, or a model object and the file that defines it). */
export async function checkModel(
  model: string | { model: Model; file: string | URL },
  params: Readonly<Record<string, ParamValue>> = {},
  opts: CheckOptions = {},
): Promise<CheckResult> {
  const loaded =
    typeof model === 'string'
      ? await loadModel(model)
      : { model: model.model, path: model.file instanceof URL ? fileURLToPath(model.file) : model.file };
  return check(new CompiledModel(loaded.model, params), loaded.path, opts);
}

/** Throws an Error describing the result and its schedule when it does not meet `want`. */
export function assertVerdict(r: CheckResult, want: Expectation): void {
  const ok = want.verdict === 'safe' ? r.verdict === 'safe' : r.verdict === 'violation' && r.property === want.property;
  if (ok) return;
  const wantText = want.verdict === 'safe' ? 'safe' : `violation of ${want.property}`;
  const got = r.verdict === 'violation' ? `violation of ${r.property}` : r.verdict === 'error' ? `error ${r.code}: ${r.message}` : r.verdict;
  const schedule = r.trace?.schedule.map((s, i) => `  ${i + 1}. ${s.actor}[${s.instance}] ${s.label}${s.choice ? ` choice ${s.choice.join(',')}` : ''}`) ?? [];
  throw new Error([`model ${r.model} (${JSON.stringify(r.params)}): expected ${wantText}, got ${got} after ${r.states} states`, ...schedule].join('\n'));
}
