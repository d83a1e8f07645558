/**
 * Checkpoints of the parallel explorer (src/parallel/checkpoint.ts): a search stopped at
 * any depth, saved and resumed (once, or stopped again and resumed again, in this thread
 * or on the pool, cut short mid-level or at a level boundary) ends exactly as a search
 * never stopped: verdict, counts and counterexample, which the sequential engine computes
 * here independently. And a checkpoint that is damaged, of another version, or of another
 * search is refused with E_CHECKPOINT before anything of it is used.
 *
 * Interrupts are made deterministic by aborting the search's signal from its progress
 * callback, which the explorer calls at each level boundary. Runs of the random-model
 * property: FC_NUM_RUNS_CHECKPOINT (default 30; FC_SEED and FC_PATH replay one).
 */
import fc from 'fast-check';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledModel, MmraceError, check, loadModel, loadScenario, type CheckResult, type Plan, type Progress } from '../../../src/index.js';
import { keyMismatch, readCheckpoint, readCheckpointHeader, type CheckpointKey } from '../../../src/engine/checkpoint.js';
import { createPool, type Pool } from '../../../src/parallel/pool.js';
import { IntColumn } from '../../../src/state/queue.js';
import { fcParams } from '../../props/common.js';
import { modelDesc } from '../../props/random-model.js';
import { essence, modelFile } from '../../props/results.js';
import { toModel } from '../../props/to-model.js';
import { root } from '../../e2e/run.js';
import { checkIn } from '../helpers.js';
import { withHeader } from './checkpoint-files.js';

const dir = mkdtempSync(join(tmpdir(), 'mmrace-ck-'));
let pool: Pool;
beforeAll(() => {
  pool = createPool(2);
});
afterAll(async () => {
  await pool.destroy();
  rmSync(dir, { recursive: true, force: true });
});
let serial = 0;
const freshFile = (name = 'c'): string => join(dir, `${name}${serial++}.ck`);

/**
 * A signal aborted at the first level boundary at depth `depth` or deeper: a SIGINT that
 * lands there, every time (progress is reported at every level boundary, `progressEvery` 0).
 */
function interruptAt(depth: number): { signal: AbortSignal; onProgress: (p: Progress) => void; progressEvery: number } {
  const ctl = new AbortController();
  return { signal: ctl.signal, onProgress: (p) => void (p.depth >= depth && ctl.abort('SIGINT')), progressEvery: 0 };
}

/**
 * Levels of the level explorer in this thread, or on the pool of 2 workers in batches of
 * `batchSize` (so that an abort cuts levels short); `tableCapacity`: the explorer's first
 * fingerprint set size.
 */
function where(mode: 'thread' | 'pool', batchSize = 2, tableCapacity?: number): Plan {
  const table = tableCapacity === undefined ? {} : { tableCapacity };
  return mode === 'pool' ? { pool, tuning: { batchSize, inThreadBelow: 0, ...table } } : { workers: 0, tuning: { inThreadBelow: Infinity, ...table } };
}

/**
 * Breadth-first search of `m` (defined in `file`) on the level explorer, through the one
 * entry, as the parallel explorer ran it: no reduction unless `plan` asks for one, and the
 * counterexample as found (unshrunk), as the sequential reference `plain` gives it.
 */
function levels(m: CompiledModel, file: string, plan: Plan): Promise<CheckResult> {
  return check({ model: m.model, file, params: m.params }, { por: false, symmetry: false, shrink: false, ...plan });
}

/** The sequential engine's breadth-first search of `m`: the reference, unshrunk. */
function plain(m: CompiledModel, file: string, plan: Plan = {}): Promise<CheckResult> {
  return checkIn(m, file, { strategy: 'bfs', shrink: false, ...plan });
}

const interrupted = (r: CheckResult): boolean => (r.limit as string | undefined) === 'interrupted';

