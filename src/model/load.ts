/**
 * Loading a model file by path: TypeScript (`.ts`, `.mts`, `.cts`) or JavaScript
 * (`.js`, `.mjs`, `.cjs`), in any project (`"type": "module"` or `"commonjs"`), with no
 * build step.
 *
 * The model file and the files it imports by path are bundled by esbuild into one ES
 * module of plain JavaScript, kept in a cache folder under the system's temporary folder
 * and named by its content; packages are left to Node (imported from where the model's
 * project has them), and `mmrace`, `mmrace/model`, `mmrace/kernel` are this copy of
 * mmrace's own modules, so that a model and the checker share one modelling language.
 * Worker threads import the same bundle (`LoadedModel.url`): no TypeScript loader and no
 * bundler starts in a worker.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildFailure, Message, Plugin } from 'esbuild';
import { MmraceError, describeThrown, isMmraceError } from '../errors.js';
import { checkInputFile } from '../files.js';
import { MANIFEST, MODULES_DIR, exportedNames, ownModule } from '../package.js';
import { isModel, type Model } from './define.js';
import { guardExit } from './exit.js';

export interface LoadedModel {
  readonly model: Model;
  /** Absolute path of the model file. */
  readonly path: string;
  /** The module that holds the model, bundled (what worker threads import). */
  readonly url: string;
}

/** The extensions of a model file. */
export const MODEL_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;

export async function loadModel(path: string): Promise<LoadedModel> {
  const url = await bundleModel(path);
  return { model: await importModel(url, path), path: resolve(path), url };
}

/** Bundles the model file at `path` (see above) and returns the bundle's URL, which `importModel` imports. */
export async function bundleModel(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    checkInputFile(path, {
      what: 'model',
      code: 'E_MODEL_LOAD',
      hint: `a model is a file ending in ${MODEL_EXTENSIONS.join(', ')}`,
      hints: { folder: `check takes a scenario .json or a model file (${MODEL_EXTENSIONS.join(', ')}); mmrace ci <directory> checks the scenarios of a folder` },
    });
  } catch (e) {
    if (isMmraceError(e)) throw e;
    throw new MmraceError('E_MODEL_LOAD', `cannot read model ${path}: ${(e as Error).message}`);
  }
  if (!MODEL_EXTENSIONS.some((e) => abs.endsWith(e))) {
    throw new MmraceError('E_MODEL_LOAD', `${path} is not a model file (${MODEL_EXTENSIONS.join(', ')})`, 'check takes a model file or a scenario .json');
  }
  return bundle(abs, path);
}

/** The model a bundle made by `loadModel` exports (`path`: the model file, for messages). */
export async function importModel(url: string, path: string): Promise<Model> {
  let mod: Record<string, unknown>;
  // A model file's top-level code runs here: its process.exit is E_MODEL_EXIT (exit.ts).
  const restore = guardExit();
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if (isMmraceError(e)) throw new MmraceError(e.code, `${path}: ${e.code === 'E_MODEL_EXIT' ? 'as it was imported, ' : ''}${e.message}`, e.hint);
    const first = describeThrown(e).split('\n')[0];
    throw new MmraceError('E_MODEL_LOAD', `cannot load model ${path}: ${first}`);
  } finally {
    restore();
  }
  const model = mod['default'] ?? mod['model'];
  if (!isModel(model)) {
    throw new MmraceError(
      'E_MODEL_LOAD',
      `${path} does not export a model`,
      'a model file ends with `export default defineModel({ ... })`',
    );
  }
  return model;
}

/** Tells esbuild's own resolution of a package apart from the plugin's call for it. */
const RESOLVING = Symbol('mmrace.resolving');

/**
 * Packages stay outside the bundle, imported by Node from the file esbuild finds for
 * them (with the `import` conditions, from the model's folder up); mmrace's own names
 * are this copy's modules; a package whose entry is TypeScript (a workspace's sources)
 * is bundled. A path into this copy of mmrace (a model in its checkout that imports
 * `../../src/index.js`) stays outside the bundle too.
 */
const packages: Plugin = {
  name: 'mmrace-packages',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (a) => {
      const p = resolve(a.resolveDir, a.path);
      const rel = relative(MODULES_DIR, p);
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
      const file = [p, p.replace(/\.js$/, '.ts')].find((f) => existsSync(f)) ?? p;
      const asRequire = a.kind === 'require-call' || a.kind === 'require-resolve';
      return { path: asRequire ? file : pathToFileURL(file).href, external: true };
    });
    b.onResolve({ filter: /^[^./]/ }, async (a) => {
      if (a.pluginData === RESOLVING || a.kind === 'entry-point' || isAbsolute(a.path)) return undefined;
      const asRequire = a.kind === 'require-call' || a.kind === 'require-resolve';
      if (isBuiltin(a.path)) return { path: a.path, external: true };
      if (a.path === 'mmrace' || a.path.startsWith('mmrace/')) {
        const url = ownModule(a.path);
        if (url === null) return { errors: [{ text: `mmrace has no module '${a.path}': it exports ${exportedNames().join(', ')}` }] };
        return { path: asRequire ? fileURLToPath(url) : url, external: true };
      }
      const r = await b.resolve(a.path, { kind: a.kind, resolveDir: a.resolveDir, importer: a.importer, pluginData: RESOLVING });
      if (r.errors.length > 0) return { errors: r.errors };
      if (r.external || /\.[mc]?tsx?$/.test(r.path)) return undefined;
      return { path: asRequire ? r.path : pathToFileURL(r.path).href, external: true };
    });
  },
};

