/**
 * Where a finding lives in the sources, for CI outputs that point at a line (SARIF, GitHub
 * annotations): the line of the model file that defines the failing step or invariant, and
 * paths relative to the repository that holds them.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { readInputText } from '../files.js';
import type { CheckResult } from './verdict.js';

/** Escapes `s` for a regular expression. */
function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The 1-based line of `source` where `name` is first written as an object key (`name:`,
 * `'name':`, `"name":`), as a model names its steps and invariants; null when it is not.
 * A reading of the text, not of the program: a step whose label is computed (a helper
 * that builds steps) has no line, and the finding points at the scenario instead.
 */
export function keyLine(source: string, name: string, after = 0): number | null {
  const n = literal(name);
  const key = new RegExp(`(?:^|[\\s{,(])(?:${n}|'${n}'|"${n}"|\`${n}\`)\\s*:(?!:)`);
  const lines = source.split('\n');
  // A line comment may mention a name followed by a colon: only code counts.
  for (let i = after; i < lines.length; i++) if (key.test(lines[i]!.replace(/\s\/\/.*$/, ''))) return i + 1;
  return null;
}

/**
 * What a result's finding is about, as the model file spells it: the invariant violated,
 * or the label of the last step of its trace with its actor (the step that faulted, threw
 * or was stopped; for a deadlock, the last step taken). Null when there is none.
 */
export function findingName(r: CheckResult): { readonly name: string; readonly actor?: string } | null {
  if (r.verdict === 'violation' && r.kind === 'invariant' && r.property !== undefined) return { name: r.property };
  const last = r.trace?.schedule.at(-1);
  return last ? { name: last.label, actor: last.actor } : null;
}

/** The line of model file `file` that defines what result `r` is about, or null (unreadable, or not found). */
export function findingLine(file: string, r: CheckResult): number | null {
  const what = findingName(r);
  if (what === null) return null;
  try {
    const source = readInputText(file, { what: 'model' });
    // A step's label after its actor's key (two actors may have steps of one name).
    const actor = what.actor !== undefined ? keyLine(source, what.actor) : null;
    return (actor !== null ? keyLine(source, what.name, actor) : null) ?? keyLine(source, what.name);
  } catch {
    return null;
  }
}

/** The repository (the nearest folder with a `.git`) that holds `from`, or null. */
export function repositoryRoot(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * `file` (absolute, or relative to the working folder) relative to `root`, with forward
 * slashes, as code scanning wants a repository's paths; absolute when it lies outside
 * `root`.
 */
export function underRoot(file: string, root: string): string {
  const abs = isAbsolute(file) ? file : resolve(file);
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return abs.split(sep).join('/');
  return rel.split(sep).join('/');
}