/** The scenario contpte/s.json (19,913 states over 26 levels), compiled afresh for each search. */
async function contpteS(): Promise<{ fresh: () => CompiledModel; path: string }> {
  const s = loadScenario(join(root, 'scenarios/contpte/s.json'));
  const { model, path } = await loadModel(s.modelPath);
  return { fresh: () => new CompiledModel(model, s.params), path };
}

describe('IntColumn views and adopt (how checkpoints save and load the parent links)', () => {
  it('views are the values in order; adopt takes them back, and the column grows on after them', () => {
    for (const n of [0, 5, 16, 17, 40, 100]) {
      const a = new IntColumn(16);
      for (let i = 0; i < n; i++) a.push(i * 3 - 7);
      const flat = Int32Array.from(a.views().flatMap((v) => [...v]));
      expect([...flat]).toEqual(Array.from({ length: n }, (_, i) => i * 3 - 7));
      const b = new IntColumn(16);
      b.adopt(flat);
      b.push(999);
      expect(b.length).toBe(n + 1);
      expect(Array.from({ length: n + 1 }, (_, i) => b.get(i))).toEqual([...Array.from({ length: n }, (_, i) => i * 3 - 7), 999]);
      // Pushes after a truncate land where they should, also inside an adopted chunk.
      b.truncate(Math.floor(n / 2));
      b.push(-1);
      expect(b.get(Math.floor(n / 2))).toBe(-1);
    }
  });

  it('adopt on a column that does not end at a chunk boundary appends value by value', () => {
    const c = new IntColumn(16);
    for (let i = 0; i < 3; i++) c.push(i);
    c.adopt(Int32Array.from({ length: 40 }, (_, i) => 100 + i));
    expect(c.length).toBe(43);
    expect([c.get(2), c.get(3), c.get(42)]).toEqual([2, 100, 139]);
  });
});

