/**
 * Kernel primitives for models (`import { spinLock, ptWalk } from 'mmrace/kernel'`):
 * spinlocks as steps, per-CPU TLBs, multi-level page tables, what a fault means by who
 * takes it, and Xen's page-type oracle. Built on the modelling language alone, so a
 * model that uses them still loads no search code.
 */
export * from './fault.js';
export * from './ipi.js';
export * from './lock.js';
export * from './page.js';
export * from './pgtable.js';
export * from './tlb.js';
export * from './xen.js';
