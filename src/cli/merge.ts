/**
 * `mmrace merge <shard.json>...`: combines the JSON results of `check --shard i/N` runs
 * into one verdict. Every shard explores the states up to the partition depth and its own
 * part of the states beyond it, so: any error → error; else any violation → violation
 * (the shortest counterexample, then the lowest shard); else any shard incomplete or
 * missing → incomplete; else safe. Shards of different models, parameters or splits are
 * an error (E_MERGE), never merged.
 */
import { z } from 'zod';
import { MmraceError, isMmraceError } from '../errors.js';
import { readInputText } from '../files.js';
import { num, secs } from '../report/text.js';
import { exitCodeOf, type Verdict } from '../report/verdict.js';
import { VERSION } from '../version.js';
import { oneLine, out } from './output.js';

export interface MergeFlags {
  json?: boolean;
}

const ShardResult = z.object({
  verdict: z.enum(['safe', 'violation', 'incomplete', 'error']),
  model: z.string(),
  params: z.record(z.string(), z.unknown()),
  states: z.number(),
  transitions: z.number(),
  depth: z.number(),
  seconds: z.number(),
  shard: z.object({ index: z.number().int().min(0), count: z.number().int().min(1), depth: z.number().int().nullable() }),
  property: z.string().optional(),
  message: z.string().optional(),
  code: z.string().optional(),
  limit: z.string().optional(),
  steps: z.number().optional(),
  traceFile: z.string().optional(),
  replay: z.string().optional(),
});
type ShardResult = z.infer<typeof ShardResult> & { readonly file: string };