describe('a search stopped and resumed ends as one never stopped', () => {
  it('on random models: stopped at any depth, resumed, stopped again, resumed again, in this thread or on the pool', async () => {
    let resumed = 0;
    await fc.assert(
      fc.asyncProperty(
        modelDesc(),
        fc.record({
          first: fc.nat(4),
          further: fc.nat(3),
          all: fc.boolean(),
          maxDepth: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
          modes: fc.tuple(fc.constantFrom('thread', 'pool'), fc.constantFrom('thread', 'pool'), fc.constantFrom('thread', 'pool')),
          every: fc.constantFrom(undefined, 0),
          tableCapacity: fc.constantFrom(undefined, 7),
        }),
        async (d, o) => {
          const file = modelFile(dir, d);
          const fresh = () => new CompiledModel(toModel(d), {});
          const limits = { allViolations: o.all, maxDepth: o.maxDepth };
          const want = essence(await plain(fresh(), file, limits));
          const ck = freshFile();
          const checkpoint = { file: ck, every: o.every };
          // Stopped at a depth the search reaches before it ends, most of the time.
          const at = o.first % Math.max(1, want.depth - 1);
          let r = await levels(fresh(), file, { ...limits, ...where(o.modes[0], 2, o.tableCapacity), ...interruptAt(at), checkpoint });
          if (interrupted(r)) {
            resumed++;
            const again = interruptAt(readCheckpointHeader(ck).search.depth + 1 + o.further);
            r = await levels(fresh(), file, { ...limits, ...where(o.modes[1]), ...again, checkpoint, resume: ck });
          }
          if (interrupted(r)) r = await levels(fresh(), file, { ...limits, ...where(o.modes[2]), resume: ck });
          expect(essence(r)).toEqual(want);
        },
      ),
      fcParams(30, 'FC_NUM_RUNS_CHECKPOINT'),
    );
    // The property is about resumed searches: runs were stopped (about half of them are).
    expect(resumed).toBeGreaterThan(0);
  });

  it('a level cut short on the pool is undone, and the resumed search runs it again', async () => {
    const { fresh, path } = await contpteS();
    const want = essence(await plain(fresh(), path, { por: true, symmetry: true }));
    const ck = freshFile('cut');
    const opts = { por: true, symmetry: true };
    const r = await levels(fresh(), path, { ...opts, ...where('pool', 8), ...interruptAt(10), checkpoint: { file: ck } });
    expect([r.verdict, r.limit as string, r.depth]).toEqual(['incomplete', 'interrupted', 10]);
    const h = readCheckpointHeader(ck);
    // Saved before the level of depth 10, whose claims (round 11 & 1) are dropped on loading.
    expect([h.reason, h.search.level.depth, h.search.dropRound, h.search.states]).toEqual(['interrupted', 10, 1, r.states]);
    expect(essence(await levels(fresh(), path, { ...opts, ...where('thread'), resume: ck }))).toEqual(want);
    expect(essence(await levels(fresh(), path, { ...opts, ...where('pool', 64), resume: ck }))).toEqual(want);
  });

  it('with sleep sets, a state limit, a depth limit, or as a shard: resumed, the same end', async () => {
    const { fresh, path } = await contpteS();
    const variants: Plan[] = [
      { por: true, sleep: true },
      { por: true, maxStates: 5000 },
      { por: true, maxDepth: 12 },
      { por: true, shard: { index: 1, count: 3 } },
    ];
    for (const v of variants) {
      // A shard has no sequential counterpart: the search never stopped is the explorer's own.
      const want = essence(v.shard ? await levels(fresh(), path, { ...v, ...where('thread') }) : await plain(fresh(), path, v));
      const ck = freshFile('variant');
      const r = await levels(fresh(), path, { ...v, ...where('pool', 8), ...interruptAt(6), checkpoint: { file: ck } });
      expect([r.verdict, r.limit as string], JSON.stringify(v)).toEqual(['incomplete', 'interrupted']);
      expect(essence(await levels(fresh(), path, { ...v, ...where('thread'), resume: ck })), JSON.stringify(v)).toEqual(want);
    }
  });

  it('a periodic checkpoint, as a killed run leaves it, resumes to the same end', async () => {
    const { fresh, path } = await contpteS();
    const want = essence(await plain(fresh(), path, { por: true }));
    const ck = freshFile('every');
    const kept = freshFile('kept');
    const depths: number[] = [];
    // Saved at every level boundary; the copy taken at depth 12 is what a SIGKILL would leave.
    const r = await levels(fresh(), path, {
      por: true,
      ...where('thread'),
      checkpoint: { file: ck, every: 0, onSaved: (s) => (depths.push(s.depth), s.depth === 12 && copyFileSync(s.file, kept)) },
    });
    expect(essence(r)).toEqual(want);
    expect(depths).toEqual(Array.from({ length: want.depth + 1 }, (_, i) => i));
    expect(readCheckpointHeader(kept).search.depth).toBe(12);
    expect(essence(await levels(fresh(), path, { por: true, ...where('pool', 64), resume: kept }))).toEqual(want);
  });

  it('the time limit with a checkpoint saves the search where it stopped', async () => {
    const { fresh, path } = await contpteS();
    const want = essence(await plain(fresh(), path));
    const ck = freshFile('time');
    const r = await levels(fresh(), path, { ...where('thread'), timeLimit: 0, checkpoint: { file: ck } });
    expect([r.verdict, r.limit]).toEqual(['incomplete', 'time-limit']);
    expect(readCheckpointHeader(ck).reason).toBe('time-limit');
    expect(essence(await levels(fresh(), path, { ...where('thread'), resume: ck }))).toEqual(want);
  });

  it('without a checkpoint, an interrupt still stops the search: incomplete, interrupted, short of the end', async () => {
    const { fresh, path } = await contpteS();
    const whole = await plain(fresh(), path);
    for (const mode of ['thread', 'pool'] as const) {
      const r = await levels(fresh(), path, { ...where(mode, 8), ...interruptAt(5) });
      expect([r.verdict, r.limit as string]).toEqual(['incomplete', 'interrupted']);
      expect(r.states).toBeLessThan(whole.states);
      expect(r.depth).toBeGreaterThanOrEqual(5);
    }
    // Stopped before anything was expanded: the initial states only.
    const initial = await plain(fresh(), path, { maxDepth: 0 });
    const before = await levels(fresh(), path, { ...where('thread'), signal: AbortSignal.abort('SIGTERM') });
    expect([before.verdict, before.limit as string, before.states, before.depth]).toEqual(['incomplete', 'interrupted', initial.states, 0]);
  });
});

