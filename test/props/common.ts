/** What the property test files share: fast-check parameters, the reference, failure messages. */
import fc from 'fast-check';
import type { CheckResult } from '../../src/index.js';
import { describeModel, type ModelDesc } from './random-model.js';
import { explore, TooBig, type Reference } from './reference.js';

/**
 * fast-check parameters: `runs` random models (or the number in the environment variable
 * `runsVar`), and FC_SEED / FC_PATH to replay a reported failure.
 */
export function fcParams(runs: number, runsVar = 'FC_NUM_RUNS'): { numRuns: number; seed?: number; path?: string } {
  const seed = process.env['FC_SEED'];
  const path = process.env['FC_PATH'];
  return { numRuns: Number(process.env[runsVar] ?? runs), ...(seed !== undefined ? { seed: Number(seed) } : {}), ...(path ? { path } : {}) };
}

/** The reference's view of a model; discards (fc.pre) the rare model too big for it. */
export function reference(d: ModelDesc): Reference {
  try {
    return explore(d);
  } catch (e) {
    if (e instanceof TooBig) fc.pre(false);
    throw e;
  }
}

/** Runs a property body; on failure, prefixes the message with the model as text (and `what`). */
export function about(d: ModelDesc, body: () => Promise<void>, what?: string): Promise<void>;
export function about(d: ModelDesc, body: () => void, what?: string): void;
export function about(d: ModelDesc, body: () => void | Promise<void>, what?: string): void | Promise<void> {
  const label = (e: unknown): never => {
    if (e instanceof Error && e.constructor.name !== 'PreconditionFailure') {
      e.message = `model:\n${describeModel(d)}\n\n${what !== undefined ? `${what}\n` : ''}${e.message}`;
    }
    throw e;
  };
  try {
    const r = body();
    return r instanceof Promise ? r.catch(label) : r;
  } catch (e) {
    return label(e);
  }
}

/** The properties a result reports violated (all of them with allViolations), sorted. */
export function violatedProperties(r: CheckResult): string[] {
  return (r.violations ?? (r.property ? [{ property: r.property }] : [])).map((v) => v.property).sort();
}
