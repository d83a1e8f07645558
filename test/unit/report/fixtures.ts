/**
 * Counterexamples of the seed violations, as the reports receive them (a Story), for the
 * report tests: one violating scenario per seed model, checked with BFS in this thread.
 * The trace file named in the replay command is `<scenario name>.trace.json`, a name that
 * does not depend on the machine.
 */
import { CompiledModel } from '../../../src/model/compile.js';
import { loadModel } from '../../../src/model/load.js';
import { loadScenario } from '../../../src/run/scenario.js';
import { buildStory, type Story } from '../../../src/report/story.js';
import type { Trace } from '../../../src/trace/trace.js';
import type { CheckResult } from '../../../src/report/verdict.js';
import { checkIn } from '../helpers.js';

/** One violating scenario per seed model (docs/seed-problems.md), with the property it violates. */
export const SEED_VIOLATIONS = [
  { scenario: 'scenarios/contpte/b-kernel.json', property: 'INV-KFAULT' },
  { scenario: 'scenarios/direct_map/b2.json', property: 'INV-COPY' },
  { scenario: 'scenarios/riscv_kexec/b.json', property: 'INV-SYNC' },
  { scenario: 'scenarios/trans_pgd/vf-hibernate.json', property: 'INV-STOP' },
  { scenario: 'scenarios/xen/v-pre-high.json', property: 'INV-X' },
] as const;

export interface SeedCase {
  readonly scenario: string;
  readonly name: string;
  readonly property: string;
  readonly trace: Trace;
  readonly story: Story;
}

/** Checks a seed scenario and tells its counterexample (throws if it has none). */
export async function seedCase(scenario: string): Promise<SeedCase> {
  const sc = loadScenario(scenario);
  const loaded = await loadModel(sc.modelPath);
  const m = new CompiledModel(loaded.model, sc.params ?? {});
  const r = await checkIn(m, loaded.path, { strategy: 'bfs' });
  if (r.trace === undefined || r.property === undefined) throw new Error(`${scenario}: no counterexample (verdict ${r.verdict})`);
  const trace: Trace = { ...r.trace, scenario: sc.name };
  const story = buildStory(trace, new CompiledModel(loaded.model, sc.params ?? {}), `${sc.name}.trace.json`);
  return { scenario, name: sc.name, property: r.property, trace, story };
}

/** Every seed violation's case, in SEED_VIOLATIONS order. */
export async function seedCases(): Promise<SeedCase[]> {
  const out: SeedCase[] = [];
  for (const s of SEED_VIOLATIONS) out.push(await seedCase(s.scenario));
  return out;
}

/** A result with the counts every verdict has, and `over` on top (for the CI formats' tests). */
export function checkResult(over: Partial<CheckResult>): CheckResult {
  return {
    verdict: 'safe',
    model: 'm',
    params: {},
    strategy: 'bfs',
    reductions: [],
    states: 10,
    transitions: 20,
    depth: 3,
    seconds: 0.5,
    statesPerSecond: 20,
    collisionProbability: 0,
    storeBytes: 0,
    ...over,
  };
}
