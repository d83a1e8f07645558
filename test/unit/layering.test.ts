/**
 * The layering of src/ (docs/architecture.md): no import against the arrows of its
 * table, no folder cycle, and a model that loads the modelling language only. The
 * checker itself (scripts/layering.ts) is tested on a small tree with each fault planted.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { arrowsOf, violations } from '../../scripts/layering.js';
import { removeTempDirs, tempDir } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const ARCHITECTURE = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

afterAll(removeTempDirs);

describe('the layering of src/', () => {
  it('every folder of src/ is in the table of docs/architecture.md, with its arrows', () => {
    const arrows = arrowsOf(ARCHITECTURE);
    expect([...arrows.keys()].sort()).toEqual(['cli', 'engine', 'kernel', 'model', 'parallel', 'report', 'run', 'state', 'strategy', 'testing', 'trace']);
    expect([...arrows.get('model')!]).toEqual([]);
    expect([...arrows.get('kernel')!]).toEqual(['model']);
    expect(arrows.get('engine')!.has('report')).toBe(false);
  });

  it('has no import against the arrows, no folder cycle, and models that load no checker code', () => {
    expect(violations(ROOT, ARCHITECTURE)).toEqual([]);
  });
});

describe('the layering check', () => {
  /** A tree with src/ folders a (may import b), b (may import model), model, and a model file. */
  const tree = (files: Record<string, string>): string => {
    const root = tempDir();
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  };
  const table = ['| folder | job | may import |', '|---|---|---|', '| `a/` | x | b |', '| `b/` | y | model |', '| `model/` | z | — |'].join('\n');
  const clean = {
    'src/a/one.ts': "import { two } from '../b/two.js';\nexport const one = two;\n",
    'src/b/two.ts': "import type { T } from '../model/index.js';\nexport const two = 2;\nexport type U = T;\n",
    'src/model/index.ts': "export type T = number;\nexport const t: T = 1;\n",
    'models/m.ts': "import { t } from '../src/model/index.js';\nexport const m = t;\n",
  };

  it('finds nothing in a tree that keeps its arrows', () => {
    expect(violations(tree(clean), table)).toEqual([]);
  });

  it('finds an import against the arrows, a type-only one too', () => {
    const bad = violations(tree({ ...clean, 'src/b/two.ts': "import type { one } from '../a/one.js';\nexport const two = 2;\nexport type V = typeof one;\n" }), table);
    expect(bad).toContain('src/b/two.ts -> src/a/one.ts (types): b/ may not import a/ (docs/architecture.md)');
  });

  it('finds a folder cycle of run-time imports, through a dynamic import', () => {
    const bad = violations(tree({ ...clean, 'src/b/two.ts': "export const two = 2;\nexport const later = () => import('../a/one.js');\n" }), table);
    expect(bad).toContain('folder cycle of run-time imports: a, b');
  });

  it('finds a model that loads checker code, however far down', () => {
    const bad = violations(tree({ ...clean, 'src/model/index.ts': "export type T = number;\nexport const t: T = 1;\nexport { one } from '../a/one.js';\n" }), table);
    expect(bad.some((b) => b.startsWith('models/m.ts loads src/a/one.ts'))).toBe(true);
    expect(bad.some((b) => b.startsWith('src/model/index.ts loads src/a/one.ts'))).toBe(true);
  });

  it('follows the package\'s own names: a model that imports `mmrace` (the checker) instead of `mmrace/model`', () => {
    const bad = violations(tree({ ...clean, 'src/index.ts': "export { one } from './a/one.js';\n", 'models/m.ts': "import { one } from 'mmrace';\nexport const m = one;\n" }), table);
    expect(bad.some((b) => b.startsWith('models/m.ts loads src/index.ts'))).toBe(true);
    expect(violations(tree({ ...clean, 'models/m.ts': "import { t } from 'mmrace/model';\nexport const m = t;\n" }), table)).toEqual([]);
  });

  it('finds a folder missing from the table', () => {
    expect(violations(tree({ ...clean, 'src/c/three.ts': 'export const three = 3;\n' }), table)).toContain('src/c/ is not in the table of docs/architecture.md');
  });
});
