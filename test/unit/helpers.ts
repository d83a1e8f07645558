/** Small helpers shared by the unit tests (not a test file itself). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompiledModel, MmraceError, actor, defineModel, int, type Model } from '../../src/index.js';

/** Runs `fn`, which must throw an MmraceError, and returns that error. */
export function mmError(fn: () => unknown): MmraceError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error('expected an MmraceError, but nothing was thrown');
  if (!(thrown instanceof MmraceError)) throw new Error(`expected an MmraceError, got ${String(thrown)}`);
  return thrown;
}

const made: string[] = [];

/** A fresh temporary folder for trace files (removed by `removeTempDirs`). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmrace-unit-'));
  made.push(dir);
  return dir;
}

/** Removes every folder `tempDir` made in this test file (use in afterAll). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** An existing file whose source is hashed into traces (this helper itself). */
export const ANY_MODEL_PATH = fileURLToPath(import.meta.url);

/** Compiles a model definition (typed or built as plain data) with parameter values. */
export function compileModel(model: unknown, params: Record<string, string | number | boolean> = {}): CompiledModel {
  return new CompiledModel(model as Model, params);
}

/**
 * A adds 1 then faults (property `oops`) when x is 2; B adds 1. The fault needs both
 * additions before A's second step: 3 steps, e.g. A.inc, B.inc, A.test.
 */
export const faulty = defineModel({
  id: 'faulty',
  state: { x: int(0, 3) },
  actors: {
    A: actor({
      steps: {
        inc: (c) => void (c.s.x = c.s.x + 1),
        test: (c) => {
          if (c.s.x === 2) c.fault('x is 2', 'oops');
        },
      },
    }),
    B: actor({ steps: { inc: (c) => void (c.s.x = c.s.x + 1) } }),
  },
});
