import { describe, expect, it } from 'vitest';
import { actor, defineModel, int, replay } from '../../../src/index.js';
import type { CheckResult, CompiledModel, Plan } from '../../../src/index.js';
import { ANY_MODEL_PATH, checkIn, compileModel } from '../helpers.js';

/** The search's own counterexample, unshrunk (these tests are of the search, not of the shrinker). */
function run(m: CompiledModel, opts: Plan = {}): Promise<CheckResult> {
  return checkIn(m, ANY_MODEL_PATH, { shrink: false, ...opts });
}

/** `n` interchangeable instances, each setting its local once. */
const flags = (n: number, symmetric: boolean) =>
  defineModel({
    id: 'flags',
    state: { x: int(0, 1) },
    actors: { A: actor({ instances: n, symmetric, locals: { t: int(0, 1) }, steps: { set: (c) => void (c.l.t = 1) } }) },
  });

describe('symmetry reduction', () => {
  it('stores one state per class of states that differ only in the order of the instances: by hand, 8 states become 4', async () => {
    // Three instances, each before or after its one step: 2^3 = 8 states. Up to the order
    // of the instances a state is how many have moved: 0, 1, 2 or 3: 4 states.
    const m = compileModel(flags(3, true));
    for (const strategy of ['bfs', 'dfs'] as const) {
      expect((await run(m, { strategy })).states, strategy).toBe(8);
      const r = await run(m, { strategy, symmetry: true });
      expect(r.states, strategy).toBe(4);
      expect(r.reductions).toEqual(['symmetry']);
    }
    // Without the declaration nothing is reduced.
    expect((await run(compileModel(flags(3, false)), { symmetry: true })).states).toBe(8);
  });

  it('a counterexample names the instances of the states the schedule really goes through', async () => {
    // Each instance takes a ticket (0, then 1): the second to move sees x = 1, and the
    // invariant breaks when an instance holding ticket 1 moves again. The sorted states
    // reorder the instances, the trace must not.
    const m = compileModel(
      defineModel({
        id: 'tickets',
        state: { x: int(0, 2), bad: int(0, 1) },
        actors: {
          A: actor({
            instances: 2,
            symmetric: true,
            locals: { mine: int(0, 2) },
            steps: {
              take: (c) => ((c.l.mine = c.s.x), (c.s.x = c.s.x + 1)),
              use: (c) => void (c.l.mine === 1 ? (c.s.bad = 1) : undefined),
            },
          }),
        },
        invariants: { good: (s) => s.bad === 0 },
      }),
    );
    const r = await run(m, { symmetry: true });
    expect(r.verdict).toBe('violation');
    expect(r.trace!.schedule.length).toBe((await run(m)).trace!.schedule.length);
    expect(replay(r.trace!, m)).toMatchObject({ reproduced: true, property: 'good' });
  });

  it('checks the promise: c.self, c.pc of a symmetric instance, and an invariant that tells instances apart', async () => {
    const base = (steps: Record<string, unknown>, invariants: Record<string, unknown> = {}, other: Record<string, unknown> = { idle: () => undefined }) =>
      compileModel(
        defineModel({
          id: 'promise',
          state: { x: int(0, 3) },
          actors: { A: actor({ instances: 2, symmetric: true, locals: { t: int(0, 1) }, steps: steps as never }), B: actor({ steps: other as never }) },
          invariants: invariants as never,
        }),
      );
    const self = await run(base({ one: (c: { self: number; s: { x: number } }) => void (c.s.x = c.self) }), { symmetry: true });
    expect([self.verdict, self.code]).toEqual(['error', 'E_MODEL_DEF']);
    expect(self.message).toMatch(/A\[0\] read c\.self, but actor A is declared symmetric/);
    const pc = await run(base({ one: (c: { l: { t: number } }) => void (c.l.t = 1) }, {}, { look: (c: { pc(a: string, i: number): string }) => void c.pc('A', 1) }), { symmetry: true });
    expect([pc.verdict, pc.code]).toEqual(['error', 'E_MODEL_DEF']);
    expect(pc.message).toMatch(/B\[0\] read the pc of A\[1\], but actor A is declared symmetric/);
    // 'first-moved' looks at instance 0 only: it fails when A[0] has moved and A[1] has not,
    // and holds once the instances are sorted.
    const inv = await run(base({ one: (c: { l: { t: number } }) => void (c.l.t = 1) }, { 'first-moved': (_s: unknown, w: { locals(a: string, i: number): { t: number } }) => w.locals('A', 0).t === 0 }), { symmetry: true });
    expect([inv.verdict, inv.code]).toEqual(['error', 'E_MODEL_DEF']);
    expect(inv.message).toMatch(/invariant first-moved depends on the order of the instances of a symmetric actor/);
  });
});
