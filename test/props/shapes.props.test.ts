/**
 * The state layouts the plain random models never reach, against the naive reference
 * explorer: models whose variables sit in records (nested one level), in arrays of
 * scalars and of records (indexed by a constant or by the actor's local), whose values
 * are enums, bools, locks, wide ints (17 to 32 bits) and ints with a negative minimum, so
 * that states take several 32-bit words. The reference keeps plain numbers in a list;
 * only the mmrace model (to-model.ts) maps them onto the layout.
 *
 * Runs: FC_NUM_RUNS (default 200) random models. The long run (at least 10,000 models):
 *   FC_NUM_RUNS=10000 npx vitest run test/props/shapes.props.test.ts
 * To replay a failure:
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/props/shapes.props.test.ts
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel } from '../../src/index.js';
import type { CheckResult, Plan } from '../../src/index.js';
import { checkIn } from '../unit/helpers.js';
import { about, fcParams, reference } from './common.js';
import { modelDesc, type ModelDesc, type Op, type Place } from './random-model.js';
import { toModel } from './to-model.js';

const params = fcParams(200);
const HERE = fileURLToPath(import.meta.url);

/** Always a layout; locks taken by actor or by instance (these models are never symmetric). */
const shaped = modelDesc({ shapes: 1, instanceLocks: true });
/** The same, mostly safe: no faults or invariants, fewer guards. */
const shapedSafeish = modelDesc({ shapes: 1, instanceLocks: true, faults: false, invariants: false, guardOdds: 4 });

/** In this thread, no reduction, the search's own counterexamples, every violated property. */
const run = (m: CompiledModel, opts: Plan = {}): Promise<CheckResult> => checkIn(m, HERE, { shrink: false, allViolations: true, ...opts });

/** What a model exercises, counted over a run, so that a generator drifting away from a shape is noticed. */
function features(d: ModelDesc, words: number): string[] {
  const out = new Set<string>();
  if (words >= 2) out.add('several words');
  for (const v of d.vars) {
    if (v.kind === 'enum') out.add('enum');
    if (v.kind === 'lock') out.add('lock');
    if (v.repr && v.repr.lo < 0) out.add('negative int');
    if (v.repr && v.repr.hi - v.repr.lo >= 2 ** 16) out.add('wide int');
  }
  const place = (p: Place, depth: number): void => {
    if (p.kind === 'record') {
      out.add(depth > 0 ? 'nested record' : 'record');
      p.fields.forEach((f) => place(f.place, depth + 1));
    } else if (p.kind === 'array') {
      out.add(p.elems[0]!.kind === 'record' ? 'array of records' : 'array of scalars');
      p.elems.forEach((e) => place(e, depth + 1));
    }
  };
  d.layout?.forEach((e) => place(e.place, 0));
  const ops = d.actors.flatMap((a) => a.steps.flatMap((s) => s.ops));
  const refs = (o: Op) => ('dst' in o ? [o.dst] : []).concat('src' in o ? [o.src] : [], 'lock' in o ? [o.lock] : []);
  if (ops.some((o) => refs(o).some((r) => r.scope === 'shared' && r.dyn))) out.add('index from t');
  if (ops.some((o) => o.op === 'acquire' && o.by === 'instance')) out.add('lock by instance');
  if (ops.some((o) => o.op === 'acquire' && o.by === 'actor')) out.add('lock by actor');
  return [...out];
}

describe('state layouts against the reference explorer', () => {
  it('models with records, arrays, enums, locks and multi-word states: BFS/DFS states, transitions, depth and violated properties equal the reference', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(shaped, shapedSafeish), async (d) => {
        const ref = reference(d);
        await about(d, async () => {
          const m = new CompiledModel(toModel(d), {});
          for (const f of features(d, m.size)) seen.set(f, (seen.get(f) ?? 0) + 1);
          // Every violated property is reported, an invariant that fails only where an
          // earlier one fails too among them.
          const expected = Object.fromEntries(ref.violations);
          const verdict = ref.shortest === null ? 'safe' : 'violation';
          const bfs = await run(m, { strategy: 'bfs' });
          expect([bfs.verdict, bfs.states, bfs.transitions, bfs.depth], 'bfs: verdict, states, transitions, depth').toEqual([
            verdict,
            ref.states,
            ref.transitions,
            ref.maxDistance,
          ]);
          // BFS meets each property first at its shortest distance.
          const lengths = (r: CheckResult) => Object.fromEntries((r.violations ?? []).map((v) => [v.property, v.trace.schedule.length]));
          expect(lengths(bfs), 'bfs: violated properties and counterexample lengths').toEqual(expected);
          const dfs = await run(new CompiledModel(toModel(d), {}), { strategy: 'dfs' });
          expect([dfs.verdict, dfs.states, dfs.transitions], 'dfs: verdict, states, transitions').toEqual([verdict, ref.states, ref.transitions]);
          expect(dfs.depth).toBeGreaterThanOrEqual(ref.maxDistance);
          expect(dfs.depth).toBeLessThan(ref.states);
          const dfsLengths = lengths(dfs);
          expect(Object.keys(dfsLengths).sort(), 'dfs: violated properties').toEqual(Object.keys(expected).sort());
          for (const [p, n] of Object.entries(dfsLengths)) expect(n, `dfs counterexample of ${p}`).toBeGreaterThanOrEqual(expected[p]!);
        });
      }),
      params,
    );
    // Each shape shows up in a run of any size (the generator has not drifted away from it).
    if (params.numRuns >= 200) {
      const missing = ['several words', 'enum', 'lock', 'negative int', 'wide int', 'record', 'nested record', 'array of scalars', 'array of records', 'index from t', 'lock by instance', 'lock by actor'].filter(
        (f) => !seen.has(f),
      );
      expect(missing, `shapes seen: ${JSON.stringify(Object.fromEntries(seen))}`).toEqual([]);
    }
  });
});
