/** `mmrace list [dir]`: the scenarios and models under a folder. */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MmraceError, isMmraceError } from '../errors.js';
import { readInputText } from '../files.js';
import { MODEL_EXTENSIONS } from '../model/load.js';
import { loadScenarioIfAny, type Scenario } from '../run/scenario.js';
import { expectationText } from '../run/result.js';
import { oneLine, out } from './output.js';

export function findFiles(dir: string, pred: (name: string) => boolean): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new MmraceError('E_IO', `no such folder: ${dir}`);
  }
  if (!st.isDirectory()) throw new MmraceError('E_USAGE', `${dir} is not a folder`);
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (pred(e.name)) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** A .json file under a folder that is meant as a scenario: the scenario, or why it is not a valid one. */
export type FoundScenario = { readonly file: string; readonly scenario: Scenario } | { readonly file: string; readonly error: unknown };

/**
 * The scenarios under `dir`, for `list` and `ci`: every .json file meant as a scenario
 * (`loadScenarioIfAny`), in file order; any other .json (package.json, tsconfig.json,
 * package-lock.json) is skipped quietly, as are node_modules and dot-folders.
 */
export function findScenarios(dir: string): FoundScenario[] {
  const found: FoundScenario[] = [];
  for (const file of findFiles(dir, (n) => n.endsWith('.json'))) {
    try {
      const scenario = loadScenarioIfAny(file);
      if (scenario !== null) found.push({ file, scenario });
    } catch (error) {
      found.push({ file, error });
    }
  }
  return found;
}

export function runList(dir: string, flags: { json?: boolean }): number {
  const rows: { kind: string; name: string; file: string; model?: string; expect?: string; tags?: string[]; mutants?: string[]; error?: string }[] = [];
  for (const f of findScenarios(dir)) {
    if ('scenario' in f) {
      const s = f.scenario;
      rows.push({ kind: 'scenario', name: s.name, file: relative(process.cwd(), f.file), model: relative(process.cwd(), s.modelPath), expect: expectationText(s), tags: s.tags, mutants: s.mutants.map((mu) => mu.name) });
    } else {
      const e = f.error;
      rows.push({ kind: 'invalid', name: f.file, file: relative(process.cwd(), f.file), error: isMmraceError(e) ? `${e.code}: ${e.message}` : String(e) });
    }
  }
  for (const f of findFiles(dir, (n) => MODEL_EXTENSIONS.some((e) => n.endsWith(e)) && !n.endsWith('.d.ts'))) {
    let text: string;
    try {
      text = readInputText(f, { what: 'model' });
    } catch (e) {
      if (isMmraceError(e)) throw e;
      throw new MmraceError('E_IO', `cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const id = /defineModel\(\{\s*id:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
    if (id) rows.push({ kind: 'model', name: id, file: relative(process.cwd(), f) });
  }
  if (flags.json) {
    out(JSON.stringify({ dir, entries: rows }));
    return 0;
  }
  if (rows.length === 0) {
    out(`no scenarios or models under ${dir}`);
    return 0;
  }
  const w = Math.max(...rows.map((r) => oneLine(r.name).length));
  for (const r of rows) {
    if (r.kind === 'scenario') out(`scenario  ${oneLine(r.name).padEnd(w)}  ${oneLine(`expect ${r.expect}${r.tags?.length ? ` [${r.tags.join(', ')}]` : ''}${r.mutants?.length ? `, ${r.mutants.length} mutant${r.mutants.length > 1 ? 's' : ''}` : ''}  (${r.file})`)}`);
    else if (r.kind === 'model') out(`model     ${oneLine(r.name).padEnd(w)}  ${oneLine(r.file)}`);
    else out(`invalid   ${oneLine(`${r.file}: ${r.error}`)}`);
  }
  return rows.some((r) => r.kind === 'invalid') ? 2 : 0;
}
