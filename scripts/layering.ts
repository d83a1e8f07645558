/**
 * The layering of `src/`, checked against the arrows that docs/architecture.md writes
 * down: every import (at run time or for types) between two folders must be one the table
 * allows, no folder may take part in a cycle of run-time imports, and a model (models/,
 * or src/model/index.ts) must load nothing outside the modelling language and the kernel
 * primitives.
 *
 *   node --import tsx scripts/layering.ts     prints each violation; exit 1 if any
 *
 * Imports are read with TypeScript's own parser: `import`, `export … from`, `import()`
 * and `require()`, with type-only imports told apart.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { exportTarget, sourceOf } from '../src/package.js';

/** One import: from file to file (both relative to the root), and whether it is for types only. */
export interface Import {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

/** Files every folder may import (the shared leaves), and the file that may import anything (the package). */
const LEAVES = ['src/errors.ts', 'src/files.ts', 'src/package.ts', 'src/version.ts'];
const FACE = 'src/index.ts';
/** What a model may load: the modelling language (`mmrace/model`) and the kernel primitives (`mmrace/kernel`). */
const MODEL_FOLDERS = ['model', 'kernel'];

/** The files under `dir` (relative to `root`) with a TypeScript or JavaScript extension. */
function sources(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(n) && !n.endsWith('.d.ts')) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(join(root, dir));
  return out;
}

/**
 * The file a specifier names from `from`, or null for another package: a relative one
 * as the module loader finds it (`./x.js` may be `./x.ts`), and the package's own names
 * (`mmrace/model`) as the source of what package.json exports for them.
 */
function resolveSpec(root: string, from: string, spec: string): string | null {
  if (spec === 'mmrace' || spec.startsWith('mmrace/')) {
    const target = exportTarget(spec);
    return target === null ? null : sourceOf(target);
  }
  if (!spec.startsWith('.')) return null;
  const base = resolve(root, dirname(from), spec);
  for (const c of [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base.replace(/\.cjs$/, '.cts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return relative(root, c).split(sep).join('/');
  }
  return null;
}

/** Every import of the files under `dirs` of `root` of a file of this package. */
export function importsOf(root: string, dirs: readonly string[]): Import[] {
  const out: Import[] = [];
  for (const file of dirs.flatMap((d) => sources(root, d))) {
    const text = readFileSync(join(root, file), 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const add = (spec: string, typeOnly: boolean): void => {
      if (!spec.startsWith('.') && spec !== 'mmrace' && !spec.startsWith('mmrace/')) return;
      const to = resolveSpec(root, file, spec);
      if (to !== null) out.push({ from: file, to, typeOnly });
    };
    const visit = (n: ts.Node): void => {
      if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
        const c = n.importClause;
        const named = c?.namedBindings;
        const typeOnly = c !== undefined && (c.isTypeOnly || (c.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)));
        add(n.moduleSpecifier.text, typeOnly);
      } else if (ts.isExportDeclaration(n) && n.moduleSpecifier !== undefined && ts.isStringLiteral(n.moduleSpecifier)) {
        const ec = n.exportClause;
        add(n.moduleSpecifier.text, n.isTypeOnly || (ec !== undefined && ts.isNamedExports(ec) && ec.elements.length > 0 && ec.elements.every((e) => e.isTypeOnly)));
      } else if (ts.isCallExpression(n) && n.arguments.length > 0 && ts.isStringLiteral(n.arguments[0]!)) {
        const callee = n.expression;
        if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add((n.arguments[0] as ts.StringLiteral).text, false);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** The folder of a file of `src/` (`engine` for src/engine/x.ts), or null for a file at its top. */
export function folderOf(file: string): string | null {
  const parts = file.split('/');
  return parts[0] === 'src' && parts.length > 2 ? parts[1]! : null;
}

/**
 * The arrows of docs/architecture.md: per folder, the folders it may import, from the
 * rows of its table that start with a folder name in backquotes (`` `engine/` ``) and end
 * with the list (or — for none).
 */
export function arrowsOf(markdown: string): Map<string, Set<string>> {
  const arrows = new Map<string, Set<string>>();
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`([a-z]+)\/`\s*\|.*\|\s*([^|]*?)\s*\|\s*$/.exec(line);
    if (!m) continue;
    const may = m[2]!.trim();
    arrows.set(m[1]!, new Set(may === '—' || may === '' ? [] : may.split(',').map((s) => s.trim())));
  }
  return arrows;
}

/** The folders on some cycle of `edges` (folder → folders it imports). */
export function cyclesOf(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  // Tarjan's strongly connected components; a component of two or more is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        on.delete(w);
        comp.push(w);
        if (w === v) break;
      }
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** What `check` finds: each a sentence naming the files. */
export function violations(root: string, architecture: string): string[] {
  const arrows = arrowsOf(architecture);
  const imports = importsOf(root, ['src', 'models']);
  const bad: string[] = [];
  const folders = new Set(sources(root, 'src').map(folderOf).filter((f): f is string => f !== null));
  for (const f of folders) if (!arrows.has(f)) bad.push(`src/${f}/ is not in the table of docs/architecture.md`);
  const runtime = new Map<string, Set<string>>();
  for (const { from, to, typeOnly } of imports) {
    if (!from.startsWith('src/') || !to.startsWith('src/') || from === FACE || LEAVES.includes(to)) continue;
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    if (a === null || b === null) {
      bad.push(`${from} -> ${to}: only ${FACE} may import ${b === null ? to : `from ${b}/`} from outside a folder`);
      continue;
    }
    if (!typeOnly) (runtime.get(a) ?? runtime.set(a, new Set()).get(a)!).add(b);
    if (!(arrows.get(a)?.has(b) ?? false)) bad.push(`${from} -> ${to}${typeOnly ? ' (types)' : ''}: ${a}/ may not import ${b}/ (docs/architecture.md)`);
  }
  for (const c of cyclesOf(runtime)) bad.push(`folder cycle of run-time imports: ${c.join(', ')}`);
  for (const c of cyclesOf(arrows)) bad.push(`the arrows of docs/architecture.md form a cycle: ${c.join(', ')}`);
  // A model loads the modelling language only.
  const next = new Map<string, string[]>();
  for (const { from, to, typeOnly } of imports) if (!typeOnly) (next.get(from) ?? next.set(from, []).get(from)!).push(to);
  const starts = [...sources(root, 'models'), 'src/model/index.ts', 'src/kernel/index.ts'];
  for (const start of starts) {
    const seen = new Set<string>([start]);
    const todo = [start];
    while (todo.length > 0) {
      const f = todo.pop()!;
      for (const t of next.get(f) ?? []) {
        if (seen.has(t)) continue;
        seen.add(t);
        if (t.startsWith('src/') && !MODEL_FOLDERS.includes(folderOf(t) ?? '') && !LEAVES.includes(t)) {
          bad.push(`${start} loads ${t} (through ${f}): a model loads the modelling language and the kernel primitives, not the checker`);
          continue;
        }
        todo.push(t);
      }
    }
  }
  return bad;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bad = violations(ROOT, readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8'));
  for (const b of bad) process.stdout.write(`${b}\n`);
  process.stdout.write(`${bad.length} layering violations\n`);
  process.exitCode = bad.length === 0 ? 0 : 1;
}
