/**
 * Scenario files: a model, its parameters, a strategy, limits and the expected
 * verdict. JSON, validated on load; paths are relative to the scenario file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MmraceError, isMmraceError } from '../errors.js';
import { checkInputFile, isMissing, readInputText } from '../files.js';
import type { CompiledModel } from '../model/compile.js';
import { STRATEGIES, isWalk } from '../strategy/index.js';
import { MAX_SEED } from '../strategy/chooser.js';

const paramValue = z.union([z.number(), z.boolean(), z.string()]);

/** A scenario's name, or a mutant's: it names the trace file, so it may not leave that folder or hide there. */
const fileName = z
  .string()
  .min(1)
  .regex(/^[^./\\\u0000-\u001f\u007f][^/\\\u0000-\u001f\u007f]*$/, 'a name may not start with a dot nor hold /, \\ or control characters (it names the trace file)');

/**
 * A mutant of a safe scenario: the same search with the parameters that take its fix out
 * (`params`, over the scenario's), which must then find the violation `expect` names.
 * `mmrace ci` runs each mutant after its scenario; a mutant that survives (no violation
 * of its property) fails the run: the scenario could not have failed.
 */
const mutantSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a mutant name is letters, digits, _, . and - (it names the mutant in reports and trace files)'),
  description: z.string().optional(),
  params: z.record(z.string(), paramValue).refine((p) => Object.keys(p).length > 0, 'a mutant sets at least one parameter'),
  expect: z.strictObject({
    verdict: z.literal('violation'),
    /** The invariant, fault property or `deadlock` the mutant must violate. */
    property: z.string().min(1),
  }),
});

export type Mutant = z.infer<typeof mutantSchema>;

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  /**
   * Defaults to the file name without .json. It names the default trace file
   * (`.mmrace/traces/NAME-….trace.json`), so it may not leave that folder or hide there.
   */
  name: fileName.optional(),
  description: z.string().optional(),
  /** Path of the model file, relative to the scenario file. */
  model: z.string().min(1),
  params: z.record(z.string(), paramValue).default({}),
  strategy: z.enum(STRATEGIES as [string, ...string[]]).default('bfs'),
  /** random, pct, bounded: the seed of their choices (docs/strategies.md). */
  seed: z.number().int().min(0).max(MAX_SEED).optional(),
  /** pct: the bug depth d. */
  pctDepth: z.number().int().positive().optional(),
  limits: z
    .strictObject({
      maxStates: z.number().int().positive().optional(),
      maxDepth: z.number().int().min(0).optional(),
      timeLimit: z.number().positive().optional(),
      /** random, pct: runs to make; bounded: at most this many schedules. */
      runs: z.number().int().positive().optional(),
    })
    .default({}),
  expect: z.discriminatedUnion('verdict', [
    z.strictObject({ verdict: z.literal('safe') }),
    z.strictObject({
      verdict: z.literal('violation'),
      /** The invariant, fault property or `deadlock` that must be violated. */
      property: z.string().min(1),
    }),
  ]),
  /** `deep` scenarios run only with `mmrace ci --deep`. */
  tags: z.array(z.string()).default([]),
  /** Safe scenarios: the fix removals that must break them (see `Mutant`). */
  mutants: z.array(mutantSchema).default([]),
  /** A safe scenario without mutants says why none exists. */
  noMutants: z.string().min(1).optional(),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;

export interface Scenario extends ScenarioFile {
  readonly name: string;
  /** Absolute path of the scenario file. */
  readonly file: string;
  /** Absolute path of the model file. */
  readonly modelPath: string;
}

