/** The mmrace command line. Exit codes: 0 safe, 1 violation, 2 error, 3 incomplete. */
import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { STRATEGIES } from '../strategy/index.js';
import { VERSION } from '../version.js';
import { FORMATS } from '../report/formats.js';
import { guardExit } from '../model/exit.js';
import type { CheckFlags } from './check.js';
import type { CiFlags } from './ci.js';
import type { ExplainFlags } from './explain.js';
import type { MergeFlags } from './merge.js';
import { err, formatError, reportError, usage, warn } from './output.js';
import type { ReplayFlags } from './replay.js';
import type { ShrinkFlags } from './shrink.js';

// Each command's module is imported when the command runs: `mmrace --version`, `--help`
// and a bad command line load commander and this file only.

function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`${name} takes a positive integer`);
    return Number(v);
  };
}

function nonNegativeInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`${name} takes a whole number`);
    return Number(v);
  };
}

function seed(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 0xffff_ffff) throw new InvalidArgumentError('--seed takes a whole number from 0 to 4294967295');
  return Number(v);
}

function secondsOf(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} takes a number of seconds > 0`);
    return n;
  };
}
const seconds = secondsOf('--time-limit');

function workers(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError('--workers takes a whole number (0: none), or auto');
  return Number(v);
}

/**
 * --workers N above the cores available: one warning, and as many workers as cores.
 * More threads than cores would only take turns on them, each with a heap of its own, and
 * the result is the same at any count. (The package's plan caps them the same way.)
 */
function capWorkers<F extends { workers?: number | 'auto' }>(flags: F): F {
  const cores = availableParallelism();
  if (typeof flags.workers !== 'number' || flags.workers <= cores) return flags;
  warn(`--workers ${flags.workers} is more than the ${cores} core${cores === 1 ? '' : 's'} available: using ${cores} (the result is the same at any count)`);
  return { ...flags, workers: cores };
}

/**
 * The options of `check` that have no effect beside another of its options, refused
 * (E_USAGE) rather than ignored. Those that depend on the strategy, which a scenario may
 * give, are the plan's rules (run/plan.ts).
 */
export function refuseCheckFlags(flags: CheckFlags): void {
  const json = flags.json === true || flags.format === 'json';
  if (flags.json === true && flags.format !== undefined && flags.format !== 'json') {
    throw usage(`--format ${flags.format} does not apply with --json, which prints the result as JSON`, 'give --json or --format, not both');
  }
  if (flags.quiet === true && flags.progress === true) {
    throw usage('--quiet does not apply with --progress, which prints progress lines instead of the live line', 'give --quiet or --progress, not both');
  }
  if (flags.quiet === true && json) {
    throw usage(`--quiet does not apply with ${flags.json === true ? '--json' : '--format json'}, which draws no live line`, 'leave --quiet out: it turns off the live progress line of text output on a terminal');
  }
  if (flags.schedule !== undefined) {
    for (const [key, name] of SEARCH_ONLY) {
      const v = flags[key];
      if (v === undefined) continue;
      const given = v === false ? name.replace(/^--/, '--no-') : name;
      throw usage(`${given} does not apply with --schedule, which replays one schedule instead of searching`, 'leave it out: with --schedule, check takes --param, --trace, --format and --json');
    }
  }
}

/** The options of `check` that shape or report a search, which --schedule does not make. */
const SEARCH_ONLY: readonly (readonly [keyof CheckFlags, string])[] = [
  ['strategy', '--strategy'],
  ['seed', '--seed'],
  ['runs', '--runs'],
  ['pctDepth', '--pct-depth'],
  ['maxStates', '--max-states'],
  ['maxDepth', '--max-depth'],
  ['timeLimit', '--time-limit'],
  ['workers', '--workers'],
  ['memory', '--memory'],
  ['allViolations', '--all-violations'],
  ['por', '--por'],
  ['sleepSets', '--sleep-sets'],
  ['comparePor', '--compare-por'],
  ['symmetry', '--symmetry'],
  ['shard', '--shard'],
  ['shardDepth', '--shard-depth'],
  ['checkpoint', '--checkpoint'],
  ['checkpointEvery', '--checkpoint-every'],
  ['resume', '--resume'],
  ['stepTimeout', '--step-timeout'],
  ['progress', '--progress'],
  ['quiet', '--quiet'],
  ['junit', '--junit'],
  ['sarif', '--sarif'],
];

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
/** --memory: bytes, or a number with K, M, G or T (powers of 1024), e.g. 512M, 4G. */
export function memorySize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(v.trim());
  const n = m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!) : NaN;
  if (!(n >= 2 ** 20) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('--memory takes a size of at least 1M, such as 512M or 4G');
  return n;
}

function shardArg(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && count <= 1_000_000 && index < count)) throw new InvalidArgumentError('--shard takes i/N with 0 <= i < N, such as 0/4');
  return { index, count };
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/**
 * Every option of `cmd` and of its commands that takes a value refuses a value that starts
 * with `--`: commander takes the next word as the value whatever it is, so
 * `mmrace ci --junit --sarif out.sarif` would write the JUnit XML to a file named `--sarif`.
 * Error E_USAGE, exit 2, like any bad command line.
 */
export function refuseOptionValues(cmd: Command): void {
  for (const o of cmd.options) {
    if (!o.required && !o.optional) continue;
    const parse = o.parseArg as ((v: string, prev: unknown) => unknown) | undefined;
    const name = o.long ?? o.short ?? o.flags;
    o.argParser((v: string, prev: unknown) => {
      if (v.startsWith('--')) {
        const file = /<(file|trace)>/.test(o.flags) ? `; for a file whose name starts with --, write ./${v}` : '';
        throw usage(`${name} takes a value (${o.flags}) and was given ${v === '--' ? '--' : `the option ${v}`}`, `give ${name} its value before the next option${file}`);
      }
      return parse ? parse(v, prev) : v;
    });
  }
  for (const c of cmd.commands) refuseOptionValues(c);
}

/**
 * The message and hint of a commander error, on one line: commander puts its suggestion
 * on a line of its own (`unknown command 'chek'\n(Did you mean check?)`); it becomes the
 * hint, `did you mean check? see mmrace --help`.
 */
export function commanderUsage(message: string): { message: string; hint: string } {
  const lines = message
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const suggestion = lines.map((l) => /^\(Did you mean (.*)\)$/i.exec(l)?.[1]).find((m) => m !== undefined);
  const rest = lines.filter((l) => !/^\(Did you mean /i.test(l)).join(' ');
  return { message: rest, hint: suggestion !== undefined ? `did you mean ${suggestion} see mmrace --help` : 'see mmrace --help' };
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('mmrace')
    .description('A race-condition model checker for Linux memory-management code')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: () => {}, outputError: () => {} });

  program
    .command('check')
    .description('explore every schedule of a scenario or model; exit 0 safe, 1 violation, 2 error, 3 incomplete')
    .argument('<target>', 'a scenario (.json) or a model file (.ts)')
    .option('-p, --param <name=value>', 'set a model parameter (repeatable; overrides the scenario)', collect)
    .addOption(new Option('-s, --strategy <name>', 'search strategy: bfs, dfs (exhaustive); random, pct, bounded (bug-hunting: a violation or incomplete, never safe)').choices(STRATEGIES))
    .option('--seed <n>', 'random, pct, bounded: the seed of their choices (default 1); the same seed gives the same result', seed)
    .option('--runs <n>', 'random, pct: runs to make (default 1000); bounded: at most n schedules', positiveInt('--runs'))
    .option('--pct-depth <d>', 'pct: the bug depth d, with d - 1 priority change points per run (default 3)', positiveInt('--pct-depth'))
    .option('--max-states <n>', 'stop after n distinct states (verdict incomplete)', positiveInt('--max-states'))
    .option('--max-depth <n>', 'do not go deeper than n steps (verdict incomplete if cut)', nonNegativeInt('--max-depth'))
    .option('--time-limit <s>', 'stop after s seconds (verdict incomplete)', seconds)
    .option('--trace <file>', 'where to write the counterexample (default .mmrace/traces/)')
    .option('-w, --workers <n|auto>', 'worker threads for BFS (default auto: one per core; 0: none; at most one per core); the same result at any count', workers)
    .option('--memory <size>', 'memory for the search, e.g. 512M or 4G (default: half the machine); at the limit the verdict is incomplete', memorySize)
    .option('--all-violations', 'go on after a violation: one counterexample for every violated property')
    .option('--por', 'partial-order reduction (the default): skip interleavings of steps of private actors that touch only their own pc and locals')
    .option('--no-por', 'turn partial-order reduction off')
    .option('--sleep-sets', 'with --por, in breadth-first search: also sleep sets, which skip steps whose interleavings an earlier path explored (fewer transitions, the same states; slower on most models)')
    .option('--compare-por', 'on a safe result, also search without partial-order reduction and print the ratio (statesWithoutPor)')
    .option('--symmetry', 'symmetry reduction over the instances of symmetric actors (the default)')
    .option('--no-symmetry', 'turn symmetry reduction off')
    .option('--shard <i/N>', 'explore part i of N of the state space (BFS); combine the --json results with mmrace merge', shardArg)
    .option('--shard-depth <d>', 'with --shard: partition the states of depth d (default: the first level with 16 states per shard)', positiveInt('--shard-depth'))
    .option('--checkpoint <file>', 'BFS: save the search to this file on SIGINT/SIGTERM and every --checkpoint-every seconds, to continue it with --resume')
    .option('--checkpoint-every <s>', 'with --checkpoint: seconds between saves (default 300)', secondsOf('--checkpoint-every'))
    .option('--resume <file>', 'continue the search saved in this checkpoint (the same model, parameters and options)')
    .option('--step-timeout <s>', 'a step that runs longer than this is stopped and the verdict is error E_STEP_TIMEOUT (default 60)', secondsOf('--step-timeout'))
    .option('--progress', 'report progress on stderr even without a terminal: a line at most every 2 s of search, with the fields of the live line')
    .option('-q, --quiet', 'no live progress line on a terminal')
    .addOption(new Option('--format <format>', 'how to print the result: text; json (as --json); lkml, md, html (the counterexample as a report)').choices(FORMATS))
    .option('--junit <file>', 'write JUnit XML with one testcase for this check')
    .option('--sarif <file>', 'write SARIF 2.1.0 for code-scanning tools')
    .option('--json', 'print one JSON object with the result on the last line of stdout')
    .option('--schedule <s>', 'no search: replay this one-line schedule (mm1.…, printed after a violation) on the target, as mmrace replay does a trace')
    .action(async (target: string, flags: CheckFlags) => {
      refuseCheckFlags(flags);
      const { runCheck } = await import('./check.js');
      setExit(await runCheck(target, capWorkers(flags)));
    });

  program
    .command('replay')
    .description('re-execute a trace step by step; exit 1 when the violation reproduces')
    .argument('<trace>', 'a trace file written by check')
    .option('--model <file>', 'use this model file instead of the one the trace names')
    .addOption(new Option('--format <format>', 'how to print the replay: text; json (as --json); lkml, md, html (a report)').choices(FORMATS))
    .option('--json', 'print one JSON object with the replay on stdout')
    .action(async (file: string, flags: ReplayFlags) => {
      const { runReplay } = await import('./replay.js');
      setExit(await runReplay(file, flags));
    });

  program
    .command('explain')
    .description('tell a trace: the race diagram of kernel mail (lkml), a Markdown report (md), an HTML timeline (html), the steps (text) or the trace itself (json)')
    .argument('<trace>', 'a trace file written by check')
    .addOption(new Option('-f, --format <format>', 'text, lkml, md, html or json').choices(FORMATS).default('text'))
    .option('-o, --out <file>', 'write the report to this file instead of stdout')
    .option('--model <file>', 'use this model file instead of the one the trace names')
    .action(async (file: string, flags: ExplainFlags) => {
      const { runExplain } = await import('./explain.js');
      setExit(await runExplain(file, flags));
    });

  program
    .command('shrink')
    .description('shrink a trace to the fewest preemptions, then the fewest steps, with the same violation; exit 1 when the shrunk trace reproduces it')
    .argument('<trace>', 'a trace file written by check')
    .option('--out <file>', 'where to write the shrunk trace (default: <name>.shrunk.trace.json next to the input)')
    .option('--model <file>', 'use this model file instead of the one the trace names')
    .option('--max-runs <n>', 're-execute at most n candidate schedules (default 20000), then keep the best found', positiveInt('--max-runs'))
    .option('--json', 'print one JSON object with the result on stdout')
    .action(async (file: string, flags: ShrinkFlags) => {
      const { runShrink } = await import('./shrink.js');
      setExit(await runShrink(file, flags));
    });

  program
    .command('ci')
    .description('check every scenario against its expected verdict; exit 1 on any mismatch')
    .argument('[dir]', 'folder of scenarios', 'scenarios')
    .option('--deep', 'also run the scenarios tagged deep')
    .option('-w, --workers <n|auto>', 'worker threads for BFS scenarios (default auto: one per core; 0: none)', workers)
    .option('--memory <size>', 'memory for each search, e.g. 512M or 4G (default: half the machine)', memorySize)
    .option('--por', 'partial-order reduction (the default)')
    .option('--no-por', 'turn partial-order reduction off')
    .option('--symmetry', 'symmetry reduction over the instances of symmetric actors (the default)')
    .option('--no-symmetry', 'turn symmetry reduction off')
    .option('--junit <file>', 'write JUnit XML, one testcase per scenario')
    .option('--sarif <file>', 'write SARIF 2.1.0 for code-scanning tools, one result per scenario that needs a look')
    .option('-q, --quiet', 'no live progress line on a terminal')
    .option('--json', 'print one JSON object with every result')
    .action(async (dir: string, flags: CiFlags) => {
      const { runCi } = await import('./ci.js');
      setExit(await runCi(dir, capWorkers(flags)));
    });

  program
    .command('merge')
    .description('combine the --json results of check --shard i/N runs into one verdict (exit codes as check)')
    .argument('<results...>', 'the shard results (files with the output of check --shard i/N --json)')
    .option('--json', 'print one JSON object')
    .action(async (files: string[], flags: MergeFlags) => {
      const { runMerge } = await import('./merge.js');
      setExit(runMerge(files, flags));
    });

  program
    .command('list')
    .description('list the scenarios and models under a folder')
    .argument('[dir]', 'folder to search', 'scenarios')
    .option('--json', 'print one JSON object')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const { runList } = await import('./list.js');
      setExit(runList(dir, flags));
    });

  refuseOptionValues(program);
  return program;
}

/**
 * Runs the command line `argv` and returns its exit code. mmrace owns the process's exit
 * while it runs: a model's process.exit throws E_MODEL_EXIT (model/exit.ts), an error of
 * the model like any other; the original comes back when the command is done.
 */
export async function main(argv: string[]): Promise<number> {
  const restore = guardExit();
  try {
    return await runMain(argv);
  } finally {
    restore();
  }
}

async function runMain(argv: string[]): Promise<number> {
  let code = 0;
  const json = argv.includes('--json');
  if (argv.every((a) => a === '--')) {
    reportError(usage('no command given', 'the commands are check, replay, explain, shrink, ci, merge, list: see mmrace --help'), json);
    return 2;
  }
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return 0;
      const { message, hint } = commanderUsage(e.message);
      reportError(usage(message, hint), json);
      return 2;
    }
    reportError(e, json);
    return 2;
  }
}

export { formatError, err };
