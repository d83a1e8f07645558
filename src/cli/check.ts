/** `mmrace check <scenario.json | model.ts>`: one exhaustive search, a verdict, a trace. */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';
import { relative, resolve, sep } from 'node:path';
import { MmraceError } from '../errors.js';
import { MODEL_EXTENSIONS } from '../model/load.js';
import { realExit } from '../model/exit.js';
import { parseParamArgs } from '../model/define.js';
import type { Saved } from '../engine/levels.js';
import { readCheckpointHeader, tempFileOf } from '../engine/checkpoint.js';
import { collisionLine, formatParams, formatSteps, headline, num, porLine, secs, statsLine, walkLine } from '../report/text.js';
import { exitCodeOf, type CheckResult } from '../report/verdict.js';
import type { Format } from '../report/formats.js';
import type { SarifCase } from '../report/sarif.js';
import { checkTarget, type Checked } from '../run/check.js';
import { FLAG_NAMES, autoWorkers, type Plan } from '../run/plan.js';
import type { StrategyName } from '../strategy/index.js';
import { replay } from '../trace/replay.js';
import { writeTrace } from '../trace/trace.js';
import { VERSION } from '../version.js';
import { err, oneLine, out, reportStepTimeout, shq } from './output.js';
import { checkInputFile, checkOutputFile } from '../files.js';
import { writeCiOutputs } from './ci-output.js';
import { createProgress, progressLine } from './progress.js';
import { reportOf } from './report-of.js';
import { attachmentOf, shown, tellReplay } from './replay.js';
import { CompiledModel } from '../model/compile.js';
import { loadTarget } from '../run/check.js';
import { reproduceOf, scheduleCommand, type Reproduce } from '../report/reproduce.js';
import { decodeSchedule, traceOfSchedule } from '../trace/schedule.js';

export interface CheckFlags {
  param?: string[];
  strategy?: StrategyName;
  maxStates?: number;
  maxDepth?: number;
  timeLimit?: number;
  trace?: string;
  json?: boolean;
  progress?: boolean;
  workers?: number | 'auto';
  memory?: number;
  allViolations?: boolean;
  seed?: number;
  runs?: number;
  pctDepth?: number;
  /** false with --no-por. */
  por?: boolean;
  /** false with --no-symmetry. */
  symmetry?: boolean;
  /** --sleep-sets (with --por, in breadth-first search). */
  sleepSets?: boolean;
  /** --checkpoint FILE, --checkpoint-every S, --resume FILE (interrupted runs). */
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  /** --step-timeout S: the watchdog's limit on one step. */
  stepTimeout?: number;
  /** --quiet: no live progress line. */
  quiet?: boolean;
  /** --format: text (default), json (as --json), or a report of the counterexample. */
  format?: Format;
  junit?: string;
  sarif?: string;
  /** --compare-por: on a safe result, search again without partial-order reduction. */
  comparePor?: boolean;
  shard?: { index: number; count: number };
  shardDepth?: number;
  /** --schedule S: replay this one-line schedule (trace/schedule.ts) instead of searching. */
  schedule?: string;
}

/** Where a trace goes when --trace is not given. */
export function defaultTraceFile(name: string, params: Readonly<Record<string, unknown>>): string {
  const h = createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 8);
  return `.mmrace/traces/${name}-${h}.trace.json`;
}

/** Joins `a=b` items into lines of at most `width` characters. */
function wrapPairs(items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const it of items) {
    if (cur && cur.length + 1 + it.length > width) {
      lines.push(cur);
      cur = it;
    } else cur = cur ? `${cur} ${it}` : it;
  }
  if (cur) lines.push(cur);
  return lines;
}

export async function runCheck(target: string, flags: CheckFlags): Promise<number> {
  const format: Format = flags.json ? 'json' : (flags.format ?? 'text');
  const workers = flags.workers === undefined || flags.workers === 'auto' ? autoWorkers() : flags.workers;
  const live = !flags.progress && format !== 'json' && process.stderr.isTTY ? createProgress({ stream: process.stderr, quiet: flags.quiet, workers }) : null;
  try {
    return await checkWith(target, flags, format, live, workers);
  } finally {
    live?.stop();
  }
}

/**
 * Where progress goes: with --progress, a line on stderr at most every 2 s of search (the
 * clock's default; for logs), with every field of the live line; on a terminal (not CI, not
 * --quiet, not --json), the live line, redrawn up to 10 times a second.
 */
