/**
 * Loading a model file (model/load.ts): TypeScript and JavaScript models load in any
 * project type, with no build step, and a model that cannot load is an E_MODEL_LOAD
 * error that names the file and what to do.
 */
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isModel } from '../../../src/model/define.js';
import { loadModel } from '../../../src/model/load.js';
import { mmRejection, removeTempDirs, tempDir } from '../helpers.js';

afterAll(removeTempDirs);

/** A project folder with a package.json of `type` and the files given. */
function project(type: 'module' | 'commonjs' | null, files: Record<string, string>): string {
  const dir = tempDir();
  if (type !== null) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', type }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const TS_MODEL = `import { defineModel, int } from 'mmrace/model';
import { START } from './lib/start.js';
const limit: number = 2;
export default defineModel({
  id: 'counter-ts',
  state: { n: int(0, limit) },
  init: () => ({ n: START }),
  actors: { A: { steps: { inc: { run: (c) => { c.s.n = 1; } } } } },
  invariants: { small: (w) => w.s.n <= limit },
});
`;
const TS_LIB = `export const START: number = 0;\n`;

describe('loadModel', () => {
  for (const type of ['commonjs', 'module', null] as const) {
    it(`loads a .ts model that imports mmrace/model and a .ts file of its own, in a ${type ?? 'package.json-less'} project`, async () => {
      const dir = project(type, { 'model.ts': TS_MODEL, 'lib/start.ts': TS_LIB });
      const { model, url } = await loadModel(join(dir, 'model.ts'));
      expect(isModel(model)).toBe(true);
      expect(model.id).toBe('counter-ts');
      expect(url.endsWith('.mjs')).toBe(true);
    });
  }

  it('loads a .mts model, and a .js model written as an ES module in a commonjs project', async () => {
    const dir = project('commonjs', {
      'a.mts': TS_MODEL.replace("'./lib/start.js'", "'./lib/start.mjs'").replace('counter-ts', 'counter-mts'),
      'lib/start.mts': TS_LIB,
      'b.js': TS_MODEL.replace(': number', '').replace('counter-ts', 'counter-js').replace("'./lib/start.js'", "'./lib/s.js'"),
      'lib/s.js': 'export const START = 0;\n',
    });
    expect((await loadModel(join(dir, 'a.mts'))).model.id).toBe('counter-mts');
    expect((await loadModel(join(dir, 'b.js'))).model.id).toBe('counter-js');
  });

  it('gives a model and its worker threads one bundle: the same file loads to the same URL', async () => {
    const dir = project('module', { 'model.ts': TS_MODEL, 'lib/start.ts': TS_LIB });
    const a = await loadModel(join(dir, 'model.ts'));
    const b = await loadModel(join(dir, 'model.ts'));
    expect(b.url).toBe(a.url);
  });

  it('makes a new bundle when a file the model imports changes, and none when nothing did', async () => {
    const dir = project('module', { 'model.ts': TS_MODEL, 'lib/start.ts': TS_LIB });
    const first = await loadModel(join(dir, 'model.ts'));
    expect((await loadModel(join(dir, 'model.ts'))).url).toBe(first.url);
    writeFileSync(join(dir, 'lib/start.ts'), 'export const START: number = 1;\n');
    const edited = await loadModel(join(dir, 'model.ts'));
    expect(edited.url).not.toBe(first.url);
    expect(edited.model.init!({} as never)).toEqual({ n: 1 });
  });

  it('removes bundles unused for a week when it writes a new one', async () => {
    const dir = project('module', { 'model.ts': TS_MODEL.replace('counter-ts', `counter-${Date.now()}`), 'lib/start.ts': TS_LIB });
    const cache = dirname(fileURLToPath((await loadModel(join(dir, 'model.ts'))).url));
    const old = join(cache, 'unused-for-eight-days.mjs');
    writeFileSync(old, 'export default 0;\n');
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    utimesSync(old, eightDaysAgo, eightDaysAgo);
    writeFileSync(join(dir, 'model.ts'), TS_MODEL.replace('counter-ts', `counter-${Date.now()}-b`));
    await loadModel(join(dir, 'model.ts'));
    expect(existsSync(old)).toBe(false);
  });

  it('names the file, the line and the cause of a syntax error', async () => {
    const dir = project('module', { 'bad.ts': "import { defineModel } from 'mmrace/model';\nexport default defineModel({ id: 'x', ;\n" });
    const e = await mmRejection(loadModel(join(dir, 'bad.ts')));
    expect(e.code).toBe('E_MODEL_LOAD');
    expect(e.message).toMatch(/^cannot load model .*bad\.ts: .*bad\.ts:2:\d+: /);
    expect(e.message).not.toContain('\n');
  });

  it('names an import that does not resolve, and a name mmrace does not export', async () => {
    const dir = project('module', {
      'a.ts': "import { x } from './nowhere.js';\nexport default x;\n",
      'b.ts': "import { x } from 'mmrace/nothing';\nexport default x;\n",
      'c.ts': "import { x } from 'no-such-package';\nexport default x;\n",
    });
    expect((await mmRejection(loadModel(join(dir, 'a.ts')))).message).toMatch(/a\.ts:1:\d+: Could not resolve "\.\/nowhere\.js"/);
    expect((await mmRejection(loadModel(join(dir, 'b.ts')))).message).toContain("mmrace has no module 'mmrace/nothing': it exports mmrace, mmrace/model, mmrace/kernel, mmrace/testing");
    expect((await mmRejection(loadModel(join(dir, 'c.ts')))).message).toMatch(/c\.ts:1:\d+: Could not resolve "no-such-package"/);
  });

  it('tells a file that exports no model, a directory and a missing file apart', async () => {
    const dir = project('module', { 'none.ts': 'export const x = 1;\n', 'notes.txt': 'x' });
    const none = await mmRejection(loadModel(join(dir, 'none.ts')));
    expect(none.message).toMatch(/none\.ts does not export a model$/);
    expect(none.hint).toContain('export default defineModel');
    const d = await mmRejection(loadModel(dir));
    expect(d.message).toMatch(/ is a folder, not a model file$/);
    expect(d.hint).toContain('mmrace ci');
    const missing = await mmRejection(loadModel(join(dir, 'gone.ts')));
    expect(missing.message).toMatch(/^no such model file: .*gone\.ts$/);
    expect((await mmRejection(loadModel(join(dir, 'notes.txt')))).message).toContain('is not a model file');
  });

  it('reports a model that throws while it loads with its message, as E_MODEL_LOAD', async () => {
    const dir = project('module', { 'throws.ts': "throw new Error('boom at load');\n" });
    const e = await mmRejection(loadModel(join(dir, 'throws.ts')));
    expect(e.code).toBe('E_MODEL_LOAD');
    expect(e.message).toMatch(/^cannot load model .*throws\.ts: boom at load$/);
  });
});
