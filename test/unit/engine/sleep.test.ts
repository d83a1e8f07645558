import { describe, expect, it } from 'vitest';
import { actor, defineModel, int } from '../../../src/index.js';
import { search } from '../../../src/engine/search.js';
import { ANY_MODEL_PATH, checkIn, compileModel, mmRejection } from '../helpers.js';

/** Two actors of two steps each; `shared`: both write x, else A writes x and B writes y. */
function grid(shared: boolean) {
  return compileModel(
    defineModel({
      id: shared ? 'grid-shared' : 'grid',
      state: { x: int(0, 4), y: int(0, 4) },
      actors: {
        A: actor({ steps: { a1: (c) => void (c.s.x += 1), a2: (c) => void (c.s.x += 1) } }),
        B: actor({
          steps: {
            b1: (c) => void (shared ? (c.s.x += 1) : (c.s.y += 1)),
            b2: (c) => void (shared ? (c.s.x += 1) : (c.s.y += 1)),
          },
        }),
      },
    }),
  );
}

describe('sleep sets', () => {
  it('independent actors: by hand, the 12 transitions of a 3 × 3 grid become 8, over the same 9 states', async () => {
    // (i, j): A has taken i steps, B j. From (0,1), reached by B after A was taken from
    // (0,0), A sleeps (A then B was explored); it stays asleep along B's steps: (0,1),
    // (0,2), (1,1) and (1,2) take no A step. Transitions: 2 + 3 + 2 + 1 + 0 = 8.
    const m = grid(false);
    const plain = await checkIn(m, ANY_MODEL_PATH, { por: true });
    const sleep = await checkIn(m, ANY_MODEL_PATH, { por: true, sleep: true });
    expect([plain.states, plain.transitions]).toEqual([9, 12]);
    expect([sleep.states, sleep.transitions, sleep.depth]).toEqual([9, 8, 4]);
    expect(sleep.reductions).toEqual(['sleep-sets']);
  });

  it('dependent actors (both write x): nothing sleeps', async () => {
    const m = grid(true);
    const sleep = await checkIn(m, ANY_MODEL_PATH, { por: true, sleep: true });
    expect([sleep.states, sleep.transitions]).toEqual([(await checkIn(m, ANY_MODEL_PATH, { por: true })).states, (await checkIn(m, ANY_MODEL_PATH, { por: true })).transitions]);
  });

  it('a sleeping step that reads what the step taken writes wakes up', async () => {
    // B's step reads x, which A writes: B never sleeps through A's steps.
    const m = compileModel(
      defineModel({
        id: 'reader',
        state: { x: int(0, 2), y: int(0, 2) },
        actors: {
          A: actor({ steps: { a1: (c) => void (c.s.x = 1) } }),
          B: actor({ steps: { b1: (c) => void (c.s.y = c.s.x) } }),
        },
        invariants: { 'y-is-0': (s) => s.y === 0 },
      }),
    );
    const plain = await checkIn(m, ANY_MODEL_PATH, { por: true, allViolations: true });
    const sleep = await checkIn(m, ANY_MODEL_PATH, { por: true, sleep: true, allViolations: true });
    expect(sleep.verdict).toBe('violation');
    expect(sleep.property).toBe('y-is-0');
    expect([sleep.states, sleep.transitions]).toEqual([plain.states, plain.transitions]);
  });

  it('is off unless asked for, and needs por', async () => {
    const m = grid(false);
    expect((await checkIn(m, ANY_MODEL_PATH, { por: true })).reductions).toEqual([]);
    // The search itself uses no sleep sets without por; the one entry refuses to be asked for them so.
    expect((await search(m, ANY_MODEL_PATH, { sleep: true })).reductions).toEqual([]);
    const e = await mmRejection(checkIn(m, ANY_MODEL_PATH, { sleep: true }));
    expect([e.code, e.message]).toEqual(['E_USAGE', 'sleep needs partial-order reduction (por, the default) and breadth-first search']);
  });
});
