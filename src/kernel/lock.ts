/**
 * Spinlocks as steps. A lock is a `lock()` slot of the state; taking it is a step
 * guarded by "the lock is free" (a disabled step is how spinning is modelled: the
 * actor cannot move until the holder releases), releasing it is a plain step.
 *
 * Kernel functions: spin_lock / spin_unlock on a page-table lock (PTL, pte_lockptr),
 * pgd_lock, init_mm.page_table_lock, mmap_write_lock(&init_mm).
 *
 *   steps: {
 *     'spin_lock(ptl)': spinLock((c) => c.s.ptl, (c) => 1 + c.self),
 *     ...
 *     'spin_unlock(ptl)': spinUnlock((c) => c.s.ptl, (c) => 1 + c.self),
 *   }
 */
import type { LockView, StepCtx, StepDef } from '../model/index.js';

type Pick<T> = (c: StepCtx) => T;

/** spin_lock(lock): waits until the lock is free, then takes it for `owner`. */
export function spinLock(lock: Pick<LockView>, owner: Pick<number>, then?: (c: StepCtx) => void): StepDef<any, any, any> {
  return {
    await: (c) => lock(c).free,
    do: (c) => {
      lock(c).acquire(owner(c));
      then?.(c);
    },
  };
}

/** spin_unlock(lock): releases the lock that `owner` holds (an error of the model otherwise). */
export function spinUnlock(lock: Pick<LockView>, owner: Pick<number>, then?: (c: StepCtx) => void): StepDef<any, any, any> {
  return (c) => {
    lock(c).release(owner(c));
    then?.(c);
  };
}