function read(file: string): ShardResult {
  let text: string;
  try {
    text = readInputText(file, { what: 'shard result' });
  } catch (e) {
    if (isMmraceError(e)) throw e;
    throw new MmraceError('E_IO', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  // The output of `check --json`: the result is the last line that is a JSON object.
  const line = text.trimEnd().split('\n').reverse().find((l) => l.startsWith('{'));
  let data: unknown;
  try {
    data = JSON.parse(line ?? '');
  } catch {
    throw new MmraceError('E_MERGE', `${file} is not the JSON output of mmrace check`, 'run each shard with: mmrace check … --shard i/N --json > shard-i.json');
  }
  const parsed = ShardResult.safeParse(data);
  if (!parsed.success) {
    const why = parsed.error.issues[0];
    throw new MmraceError('E_MERGE', `${file} is not a shard result (${why ? `${why.path.join('.') || 'result'}: ${why.message}` : 'invalid'})`, 'run each shard with --shard i/N --json');
  }
  return { ...parsed.data, file };
}

export interface Merged {
  readonly verdict: Verdict;
  readonly model: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly count: number;
  readonly depth: number | null;
  readonly missing: readonly number[];
  readonly shards: readonly ShardResult[];
  /** The shard whose result decides the verdict (a violation, an error), if any. */
  readonly decisive: ShardResult | null;
  /** States and transitions summed over shards (the states up to the partition depth are counted by each). */
  readonly states: number;
  readonly transitions: number;
}

export function mergeResults(files: readonly string[]): Merged {
  if (files.length === 0) throw new MmraceError('E_USAGE', 'merge needs at least one shard result');
  const shards = files.map(read);
  const first = shards[0]!;
  const key = (r: ShardResult) => JSON.stringify([r.model, r.params, r.shard.count]);
  for (const r of shards) {
    if (key(r) !== key(first)) {
      throw new MmraceError('E_MERGE', `${r.file} is another search than ${first.file} (model, parameters or shard count differ)`);
    }
  }
  const depths = new Set(shards.map((r) => r.shard.depth).filter((d) => d !== null));
  if (depths.size > 1) throw new MmraceError('E_MERGE', `the shards were partitioned at different depths (${[...depths].join(', ')})`, 'give every shard the same --shard-depth');
  const count = first.shard.count;
  const seen = new Map<number, ShardResult>();
  for (const r of shards) {
    if (r.shard.index >= count) throw new MmraceError('E_MERGE', `${r.file} is shard ${r.shard.index} of ${count}, which does not exist`);
    const dup = seen.get(r.shard.index);
    if (dup) throw new MmraceError('E_MERGE', `${dup.file} and ${r.file} are both shard ${r.shard.index}/${count}`);
    seen.set(r.shard.index, r);
  }
  const byIndex = [...seen.values()].sort((a, b) => a.shard.index - b.shard.index);
  // A shard whose search ended before the partition depth explored the whole space alone.
  const whole = byIndex.find((r) => r.shard.depth === null && r.verdict !== 'incomplete');
  const missing = whole ? [] : Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  const errors = byIndex.filter((r) => r.verdict === 'error');
  const violations = byIndex.filter((r) => r.verdict === 'violation').sort((a, b) => (a.steps ?? Infinity) - (b.steps ?? Infinity) || a.shard.index - b.shard.index);
  let verdict: Verdict;
  let decisive: ShardResult | null = null;
  if (errors.length > 0) {
    verdict = 'error';
    decisive = errors[0]!;
  } else if (violations.length > 0) {
    verdict = 'violation';
    decisive = violations[0]!;
  } else if (whole) {
    verdict = whole.verdict;
  } else if (missing.length > 0 || byIndex.some((r) => r.verdict === 'incomplete')) {
    verdict = 'incomplete';
  } else {
    verdict = 'safe';
  }
  return {
    verdict,
    model: first.model,
    params: first.params,
    count,
    depth: [...depths][0] ?? null,
    missing,
    shards: byIndex,
    decisive,
    states: byIndex.reduce((a, r) => a + r.states, 0),
    transitions: byIndex.reduce((a, r) => a + r.transitions, 0),
  };
}

export function runMerge(files: string[], flags: MergeFlags): number {
  const m = mergeResults(files);
  const code = exitCodeOf(m.verdict);
  if (flags.json) {
    const d = m.decisive;
    out(
      JSON.stringify({
        verdict: m.verdict,
        model: m.model,
        params: m.params,
        shards: m.count,
        depth: m.depth,
        missing: m.missing,
        states: m.states,
        transitions: m.transitions,
        ...(d ? { shard: d.shard.index, property: d.property, code: d.code, message: d.message, traceFile: d.traceFile, replay: d.replay } : {}),
        results: m.shards.map((r) => ({ shard: r.shard.index, file: r.file, verdict: r.verdict, states: r.states, property: r.property, limit: r.limit })),
        version: VERSION,
      }),
    );
    return code;
  }
  out(oneLine(`mmrace ${VERSION} · merge of ${m.shards.length} of ${m.count} shards · model ${m.model}${m.depth !== null ? ` · partitioned at depth ${m.depth}` : ''}`));
  out('');
  for (const r of m.shards) {
    const what = r.verdict === 'violation' ? `violation of ${r.property}` : r.verdict === 'error' ? `error ${r.code}` : r.verdict === 'incomplete' ? `incomplete (${r.limit})` : 'safe';
    out(`  shard ${String(r.shard.index).padStart(String(m.count).length)}/${m.count}  ${oneLine(what).padEnd(32)} ${num(r.states).padStart(12)} states  ${secs(r.seconds)} s  ${oneLine(r.file)}`);
  }
  for (const i of m.missing) out(`  shard ${i}/${m.count}  MISSING`);
  out('');
  const d = m.decisive;
  if (m.verdict === 'safe') out(`SAFE: every shard explored its part without a violation (${num(m.states)} states over all shards; those up to the partition depth are counted by each)`);
  else if (m.verdict === 'violation') out(oneLine(`VIOLATION of ${d!.property}: ${d!.message ?? ''} (shard ${d!.shard.index}, ${d!.steps ?? '?'} steps)`));
  else if (m.verdict === 'error') out(oneLine(`ERROR ${d!.code}: ${d!.message ?? ''} (shard ${d!.shard.index})`));
  else out(`INCOMPLETE: ${m.missing.length > 0 ? `shard${m.missing.length > 1 ? 's' : ''} ${m.missing.join(', ')} missing` : 'a shard was stopped by a limit'}; not a proof`);
  if (d?.replay) out(oneLine(`replay: ${d.replay}`));
  return code;
}
