/**
 * src/kernel/lock.ts: spin_lock / spin_unlock as steps. Taking the lock is a step
 * disabled while the lock is held (spinning), releasing it a plain step, and releasing a
 * lock one does not hold is an error of the model.
 */
import { describe, expect, it } from 'vitest';
import { MmraceError, actor, defineModel, int, lock, param, record, type StepCtx } from '../../../src/index.js';
import { spinLock, spinUnlock } from '../../../src/kernel/lock.js';
import { checkModel, scheduleOf, viewsOf } from './support.js';

/** A step context for calling a step directly: only `s` and `self` are used. */
function ctx<S>(s: S, self: number): StepCtx<S> {
  return { s, self } as unknown as StepCtx<S>;
}

/** A step definition as an object with a guard and a body (what spinLock returns). */
function asGuarded(d: unknown): { await: (c: StepCtx) => boolean; do: (c: StepCtx) => void } {
  expect(typeof d).toBe('object');
  const g = d as { await?: unknown; do?: unknown };
  expect(typeof g.await).toBe('function');
  expect(typeof g.do).toBe('function');
  return d as { await: (c: StepCtx) => boolean; do: (c: StepCtx) => void };
}

describe('spinLock / spinUnlock on a state view', () => {
  const T = record({ ptl: lock(4), x: int(0, 9) });

  it('spin_lock is enabled only while the lock is free, and takes it for the owner given', () => {
    const v = viewsOf(T);
    const s = v.view;
    const step = asGuarded(spinLock((c) => c.s.ptl, (c) => 1 + c.self));
    expect(step.await(ctx(s, 0))).toBe(true);
    step.do(ctx(s, 2));
    expect(s.ptl.free).toBe(false);
    expect(s.ptl.owner).toBe(3);
    expect(s.ptl.heldBy(3)).toBe(true);
    // Held: every CPU spins (the step is disabled), the holder too (spinlocks do not nest).
    for (const self of [0, 1, 2]) expect(step.await(ctx(s, self))).toBe(false);
  });

  it('spin_unlock releases the holder\'s lock: spin_lock is enabled again', () => {
    const s = viewsOf(T).view;
    const take = asGuarded(spinLock((c) => c.s.ptl, (c) => c.self));
    const give = spinUnlock((c) => c.s.ptl, (c) => c.self);
    expect(typeof give).toBe('function');
    take.do(ctx(s, 1));
    (give as (c: StepCtx) => void)(ctx(s, 1));
    expect(s.ptl.free).toBe(true);
    expect(s.ptl.owner).toBe(-1);
    expect(take.await(ctx(s, 0))).toBe(true);
  });

  it('the `then` bodies run after the lock is taken and after it is released, in the same step', () => {
    const s = viewsOf(T).view;
    const seen: string[] = [];
    const take = asGuarded(
      spinLock(
        (c) => c.s.ptl,
        (c) => c.self,
        (c) => void seen.push(`then-lock: free=${String(c.s.ptl.free)} owner=${c.s.ptl.owner}`),
      ),
    );
    const give = spinUnlock(
      (c) => c.s.ptl,
      (c) => c.self,
      (c) => void seen.push(`then-unlock: free=${String(c.s.ptl.free)}`),
    ) as (c: StepCtx) => void;
    take.do(ctx(s, 2));
    give(ctx(s, 2));
    expect(seen).toEqual(['then-lock: free=false owner=2', 'then-unlock: free=true']);
  });

  it('releasing a free lock is an error of the model (E_MODEL_DEF)', () => {
    const s = viewsOf(T).view;
    const give = spinUnlock((c) => c.s.ptl, (c) => c.self) as (c: StepCtx) => void;
    let thrown: unknown;
    try {
      give(ctx(s, 0));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MmraceError);
    expect((thrown as MmraceError).code).toBe('E_MODEL_DEF');
  });

  it('releasing a lock another owner holds is an error of the model, and leaves the lock held', () => {
    const s = viewsOf(T).view;
    asGuarded(spinLock((c) => c.s.ptl, (c) => c.self)).do(ctx(s, 0));
    const give = spinUnlock((c) => c.s.ptl, (c) => c.self) as (c: StepCtx) => void;
    let thrown: unknown;
    try {
      give(ctx(s, 1));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MmraceError);
    expect((thrown as MmraceError).code).toBe('E_MODEL_DEF');
    expect(s.ptl.heldBy(0)).toBe(true);
  });

  it('the `then` body of spin_unlock does not run when the release is refused', () => {
    const s = viewsOf(T).view;
    let ran = false;
    const give = spinUnlock(
      (c) => c.s.ptl,
      (c) => c.self,
      () => void (ran = true),
    ) as (c: StepCtx) => void;
    expect(() => give(ctx(s, 0))).toThrow(MmraceError);
    expect(ran).toBe(false);
  });
});

/**
 * T instances each increment x once: read it into a local, write it back plus one. With
 * `locked`, the increment is between spinLock and spinUnlock (the counter of the
 * benchmarks, built from the kernel's primitives).
 */