export function parseScenario(json: unknown, file: string): Scenario {
  const r = scenarioSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.map(String).join('.') : 'the top level';
    throw new MmraceError('E_SCENARIO', `${file}: at ${where}: ${issue.message}`, 'see docs/scenarios.md for the fields of a scenario');
  }
  const s = r.data;
  // zod builds `params` afresh and drops a `__proto__` key on the way: refuse it rather
  // than check the model with a parameter silently left out.
  const rawParams = (json as { params?: unknown }).params;
  if (typeof rawParams === 'object' && rawParams !== null && Object.hasOwn(rawParams, '__proto__')) {
    throw new MmraceError('E_SCENARIO', `${file}: at params.__proto__: not a parameter name`, 'see docs/scenarios.md for the fields of a scenario');
  }
  const walk = isWalk(s.strategy);
  const wrong = (where: string, message: string) => new MmraceError('E_SCENARIO', `${file}: at ${where}: ${message}`, 'see docs/strategies.md');
  if (!walk && s.seed !== undefined) throw wrong('seed', `applies to the strategies random, pct and bounded, not ${s.strategy}`);
  if (!walk && s.limits.runs !== undefined) throw wrong('limits.runs', `applies to the strategies random, pct and bounded, not ${s.strategy}`);
  if (s.pctDepth !== undefined && s.strategy !== 'pct') throw wrong('pctDepth', `applies to the strategy pct, not ${s.strategy}`);
  if (walk && s.expect.verdict === 'safe') {
    throw wrong('expect.verdict', `${s.strategy} is a bug-hunting strategy: it never reports safe, so it cannot meet "safe" (use bfs or dfs)`);
  }
  checkMutants(s, json, file);
  const abs = resolve(file);
  return { ...s, name: s.name ?? basename(file).replace(/\.json$/, ''), file: abs, modelPath: resolve(dirname(abs), s.model) };
}

/** The rules of `mutants` and `noMutants` that the schema alone does not say (`json`: the file as read). */
function checkMutants(s: ScenarioFile, json: unknown, file: string): void {
  const wrong = (where: string, message: string) => new MmraceError('E_SCENARIO', `${file}: at ${where}: ${message}`, 'see docs/scenarios.md, "Mutants"');
  if (s.expect.verdict !== 'safe') {
    if (s.mutants.length > 0) throw wrong('mutants', 'mutants belong to a safe scenario: they take its fix out and must then find a violation');
    if (s.noMutants !== undefined) throw wrong('noMutants', 'applies to a safe scenario');
    return;
  }
  if (s.noMutants !== undefined && s.mutants.length > 0) throw wrong('noMutants', 'a scenario with mutants needs no reason for having none');
  const seen = new Set<string>();
  s.mutants.forEach((mu, i) => {
    if (seen.has(mu.name)) throw wrong(`mutants.${i}.name`, `a second mutant named '${mu.name}'`);
    seen.add(mu.name);
    // zod builds `params` afresh and drops a `__proto__` key: look for it in the file's own.
    const raw = (json as { mutants?: { params?: unknown }[] }).mutants?.[i]?.params;
    if (typeof raw === 'object' && raw !== null && Object.hasOwn(raw, '__proto__')) throw wrong(`mutants.${i}.params.__proto__`, 'not a parameter name');
    if (Object.entries(mu.params).every(([k, v]) => s.params[k] === v)) {
      throw wrong(`mutants.${i}.params`, `mutant '${mu.name}' sets every parameter as the scenario does: it is the scenario's own search, which is safe`);
    }
  });
}

/**
 * Mutant `mu` of scenario `s` as a scenario of its own: `s` with `mu`'s parameters over
 * its own and `mu`'s expectation, named `S~M`, from the same file.
 */
export function mutantScenario(s: Scenario, mu: Mutant): Scenario {
  const { description, ...rest } = s;
  return {
    ...rest,
    name: `${s.name}~${mu.name}`,
    ...(mu.description !== undefined ? { description: mu.description } : description !== undefined ? { description } : {}),
    params: { ...s.params, ...mu.params },
    expect: mu.expect,
    mutants: [],
    noMutants: undefined,
  };
}

/** What a scenario is, for the errors of a scenario file that cannot be read. */
const SCENARIO_HINT = 'a scenario is a .json file that names a model and the verdict expected of it: see docs/scenarios.md';

export function loadScenario(file: string): Scenario {
  return parseScenario(parseJson(readScenarioText(file), file), file);
}

