/**
 * --shard i/N and mmrace merge: the shards of a search, merged, give the verdict of the
 * whole search (random models, every partition depth); and the CLI: merging, a missing
 * shard, shards of different searches, bad arguments.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompiledModel } from '../../src/index.js';
import { mergeResults } from '../../src/cli/merge.js';
import { modelDesc } from '../props/random-model.js';
import { toModel } from '../props/to-model.js';
import { checkOnLevels, modelFile } from '../props/results.js';
import { checkIn } from '../unit/helpers.js';
import { root } from './scenario-files.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'mmrace-shard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;

describe('--shard: the merged shards give the whole search its verdict', () => {
  it('on random models, at any shard count and partition depth', async () => {
    await fc.assert(
      fc.asyncProperty(
        modelDesc(),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        async (d, count, depth) => {
          const n = serial++;
          const file = modelFile(dir, d);
          const whole = await checkIn(new CompiledModel(toModel(d), {}), file, {});
          const parts: string[] = [];
          for (let index = 0; index < count; index++) {
            const r = await checkOnLevels(new CompiledModel(toModel(d), {}), file, { workers: 1, inThreadBelow: Infinity, shard: { index, count, depth } });
            // A shard explores part of what the whole search reaches (when that search ran to the end).
            if (whole.verdict === 'safe') expect(r.states).toBeLessThanOrEqual(whole.states);
            const out = join(dir, `m${n}-${index}.json`);
            writeFileSync(out, JSON.stringify({ ...r, trace: undefined, steps: r.trace?.schedule.length }));
            parts.push(out);
          }
          const merged = mergeResults(parts);
          if (whole.verdict === 'error') expect(['error', 'violation']).toContain(merged.verdict);
          else expect(merged.verdict).toBe(whole.verdict);
          // With one shard, the shard is the whole search.
          if (count === 1) expect(merged.states).toBe(whole.states);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('mmrace merge on the command line', () => {
  const mm = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/mmrace.js'), ...args], { cwd: root, encoding: 'utf8' });
  const shard = (scenario: string, i: number, n: number, name: string) => {
    const r = mm(['check', scenario, '--shard', `${i}/${n}`, '--trace', join(dir, `${name}.trace.json`), '--json']);
    writeFileSync(join(dir, `${name}.json`), r.stdout);
    return join(dir, `${name}.json`);
  };

  it('merges the shards of a safe and of a violating scenario', () => {
    const safe = [0, 1, 2].map((i) => shard('scenarios/contpte/s.json', i, 3, `s${i}`));
    const r = mm(['merge', ...safe, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'safe', shards: 3, missing: [] });
    const bad = [0, 1].map((i) => shard('scenarios/contpte/b-kernel.json', i, 2, `k${i}`));
    const v = mm(['merge', ...bad]);
    expect(v.status).toBe(1);
    expect(v.stdout).toMatch(/VIOLATION of INV-KFAULT/);
    const replay = /replay: npx mmrace replay (\S+)/.exec(v.stdout)![1]!;
    expect(mm(['replay', replay.replace(/^'|'$/g, '')]).status).toBe(1);
  });

  it('a missing shard is incomplete; shards of different searches are an error', () => {
    const a = shard('scenarios/contpte/s.json', 0, 2, 'a0');
    const r = mm(['merge', a]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/shard 1 missing/);
    const b = shard('scenarios/contpte/efi-mm.json', 1, 2, 'b1');
    const x = mm(['merge', a, b]);
    expect(x.status).toBe(2);
    expect(x.stderr).toMatch(/^mmrace: error E_MERGE: /);
    const y = mm(['merge', a, a]);
    expect(y.status).toBe(2);
    expect(y.stderr).toMatch(/E_MERGE: .* are both shard 0\/2/);
  });

  it('bad arguments are usage errors', () => {
    expect(mm(['check', 'scenarios/contpte/s.json', '--shard', '2/2']).stderr).toMatch(/E_USAGE: .*--shard/);
    expect(mm(['check', 'scenarios/contpte/s.json', '--shard', '0/2', '--strategy', 'dfs']).stderr).toMatch(/E_USAGE: --shard splits a breadth-first search/);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, 'not json');
    expect(mm(['merge', junk]).stderr).toMatch(/^mmrace: error E_MERGE: .* is not the JSON output of mmrace check/);
  });
});