function progressOptions(flags: CheckFlags, live: LiveProgress | null, workers: number): Pick<Plan, 'onProgress' | 'progressEvery'> {
  if (flags.progress) return { onProgress: (p) => err(progressLine(p, workers)) };
  if (live === null) return {};
  return { onProgress: (p) => live.update(p), progressEvery: 0.1 };
}

type LiveProgress = ReturnType<typeof createProgress>;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * SIGINT and SIGTERM while a breadth-first search runs on the parallel explorer (which
 * yields to them between levels): the first aborts `ctl`, so the search stops at its next
 * safe point and reports what it explored (with --checkpoint, it saves itself first); a
 * second one ends mmrace at once, with exit 128 + the signal's number, removing a
 * checkpoint half written. Returns what puts the default handlers back.
 */
function trapSignals(ctl: AbortController, checkpoint: string | undefined): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    if (ctl.signal.aborted) {
      if (checkpoint !== undefined) rmSync(tempFileOf(checkpoint), { force: true });
      err(`mmrace: ${sig} again: stopped at once${checkpoint !== undefined ? `; ${checkpoint} holds the last checkpoint finished, if any` : ''}`);
      realExit(128 + (constants.signals[sig] ?? 2));
    }
    ctl.abort(sig);
    err(`mmrace: ${sig}: stopping the search${checkpoint !== undefined ? ` and saving it to ${checkpoint}` : ''} (${sig} again stops at once)`);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
}

/** Whether a result is of a search stopped by a signal. */
function isInterrupted(r: CheckResult): boolean {
  return r.limit === 'interrupted';
}

/**
 * The headline; for a search that a signal stopped without a violation, which signal and
 * how deep it got (never a proof).
 */
function headlineOf(r: CheckResult, signal: string | null): string {
  if (signal === null || r.verdict !== 'incomplete') return oneLine(headline(r));
  return `INCOMPLETE: interrupted by ${signal} at depth ${r.depth}; no violation in the ${num(r.states)} states explored, which is not a proof`;
}

/**
 * The command that goes on with the search saved in `file`: the same target, parameters
 * and options that change the result, and --checkpoint to save it again.
 */
function resumeCommand(target: string, flags: CheckFlags, file: string): string {
  const args = ['npx', 'mmrace', 'check', target];
  for (const p of flags.param ?? []) args.push('--param', p);
  if (flags.por === false) args.push('--no-por');
  if (flags.symmetry === false) args.push('--no-symmetry');
  if (flags.sleepSets === true) args.push('--sleep-sets');
  if (flags.allViolations === true) args.push('--all-violations');
  if (flags.maxStates !== undefined) args.push('--max-states', String(flags.maxStates));
  if (flags.maxDepth !== undefined) args.push('--max-depth', String(flags.maxDepth));
  if (flags.shard !== undefined) args.push('--shard', `${flags.shard.index}/${flags.shard.count}`);
  if (flags.shardDepth !== undefined) args.push('--shard-depth', String(flags.shardDepth));
  args.push('--resume', file, '--checkpoint', file);
  return args.map(shq).join(' ');
}

