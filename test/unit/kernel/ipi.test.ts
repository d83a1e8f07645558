/**
 * src/kernel/ipi.ts: interrupts off and on, and IPIs whose sender waits until every CPU
 * took them, which a CPU does only with interrupts on. The model is what GUP-fast relies
 * on: it walks a page table with interrupts off, and the table is freed only after an IPI
 * every CPU has taken (tlb_remove_table_sync_one), so never under its walk.
 */
import { describe, expect, it } from 'vitest';
import { actor, bool, defineModel, param, record } from '../../../src/model/index.js';
import { ipiHandled, ipiReceivers, ipiSend, irqOff, irqOn, irqType } from '../../../src/kernel/ipi.js';
import { check } from '../../../src/index.js';
import type { Model } from '../../../src/model/define.js';

const FILE = new URL(import.meta.url);

const gupFast = (optional = true) =>
  defineModel({
    id: 'gup-fast-vs-free',
    params: { irqsOff: param.bool(true, 'GUP-fast walks with interrupts off'), sync: param.bool(true, 'the freer waits for an IPI on every CPU') },
    state: { irq: irqType(2), pmd: record({ table: bool(), freed: bool() }) },
    init: (c) => {
      c.s.pmd.table = true;
    },
    actors: (p) => ({
      GUP: actor({
        steps: {
          local_irq_save: (c) => {
            if (p.irqsOff) irqOff(c.s.irq[0]!);
          },
          pmdp_get_lockless: (c) => {
            if (!c.s.pmd.table) c.goto('local_irq_restore');
          },
          pte_offset_map: (c) => {
            if (c.s.pmd.freed) c.fault('GUP-fast walks a page table that was freed', 'INV-PT');
          },
          local_irq_restore: (c) => {
            if (p.irqsOff) irqOn(c.s.irq[0]!);
          },
        },
      }),
      FREE: actor({
        steps: {
          pmd_clear: (c) => {
            c.s.pmd.table = false;
          },
          tlb_remove_table_sync_one: (c) => {
            if (p.sync) ipiSend(c.s.irq, 1);
          },
          wait: { await: (c) => ipiHandled(c.s.irq) },
          free_page_table: (c) => {
            c.s.pmd.freed = true;
          },
        },
      }),
      IRQ: { ...ipiReceivers({ cpus: 2, irq: (c) => c.s.irq }), optional },
    }),
  });

const run = (model: Model, params: Record<string, boolean> = {}) => check({ model, file: FILE, params }, { workers: 0, por: false, symmetry: false });

describe('an IPI waits for the interrupt-disabled sections under way', () => {
  it('GUP-fast with interrupts off, against a free after the IPI: safe, and no deadlock where the CPUs wait for IPIs', async () => {
    const r = await run(gupFast());
    expect(r.verdict).toBe('safe');
  });

  it('without the IPI, the table is freed under the walk', async () => {
    const r = await run(gupFast(), { sync: false });
    expect([r.verdict, r.property]).toEqual(['violation', 'INV-PT']);
  });

  it('with interrupts on during the walk, the IPI is taken at once and does not hold the free back', async () => {
    const r = await run(gupFast(), { irqsOff: false });
    expect([r.verdict, r.property]).toEqual(['violation', 'INV-PT']);
    // The counterexample: the IPI taken on CPU 0 between the walk's two steps.
    const labels = r.trace!.schedule.map((s) => `${s.actor}[${s.instance}].${s.label}`);
    expect(labels.indexOf('IRQ[0].ipi')).toBeGreaterThan(labels.indexOf('GUP[0].pmdp_get_lockless'));
    expect(labels.indexOf('IRQ[0].ipi')).toBeLessThan(labels.indexOf('GUP[0].pte_offset_map'));
  });

  it('an actor not optional waiting for an IPI that never comes is a deadlock, which names it', async () => {
    // The safe model of the first test, with the receivers not optional: once GUP and FREE
    // are done, the two receivers wait for IPIs that never come.
    const r = await run(gupFast(false));
    expect([r.verdict, r.property]).toEqual(['violation', 'deadlock']);
    expect(r.message).toMatch(/IRQ\[0\] waits at ipi, IRQ\[1\] waits at ipi/);
  });
});

describe('the helpers one by one', () => {
  /** One step `body` on 3 CPUs; INV-IPI: CPU 2 is sent an IPI only with CPU 1. */
  const one = (body: (c: any) => void) =>
    defineModel({ id: 'irq-one', state: { irq: irqType(3) }, actors: { A: actor({ steps: { body } }) }, invariants: { 'INV-IPI': (s) => !s.irq[2]!.ipi || s.irq[1]!.ipi } });

  it('irqOff and irqOn do not nest: a second irqOff, or an irqOn with interrupts on, is an error of the model', async () => {
    const twice = await run(one((c) => (irqOff(c.s.irq[0]), irqOff(c.s.irq[0]))));
    expect([twice.verdict, twice.code]).toEqual(['error', 'E_MODEL_DEF']);
    expect(twice.message).toMatch(/local_irq_disable: interrupts are off already/);
    const on = await run(one((c) => irqOn(c.s.irq[0])));
    expect(on.message).toMatch(/local_irq_enable: interrupts are on already/);
  });

  it('ipiSend: pending on every CPU but the sender, or on the targets named', async () => {
    const all = await run(
      one((c) => {
        ipiSend(c.s.irq, 0);
        if (c.s.irq[0].ipi || !c.s.irq[1].ipi || !c.s.irq[2].ipi || ipiHandled(c.s.irq)) c.fault('wrong targets');
      }),
    );
    expect(all.verdict).toBe('safe');
    // To CPU 2 alone: INV-IPI (CPU 2 pending but not CPU 1) fails.
    const named = await run(one((c) => ipiSend(c.s.irq, 0, [2])));
    expect([named.verdict, named.property]).toEqual(['violation', 'INV-IPI']);
  });
});
