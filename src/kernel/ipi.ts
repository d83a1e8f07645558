/**
 * Interrupts on and off, and IPIs that wait for every interrupt-disabled section in
 * progress to end.
 *
 * A CPU with interrupts off does not take an IPI until it turns them on again, so a
 * sender that waits for its IPIs to be handled (smp_call_function_many with wait, the
 * x86 TLB shootdown, tlb_remove_table_sync_one, kick_all_cpus_sync) also waits for every
 * IRQ-off section under way on the other CPUs. GUP-fast relies on it: it walks the page
 * tables with interrupts off, so a page table freed only after such an IPI cannot be
 * freed under its walk.
 *
 * Kernel functions each helper stands for:
 *   irqOff / irqOn     local_irq_disable / local_irq_save, local_irq_enable / restore
 *                      (not nested: a section is on or off)
 *   ipiSend            smp_call_function_many / on_each_cpu_mask: the IPI is pending on
 *                      every other CPU (the sender runs its own part inline)
 *   ipiHandled         the sender's wait (csd_lock_wait): true once no IPI is pending
 *   ipiReceivers       each CPU's interrupt entry: an actor, one instance per CPU, whose
 *                      step takes a pending IPI while the CPU has interrupts on and runs
 *                      the handler (flush_tlb_func, tlb_remove_table_smp_sync)
 *
 *   state: { irq: irqType(2), ... },
 *   actors: {
 *     GUP: actor({ steps: { 'local_irq_save': (c) => irqOff(c.s.irq[0]), ..., 'local_irq_restore': (c) => irqOn(c.s.irq[0]) } }),
 *     FREE: actor({ steps: { 'tlb_remove_table_sync_one': (c) => ipiSend(c.s.irq, 1),
 *                            'wait': { await: (c) => ipiHandled(c.s.irq) }, 'free table': ... } }),
 *     IRQ: ipiReceivers({ cpus: 2, irq: (c) => c.s.irq }),
 *   }
 */
import { MmraceError } from '../errors.js';
import { array, bool, record, type ActorDef, type StepCtx } from '../model/index.js';

/** The state type: per CPU, whether interrupts are off and whether an IPI is pending. */
export function irqType(cpus: number) {
  return array(cpus, record({ off: bool(), ipi: bool() }));
}

export interface IrqCpu {
  off: boolean;
  ipi: boolean;
}

export interface IrqCpus {
  readonly length: number;
  readonly [i: number]: IrqCpu;
}

/** local_irq_disable(): interrupts off on this CPU (an error of the model when they are off already). */
export function irqOff(cpu: IrqCpu): void {
  if (cpu.off) throw new MmraceError('E_MODEL_DEF', 'local_irq_disable: interrupts are off already (irqOff does not nest)', 'pair each irqOff with one irqOn');
  cpu.off = true;
}

/** local_irq_enable(): interrupts on again; a pending IPI may be taken from now on. */
export function irqOn(cpu: IrqCpu): void {
  if (!cpu.off) throw new MmraceError('E_MODEL_DEF', 'local_irq_enable: interrupts are on already', 'pair each irqOn with an irqOff before it');
  cpu.off = false;
}

/** smp_call_function_many(): an IPI pending on every CPU but `from` (or on `to` alone, when given). */
export function ipiSend(cpus: IrqCpus, from: number, to?: readonly number[]): void {
  for (let i = 0; i < cpus.length; i++) if (i !== from && (to === undefined || to.includes(i))) cpus[i]!.ipi = true;
}

/** Whether every IPI sent was handled: the sender's wait is over. */
export function ipiHandled(cpus: IrqCpus): boolean {
  for (let i = 0; i < cpus.length; i++) if (cpus[i]!.ipi) return false;
  return true;
}

export interface IpiReceivers {
  /** CPUs: one instance each (instance i is CPU i's interrupt entry). */
  readonly cpus: number;
  /** The IRQ state of the CPUs. */
  readonly irq: (c: StepCtx) => IrqCpus;
  /** What the handler does on CPU `cpu` (flush its TLB, nothing), before the IPI counts as handled. */
  readonly handler?: (c: StepCtx, cpu: number) => void;
  /** The label of the step (default `ipi`: a hardware step, shown without `()`). */
  readonly label?: string;
}

/**
 * Each CPU's interrupt entry, as an actor with one instance per CPU: its one step is
 * enabled while an IPI is pending there and the CPU has interrupts on; it runs the
 * handler, clears the IPI and waits for the next one. The actor is optional: a CPU that
 * is never sent an IPI never takes one, and the run may end with it waiting.
 */
export function ipiReceivers(o: IpiReceivers): ActorDef {
  const label = o.label ?? 'ipi';
  return {
    instances: o.cpus,
    optional: true,
    steps: {
      [label]: {
        await: (c) => {
          const cpu = o.irq(c)[c.self]!;
          return cpu.ipi && !cpu.off;
        },
        do: (c) => {
          o.handler?.(c, c.self);
          o.irq(c)[c.self]!.ipi = false;
          c.goto(label);
        },
        hw: true,
      },
    },
  };
}
