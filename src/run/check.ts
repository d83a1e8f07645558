/**
 * The one entry of a check, for every caller (`mmrace check`, `mmrace ci`,
 * `mmrace/testing`, and a program that embeds mmrace): load the model, merge the
 * scenario, apply the option rules once, pick the search, confirm each violation (its
 * trace re-executed on a fresh copy of the model), shrink the counterexample, build the
 * result. The same target and plan give the same result, whoever asks.
 */
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MmraceError } from '../errors.js';
import { verdictOf, type SearchOutcome } from '../engine/result.js';
import type { LevelOptions } from '../engine/levels.js';
import { search } from '../engine/search.js';
import { endProcess } from '../engine/watchdog.js';
import { CompiledModel } from '../model/compile.js';
import type { Model, ParamValue } from '../model/define.js';
import { bundleModel, loadModel } from '../model/load.js';
import { guardExit } from '../model/exit.js';
import { levelPool } from '../parallel/levels-pool.js';
import { formatError } from '../report/error.js';
import type { CheckResult } from '../report/verdict.js';
import { resolvePlan, type OptionNames, type Plan, type ResolvedPlan } from './plan.js';
import { buildConfirmedResult, buildResult, expectationText, meetsExpectation, shrinkCheckResult } from './result.js';
import { checkExpectedProperty, loadScenario, type Scenario } from './scenario.js';

/** A model given as an object: the model, the file that defines it (workers load it from there), its parameters. */
export interface ModelTarget {
  readonly model: Model;
  readonly file: string | URL;
  readonly params?: Readonly<Record<string, ParamValue>> | undefined;
}

/** What to check: a scenario file (.json) or a model file, a loaded scenario, or a model object. */
export type Target = string | Scenario | ModelTarget;

/** A check done: its result, and what it ran on (for the reports of its counterexample). */
export interface Checked {
  readonly result: CheckResult;
  /** The model compiled with the check's parameters. */
  readonly model: CompiledModel;
  readonly modelPath: string;
  readonly scenario: Scenario | null;
  readonly plan: ResolvedPlan;
}

/** Checks `target` under `plan`; see the file comment. */
export async function check(target: Target, plan: Plan = {}): Promise<CheckResult> {
  return (await checkTarget(target, plan)).result;
}

/**
 * `check`, with what the check ran on; `names` names the options in errors (the command
 * line's flags).
 */
export async function checkTarget(target: Target, plan: Plan = {}, names: OptionNames = {}): Promise<Checked> {
  // mmrace owns the exit while the model's code can run (loading it, the search, the
  // shrinking): its process.exit is E_MODEL_EXIT (model/exit.ts). An embedder's
  // process.exit is theirs again once the check is done.
  const restore = guardExit();
  try {
    return await checkGuarded(target, plan, names);
  } finally {
    restore();
  }
}

async function checkGuarded(target: Target, plan: Plan, names: OptionNames): Promise<Checked> {
  const { scenario, model, modelPath, modelUrl, params } = await loadTarget(target);
  const file = { path: modelPath, url: modelUrl };
  const p = resolvePlan(params === undefined ? plan : { ...plan, params: { ...params, ...plan.params } }, scenario, names);
  const m = new CompiledModel(model, p.params);
  // A property the model cannot violate would never be met: say so before searching.
  if (scenario !== null) checkExpectedProperty(scenario, m);
  const onStuck = (o: SearchOutcome): void => {
    // A fresh copy of the model for the trace: the stuck step left this one's store mid-step.
    const r = withScenario(buildResult(new CompiledModel(model, p.params), modelPath, o), scenario);
    (p.onStepTimeout ?? tellStepTimeout)(r);
    endProcess(2);
  };
  // Every violation is re-executed from the start on a fresh copy of the model before it
  // is reported: one that does not reproduce is the error E_NONDETERMINISTIC.
  const found = buildConfirmedResult(m, modelPath, await runSearch(m, file, p, onStuck), () => new CompiledModel(model, p.params));
  let result = found;
  // --compare-por: the reduction ratio, and a check that the reduction kept the verdict.
  if (p.comparePor && found.verdict === 'safe' && found.reductions.includes('por')) {
    // (Not saved, nor resumed: the checkpoint is the first search's.)
    const plain = await runSearch(m, file, { ...p, por: false, onProgress: undefined, checkpoint: undefined, resume: undefined }, onStuck);
    const without = verdictOf(plain);
    if (without !== 'safe') throw new MmraceError('E_INTERNAL', `partial-order reduction changed the verdict: safe with it, ${without} without`);
    result = { ...result, statesWithoutPor: plain.states };
  }
  // A counterexample that need not be the shortest (any strategy but BFS, or BFS over the
  // reduced state graph) is shrunk: fewest preemptions, then steps. Only violations: an
  // error trace may lead to a step that hangs or kills its worker.
  const shortest = p.strategy === 'bfs' && !result.reductions.includes('por');
  if (p.shrink !== false && result.verdict === 'violation' && result.trace !== undefined && !shortest) {
    const s = shrinkCheckResult(result, m);
    const first = s.reports[0];
    result = { ...s.result, ...(first && !first.error ? { shrunk: { before: first.before, after: first.after } } : {}) };
  }
  return { result: withScenario(result, scenario), model: m, modelPath, scenario, plan: p };
}