/** A checkpoint of contpte/s.json interrupted at depth 3 (in this thread, the level under way ends: saved before depth 4), and its key. */
async function sample(): Promise<{ file: string; key: CheckpointKey }> {
  const { fresh, path } = await contpteS();
  const file = freshFile('sample');
  // The reductions on, as the CLI has them by default.
  await levels(fresh(), path, { por: true, symmetry: true, ...where('thread'), ...interruptAt(3), checkpoint: { file } });
  return { file, key: readCheckpointHeader(file).key };
}

/** The error `fn` throws, which must be an E_CHECKPOINT MmraceError. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MmraceError);
    expect((e as MmraceError).code).toBe('E_CHECKPOINT');
    expect((e as MmraceError).message).not.toMatch(/\n/);
    return (e as MmraceError).message;
  }
  throw new Error('the checkpoint was accepted');
}

describe('a checkpoint that cannot be resumed is refused (E_CHECKPOINT)', () => {
  it('reads back whole: the header, and sections of the sizes it lists', async () => {
    const { file, key } = await sample();
    const ck = readCheckpoint(file, key);
    expect(ck.header.search.level.depth).toBe(4);
    expect(ck.sections.parents.byteLength).toBe(4 * ck.header.search.states);
    expect(ck.sections.table.byteLength % 20).toBe(0);
  });

  it('truncated, longer, or damaged in its sections or its header', async () => {
    const { file, key } = await sample();
    const size = readFileSync(file).length;
    const cut = freshFile('cut');
    copyFileSync(file, cut);
    truncateSync(cut, size - 1000);
    expect(refusal(() => readCheckpoint(cut, key))).toMatch(/is truncated: \d+ bytes of the \d+/);
    const longer = freshFile('long');
    writeFileSync(longer, Buffer.concat([readFileSync(file), Buffer.from('x')]));
    expect(refusal(() => readCheckpoint(longer, key))).toMatch(/1 bytes more than its header announces/);
    const flipped = (at: number): string => {
      const b = readFileSync(file);
      b[at] = b[at]! ^ 0x10;
      const f = freshFile('flip');
      writeFileSync(f, b);
      return f;
    };
    expect(refusal(() => readCheckpoint(flipped(size - 5000), key))).toMatch(/is corrupted: its checksum does not match/);
    expect(refusal(() => readCheckpoint(flipped(60), key))).toMatch(/checksum of its header does not match/);
    expect(refusal(() => readCheckpoint(flipped(2), key))).toMatch(/is not an mmrace checkpoint/);
  });

  it('of another format version or mmrace version, with a malformed or inconsistent header', async () => {
    const { file, key } = await sample();
    const edited = (edit: (h: Record<string, any>) => void): string => {
      const f = freshFile('edit');
      withHeader(file, f, edit);
      return f;
    };
    // The rewriting itself keeps a checkpoint valid.
    expect(readCheckpoint(edited(() => {}), key).header.search.depth).toBe(4);
    expect(refusal(() => readCheckpoint(edited((h) => (h['version'] = 2)), key))).toMatch(/has format version 2; this mmrace \(.*\) reads version 1/);
    expect(refusal(() => readCheckpoint(edited((h) => (h['mmrace'] = '0.0.1')), key))).toMatch(/was written by mmrace 0\.0\.1/);
    expect(refusal(() => readCheckpoint(edited((h) => (h['search'].states = 'many')), key))).toMatch(/malformed header: search\.states/);
    expect(refusal(() => readCheckpoint(edited((h) => (h['search'].level.firstId += 1)), key))).toMatch(/inconsistent: the level to expand/);
    expect(refusal(() => readCheckpoint(edited((h) => (h['search'].dropRound = ((h['search'].level.depth as number) & 1))), key))).toMatch(/inconsistent: claims of round/);
  });

  it('of another search: each part of the key is told by name', async () => {
    const { file, key } = await sample();
    const cases: [Partial<CheckpointKey>, RegExp][] = [
      [{ model: 'other' }, /is of model contpte; this run checks model other/],
      [{ sourceHash: 'sha256:0' }, /another source of model contpte/],
      [{ stateSize: key.stateSize + 1 }, /another state layout/],
      [{ params: { ...key.params, n: 5 } }, /^was saved with other parameters: n=4 in the checkpoint, n=5 in this run$/],
      [{ por: !key.por }, /^was saved with other options: partial-order reduction \(--por, --no-por\) on in the checkpoint, off in this run$/],
      [{ symmetry: !key.symmetry }, new RegExp(`other options: symmetry reduction \\(--symmetry, --no-symmetry\\) ${key.symmetry ? 'on' : 'off'} in the checkpoint, ${key.symmetry ? 'off' : 'on'} in this run$`)],
      [{ sleep: !key.sleep }, /other options: sleep sets \(--sleep-sets\) off in the checkpoint, on in this run$/],
      [{ allViolations: true }, /other options: --all-violations off in the checkpoint, on in this run$/],
      [{ maxStates: 100 }, /other options: --max-states none in the checkpoint, 100 in this run$/],
      [{ maxDepth: 7 }, /other options: --max-depth none in the checkpoint, 7 in this run$/],
      [{ shard: { index: 0, count: 2, depth: null } }, /other options: --shard none in the checkpoint, 0\/2 in this run$/],
    ];
    for (const [change, message] of cases) {
      expect(keyMismatch(key, { ...key, ...change })).toMatch(message);
      expect(refusal(() => readCheckpoint(file, { ...key, ...change }))).toMatch(/cannot be resumed by this run/);
    }
    // The same parameters in another order are the same search.
    expect(keyMismatch(key, { ...key, params: Object.fromEntries(Object.entries(key.params).reverse()) })).toBeNull();
  });

  it('of other parameters that shape the state: each parameter named with both values, not blamed on the files', async () => {
    const { key } = await sample();
    // n sets the number of ptes: the layout differs too, because of the parameter.
    const now = { ...key, params: { ...key.params, n: 2, extra: true }, stateSize: key.stateSize - 7 };
    const why = keyMismatch(key, now)!;
    expect(why).toBe('was saved with other parameters: extra (not set) in the checkpoint, extra=true in this run; n=4 in the checkpoint, n=2 in this run');
    expect(why).not.toMatch(/imports|layout/);
    // With the same parameters, another layout is a change of a file the model imports.
    expect(keyMismatch(key, { ...key, stateSize: key.stateSize + 1 })).toMatch(/with the same parameters: a file it imports changed since$/);
  });

  it('of other options: every option that differs is named, with both values', async () => {
    const { key } = await sample();
    expect(keyMismatch(key, { ...key, por: !key.por, maxDepth: 5, shard: { index: 1, count: 4, depth: 3 } })).toBe(
      'was saved with other options: partial-order reduction (--por, --no-por) on in the checkpoint, off in this run; ' +
        '--max-depth none in the checkpoint, 5 in this run; --shard none in the checkpoint, 1/4 at depth 3 in this run',
    );
  });

  it('a missing file, and the explorer refusing another search before it explores anything', async () => {
    expect(refusal(() => readCheckpointHeader(join(dir, 'none.ck')))).toMatch(/cannot be read/);
    const { file } = await sample();
    const { fresh, path } = await contpteS();
    await expect(levels(fresh(), path, { ...where('thread'), por: false, resume: file })).rejects.toMatchObject({ code: 'E_CHECKPOINT' });
  });
});