/** The JSON fields of a violation's one-line schedule: the string and its command. */
function scheduleFields(again: Reproduce | null): { schedule?: string; scheduleCommand?: string } {
  return again !== null ? { schedule: again.schedule, scheduleCommand: again.command } : {};
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** What `check` takes, for the errors of a target that is not such a file. */
const TARGET = `check takes a scenario .json or a model file (${MODEL_EXTENSIONS.join(', ')})`;

/**
 * The target of `check` must be a regular file (files.ts words each refusal): a folder is
 * E_USAGE, pointing at `mmrace ci`; a path that is not there, a device or a FIFO is the
 * code of its loader (E_IO for a scenario, E_MODEL_LOAD for a model), saying what check takes.
 */
export function expectTargetFile(target: string): void {
  const scenario = target.endsWith('.json');
  const model = MODEL_EXTENSIONS.some((e) => target.endsWith(e));
  try {
    checkInputFile(target, {
      what: scenario ? 'scenario' : model ? 'model' : 'scenario or model',
      code: scenario ? 'E_IO' : 'E_MODEL_LOAD',
      codes: { folder: 'E_USAGE' },
      hint: `${TARGET}; mmrace list FOLDER shows the scenarios and models under a folder`,
      hints: { folder: `${TARGET}; mmrace ci ${shq(target)} checks every scenario under a folder` },
    });
  } catch (e) {
    if (e instanceof MmraceError) throw e;
    // the loaders tell what else went wrong
  }
}

/**
 * `check TARGET --schedule S`: no search; the schedule replayed on the target's model and
 * parameters (with --param on top), told as `mmrace replay` tells a trace, with its exit
 * codes. With --trace FILE, the trace the schedule stands for is written there too.
 */
async function checkSchedule(target: string, text: string, flags: CheckFlags, format: Format): Promise<number> {
  const schedule = decodeSchedule(text);
  expectTargetFile(target);
  if (flags.trace !== undefined) checkOutputFile(flags.trace, 'trace');
  const { scenario: sc, model, modelPath } = await loadTarget(target);
  const m = new CompiledModel(model, { ...sc?.params, ...parseParamArgs(flags.param ?? []) });
  const trace = traceOfSchedule(schedule, m, { modelPath, scenario: sc?.file });
  if (flags.trace !== undefined) writeTrace(trace, flags.trace);
  const code = tellReplay(trace, m, {
    name: `schedule ${text}`,
    trace: null,
    model: { path: shown(modelPath), namedBy: sc ? `scenario ${shown(sc.file)}` : 'the command line' },
    target: { file: target, params: sc?.params ?? {} },
    command: scheduleCommand(target, text, flags.param ?? []),
  }, format);
  if (flags.trace !== undefined && format === 'text') out(oneLine(`trace written to ${flags.trace}`));
  return code;
}

async function checkWith(target: string, flags: CheckFlags, format: Format, live: LiveProgress | null, workers: number): Promise<number> {
  if (flags.schedule !== undefined) return checkSchedule(target, flags.schedule, flags, format);
  expectTargetFile(target);
  // The files it will write, checked before the search: not a folder, a device, a FIFO, /proc.
  for (const [file, what] of [[flags.trace, 'trace'], [flags.junit, ''], [flags.sarif, ''], [flags.checkpoint, 'checkpoint']] as const) {
    if (file !== undefined) checkOutputFile(file, what, { renamed: what === 'checkpoint' });
  }
  if (flags.checkpointEvery !== undefined && flags.checkpoint === undefined) {
    throw new MmraceError('E_USAGE', '--checkpoint-every needs --checkpoint FILE', 'give the file to save the search to');
  }
  if (flags.shardDepth !== undefined && !flags.shard) throw new MmraceError('E_USAGE', '--shard-depth needs --shard i/N');
  // The search resumed: read (and checked) here too, to say where it goes on from.
  const resumed = flags.resume !== undefined ? readCheckpointHeader(flags.resume).search : null;
  // The last checkpoint written (the one where the search stopped short, if it did).
  const saves: { last: Saved | null } = { last: null };
  const onSaved = (s: Saved): void => {
    saves.last = s;
    if (flags.progress && s.reason === 'periodic') err(`  … checkpoint: ${s.file} (${num(s.states)} states, depth ${s.depth}, ${mebibytes(s.bytes)} in ${secs(s.seconds)} s)`);
  };
  // Where the trace of a step stuck in this thread goes: the process ends once it is told.
  const traceFileOf = (r: CheckResult): string => flags.trace ?? defaultTraceFile(r.scenario ?? r.model, r.params);
  const scenarioFile = target.endsWith('.json') ? target : null;
  const plan: Plan = {
    params: parseParamArgs(flags.param ?? []),
    strategy: flags.strategy,
    seed: flags.seed,
    runs: flags.runs,
    pctDepth: flags.pctDepth,
    maxStates: flags.maxStates,
    maxDepth: flags.maxDepth,
    timeLimit: flags.timeLimit,
    memory: flags.memory,
    allViolations: flags.allViolations,
    // Given only when asked for (--por, --no-por): the plan's rules refuse a reduction asked of a walk.
    por: flags.por,
    symmetry: flags.symmetry,
    sleep: flags.sleepSets === true,
    workers: flags.workers,
    stepTimeout: flags.stepTimeout,
    ...progressOptions(flags, live, workers),
    comparePor: flags.comparePor,
    ...(flags.shard ? { shard: { ...flags.shard, depth: flags.shardDepth } } : {}),
    ...(flags.checkpoint !== undefined ? { checkpoint: { file: flags.checkpoint, every: flags.checkpointEvery, onSaved } } : {}),
    ...(flags.resume !== undefined ? { resume: flags.resume } : {}),
    // A step stuck in this thread: the process ends once it is told; first the trace that
    // leads to the stuck step is written, and the error printed as any other.
    onStepTimeout: (r) => {
      live?.stop();
      const file = traceFileOf(r);
      if (r.trace) writeTrace(scenarioFile !== null ? { ...r.trace, scenario: resolve(scenarioFile) } : r.trace, file);
      reportStepTimeout(r, { json: format === 'json', ...(r.trace ? { traceFile: file } : {}) });
    },
  };
  const ctl = new AbortController();
  const saving = flags.checkpoint !== undefined || flags.resume !== undefined;
  const untrap = trapSignals(ctl, saving ? flags.checkpoint : undefined);
  let checked: Checked;
  try {
    checked = await checkTarget(target, { ...plan, signal: ctl.signal }, FLAG_NAMES);
  } finally {
    untrap();
  }
  live?.stop();
  const { result: r, model: m, modelPath, scenario: sc } = checked;
  const shownTarget = relative(process.cwd(), sc?.file ?? modelPath);
  // The signal that stopped the search (with --all-violations, it may have found violations first).
  const interrupted = isInterrupted(r) ? String(ctl.signal.reason) : null;
  const stopSave = saves.last !== null && saves.last.reason !== 'periodic' ? saves.last : null;
  const resumeCmd = stopSave !== null ? resumeCommand(shownTarget, flags, stopSave.file) : null;
  let traceFile: string | null = null;
  const save = (trace: NonNullable<CheckResult['trace']>, file: string) =>
    writeTrace(sc ? { ...trace, scenario: sc.file } : trace, file);
  if (r.trace) {
    traceFile = flags.trace ?? defaultTraceFile(sc?.name ?? m.id, m.params);
    save(r.trace, traceFile);
  }
  // --all-violations: the first trace goes to the trace file, each further one beside it.
  const more: { property: string; file: string }[] = [];
  if (traceFile && r.violations) {
    for (const v of r.violations.slice(1)) {
      const file = traceFile.replace(/(\.trace)?\.json$/, '') + `.${v.property.replace(/[^A-Za-z0-9_-]+/g, '_')}.trace.json`;
      save(v.trace, file);
      more.push({ property: v.property, file });
    }
  }
  const replayCmd = traceFile ? `npx mmrace replay ${shq(traceFile)}` : null;
  // The one-line schedule of each violation: the same run with no trace file.
  const again = (trace: NonNullable<CheckResult['trace']>): Reproduce | null => reproduceOf(trace, m, target, sc?.params);
  const first = r.trace && r.verdict === 'violation' ? again(r.trace) : null;
  // CI outputs, whatever the format: JUnit, SARIF, GitHub Actions annotations.
  const ciCase: SarifCase = {
    scenarioFile: shownTarget.split(sep).join('/'),
    modelFile: modelPath,
    name: sc?.name ?? m.id,
    result: r,
    ...(r.expected !== undefined ? { expected: r.expected, met: r.expectationMet === true } : {}),
    ...(traceFile ? { traceFile } : {}),
  };
  writeCiOutputs([ciCase], flags, r.seconds);
  if (format === 'json') {
    const { trace: _trace, violations, ...rest } = r;
    out(
      JSON.stringify({
        ...rest,
        ...(violations
          ? {
              violations: violations.map((v, i) => ({
                property: v.property,
                kind: v.kind,
                message: v.message,
                steps: v.trace.schedule.length,
                traceFile: i === 0 ? traceFile : more[i - 1]!.file,
                ...(i === 0 ? scheduleFields(first) : scheduleFields(again(v.trace))),
              })),
            }
          : {}),
        ...(traceFile ? { traceFile, replay: replayCmd, steps: r.trace!.schedule.length } : {}),
        ...scheduleFields(first),
        ...(interrupted !== null ? { signal: interrupted } : {}),
        ...(flags.resume !== undefined ? { resumedFrom: flags.resume } : {}),
        ...(stopSave !== null ? { checkpoint: { file: stopSave.file, bytes: stopSave.bytes, seconds: stopSave.seconds, reason: stopSave.reason }, resume: resumeCmd } : {}),
        version: VERSION,
      }),
    );
    return exitCodeOf(r.verdict);
  }
  if (format !== 'text') {
    const attach = r.trace && traceFile ? attachmentOf(sc ? { ...r.trace, scenario: sc.file } : r.trace, traceFile, first) : undefined;
    out(reportOf(r, m, traceFile, format, [headlineOf(r, interrupted), statsLine(r)], attach));
    return exitCodeOf(r.verdict);
  }
  out(oneLine(`mmrace ${VERSION} · model ${m.id} (${relative(process.cwd(), modelPath)}) · ${formatParams(m.params)}`));
  if (sc) out(oneLine(`scenario ${sc.name} (${relative(process.cwd(), sc.file)})`));
  if (resumed !== null) out(oneLine(`resumed from ${flags.resume!}: ${num(resumed.states)} states to depth ${resumed.level.depth}, ${secs(resumed.seconds)} s of search`));
  out('');
  if (r.shard) {
    out(
      r.shard.depth === null
        ? `shard ${r.shard.index}/${r.shard.count}: the search ended before the partition depth, so this shard explored everything`
        : `shard ${r.shard.index}/${r.shard.count}: the states up to depth ${r.shard.depth - 1}, then its part of depth ${r.shard.depth} and what it reaches`,
    );
  }
  out(headlineOf(r, interrupted));
  if (r.hint) out(`  ${oneLine(r.hint)}`);
  if (r.trace && r.verdict === 'violation') {
    const rep = replay(r.trace, m);
    const how =
      r.strategy === 'bfs'
        ? r.reductions.includes('por')
          ? 'a counterexample (BFS with partial-order reduction, then shrunk; --no-por gives a shortest one)'
          : 'a shortest counterexample'
        : r.preemptions !== undefined
          ? `a counterexample with ${r.preemptions} preemption${r.preemptions === 1 ? '' : 's'}, the fewest of any violation (not the shortest: use --strategy bfs)`
          : r.runs !== undefined
            ? `a counterexample found by run ${num(r.runs)} (seed ${r.seed}; not the shortest: use --strategy bfs)`
            : 'a counterexample (not the shortest: use --strategy bfs)';
    if (r.trace.init.choice?.length) {
      // init chose among several initial states: show the one this schedule starts from.
      out('  from the initial state (chosen by init):');
      for (const line of wrapPairs(rep.initial.slice(0, m.sharedSize).map((x) => oneLine(`${x.slot}=${x.value}`)), 88)) out(`    ${line}`);
    }
    out(`  ${how}, ${rep.steps.length} steps:`);
    const sh = r.shrunk;
    if (sh && (sh.before.steps !== sh.after.steps || sh.before.preemptions !== sh.after.preemptions)) {
      out(`  (shrunk from ${sh.before.steps} steps and ${sh.before.preemptions} preemptions to ${sh.after.steps} and ${sh.after.preemptions})`);
    }
    for (const line of formatSteps(rep, '  ')) out(line);
  } else if (r.trace && r.verdict === 'error' && r.trace.verdict === 'violation') {
    // A violation that did not reproduce (E_NONDETERMINISTIC): its counterexample is kept.
    out(`  the trace is the counterexample the search reported (${r.trace.schedule.length} steps); replay shows what it does now`);
  } else if (r.trace && r.verdict === 'error') {
    out(`  the model failed after ${r.trace.schedule.length} steps; the trace leads to the failing step`);
  }
  out('');
  out(statsLine(r));
  const porInfo = porLine(r);
  if (porInfo) out(porInfo);
  const walk = walkLine(r);
  if (walk) out(walk);
  out(collisionLine(r));
  if (r.expected !== undefined) out(oneLine(`expected ${r.expected}: ${r.expectationMet ? 'met' : 'NOT MET'}`));
  if (traceFile) {
    out(oneLine(`trace written to ${traceFile}`));
    out(oneLine(`replay: ${replayCmd}`));
  }
  if (first !== null) out(oneLine(`schedule: ${first.command}`));
  if (stopSave !== null) {
    out(oneLine(`checkpoint written to ${stopSave.file} (${mebibytes(stopSave.bytes)} in ${secs(stopSave.seconds)} s)`));
    out(oneLine(`resume: ${resumeCmd!}`));
  }
  if (r.violations && r.violations.length > 1) {
    out('');
    out(`${r.violations.length} properties violated (--all-violations), each with a shortest counterexample:`);
    r.violations.forEach((v, i) => {
      const file = i === 0 ? traceFile! : more[i - 1]!.file;
      out(`  ${oneLine(`${v.property} (${v.kind}, ${v.trace.schedule.length} steps): npx mmrace replay ${shq(file)}`)}`);
      const cmd = i === 0 ? first : again(v.trace);
      if (cmd !== null) out(`    ${oneLine(`schedule: ${cmd.command}`)}`);
    });
  }
  return exitCodeOf(r.verdict);
}