/**
 * The scenario in `file`, or null when the file is JSON that is not meant as a scenario
 * (`isScenarioShaped`): what `mmrace list` and `mmrace ci` find in a folder, where a
 * project's package.json, tsconfig.json or package-lock.json are no concern of theirs. A
 * file meant as a scenario that is not a valid one still throws, as `loadScenario`.
 */
export function loadScenarioIfAny(file: string): Scenario | null {
  const text = readScenarioText(file);
  let json: unknown;
  try {
    json = parseJson(text, file);
  } catch (e) {
    // Not JSON at all (tsconfig.json may hold comments): a scenario only if it reads as one.
    if (SCENARIO_KEY.test(text)) throw e;
    return null;
  }
  return isScenarioShaped(json) ? parseScenario(json, file) : null;
}

/** A key of a scenario, as it reads in a file that is not valid JSON. */
const SCENARIO_KEY = /"(model|expect)"\s*:/;

/**
 * Whether parsed JSON is meant as a scenario, valid or not: an object with an `expect` or
 * a `model` key (the two fields every scenario has). What mmrace writes names a model too
 * and is not a scenario: a trace (it has a `format`), a --json result (a `verdict`).
 */
export function isScenarioShaped(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  if (Object.hasOwn(json, 'expect')) return true;
  return Object.hasOwn(json, 'model') && !Object.hasOwn(json, 'format') && !Object.hasOwn(json, 'verdict');
}

/**
 * The text of scenario `file`: a regular file of at most 64 MiB (MAX_INPUT_BYTES), or E_IO
 * before a byte is read (missing, a folder, /dev/zero, a FIFO), as files.ts words each.
 */
function readScenarioText(file: string): string {
  const o = { what: 'scenario', hint: SCENARIO_HINT } as const;
  try {
    checkInputFile(file, o);
    // Checked again as it is opened: the file may have been replaced in between.
    return readInputText(file, o);
  } catch (e) {
    if (isMmraceError(e)) throw e;
    // Gone between the check and the read: refused as the check refuses a missing file.
    if (isMissing(e)) checkInputFile(file, o);
    throw new MmraceError('E_IO', `cannot read scenario ${file}: ${(e as Error).message}`);
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    // An editor may have saved it with a byte-order mark, which JSON.parse refuses.
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new MmraceError('E_SCENARIO', `${file} is not valid JSON: ${(e as Error).message}`);
  }
}

// ---- the expected property -----------------------------------------------------------

/** The folder of mmrace's own sources: a model's imports of the engine are not the model's. */
const ENGINE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Properties a scenario may expect besides the model's invariants and fault properties. */
const BUILT_IN = ['deadlock', 'fault'] as const;

/** What a model can report violated, as far as its compiled form and its source tell. */
export interface ModelProperties {
  /** The invariants of the compiled model, in declaration order. */
  readonly invariants: readonly string[];
  /**
   * The fault properties found in the source: string literals given to `c.fault()` or
   * set as a `property` (how the models pass a fault policy). Best effort: a property
   * is only known at run time, when a step raises the fault.
   */
  readonly faults: readonly string[];
  /** The model file and the files it imports by relative path (not mmrace's own). */
  readonly sources: readonly string[];
  /** Their text, to look for a fault property written as a string literal. */
  readonly text: string;
}

/**
 * The model file and, transitively, the files it imports by relative path (`../lib/…`),
 * leaving out mmrace's own sources and packages: where a fault property is written.
 */
export function modelSources(modelPath: string): string[] {
  const seen = new Set<string>();
  const todo = [resolve(modelPath)];
  while (todo.length > 0 && seen.size < 256) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]+)\1/g)) {
      const target = resolveImport(dirname(f), m[2]!);
      if (target !== null && !seen.has(target) && !isInside(target, ENGINE_DIR)) todo.push(target);
    }
  }
  return [...seen].filter((f) => existsSync(f));
}

