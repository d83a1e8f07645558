/**
 * src/kernel/fault.ts: what a translation or permission fault means, by who takes it. A
 * user address runs the fault handler (the model continues at the handler's first step);
 * a kernel address has no fixup: an Oops, a violation of the policy's property.
 */
import { describe, expect, it } from 'vitest';
import { CompiledModel, actor, bool, defineModel, int, lock, param, replay, type StepCtx } from '../../../src/index.js';
import { takeFault, type FaultPolicy } from '../../../src/kernel/fault.js';
import { spinLock, spinUnlock } from '../../../src/kernel/lock.js';
import { checkModel, scheduleOf } from './support.js';

/** A step context that records what takeFault asks of it. */
function recorder() {
  const calls: { faults: [string, string | undefined][]; gotos: string[] } = { faults: [], gotos: [] };
  const c = {
    fault: (message: string, property?: string) => void calls.faults.push([message, property]),
    goto: (label: string) => void calls.gotos.push(label),
    finish: () => {
      throw new Error('takeFault must not finish the instance');
    },
  } as unknown as StepCtx;
  return { c, calls };
}

const KERNEL: FaultPolicy = { space: 'kernel', property: 'INV-KFAULT' };
const USER: FaultPolicy = { space: 'user', property: 'INV-UFAULT', handler: 'handle_mm_fault' };

describe('takeFault on a step context', () => {
  it('a kernel address: an Oops naming what faulted, a violation of the policy\'s property, no jump', () => {
    const { c, calls } = recorder();
    takeFault(c, KERNEL, 'CPU1 load of the linear map at page 3');
    expect(calls.gotos).toEqual([]);
    expect(calls.faults).toHaveLength(1);
    const [message, property] = calls.faults[0]!;
    expect(property).toBe('INV-KFAULT');
    expect(message).toContain('CPU1 load of the linear map at page 3');
    expect(message).toContain('Unable to handle kernel paging request');
    expect(message).toContain('Oops');
  });

  it('a kernel address has no fixup even when the policy names a handler', () => {
    const { c, calls } = recorder();
    takeFault(c, { space: 'kernel', property: 'INV-COPY', handler: 'handle_mm_fault' }, 'copy_from_kernel');
    expect(calls.gotos).toEqual([]);
    expect(calls.faults.map((f) => f[1])).toEqual(['INV-COPY']);
  });

  it('a user address: jumps to the handler\'s first step, no fault', () => {
    const { c, calls } = recorder();
    takeFault(c, USER, 'CPU0 store to the user page');
    expect(calls.faults).toEqual([]);
    expect(calls.gotos).toEqual(['handle_mm_fault']);
  });

  it('a user address without a handler cannot continue anywhere: it is not swallowed, it faults', () => {
    const { c, calls } = recorder();
    takeFault(c, { space: 'user', property: 'INV-UFAULT' }, 'user load');
    expect(calls.gotos).toEqual([]);
    expect(calls.faults.map((f) => f[1])).toEqual(['INV-UFAULT']);
  });

  it('the property is the policy\'s own, whatever its name', () => {
    for (const property of ['INV-KFAULT', 'INV-COPY', 'INV-X']) {
      const { c, calls } = recorder();
      takeFault(c, { space: 'kernel', property }, 'x');
      expect(calls.faults.map((f) => f[1])).toEqual([property]);
    }
  });
});

/**
 * Two CPUs touch one page that is not mapped yet. Each access checks the pte and, when it
 * is none, takes a fault: for a user address the handler takes the page-table lock,
 * re-checks the pte (pte_same: another CPU may have mapped it meanwhile), maps it, counts
 * the mapping, releases the lock and retries the access. For a kernel address the same
 * access is an Oops.
 */
const touch = defineModel({
  id: 'kernel-fault-touch',
  params: { space: param.enum(['user', 'kernel'], 'user') },
  state: { present: bool(), mapped: int(0, 2), ptl: lock(), accessed: int(0, 2), fellThrough: bool() },
  actors: (p) => {
    const policy: FaultPolicy = { space: p.space, property: 'INV-KFAULT', handler: 'handle_mm_fault' };
    return {
      cpu: actor({
        instances: 2,
        steps: {
          access: (c) => {
            if (!c.s.present) return takeFault(c, policy, `CPU${c.self} load of the page`);
            c.s.accessed = c.s.accessed + 1;
            c.finish();
          },
          // Never reached by a fault: takeFault jumps over it (user) or stops the run (kernel).
          after_fault: (c) => {
            c.s.fellThrough = true;
            c.finish();
          },
          handle_mm_fault: spinLock((c) => c.s.ptl, (c) => c.self),
          recheck: (c) => {
            if (!c.s.present) {
              c.s.present = true;
              c.s.mapped = c.s.mapped + 1;
            }
          },
          unlock: spinUnlock((c) => c.s.ptl, (c) => c.self, (c) => c.goto('access')),
        },
      }),
    };
  },
  invariants: {
    'no-fallthrough': (s) => !s.fellThrough,
    'mapped-once': (s) => s.mapped <= 1,
    /** Every CPU done means every access succeeded. */
    final: (s, w) => w.pc('cpu', 0) !== 'done' || w.pc('cpu', 1) !== 'done' || s.accessed === 2,
  },
});

describe('takeFault in a model', () => {
  it('user faults: both CPUs run the handler, the page is mapped once, both accesses retry and succeed', async () => {
    const r = await checkModel(touch, { space: 'user' });
    expect(r.verdict).toBe('safe');
  });

  it('the same access to a kernel address is an Oops: a violation of the policy\'s property', async () => {
    const r = await checkModel(touch, { space: 'kernel' });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-KFAULT');
    expect(r.message).toContain('load of the page');
    expect(r.message).toContain('Oops');
    expect(scheduleOf(r)).toHaveLength(1);
    expect(scheduleOf(r)[0]).toMatch(/^cpu\[[01]\] access$/);
  });

  it('the faulting step\'s writes still apply, and the run stops there (kernel)', async () => {
    const m = defineModel({
      id: 'kernel-fault-writes',
      state: { x: int(0, 2) },
      actors: {
        cpu: actor({
          steps: {
            access: (c) => {
              c.s.x = 1;
              return takeFault(c, KERNEL, 'vmalloc load');
            },
            next: (c) => void (c.s.x = 2),
          },
        }),
      },
    });
    const r = await checkModel(m);
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-KFAULT');
    expect(scheduleOf(r)).toEqual(['cpu[0] access']);
    // Replayed: the one step raised the fault, and its write to x applied.
    const rep = replay(r.trace!, new CompiledModel(m, {}));
    expect(rep.reproduced).toBe(true);
    expect(rep.steps).toHaveLength(1);
    expect(rep.steps[0]!.fault?.property).toBe('INV-KFAULT');
    expect(rep.steps[0]!.changes.map((ch) => [ch.slot, ch.from, ch.to])).toContainEqual(['x', '0', '1']);
  });
});
