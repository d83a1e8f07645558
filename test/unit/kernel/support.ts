/**
 * What the tests of src/kernel share (not a test file itself): real state views over a
 * state buffer, built as the checker builds them, and a plain check of a small model.
 */
import { fileURLToPath } from 'node:url';
import { check, type CheckResult, type Model, type Plan } from '../../../src/index.js';
import { Store, layoutParts, makeView } from '../../../src/model/layout.js';
import type { Type, ViewOf } from '../../../src/model/schema.js';
import { fingerprintHex } from '../../../src/state/fingerprint.js';

export interface Views<V> {
  /** The view of the whole value, as a step sees it. */
  readonly view: V;
  readonly store: Store;
  /** A copy of the state buffer (the bytes the checker stores and hashes). */
  bytes(): Int32Array;
  /** The state's 64-bit fingerprint, as the checker computes it. */
  fingerprint(): string;
  /** The value as plain data (the views' toJSON). */
  plain(): unknown;
}

/** Views of a fresh, all-zero (default) value of the composite type `t`. */
export function viewsOf<const T extends Type>(t: T): Views<ViewOf<T>> {
  const { slots, at, words } = layoutParts([{ name: 's', type: t }]);
  const store = new Store(slots, words);
  store.bind(new Int32Array(words));
  const view = makeView(t, store, at[0]!.w, at[0]!.s, at[0]!.k, 's') as ViewOf<T>;
  return {
    view,
    store,
    bytes: () => store.b.slice(),
    fingerprint: () => fingerprintHex(store.b),
    plain: () => JSON.parse(JSON.stringify(view)) as unknown,
  };
}

const HERE = fileURLToPath(import.meta.url);

/**
 * Checks `model` in this thread, breadth-first, without reductions (state counts are then
 * those of the plain search) and without shrinking.
 */
export function checkModel(model: Model, params: Record<string, number | boolean | string> = {}, plan: Plan = {}): Promise<CheckResult> {
  return check({ model, file: HERE, params }, { workers: 0, por: false, symmetry: false, shrink: false, ...plan });
}

/** The schedule of a result's counterexample as `actor[i] label`. */
export function scheduleOf(r: CheckResult): string[] {
  return (r.trace?.schedule ?? []).map((s) => `${s.actor}[${s.instance}] ${s.label}`);
}