const increments = defineModel({
  id: 'kernel-lock-increments',
  params: { threads: param.int(1, 3, 2), locked: param.bool(true) },
  state: (p) => ({ x: int(0, p.threads), ptl: lock() }),
  actors: (p) => ({
    cpu: actor({
      instances: p.threads,
      locals: { tmp: int(0, p.threads) },
      steps: p.locked
        ? {
            lock: spinLock((c) => c.s.ptl, (c) => c.self),
            read: (c) => void (c.l.tmp = c.s.x),
            write: (c) => void (c.s.x = c.l.tmp + 1),
            unlock: spinUnlock((c) => c.s.ptl, (c) => c.self),
          }
        : {
            read: (c) => void (c.l.tmp = c.s.x),
            write: (c) => void (c.s.x = c.l.tmp + 1),
          },
    }),
  }),
  invariants: (p) => ({
    /** When every CPU is done, no increment was lost. */
    final: (s, w) => {
      for (let i = 0; i < p.threads; i++) if (w.pc('cpu', i) !== 'done') return true;
      return s.x === p.threads;
    },
    /** At most one CPU inside the critical section (read, write, unlock), and it holds the lock. */
    exclusion: (s, w) => {
      if (!p.locked) return true;
      const inside: number[] = [];
      for (let i = 0; i < p.threads; i++) if (['read', 'write', 'unlock'].includes(w.pc('cpu', i))) inside.push(i);
      if (inside.length > 1) return false;
      return inside.length === 0 ? true : s.ptl.heldBy(inside[0]!);
    },
  }),
});

describe('spinLock / spinUnlock in a model', () => {
  it('two CPUs incrementing under the lock: safe, and mutually exclusive', async () => {
    const r = await checkModel(increments, { threads: 2, locked: true });
    expect(r.verdict).toBe('safe');
    // By hand (as for models/counter): with j CPUs done, in C(T,j)·j! orders (the j-th
    // to finish keeps tmp = j - 1), the others are all at lock, or one of them is inside
    // (read, write or unlock, tmp fixed by j): Σ_{j<T} C(T,j)·j!·(1 + 3(T−j)) + T!.
    // T=2: 1·(1 + 3·2) + 2·(1 + 3·1) + 2 = 17 states.
    expect(r.states).toBe(17);
  });

  it('three CPUs under the lock: safe', async () => {
    const r = await checkModel(increments, { threads: 3, locked: true });
    expect(r.verdict).toBe('safe');
    // T=3: 1·(1 + 9) + 3·(1 + 6) + 6·(1 + 3) + 6 = 61 states.
    expect(r.states).toBe(61);
  });

  it('without the lock, a lost update is found: both read 0, both write 1', async () => {
    const r = await checkModel(increments, { threads: 2, locked: false });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('final');
    const sched = scheduleOf(r);
    expect(sched).toHaveLength(4);
    // Both reads come before both writes.
    const reads = sched.map((x, i) => (x.endsWith('read') ? i : -1)).filter((i) => i >= 0);
    const writes = sched.map((x, i) => (x.endsWith('write') ? i : -1)).filter((i) => i >= 0);
    expect(reads).toHaveLength(2);
    expect(Math.max(...reads)).toBeLessThan(Math.min(...writes));
  });

  it('spinning is a disabled step: a CPU that never releases the lock leaves the other stuck (deadlock)', async () => {
    const m = defineModel({
      id: 'kernel-lock-leak',
      state: { ptl: lock() },
      actors: {
        A: actor({ steps: { lock: spinLock((c) => c.s.ptl, () => 0) } }),
        B: actor({ steps: { lock: spinLock((c) => c.s.ptl, () => 1), unlock: spinUnlock((c) => c.s.ptl, () => 1) } }),
      },
    });
    const r = await checkModel(m);
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('deadlock');
    expect(scheduleOf(r)).toEqual(['A[0] lock']);
  });

  it('the `then` body is part of the locking step: no state has the lock taken without it', async () => {
    const m = defineModel({
      id: 'kernel-lock-then',
      state: { ptl: lock(), holder: int(0, 3) },
      actors: {
        cpu: actor({
          instances: 2,
          steps: {
            lock: spinLock((c) => c.s.ptl, (c) => c.self, (c) => void (c.s.holder = c.self + 1)),
            unlock: spinUnlock((c) => c.s.ptl, (c) => c.self, (c) => void (c.s.holder = 0)),
          },
        }),
      },
      invariants: { holder: (s) => s.holder === (s.ptl.free ? 0 : s.ptl.owner + 1) },
    });
    const r = await checkModel(m);
    expect(r.verdict).toBe('safe');
    // Both at lock; one holding (2); one done, other at lock (2); one done, other holding (2); both done.
    expect(r.states).toBe(1 + 2 + 2 + 2 + 1);
  });

  it('releasing a lock one does not hold is an error of the model: verdict error E_MODEL_DEF', async () => {
    const m = defineModel({
      id: 'kernel-lock-bad-release',
      state: { ptl: lock() },
      actors: {
        A: actor({ steps: { lock: spinLock((c) => c.s.ptl, () => 0), unlock: spinUnlock((c) => c.s.ptl, () => 0) } }),
        // B releases the lock A holds (or a free lock): never legal.
        B: actor({ steps: { unlock: spinUnlock((c) => c.s.ptl, () => 1) } }),
      },
    });
    const r = await checkModel(m);
    expect(r.verdict).toBe('error');
    expect(r.code).toBe('E_MODEL_DEF');
    // The shortest run: B's release of the free lock, first.
    expect(scheduleOf(r)).toEqual(['B[0] unlock']);
  });
});
