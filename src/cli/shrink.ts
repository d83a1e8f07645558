/**
 * `mmrace shrink <trace.json>`: shrinks a trace to the fewest preemptions, then the
 * fewest steps, that still end in the same violation (src/trace/shrink.ts), writes it
 * (default: `<name>.shrunk.trace.json` next to the input) and replays it. Exit codes as
 * `replay` on the shrunk trace: 1 when it reproduces the violation; 2 for bad input,
 * including a trace that does not reproduce its violation to begin with.
 */
import { basename, dirname, join } from 'node:path';
import { formatSteps } from '../report/text.js';
import { replay } from '../trace/replay.js';
import { shrink } from '../trace/shrink.js';
import { readTrace, writeTrace } from '../trace/trace.js';
import { oneLine, out, shq } from './output.js';
import { loadTraceAndModel, replayExitCode } from './replay.js';

export interface ShrinkFlags {
  out?: string;
  model?: string;
  maxRuns?: number;
  json?: boolean;
}

/** Where the shrunk trace of `file` goes by default: `dir/name.trace.json` → `dir/name.shrunk.trace.json`. */
export function defaultShrunkFile(file: string): string {
  const name = basename(file).replace(/(\.trace)?\.json$/i, '');
  return join(dirname(file), `${name}.shrunk.trace.json`);
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export async function runShrink(file: string, flags: ShrinkFlags): Promise<number> {
  const { trace, m } = await loadTraceAndModel(file, flags);
  const s = shrink(trace, m, { ...(flags.maxRuns !== undefined ? { maxRuns: flags.maxRuns } : {}), name: shq(file) });
  const outFile = flags.out ?? defaultShrunkFile(file);
  writeTrace(s.trace, outFile);
  // Replay what was written, as `mmrace replay` will.
  const rep = replay(readTrace(outFile), m);
  const replayCmd = `npx mmrace replay ${shq(outFile)}`;
  const what = trace.verdict === 'error' ? `model error ${trace.error!.code}` : `violation of ${trace.violation!.property}`;
  if (flags.json) {
    out(
      JSON.stringify({
        verdict: rep.kind ? (rep.kind === 'error' ? 'error' : 'violation') : 'no-violation',
        kind: rep.kind,
        property: rep.property,
        message: rep.message,
        reproduced: rep.reproduced,
        before: s.before,
        after: s.after,
        runs: s.runs,
        limitHit: s.limitHit,
        shrunk: s.shrunk,
        trace: file,
        traceFile: outFile,
        replay: replayCmd,
      }),
    );
    return replayExitCode(rep);
  }
  out(oneLine(`shrink of ${file}: ${what}`));
  out(
    `  steps ${s.before.steps} → ${s.after.steps} · preemptions ${s.before.preemptions} → ${s.after.preemptions} · ` +
      `${plural(s.runs, 're-execution')}` +
      (s.limitHit ? ` (stopped at the limit of ${plural(s.runs, 're-execution')}: the best found so far; --max-runs sets it)` : ', to a fixed point'),
  );
  if (!s.shrunk) {
    out('  kept as it is: the shrinker could not re-execute it to its violation (a model error or a choice on the way the explorer would not reach)');
  }
  out(`  the shrunk trace, ${plural(s.after.steps, 'step')}${rep.kind === 'error' && s.after.steps > rep.steps.length ? ' (the last one fails, below)' : ''}:`);
  for (const line of formatSteps(rep, '  ')) out(line);
  out(
    oneLine(
      rep.reproduced
        ? `REPRODUCED: ${rep.kind === 'error' ? 'model error ' : 'violation of '}${rep.property}: ${rep.message}`
        : `NOT REPRODUCED: the shrunk trace ends in ${rep.kind ?? 'no violation'} ${rep.property ?? ''}`.trimEnd(),
    ),
  );
  out('');
  out(oneLine(`shrunk trace written to ${outFile}`));
  out(oneLine(`replay: ${replayCmd}`));
  return replayExitCode(rep);
}
