/**
 * mmrace owns the process's exit (model/exit.ts): while model code can run, process.exit
 * throws E_MODEL_EXIT; mmrace's own exits call the original; and the package's `check` and
 * `replay` give an embedder's process.exit back when they return, or throw.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CompiledModel, MmraceError, check, defineModel, int, loadModel, replay } from '../../../src/index.js';
import { exitGuarded, guardExit, realExit } from '../../../src/model/exit.js';
import { ANY_MODEL_PATH, mmError, mmRejection } from '../helpers.js';

const fixtures = join(ANY_MODEL_PATH, '../../e2e/fixtures/model-exit');

/** a[0] one, then a[0] two calls process.exit(0); `seen` records whether process.exit was guarded when two ran. */
const seen: boolean[] = [];
const exits = defineModel({
  id: 'exits',
  state: { x: int(0, 3) },
  actors: {
    a: {
      steps: {
        one: (c) => {
          c.s.x = 1;
        },
        two: () => {
          seen.push(exitGuarded());
          process.exit(0);
        },
      },
    },
  },
});

const original = process.exit;
afterEach(() => {
  // Whatever a test did, the next one starts with the exit it found.
  process.exit = original;
});

describe('guardExit', () => {
  it('replaces process.exit by a throw of E_MODEL_EXIT, and gives the original back', () => {
    const restore = guardExit();
    expect(process.exit).not.toBe(original);
    const e = mmError(() => process.exit(3));
    expect(e.code).toBe('E_MODEL_EXIT');
    expect(e.message).toBe('the model called process.exit(3)');
    expect(e.hint).toMatch(/c\.fault/);
    expect(mmError(() => process.exit()).message).toBe('the model called process.exit()');
    restore();
    expect(process.exit).toBe(original);
  });

  it('nests: the original comes back with the outermost restore; a restore called twice counts once', () => {
    const outer = guardExit();
    const inner = guardExit();
    inner();
    inner();
    expect(exitGuarded()).toBe(true);
    expect(() => process.exit(0)).toThrow(MmraceError);
    outer();
    expect(exitGuarded()).toBe(false);
    expect(process.exit).toBe(original);
  });

  it('realExit calls the original while guarded', () => {
    const codes: unknown[] = [];
    const stub = ((code?: number) => void codes.push(code)) as typeof process.exit;
    process.exit = stub;
    // (Called through a type that returns: the stub does.)
    const exit: (code: number) => void = realExit;
    const restore = guardExit();
    exit(7);
    expect(codes).toEqual([7]);
    restore();
    expect(process.exit).toBe(stub);
    exit(8);
    expect(codes).toEqual([7, 8]);
  });
});

describe("the package's check and replay own the exit while they run, and give it back", () => {
  it('check: verdict error E_MODEL_EXIT naming the step, with the trace to it; process.exit restored after', async () => {
    seen.length = 0;
    const r = await check({ model: exits, file: ANY_MODEL_PATH }, { workers: 0 });
    expect(process.exit).toBe(original);
    expect(seen[0]).toBe(true);
    expect(r).toMatchObject({ verdict: 'error', code: 'E_MODEL_EXIT', message: 'a[0] two: the model called process.exit(0)' });
    expect(r.trace?.schedule.map((s) => s.label)).toEqual(['one', 'two']);

    // replay (exported by the package) reproduces it, and restores process.exit too.
    const rep = replay(r.trace!, new CompiledModel(exits, {}));
    expect(process.exit).toBe(original);
    expect(rep).toMatchObject({ reproduced: true, kind: 'error', property: 'E_MODEL_EXIT' });
  });

  it('check of a model file that exits as it is imported, or in init: E_MODEL_EXIT; process.exit restored after', async () => {
    const e = await mmRejection(check(join(fixtures, 'import.ts'), { workers: 0 }));
    expect(e.code).toBe('E_MODEL_EXIT');
    expect(e.message).toMatch(/import\.ts: as it was imported, the model called process\.exit\(0\)$/);
    expect(process.exit).toBe(original);
    const r = await check(join(fixtures, 'init.ts'), { workers: 0 });
    expect(r).toMatchObject({ verdict: 'error', code: 'E_MODEL_EXIT', message: 'init of model exit-init: the model called process.exit(0)' });
    expect(process.exit).toBe(original);
  });

  it('loadModel of such a file: E_MODEL_EXIT, process.exit restored', async () => {
    const e = await mmRejection(loadModel(join(fixtures, 'import.ts')));
    expect(e.code).toBe('E_MODEL_EXIT');
    expect(process.exit).toBe(original);
  });

  it('a check that throws restores process.exit too', async () => {
    await mmRejection(check(join(fixtures, 'no-such-model.ts'), { workers: 0 }));
    expect(process.exit).toBe(original);
  });
});