/** The scenario's name and expectation, added to a result. */
function withScenario(r: CheckResult, sc: Scenario | null): CheckResult {
  if (sc === null) return r;
  return { ...r, scenario: sc.name, expected: expectationText(sc), expectationMet: meetsExpectation(sc, r) };
}

/** Runs the search the plan picks, with worker threads for a breadth-first search when the plan has them. */
async function runSearch(m: CompiledModel, file: { path: string; url: string | undefined }, p: ResolvedPlan, onStuck: (o: SearchOutcome) => void): Promise<SearchOutcome> {
  const opts: LevelOptions = {
    strategy: p.strategy,
    maxStates: p.maxStates,
    maxDepth: p.maxDepth,
    timeLimit: p.timeLimit,
    memory: p.memory,
    allViolations: p.allViolations,
    por: p.por,
    symmetry: p.symmetry,
    sleep: p.sleep,
    seed: p.seed,
    runs: p.runs,
    pctDepth: p.pctDepth,
    onProgress: p.onProgress,
    progressEvery: p.progressEvery,
    stepTimeout: p.stepTimeout,
    onStuck,
    shard: p.shard,
    signal: p.signal,
    checkpoint: p.checkpoint,
    resume: p.resume,
    ...p.tuning,
  };
  const threads = p.pool !== undefined || p.workers > 0;
  const pool = p.strategy === 'bfs' && threads ? levelPool(m, { path: file.path, url: file.url ?? (await bundleModel(file.path)) }, { workers: p.workers, auto: p.autoWorkers, pool: p.pool, inThreadBelow: p.tuning?.inThreadBelow, stepTimeout: p.stepTimeout }) : null;
  return search(m, file.path, opts, pool);
}

/** The default report of a step timeout, just before the process ends: one line on stderr. */
function tellStepTimeout(r: CheckResult): void {
  writeSync(2, `${formatError(new MmraceError((r.code ?? 'E_STEP_TIMEOUT') as MmraceError['code'], r.message ?? 'a step was stopped', r.hint))}\n`);
}

/** The scenario, model and model file of a target (also for `check --schedule`, which replays instead of searching). */
export async function loadTarget(target: Target): Promise<{ scenario: Scenario | null; model: Model; modelPath: string; modelUrl?: string; params?: Readonly<Record<string, ParamValue>> | undefined }> {
  if (typeof target === 'string') {
    if (target.endsWith('.json')) return loadTarget(loadScenario(target));
    const { model, path, url } = await loadModel(target);
    return { scenario: null, model, modelPath: path, modelUrl: url };
  }
  if ('expect' in target) {
    const { model, path, url } = await loadModel(target.modelPath);
    return { scenario: target, model, modelPath: path, modelUrl: url };
  }
  const file = target.file instanceof URL ? fileURLToPath(target.file) : target.file;
  return { scenario: null, model: target.model, modelPath: file, params: target.params };
}
