/** Small helpers shared by the unit tests (not a test file itself). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompiledModel, MmraceError, actor, check, defineModel, int, lock, type CheckResult, type Model, type Plan, type Trace } from '../../src/index.js';
import { Expander } from '../../src/engine/transitions.js';

/** Runs `fn`, which must throw an MmraceError, and returns that error. */
export function mmError(fn: () => unknown): MmraceError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error('expected an MmraceError, but nothing was thrown');
  if (!(thrown instanceof MmraceError)) throw new Error(`expected an MmraceError, got ${String(thrown)}`);
  return thrown;
}

const made: string[] = [];

/** A fresh temporary folder for trace files (removed by `removeTempDirs`). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmrace-unit-'));
  made.push(dir);
  return dir;
}

/** Removes every folder `tempDir` made in this test file (use in afterAll). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** An existing file whose source is hashed into traces (this helper itself). */
export const ANY_MODEL_PATH = fileURLToPath(import.meta.url);

/**
 * Checks the compiled model `m` (defined in `file`) through the one entry, `check`, with
 * the settings of a plain search: in this thread, no reduction unless `plan` asks for it.
 */
export function checkIn(m: CompiledModel, file: string, plan: Plan = {}): Promise<CheckResult> {
  return check({ model: m.model, file, params: m.params }, { workers: 0, por: false, symmetry: false, ...plan });
}

/** Like `mmError` for a promise: awaits it, which must reject with an MmraceError, and returns that error. */
export async function mmRejection(p: Promise<unknown>): Promise<MmraceError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof MmraceError)) throw new Error(`expected an MmraceError, got ${String(e)}`);
    return e;
  }
  throw new Error('expected an MmraceError, but the promise resolved');
}

/** Compiles a model definition (typed or built as plain data) with parameter values. */
export function compileModel(model: unknown, params: Record<string, string | number | boolean> = {}): CompiledModel {
  return new CompiledModel(model as Model, params);
}

/**
 * A adds 1 then faults (property `oops`) when x is 2; B adds 1. The fault needs both
 * additions before A's second step: 3 steps, e.g. A.inc, B.inc, A.test.
 */
export const faulty = defineModel({
  id: 'faulty',
  state: { x: int(0, 3) },
  actors: {
    A: actor({
      steps: {
        inc: (c) => void (c.s.x = c.s.x + 1),
        test: (c) => {
          if (c.s.x === 2) c.fault('x is 2', 'oops');
        },
      },
    }),
    B: actor({ steps: { inc: (c) => void (c.s.x = c.s.x + 1) } }),
  },
});

/**
 * Preemptions of a trace, counted by re-executing it, independently of the shrinker and
 * the strategies: a step of another instance than the previous step's while that one
 * could still run (CHESS). Stops at a step whose guard threw, or, in an error trace, at
 * the step that failed; a step that does not run in a violation trace is an error.
 */
export function preemptionsByReplay(t: Trace, m: CompiledModel): number {
  const ex = new Expander(m);
  let s = m.initialState(t.init.choice ?? [])!;
  let prev = -1;
  let n = 0;
  for (const st of t.schedule) {
    const k = m.instance(st.actor, st.instance).k;
    if (prev >= 0 && prev !== k && ex.enabled(s, prev)) n++;
    if (st.guard) break;
    try {
      if (ex.runChoice(s, k, st.choice ?? []) !== 'ok') throw new Error(`step ${st.actor} ${st.label} does not run`);
    } catch (e) {
      if (t.verdict === 'error') break;
      throw e;
    }
    s = ex.work.slice();
    prev = k;
  }
  return n;
}

/**
 * The AB/BA deadlock: P takes lock a then b, Q takes b then a. With `noise`, a third actor
 * R writes a counter twice (a deadlock needs it finished too).
 */
export function abbaModel(noise = false): Model {
  return defineModel({
    id: 'abba',
    state: { a: lock(), b: lock(), noise: int(0, 3) },
    actors: {
      P: actor({
        steps: {
          la: { await: (c) => c.s.a.free, do: (c) => c.s.a.acquire(0) },
          lb: { await: (c) => c.s.b.free, do: (c) => c.s.b.acquire(0) },
          un: (c) => (c.s.a.release(0), c.s.b.release(0)),
        },
      }),
      Q: actor({
        steps: {
          lb: { await: (c) => c.s.b.free, do: (c) => c.s.b.acquire(1) },
          la: { await: (c) => c.s.a.free, do: (c) => c.s.a.acquire(1) },
          un: (c) => (c.s.a.release(1), c.s.b.release(1)),
        },
      }),
      ...(noise ? { R: actor({ steps: { r1: (c) => void (c.s.noise = 1), r2: (c) => void (c.s.noise = 2) } }) } : {}),
    },
  });
}
