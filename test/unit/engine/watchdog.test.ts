/**
 * The step watchdog's parts (engine/watchdog.ts): what a heartbeat word names, the words
 * the expander writes, the watch over worker hearts (on fake time), and the options. The
 * watchdog that stops a stuck step is tested end to end, in test/e2e/faulty.test.ts.
 */
import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bool, defineModel, int } from '../../../src/index.js';
import { Expander } from '../../../src/engine/transitions.js';
import {
  BEAT,
  DONE,
  HEART_STRIDE,
  IDLE,
  ORDINAL,
  STARTED,
  inModelCode,
  invariantsWord,
  memoryGrowthLimit,
  stuckError,
  stuckStep,
  watchSlots,
  watchThisThread,
} from '../../../src/engine/watchdog.js';
import { checkIn, compileModel, mmRejection } from '../helpers.js';

/**
 * The expander whose heart the model's code reads while it runs (`spy`), and the beat and
 * ordinal words it read last: what a watcher sees while that code runs.
 */
let watched: Expander | null = null;
let seenWord = 0;
let seenOrdinal = 0;
const spy = (): void => {
  if (watched === null) return;
  seenWord = watched.heart[BEAT]!;
  seenOrdinal = watched.heart[ORDINAL]!;
};
/** An expander of `m` whose heart the model's code reads. */
const spied = (m: ReturnType<typeof compileModel>): Expander => (watched = new Expander(m));

/** p[0] and p[1] wait for `go`, then work; q[0] sets `go`; t[0] has three steps. */
const model = defineModel({
  id: 'hearts',
  state: { go: bool(), n: int(0, 3) },
  actors: {
    p: {
      instances: 2,
      steps: {
        wait: { await: (c) => (spy(), c.s.go), do: () => spy() },
        work: (c) => {
          c.s.n = c.choose(2);
          spy();
        },
      },
    },
    q: {
      steps: {
        start: (c) => {
          c.s.go = true;
          spy();
        },
      },
    },
    t: { steps: { a: () => spy(), b: () => spy(), c: () => spy() } },
  },
});

/** The name stuckStep must give the body of instance k's step at `label`. */
const stepName = (m: ReturnType<typeof compileModel>, k: number, label: string) => `step ${m.instances[k]!.actor}[${m.instances[k]!.index}] ${label}`;

describe('heartbeat words', () => {
  it('each successor was made by the step the heart named while it ran; once it returned, the heart says IDLE', () => {
    const m = compileModel(model);
    const ex = spied(m);
    const src = m.initialAt(0)!.state;
    const seen: [string, string][] = [];
    ex.expand(src, {
      successor(k) {
        seen.push([stuckStep(m, seenWord).what, stepName(m, k, m.instances[k]!.labelIn(src))]);
        expect(ex.heart[BEAT]).toBe(IDLE);
        expect(inModelCode(ex.heart[BEAT]!)).toBe(false);
        expect(inModelCode(seenWord)).toBe(true);
        return true;
      },
    });
    // q[0] start and t[0] a move; p's guards are false.
    expect(seen.map(([, want]) => want)).toEqual(['step q[0] start', 'step t[0] a']);
    for (const [got, want] of seen) expect(got).toBe(want);
  });

  it('a guard is named as the await of its step, with its instance', () => {
    const m = compileModel(model);
    const ex = spied(m);
    const src = m.initialAt(0)!.state;
    expect(ex.enabled(src, 1)).toBe(false);
    const s = stuckStep(m, seenWord);
    expect(s).toEqual({ what: 'the await of p[1] wait', k: 1, pc: 0, guard: true });
    expect(seenOrdinal).toBe(-1);
    expect(ex.heart[BEAT]).toBe(IDLE);
  });

  it('every step of every instance has its own code', () => {
    const m = compileModel(model);
    const ex = spied(m);
    const names = new Set<string>();
    // Walk every schedule up to depth 4, naming each step as it runs.
    const go = (src: Int32Array, depth: number): void => {
      if (depth === 0) return;
      const next: Int32Array[] = [];
      ex.expand(src, {
        successor(k) {
          const want = stepName(m, k, m.instances[k]!.labelIn(src));
          expect(stuckStep(m, seenWord).what).toBe(want);
          names.add(want);
          next.push(ex.work.slice());
          return true;
        },
      });
      for (const s of next) go(s, depth - 1);
    };
    go(m.initialAt(0)!.state, 4);
    const every = ['p[0] wait', 'p[0] work', 'p[1] wait', 'p[1] work', 'q[0] start', 't[0] a', 't[0] b', 't[0] c'];
    expect([...names].sort()).toEqual(every.map((s) => `step ${s}`).sort());
  });

  it('the same step run again writes another word: a watcher sees progress', () => {
    const m = compileModel(model);
    const ex = spied(m);
    const src = m.initialAt(0)!.state;
    const words: number[] = [];
    for (let i = 0; i < 3; i++) {
      ex.runOrdinal(src, 2, 0);
      words.push(seenWord);
    }
    expect(new Set(words).size).toBe(3);
    for (const w of words) expect(stuckStep(m, w).what).toBe('step q[0] start');
  });

  it('the invariants, and a search before its first step, have names of their own', () => {
    const m = compileModel(model);
    const ex = new Expander(m);
    ex.beatInvariants();
    expect(stuckStep(m, ex.heart[BEAT]!)).toMatchObject({ what: 'an invariant', k: -1 });
    expect(stuckStep(m, 0).what).toBe("the model's init");
    expect(stuckStep(m, STARTED).what).toBe("the model's init");
    expect(invariantsWord(7)).not.toBe(invariantsWord(8));
  });

  it('E_STEP_TIMEOUT names the step and the timeout, and says what to look for', () => {
    const m = compileModel(model);
    spied(m).runOrdinal(m.initialAt(0)!.state, 3, 0);
    const e = stuckError(m, seenWord, { kind: 'time', seconds: 1.5 });
    expect(e.code).toBe('E_STEP_TIMEOUT');
    expect(e.message).toBe('step t[0] a ran for more than 1.5 s and was stopped');
    expect(e.hint).toMatch(/loop/);
    expect(e.hint).toMatch(/--step-timeout/);
  });

  it('the ordinal word names the run of a body with choices', () => {
    const m = compileModel(model);
    const ex = spied(m);
    // After q[0] start, p[0] wait, p[0] work chooses 0 or 1: two runs of its body.
    const go = ex.runOrdinal(m.initialAt(0)!.state, 2, 0) !== null ? ex.work.slice() : null;
    const waited = ex.runOrdinal(go!, 0, 0) !== null ? ex.work.slice() : null;
    for (const ordinal of [0, 1]) {
      expect(ex.runOrdinal(waited!, 0, ordinal)).toEqual([ordinal]);
      expect(seenOrdinal).toBe(ordinal);
      expect(stuckStep(m, seenWord).what).toBe('step p[0] work');
    }
  });

  it('E_MODEL_MEMORY names the step and what it used (in this thread) or the heap it filled (on a worker)', () => {
    const m = compileModel(model);
    spied(m).runOrdinal(m.initialAt(0)!.state, 3, 0);
    const here = stuckError(m, seenWord, { kind: 'memory', bytes: 300 * 2 ** 20 });
    expect(here.code).toBe('E_MODEL_MEMORY');
    expect(here.message).toBe('step t[0] a used more than 300 MiB of memory while it ran and was stopped');
    expect(here.hint).toMatch(/grows without end/);
    const worker = stuckError(m, seenWord, { kind: 'memory', bytes: null });
    expect(worker.message).toBe('step t[0] a filled the heap of its worker thread while it ran, twice from the same state');
  });
});

