/**
 * What a translation or permission fault means, by who takes it.
 *
 * - A user address (TTBR0, a user mm): the fault handler runs (handle_mm_fault); racing
 *   faults serialise on the page-table lock, re-check the pte (pte_same) and retry the
 *   access. The model continues at the handler's first step.
 * - A kernel address (TTBR1, init_mm, efi_mm, the linear map, vmalloc): there is no
 *   fixup. arm64 do_translation_fault -> do_bad_area -> __do_kernel_fault -> die();
 *   riscv do_page_fault -> no_context -> die_kernel_fault; x86 page_fault_oops. An Oops:
 *   the model raises a fault with the property given (INV-KFAULT, INV-COPY, ...).
 */
import type { StepCtx } from '../model/index.js';

export type AddressSpace = 'user' | 'kernel';

export interface FaultPolicy {
  readonly space: AddressSpace;
  /** Property a kernel fault violates. */
  readonly property: string;
  /** Label of the user fault handler's first step. */
  readonly handler?: string;
}

/**
 * Takes a fault at `what` (for the Oops message). For a kernel address, raises the
 * fault; for a user address, jumps to the handler. Call it as `return takeFault(...)`.
 */
export function takeFault(c: StepCtx, policy: FaultPolicy, what: string): void {
  if (policy.space === 'kernel' || policy.handler === undefined) {
    c.fault(`Unable to handle kernel paging request: ${what} -> Oops`, policy.property);
    return;
  }
  c.goto(policy.handler);
}