/** The file a relative import names, as tsx finds it (`./x.js` may be `./x.ts`), or null. */
function resolveImport(dir: string, spec: string): string | null {
  const base = resolve(dir, spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}.js`, resolve(base, 'index.ts')];
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      /* next candidate */
    }
  }
  return null;
}

function isInside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel);
}

/** The properties of a compiled model and of the source files of `modelPath`. */
export function modelProperties(m: CompiledModel, modelPath: string): ModelProperties {
  const sources = modelSources(modelPath);
  const text = sources.map((f) => readFileSync(f, 'utf8')).join('\n');
  return { invariants: m.invariants.map((i) => i.name), faults: faultLiterals(text), sources, text };
}

/** A string literal in source text: '…', "…" or `…` without ${}. */
const LITERAL = /'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\$]|\\.|\$(?!\{))*)`/g;

function literalsIn(text: string): string[] {
  return [...text.matchAll(LITERAL)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/**
 * The fault properties a source names, for the error message: the literals of a
 * `property: …` or `property = …` (a fault policy, a ternary of two) and the last
 * argument of a `.fault(…)` call when it is a literal. Calls nested in them are dropped
 * first, so that `f(ref, 'x') ? 'A' : 'B'` gives A and B only.
 */
export function faultLiterals(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    let flat = line;
    for (let prev = ''; prev !== flat; ) [prev, flat] = [flat, flat.replace(/\b\w+\s*\([^()]*\)/g, '()')];
    for (const m of flat.matchAll(/\bproperty\s*[:=]\s*([^,;}]*)/g)) for (const lit of literalsIn(m[1]!)) found.add(lit);
  }
  for (const m of text.matchAll(/\.fault\(/g)) {
    const args = topLevelArgs(text, m.index + m[0].length);
    const last = args.length > 1 ? args[args.length - 1]!.trim() : '';
    const lit = /^(['"`])([^'"`$\\\n]*)\1$/.exec(last);
    if (lit) found.add(lit[2]!);
  }
  return [...found].filter((p) => /^[A-Za-z][\w.:-]*$/.test(p));
}

/** The arguments of a call whose text starts at `from` (after its parenthesis). */
function topLevelArgs(text: string, from: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote = '';
  let start = from;
  for (let i = from; i < text.length && i < from + 2000; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i));
      start = i + 1;
    } else if (c === ')') {
      args.push(text.slice(start, i));
      return args;
    }
  }
  return [];
}

/**
 * The scenario's `expect.property` must be something the model can report: one of its
 * invariants, `deadlock`, `fault` (the default property of `c.fault`), or a fault
 * property its source writes as a string. Otherwise the expectation could never be met
 * and a typo would pass for a surprise: error E_SCENARIO, listing what the model has.
 * Call it once the scenario's model is compiled (`check`, `ci`).
 */
export function checkExpectedProperty(s: Scenario, m: CompiledModel, props: ModelProperties = modelProperties(m, s.modelPath)): void {
  if (s.expect.verdict !== 'violation') return;
  const want = s.expect.property;
  if (props.invariants.includes(want) || (BUILT_IN as readonly string[]).includes(want)) return;
  if (['"', "'", '`'].some((q) => props.text.includes(q + want + q))) return;
  const faults = props.faults.filter((f) => !props.invariants.includes(f));
  const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : 'none');
  const near = closest(want, [...props.invariants, ...faults, ...BUILT_IN]);
  throw new MmraceError(
    'E_SCENARIO',
    `${relative(process.cwd(), s.file) || s.file}: at expect.property: model ${m.id} has no invariant or fault property '${want}': ` +
      `its invariants are ${list(props.invariants)}; the fault properties in its source are ${list(faults)}; and deadlock`,
    near ? `did you mean '${near}'?` : 'see docs/scenarios.md: the property is an invariant, a property given to c.fault(), or deadlock',
  );
}

/** The name in `names` closest to `want` by edit distance, if it is close (a typo). */
function closest(want: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Math.max(1, Math.floor(want.length / 4)) + 1;
  for (const n of names) {
    const d = editDistance(want.toLowerCase(), n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}