describe('watchSlots (the hearts of worker tasks, on fake time)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports once each started slot whose word stays the same for the timeout, and no other', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const hearts = new Int32Array(5 * HEART_STRIDE);
    const at = (slot: number) => slot * HEART_STRIDE + BEAT;
    // 0: not started; 1: beating; 2: stuck; 3: done; 4: stuck later.
    hearts[at(1)] = 10;
    hearts[at(2)] = 20;
    hearts[at(3)] = DONE;
    hearts[at(4)] = 40;
    const stuck: number[] = [];
    const watch = watchSlots(hearts, 5, 1, (slot) => stuck.push(slot));
    for (let t = 0; t < 12; t++) {
      hearts[at(1)]! += 1;
      if (t < 6) hearts[at(4)]! += 1;
      vi.advanceTimersByTime(250);
    }
    watch.stop();
    expect(stuck).toEqual([2, 4]);
  });

  it('nothing is watched with an infinite timeout, and a stopped watch reports nothing', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const hearts = new Int32Array(HEART_STRIDE);
    hearts[BEAT] = 5;
    const stuck: number[] = [];
    watchSlots(hearts, 1, Infinity, (slot) => stuck.push(slot)).stop();
    const watch = watchSlots(hearts, 1, 1, (slot) => stuck.push(slot));
    watch.stop();
    vi.advanceTimersByTime(10_000);
    expect(stuck).toEqual([]);
  });
});

describe('the watch of this thread, and the option', () => {
  it('no watchdog thread with an infinite timeout and no memory watch; the memory watch alone arms one', () => {
    expect(watchThisThread(Infinity, () => {}, 0)).toBeNull();
    const memory = watchThisThread(Infinity, () => {});
    expect(memory).not.toBeNull();
    memory!.stop();
  });

  it('the memory a piece of model code may add is half the room left in the heap, at most 1 GiB', () => {
    const h = getHeapStatistics();
    const limit = memoryGrowthLimit();
    expect(limit).toBeLessThanOrEqual(2 ** 30);
    expect(limit).toBeLessThanOrEqual((h.heap_size_limit - h.used_heap_size) / 2 + 2 ** 20);
    expect(limit).toBeGreaterThan(0);
  });

  it('a watch gives a heart that another thread can read, and stops without firing', () => {
    const fired: number[] = [];
    const watch = watchThisThread(30, (word) => fired.push(word))!;
    expect(watch.heart.buffer).toBeInstanceOf(SharedArrayBuffer);
    watch.heart[BEAT] = 1;
    watch.stop();
    watch.stop();
    expect(fired).toEqual([]);
  });

  it('searches under the watchdog end as without it', async () => {
    const m = compileModel(model);
    const off = await checkIn(m, 'hearts.ts', { stepTimeout: Infinity });
    for (const strategy of ['bfs', 'dfs', 'random'] as const) {
      const r = await checkIn(m, 'hearts.ts', { strategy, stepTimeout: 30 });
      expect(r.verdict, strategy).toBe(strategy === 'random' ? 'incomplete' : 'safe');
      if (strategy === 'bfs') expect([r.states, r.transitions]).toEqual([off.states, off.transitions]);
    }
  });

  it.each([[0], [-1], [Number.NaN], ['5' as unknown as number]])('stepTimeout %s is a usage error', async (v) => {
    const e = await mmRejection(checkIn(compileModel(model), 'hearts.ts', { stepTimeout: v }));
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toMatch(/^stepTimeout = .*: must be a number of seconds > 0$/);
  });
});
