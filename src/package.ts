/**
 * mmrace's own package: its manifest, and the module behind each name it exports
 * (`mmrace`, `mmrace/model`, `mmrace/kernel`, `mmrace/testing`), in this copy of
 * mmrace, whether it runs from its compiled `dist/` or from its sources.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The root folder of this copy of mmrace (where package.json is), as a file URL. */
export const ROOT_URL = new URL('../', import.meta.url);

interface Manifest {
  readonly version: string;
  readonly exports: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
}

export const MANIFEST: Manifest = JSON.parse(readFileSync(new URL('package.json', ROOT_URL), 'utf8')) as Manifest;

/** The folder of this copy's modules: dist/, or src/ in a checkout run from its sources. */
export const MODULES_DIR: string = fileURLToPath(new URL('./', import.meta.url));

/** Whether this copy runs from its TypeScript sources (a checkout) rather than from dist/. */
export const FROM_SOURCE: boolean = import.meta.url.endsWith('.ts');

/** The names the package exports, as a model would import them: `mmrace`, `mmrace/model`, … */
export function exportedNames(): string[] {
  return Object.keys(MANIFEST.exports).map((k) => (k === '.' ? 'mmrace' : `mmrace/${k.slice(2)}`));
}

/**
 * The compiled file a package name stands for (`./dist/model/index.js` for
 * `mmrace/model`, relative to the root), or null if the package does not export it.
 */
export function exportTarget(name: string): string | null {
  const sub = name === 'mmrace' ? '.' : name.startsWith('mmrace/') ? `./${name.slice(7)}` : null;
  if (sub === null) return null;
  const e = MANIFEST.exports[sub];
  if (e === undefined) return null;
  return typeof e === 'string' ? e : (e['import'] ?? e['default'] ?? null);
}

/** The source file of a compiled file of dist/ (`src/model/index.ts` for `./dist/model/index.js`). */
export function sourceOf(target: string): string {
  return target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
}

/** The URL of the module of this copy of mmrace that `name` (`mmrace/model`) stands for, or null. */
export function ownModule(name: string): string | null {
  const target = exportTarget(name);
  if (target === null) return null;
  return new URL(FROM_SOURCE ? sourceOf(target) : target, ROOT_URL).href;
}
