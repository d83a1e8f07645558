/**
 * The contpte model (docs/seed-problems.md §5): each variant's verdict, counterexamples read
 * against the diagram, and probes showing the safe variants are not safe by accident
 * (the racing actors really reach the window).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, defineModel, type Model } from '../../src/index.js';
import { assertVerdict, checkModel } from '../../src/testing/index.js';
import contpte from '../../models/contpte/contpte.js';
import { checkIn } from '../unit/helpers.js';

const file = fileURLToPath(new URL('../../models/contpte/contpte.ts', import.meta.url));
const small = { n: 2, cpus: 1, accesses: 2 };

/**
 * contpte with one more invariant: a "probe" that is violated when `reached` holds. A
 * probe may read any actor's pc, so no actor stays private (ActorDef.private).
 */
function withProbe(reached: (s: any, w: any) => boolean): Model {
  const base = contpte.invariants as (p: any) => Record<string, unknown>;
  const actors = contpte.actors as (p: any) => Record<string, object>;
  return defineModel({
    ...contpte,
    actors: (p: any) => Object.fromEntries(Object.entries(actors(p)).map(([name, a]) => [name, { ...a, private: false }])),
    invariants: (p: any) => ({ ...(typeof base === 'function' ? base(p) : base), probe: (s: any, w: any) => !reached(s, w) }),
  } as any);
}

describe('contpte verdicts (table of §5)', () => {
  it.each([
    ['S', { ...small }, { verdict: 'safe' }],
    ['S with a lockless reader', { ...small, readers: 1 }, { verdict: 'safe' }],
    ['S on init_mm (the mm_is_user gate)', { ...small, mm: 'init_mm' }, { verdict: 'safe' }],
    ['efi_mm treated as user, static', { ...small, mm: 'efi_mm', gate: 'none' }, { verdict: 'safe' }],
    ['B-kernel', { ...small, mm: 'init_mm', gate: 'none' }, { verdict: 'violation', property: 'INV-KFAULT' }],
    ['B-nobbm', { ...small, order: 'nobbm' }, { verdict: 'violation', property: 'INV-BBM' }],
    ['B-lateflush', { ...small, order: 'lateflush' }, { verdict: 'violation', property: 'INV-BBM' }],
    ['B-nonatomic-clear', { ...small, clear: 'read-write' }, { verdict: 'violation', property: 'INV-AD' }],
    ['B-ll-plain', { ...small, readers: 1, lockless: 'plain' }, { verdict: 'violation', property: 'INV-LL' }],
    ['B-ll-noretry', { ...small, readers: 1, lockless: 'noretry' }, { verdict: 'violation', property: 'INV-LL' }],
    ['B-fault-nolock', { ...small, recheck: false }, { verdict: 'violation', property: 'INV-UFAULT' }],
  ] as const)('%s', async (_name, params, want) => {
    const r = await checkModel({ model: contpte, file }, params);
    assertVerdict(r, want);
    const d = await checkModel({ model: contpte, file }, params, { strategy: 'dfs' });
    assertVerdict(d, want);
  });
});

describe('counterexamples read as the diagram', () => {
  it('B-kernel: the kernel access walks a pte that contpte_convert has cleared, under the PTL', async () => {
    const r = await checkIn(new CompiledModel(contpte, { ...small, mm: 'init_mm', gate: 'none' }), file);
    const steps = r.trace!.schedule;
    expect(steps[0]).toMatchObject({ actor: 'U1', label: 'spin_lock(ptl)' });
    const last = steps[steps.length - 1]!;
    expect(last).toMatchObject({ actor: 'K', label: 'mmu:walk' });
    const access = steps.filter((s) => s.actor === 'K' && s.label === 'access').pop()!;
    const page = access.choice![0]!;
    const cleared = steps.filter((s) => s.label === 'contpte_convert:xchg').length;
    // xchg clears pte[0], pte[1], ... in order: the page walked is among those cleared.
    expect(page).toBeLessThan(cleared);
    expect(steps.some((s) => s.label === '__set_ptes')).toBe(false);
  });

  it('B-lateflush: the stale single-page entry meets a block entry before the TLBI', async () => {
    const r = await checkIn(new CompiledModel(contpte, { ...small, order: 'lateflush' }), file);
    const labels = r.trace!.schedule.map((s) => `${s.actor}:${s.label}`);
    expect(labels).toContain('U1:__set_ptes');
    expect(labels).not.toContain('U1:__flush_tlb_range');
    expect(labels.filter((l) => l === 'U2:mmu:walk').length).toBeGreaterThanOrEqual(2);
  });
});

describe('the safe variants are not safe by accident', () => {
  const reach = (probe: (s: any, w: any) => boolean, params: Record<string, number | string | boolean> = small) =>
    checkIn(new CompiledModel(withProbe(probe), params), file);

  it('in S a user access faults inside the window and then retries after the fold', async () => {
    const r = await reach((_s, w) => w.pc('U2') === 'spin_unlock(ptl)' && w.pc('U1') === 'done');
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('probe');
  });

  it('in S a CPU ends up caching the new block entry', async () => {
    const r = await reach((s) => s.tlb[0].block && s.pte[0].cont);
    expect(r.property).toBe('probe');
  });

  it('in S the lockless reader sees a half-repainted block and starts again', async () => {
    const r = await reach((s, w) => w.pc('L') === 'ptep_get_lockless:orig' && w.locals('L').i === 0 && s.pte[0].cont && !s.pte[1].valid, {
      ...small,
      readers: 1,
    });
    expect(r.property).toBe('probe');
  });

  it('on init_mm with the gate, kernel accesses do run while U1 holds the PTL', async () => {
    const r = await reach((_s, w) => w.pc('U1') === 'spin_unlock(ptl)' && w.pc('K') === 'mmu:walk', { ...small, mm: 'init_mm' });
    expect(r.property).toBe('probe');
  });
});
