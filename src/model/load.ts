/** Loading user models (`.ts` with no build step, or `.js`/`.mjs`) by path. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MmraceError, describeThrown, isMmraceError } from '../errors.js';
import { isModel, type Model } from './define.js';

export interface LoadedModel {
  readonly model: Model;
  /** Absolute path of the model file. */
  readonly path: string;
}

export async function loadModel(path: string): Promise<LoadedModel> {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    throw new MmraceError('E_MODEL_LOAD', `model file not found: ${path}`);
  }
  if (!/\.(ts|mts|js|mjs)$/.test(abs)) {
    throw new MmraceError('E_MODEL_LOAD', `${path} is not a model file (.ts, .mts, .js, .mjs)`, 'check takes a model file or a scenario .json');
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    if (isMmraceError(e)) throw new MmraceError(e.code, `${path}: ${e.message}`, e.hint);
    const first = describeThrown(e).split('\n')[0];
    throw new MmraceError('E_MODEL_LOAD', `cannot load model ${path}: ${first}`);
  }
  const model = mod['default'] ?? mod['model'];
  if (!isModel(model)) {
    throw new MmraceError(
      'E_MODEL_LOAD',
      `${path} does not export a model`,
      'a model file ends with `export default defineModel({ ... })`',
    );
  }
  return { model, path: abs };
}

/** The hash of a model file's source (traces and checkpoints record it, to tell an edited model). */
export function hashSource(path: string): string {
  try {
    return 'sha256:' + createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (e) {
    throw new MmraceError('E_IO', `cannot read ${path}: ${(e as Error).message}`);
  }
}
