import { describe, expect, it } from 'vitest';
import { actor, defineModel, int } from '../../../src/index.js';
import type { CheckResult, CompiledModel, Plan } from '../../../src/index.js';
import { ANY_MODEL_PATH, checkIn, compileModel, mmError } from '../helpers.js';

const STRATEGIES = ['bfs', 'dfs'] as const;

/** The search's own counterexample, unshrunk (these tests are of the search, not of the shrinker). */
function run(m: CompiledModel, opts: Plan = {}): Promise<CheckResult> {
  return checkIn(m, ANY_MODEL_PATH, { shrink: false, ...opts });
}

/** A private actor of three steps that only count in a local. */
const counting = (instances: number) =>
  actor({
    instances,
    private: true,
    locals: { t: int(0, 3) },
    steps: {
      one: (c) => void (c.l.t = 1),
      two: (c) => void (c.l.t = 2),
      three: (c) => void (c.l.t = 3),
    },
  });

describe('partial-order reduction', () => {
  it('runs local steps of private actors without interleaving: by hand, 16 states become 7', async () => {
    // Two instances, each at one of 4 pcs (3 steps, then done): 4 × 4 = 16 states without
    // reduction. With it, the first instance's local step is the only one taken while it
    // has one: (0,0) (1,0) (2,0) (3,0), then the second's: (3,1) (3,2) (3,3): 7 states.
    const m = compileModel(defineModel({ id: 'local', state: { x: int(0, 1) }, actors: { A: counting(2) } }));
    for (const strategy of STRATEGIES) {
      expect((await run(m, { strategy })).states, strategy).toBe(16);
      const r = await run(m, { strategy, por: true });
      expect(r.states, strategy).toBe(7);
      expect(r.verdict).toBe('safe');
      expect(r.reductions).toEqual(['por']);
    }
  });

  it('does nothing, and says so, for a model without a private actor', async () => {
    const m = compileModel(
      defineModel({ id: 'open', state: { x: int(0, 1) }, actors: { A: actor({ instances: 2, locals: { t: int(0, 1) }, steps: { one: (c) => void (c.l.t = 1) } }) } }),
    );
    const r = await run(m, { por: true });
    expect(r.reductions).toEqual([]);
    expect(r.states).toBe((await run(m)).states);
  });

  it('never postpones a step forever: a local loop (a backward goto) is not reduced', async () => {
    // Without the cycle proviso, A's local loop would be the only step taken from every
    // state and B's write, which breaks the invariant, would never run.
    const m = compileModel(
      defineModel({
        id: 'loop',
        state: { x: int(0, 1) },
        actors: {
          A: actor({ private: true, locals: { t: int(0, 1) }, steps: { spin: (c) => (c.l.t = 1 - c.l.t, c.goto('spin')) } }),
          B: actor({ steps: { write: (c) => void (c.s.x = 1) } }),
        },
        invariants: { 'x-is-0': (s) => s.x === 0 },
      }),
    );
    for (const strategy of STRATEGIES) {
      const r = await run(m, { strategy, por: true });
      expect(r.verdict, strategy).toBe('violation');
      expect(r.property).toBe('x-is-0');
    }
  });

  it('does not reduce to a step that faults: the other actors still run (both faults found)', async () => {
    const m = compileModel(
      defineModel({
        id: 'faults',
        state: { v: int(0, 1) },
        actors: {
          A: actor({ steps: { oops: (c) => (c.s.v === 0 ? c.fault('A oops', 'oops') : undefined) } }),
          B: actor({ private: true, locals: { t: int(0, 1) }, steps: { bug: (c) => (c.l.t === 0 ? c.fault('B bug', 'bug') : undefined) } }),
        },
      }),
    );
    for (const strategy of STRATEGIES) {
      const r = await run(m, { strategy, por: true, allViolations: true });
      expect(r.violations!.map((v) => v.property).sort(), strategy).toEqual(['bug', 'oops']);
    }
  });

  it('keeps a deadlock reachable only by interleaving a local step late', async () => {
    // A locks (x = 1) and waits for y; B's local step comes first, then B waits for x = 0:
    // a deadlock when A runs first; with B's local step run eagerly the deadlock must
    // still be found.
    const m = compileModel(
      defineModel({
        id: 'deadlock',
        state: { x: int(0, 1), y: int(0, 1) },
        actors: {
          A: actor({ steps: { lock: (c) => void (c.s.x = 1), wait: { await: (c) => c.s.y === 1 } } }),
          B: actor({
            private: true,
            locals: { t: int(0, 1) },
            steps: { prepare: (c) => void (c.l.t = 1), wait: { await: (c) => c.s.x === 0, do: (c) => void (c.s.y = 1) } },
          }),
        },
      }),
    );
    for (const strategy of STRATEGIES) {
      const r = await run(m, { strategy, por: true });
      expect(r.verdict, strategy).toBe('violation');
      expect(r.property).toBe('deadlock');
    }
  });

  describe('private actors are checked on every read', () => {
    const model = (steps: Record<string, unknown>, invariants: Record<string, unknown> = {}) =>
      compileModel(
        defineModel({
          id: 'private',
          state: { x: int(0, 1) },
          actors: {
            P: actor({ private: true, locals: { t: int(0, 1) }, steps: { one: (c) => void (c.l.t = 1) } }),
            Q: actor({ steps: steps as never }),
          },
          invariants: invariants as never,
        }),
      );

    it("another actor's step reading the pc of a private one is a model error", async () => {
      const r = await run(model({ look: (c: { pc(a: string): string; s: { x: number } }) => void (c.s.x = c.pc('P') === 'done' ? 1 : 0) }));
      expect(r.verdict).toBe('error');
      expect(r.code).toBe('E_MODEL_DEF');
      expect(r.message).toMatch(/Q\[0\] read the pc of P\[0\], but actor P is declared private/);
    });

    it('an invariant reading the pc or the locals of a private actor is a model error', async () => {
      const byPc = await run(model({ look: () => undefined }, { 'P-started': (_s: unknown, w: { pc(a: string): string }) => w.pc('P') !== 'one' || true }));
      expect(byPc.verdict).toBe('error');
      expect(byPc.message).toMatch(/invariant P-started read the pc of P\[0\]/);
      const byLocals = await run(model({ look: () => undefined }, { 'P-t': (_s: unknown, w: { locals(a: string): { t: number } }) => w.locals('P').t >= 0 }));
      expect(byLocals.verdict).toBe('error');
      expect(byLocals.message).toMatch(/invariant P-t read the locals of P\[0\]/);
    });

    it('its own steps may read its pc; private must be a boolean', async () => {
      const own = compileModel(
        defineModel({
          id: 'own',
          state: { x: int(0, 1) },
          actors: { P: actor({ private: true, steps: { one: (c) => void (c.s.x = c.pc('P') === 'one' ? 1 : 0) } }) },
        }),
      );
      expect((await run(own)).verdict).toBe('safe');
      const e = mmError(() => compileModel(defineModel({ id: 'bad', state: { x: int(0, 1) }, actors: { P: actor({ private: 'yes' as never, steps: { one: () => undefined } }) } })));
      expect(e.code).toBe('E_MODEL_DEF');
      expect(e.message).toMatch(/actor P private=yes: must be true or false/);
    });
  });
});