/** CommonJS code in the bundle may `require` a package: Node's require, from the bundle. */
const REQUIRE = "import { createRequire as __mmraceCreateRequire } from 'node:module'; const require = __mmraceCreateRequire(import.meta.url);";

/** Bundles the model file `abs` (`shown` as the user named it) and returns the bundle's URL. */
async function bundle(abs: string, shown: string): Promise<string> {
  const dir = cacheDir();
  const inputsFile = join(dir, `${sha256(JSON.stringify([abs, MODULES_DIR, MANIFEST.version, process.version])).slice(0, 32)}.inputs.json`);
  const hit = cachedBundle(dir, inputsFile);
  if (hit !== null) return hit;
  // Imported here, not above: a worker thread imports bundles and never loads esbuild.
  const { build } = await import('esbuild');
  let code: string;
  let inputs: string[];
  try {
    const out = await build({
      entryPoints: [abs],
      absWorkingDir: dirname(abs),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node}`,
      sourcemap: 'inline',
      logLevel: 'silent',
      banner: { js: REQUIRE },
      plugins: [packages],
      metafile: true,
    });
    code = out.outputFiles[0]!.text;
    inputs = Object.keys(out.metafile.inputs).map((k) => resolve(dirname(abs), k));
  } catch (e) {
    const first = (e as Partial<BuildFailure>).errors?.[0];
    if (first === undefined) throw new MmraceError('E_MODEL_LOAD', `cannot load model ${shown}: ${describeThrown(e).split('\n')[0]}`);
    throw new MmraceError('E_MODEL_LOAD', `cannot load model ${shown}: ${located(first)}`);
  }
  const name = `${sha256(code).slice(0, 32)}.mjs`;
  const file = join(dir, name);
  try {
    if (!existsSync(file)) {
      prune(dir);
      writeWhole(file, code);
    }
    const manifest: BundleInputs = { bundle: name, inputs: inputs.filter((f) => existsSync(f)).map((f) => [f, sha256(readFileSync(f))]) };
    writeWhole(inputsFile, JSON.stringify(manifest));
  } catch (e) {
    throw new MmraceError('E_IO', `cannot write the bundle of ${shown} to ${dir}: ${(e as Error).message}`, 'set TMPDIR to a writable folder');
  }
  return pathToFileURL(file).href;
}

/** What a bundle was made of: the files esbuild read (absolute) and the hash of each one's bytes. */
interface BundleInputs {
  readonly bundle: string;
  readonly inputs: readonly (readonly [string, string])[];
}

/**
 * The bundle made last time from the same model file by this copy of mmrace, if none of
 * the files it was made of has changed since (their bytes, not their times), or null:
 * then no bundler starts at all.
 */
function cachedBundle(dir: string, inputsFile: string): string | null {
  try {
    const m = JSON.parse(readFileSync(inputsFile, 'utf8')) as BundleInputs;
    for (const [f, hash] of m.inputs) if (sha256(readFileSync(f)) !== hash) return null;
    const file = join(dir, m.bundle);
    // Touched: a bundle in use is never pruned.
    const now = new Date();
    utimesSync(file, now, now);
    utimesSync(inputsFile, now, now);
    return pathToFileURL(file).href;
  } catch {
    return null;
  }
}

/** Bundles and their input lists unused for this long are removed when a new bundle is written. */
const KEEP_DAYS = 7;

function prune(dir: string): void {
  const before = Date.now() - KEEP_DAYS * 86_400_000;
  for (const name of readdirSync(dir)) {
    const f = join(dir, name);
    try {
      if (statSync(f).mtimeMs < before) rmSync(f, { force: true });
    } catch {
      // gone already (another process pruned it)
    }
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes a file whole under another name, then renames it: a worker or another process never sees half of it. */
function writeWhole(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** `file:line:col: text` of an esbuild message. */
function located(m: Message): string {
  const l = m.location;
  return l === null ? m.text : `${l.file}:${l.line}:${l.column + 1}: ${m.text}`;
}

/** Where bundles are kept: a folder of this user's under the system's temporary folder. */
function cacheDir(): string {
  const dir = join(tmpdir(), `mmrace-${process.getuid?.() ?? 'user'}`, 'models');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new MmraceError('E_IO', `cannot create ${dir}: ${(e as Error).message}`, 'set TMPDIR to a writable folder');
  }
  return dir;
}

/** The hash of a model file's source (traces and checkpoints record it, to tell an edited model). */
export function hashSource(path: string): string {
  try {
    return 'sha256:' + createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (e) {
    throw new MmraceError('E_IO', `cannot read ${path}: ${(e as Error).message}`);
  }
}
