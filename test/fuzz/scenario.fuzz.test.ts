/**
 * Fuzzing the scenario loader: random JSON, and the real scenarios of scenarios/ mutated
 * (fields dropped, retyped, set to huge, negative or fractional numbers, unknown fields,
 * wrong enum values; empty, binary and truncated files). Every outcome is compared with
 * an oracle written from docs/scenarios.md, not with what the loader says: a loader
 * that accepts what the docs refuse (or the reverse) fails here. Every refusal must be
 * E_SCENARIO (E_IO for a file that cannot be read) in one line, also through the CLI.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '../../src/cli/output.js';
import { MmraceError } from '../../src/errors.js';
import { loadScenario, parseScenario, type Scenario } from '../../src/run/scenario.js';
import { expectFailure, fuzzParams, removeTemps, root, runMain, temp } from './harness.js';

afterAll(removeTemps);

// ---- the oracle: docs/scenarios.md as code ---------------------------------------------

const STRATEGIES = ['bfs', 'dfs', 'random', 'pct', 'bounded'];
const WALKS = ['random', 'pct', 'bounded'];
const TOP = ['$schema', 'name', 'description', 'model', 'params', 'strategy', 'seed', 'pctDepth', 'limits', 'expect', 'tags', 'mutants', 'noMutants'];
const MUTANT = ['name', 'description', 'params', 'expect'];
const LIMITS = ['maxStates', 'maxDepth', 'timeLimit', 'runs'];
/** The seeds of random, pct and bounded are 32-bit (docs/strategies.md). */
const MAX_SEED = 2 ** 32 - 1;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean => Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= max;
const onlyKeys = (o: Record<string, unknown>, keys: readonly string[]) => Object.keys(o).every((k) => keys.includes(k));

/**
 * Why docs/scenarios.md refuses `x`, or null when it is a valid scenario. Written from
 * the docs and the strategies page, independently of the zod schema.
 */
function refusal(x: unknown): string | null {
  if (!isObject(x)) return 'not an object';
  if (!onlyKeys(x, TOP)) return 'unknown field';
  if (typeof x['model'] !== 'string' || x['model'] === '') return 'model';
  for (const k of ['$schema', 'description']) if (k in x && typeof x[k] !== 'string') return k;
  if ('name' in x) {
    const n = x['name'];
    if (typeof n !== 'string' || n === '' || n.startsWith('.') || /[/\\\u0000-\u001f\u007f]/.test(n)) return 'name';
  }
  if ('params' in x) {
    const p = x['params'];
    if (!isObject(p) || Object.hasOwn(p, '__proto__')) return 'params';
    if (!Object.values(p).every((v) => ['number', 'boolean', 'string'].includes(typeof v))) return 'params value';
  }
  const strategy = 'strategy' in x ? x['strategy'] : 'bfs';
  if (typeof strategy !== 'string' || !STRATEGIES.includes(strategy)) return 'strategy';
  const walk = WALKS.includes(strategy);
  if ('seed' in x && (!isInt(x['seed'], 0, MAX_SEED) || !walk)) return 'seed';
  if ('pctDepth' in x && (!isInt(x['pctDepth'], 1) || strategy !== 'pct')) return 'pctDepth';
  if ('limits' in x) {
    const l = x['limits'];
    if (!isObject(l) || !onlyKeys(l, LIMITS)) return 'limits';
    if ('maxStates' in l && !isInt(l['maxStates'], 1)) return 'limits.maxStates';
    if ('maxDepth' in l && !isInt(l['maxDepth'], 0)) return 'limits.maxDepth';
    if ('timeLimit' in l && !(typeof l['timeLimit'] === 'number' && Number.isFinite(l['timeLimit']) && l['timeLimit'] > 0)) return 'limits.timeLimit';
    if ('runs' in l && (!isInt(l['runs'], 1) || !walk)) return 'limits.runs';
  }
  const e = x['expect'];
  if (!isObject(e)) return 'expect';
  if (e['verdict'] === 'safe') {
    if (!onlyKeys(e, ['verdict'])) return 'expect';
    if (walk) return 'expect.verdict';
  } else if (e['verdict'] === 'violation') {
    if (!onlyKeys(e, ['verdict', 'property']) || typeof e['property'] !== 'string' || e['property'] === '') return 'expect.property';
  } else return 'expect.verdict';
  if ('tags' in x && !(Array.isArray(x['tags']) && x['tags'].every((t) => typeof t === 'string'))) return 'tags';
  return mutantsRefusal(x, e['verdict'] === 'safe');
}

/** Why the docs' "Mutants" section refuses the `mutants` and `noMutants` of `x`, or null. */
function mutantsRefusal(x: Record<string, unknown>, safe: boolean): string | null {
  if ('noMutants' in x && (typeof x['noMutants'] !== 'string' || x['noMutants'] === '' || !safe)) return 'noMutants';
  if (!('mutants' in x)) return null;
  const ms = x['mutants'];
  if (!Array.isArray(ms)) return 'mutants';
  if (ms.length > 0 && (!safe || 'noMutants' in x)) return 'mutants';
  const params = isObject(x['params']) ? x['params'] : {};
  const names = new Set<unknown>();
  for (const m of ms) {
    if (!isObject(m) || !onlyKeys(m, MUTANT)) return 'mutant';
    if (typeof m['name'] !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(m['name']) || names.has(m['name'])) return 'mutant name';
    names.add(m['name']);
    if ('description' in m && typeof m['description'] !== 'string') return 'mutant description';
    const p = m['params'];
    if (!isObject(p) || Object.hasOwn(p, '__proto__') || Object.keys(p).length === 0) return 'mutant params';
    if (!Object.values(p).every((v) => ['number', 'boolean', 'string'].includes(typeof v))) return 'mutant params value';
    if (Object.entries(p).every(([k, v]) => params[k] === v)) return "mutant params: the scenario's own";
    const e = m['expect'];
    if (!isObject(e) || !onlyKeys(e, ['verdict', 'property']) || e['verdict'] !== 'violation' || typeof e['property'] !== 'string' || e['property'] === '') return 'mutant expect';
  }
  return null;
}

// ---- the loader under test, as one outcome --------------------------------------------

type Loaded = { ok: true; s: Scenario } | { ok: false; e: MmraceError };

/** Runs the loader; anything thrown that is not an MmraceError fails the property. */
function attempt(load: () => Scenario): Loaded {
  try {
    return { ok: true, s: load() };
  } catch (e) {
    if (!(e instanceof MmraceError)) throw new Error(`the loader threw a ${(e as Error)?.constructor?.name}: ${String(e)}`);
    return { ok: false, e };
  }
}

/** A refusal: E_SCENARIO, printed as one line without a stack. */
function expectScenarioError(r: Loaded, input: unknown): void {
  const what = `input: ${JSON.stringify(input)?.slice(0, 1000)}`;
  expect(r.ok, what).toBe(false);
  if (r.ok) return;
  expect(r.e.code, what).toBe('E_SCENARIO');
  const line = formatError(r.e);
  expect(line.split('\n'), what).toHaveLength(1);
  expect(line, what).toMatch(/^mmrace: error E_SCENARIO: /);
}

/** An acceptance: what the docs say a loaded scenario holds. */
function expectLoaded(r: Loaded, input: Record<string, unknown>, file: string): void {
  const what = `input: ${JSON.stringify(input).slice(0, 1000)}`;
  if (!r.ok) throw new Error(`${what}\nrefused: ${r.e.message}`);
  expect(r.s.file).toBe(resolve(file));
  expect(r.s.modelPath).toBe(resolve(dirname(resolve(file)), input['model'] as string));
  expect(r.s.name).toBe(typeof input['name'] === 'string' ? input['name'] : basename(file).replace(/\.json$/, ''));
  expect(r.s.strategy).toBe(input['strategy'] ?? 'bfs');
  expect(r.s.expect).toEqual(input['expect']);
}

// ---- generators --------------------------------------------------------------------------

/**
 * The real scenarios, parsed: the starting points of the mutations. Their model paths
 * are made absolute, so that a copy in a temporary folder names the same model.
 */
const real: { file: string; json: Record<string, unknown> }[] = [];
beforeAll(() => {
  const dir = join(root, 'scenarios');
  for (const d of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, d))) {
      if (!f.endsWith('.json')) continue;
      const json = JSON.parse(readFileSync(join(dir, d, f), 'utf8')) as Record<string, unknown>;
      real.push({ file: join(dir, d, f), json: { ...json, model: resolve(dir, d, json['model'] as string) } });
    }
  }
  expect(real.length).toBeGreaterThan(50);
});

/** Numbers at the edges of every numeric field: negative, zero, fractional, beyond 2^53, beyond the seed range. */
const edgeNumber = fc.constantFrom(-1, 0, -0, 1, 0.5, 1.5, 3, 1e-300, 2 ** 31, MAX_SEED, MAX_SEED + 1, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308);
/** A value of any JSON type, or an edge number, or a string that looks like a number or an enum. */
const anyValue = fc.oneof(
  edgeNumber,
  fc.constantFrom('NaN', 'Infinity', '-1', '1e400', '', 'bfs', 'BFS', 'violation', 'safe', 'deadlock', '../x.ts', '\u0000', 'a/b', '.hidden', 'x\ny'),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Field paths that a scenario has or may have, and two it may not. */
const fieldPath = fc.constantFrom(
  ...TOP.map((k) => [k]),
  ...LIMITS.map((k) => ['limits', k]),
  ['expect', 'verdict'],
  ['expect', 'property'],
  ['params', 'n'],
  ['params', '__proto__'],
  ['tags', '0'],
  ['mutants', '0'],
  ['mutants', '0', 'name'],
  ['mutants', '0', 'params'],
  ['mutants', '0', 'expect', 'verdict'],
  ['mutants', '1'],
);
const unknownKey = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !TOP.includes(k) && !LIMITS.includes(k) && !['verdict', 'property', '__proto__'].includes(k));

type Mutation =
  | { kind: 'drop'; path: string[] }
  | { kind: 'set'; path: string[]; value: unknown }
  | { kind: 'unknown'; at: 'top' | 'limits' | 'expect'; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fieldPath.map((path): Mutation => ({ kind: 'drop', path })),
  fc.record({ path: fieldPath, value: anyValue }).map((m): Mutation => ({ kind: 'set', ...m })),
  fc.record({ at: fc.constantFrom('top' as const, 'limits' as const, 'expect' as const), key: unknownKey, value: anyValue }).map((m): Mutation => ({ kind: 'unknown', ...m })),
  // Wrong enum values: a strategy or a verdict that is not one.
  fc.string({ maxLength: 8 }).map((value): Mutation => ({ kind: 'set', path: ['strategy'], value })),
  fc.string({ maxLength: 8 }).map((value): Mutation => ({ kind: 'set', path: ['expect', 'verdict'], value })),
  // A walk strategy with its seed and runs, to reach the rules that tie them together.
  fc.constantFrom(...STRATEGIES).map((value): Mutation => ({ kind: 'set', path: ['strategy'], value })),
);

/**
 * `json` with the mutation applied, as it reads back from a file (a deep copy through
 * JSON text: -0 becomes 0; objects on the path of a `set` are created as needed).
 */
function mutate(json: Record<string, unknown>, m: Mutation): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
  if (m.kind === 'unknown') {
    const target = m.at === 'top' ? copy : (copy[m.at] ??= {});
    if (isObject(target)) target[m.key] = m.value;
  } else {
    let o: unknown = copy;
    for (const k of m.path.slice(0, -1)) {
      if (!isObject(o) && !Array.isArray(o)) break;
      const rec = o as Record<string, unknown>;
      if (rec[k] === undefined && m.kind === 'set') rec[k] = k === 'tags' || k === 'mutants' ? [] : {};
      o = rec[k];
    }
    const last = m.path[m.path.length - 1]!;
    if (isObject(o) || Array.isArray(o)) {
      if (m.kind === 'drop') delete (o as Record<string, unknown>)[last];
      // defineProperty: a `__proto__` key is then an own field, as JSON.parse makes it.
      else Object.defineProperty(o, last, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return JSON.parse(JSON.stringify(copy)) as Record<string, unknown>;
}

// ---- properties ----------------------------------------------------------------------------

describe('parseScenario on random JSON', () => {
  it('refuses what the docs refuse with E_SCENARIO in one line, and never throws anything else', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (json) => {
        const r = attempt(() => parseScenario(json, 'fuzz.json'));
        if (refusal(json) !== null) expectScenarioError(r, json);
        else expectLoaded(r, json as Record<string, unknown>, 'fuzz.json');
      }),
      fuzzParams(300),
    );
  });

  it('on objects with the fields of a scenario and random values, agrees with the docs', () => {
    const field = (k: string) => (k === 'limits' || k === 'expect' || k === 'params' ? fc.oneof(anyValue, fc.dictionary(fc.constantFrom(...LIMITS, 'verdict', 'property', 'n'), anyValue)) : anyValue);
    const scenarioLike = fc.record(Object.fromEntries(TOP.map((k) => [k, field(k)])), { requiredKeys: [] });
    fc.assert(
      fc.property(scenarioLike, (json) => {
        const r = attempt(() => parseScenario(json, 'fuzz.json'));
        if (refusal(json) !== null) expectScenarioError(r, json);
        else expectLoaded(r, json, 'fuzz.json');
      }),
      fuzzParams(300),
    );
  });
});

describe('loadScenario on the real scenarios, mutated', () => {
  it('the real scenarios are valid for the oracle and the loader alike (the oracle is not too strict)', () => {
    for (const { file, json } of real) {
      expect(refusal(json), file).toBeNull();
      expectLoaded(attempt(() => loadScenario(file)), json, file);
    }
  });

  it('one or two mutations: accepted exactly when the docs accept the result', () => {
    const dir = temp();
    let refused = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 2 }), (i, ms) => {
        const base = real[i % real.length]!;
        const json = ms.reduce(mutate, base.json);
        const sub = join(dir, basename(dirname(base.file)));
        mkdirSync(sub, { recursive: true });
        const file = join(sub, basename(base.file));
        writeFileSync(file, JSON.stringify(json));
        const r = attempt(() => loadScenario(file));
        runs++;
        if (refusal(json) !== null) {
          refused++;
          expectScenarioError(r, json);
        } else expectLoaded(r, json, file);
      }),
      fuzzParams(400),
    );
    // The mutations reach both sides of the contract.
    expect(refused).toBeGreaterThan(runs / 4);
    expect(refused).toBeLessThan(runs);
  });

  it('empty, binary, truncated and byte-order-marked files', () => {
    const dir = temp();
    const file = join(dir, 'f.json');
    const kinds = fc.oneof(
      fc.constant({ kind: 'empty' as const }),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'binary' as const, bytes })),
      fc.nat().map((cut) => ({ kind: 'truncated' as const, cut })),
      fc.constant({ kind: 'bom' as const }),
    );
    fc.assert(
      fc.property(fc.nat(), kinds, (i, k) => {
        const base = real[i % real.length]!;
        const text = JSON.stringify(base.json, null, 2);
        // A prefix that stops before the closing brace is never a JSON object.
        const data =
          k.kind === 'empty' ? '' : k.kind === 'binary' ? Buffer.from(k.bytes) : k.kind === 'truncated' ? text.slice(0, k.cut % text.lastIndexOf('}')) : '\uFEFF' + text;
        writeFileSync(file, data);
        const r = attempt(() => loadScenario(file));
        if (k.kind === 'bom') {
          expect(r.ok, 'a byte-order mark is not an error').toBe(true);
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(Buffer.from(data).toString('utf8'));
        } catch {
          json = undefined;
        }
        // Random bytes may happen to be JSON (`7`): then it is the value the docs judge.
        if (json !== undefined && refusal(json) === null) expectLoaded(r, json as Record<string, unknown>, file);
        else expectScenarioError(r, k);
      }),
      fuzzParams(200),
    );
  });

  it('a folder, or a file that is not there, is E_IO', () => {
    const dir = temp();
    for (const f of [dir, join(dir, 'none.json')]) {
      const r = attempt(() => loadScenario(f));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.e.code).toBe('E_IO');
    }
  });
});

describe('mmrace check on mutated scenarios (in this process)', () => {
  it('every scenario the docs refuse: exit 2, one line E_SCENARIO, no verdict', async () => {
    const dir = temp();
    const cwd = temp();
    const refused = fc
      .tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 2 }), fc.boolean())
      .map(([i, ms, json]) => ({ base: real[i % real.length]!, json: ms.reduce(mutate, real[i % real.length]!.json), flag: json }))
      .filter(({ json }) => refusal(json) !== null);
    await fc.assert(
      fc.asyncProperty(refused, async ({ base, json, flag }) => {
        const sub = join(dir, basename(dirname(base.file)));
        mkdirSync(sub, { recursive: true });
        const file = join(sub, basename(base.file));
        writeFileSync(file, JSON.stringify(json));
        const argv = ['check', file, '--workers', '0', ...(flag ? ['--json'] : [])];
        const o = await runMain(argv, cwd);
        expect(expectFailure(o, `${argv.join(' ')}\n${JSON.stringify(json)}`, { json: flag })).toBe('E_SCENARIO');
      }),
      fuzzParams(100),
    );
  });
});

describe('the oracle itself', () => {
  it('refuses the cases of docs/scenarios.md', () => {
    const ok = { model: 'm.ts', expect: { verdict: 'safe' } };
    expect(refusal(ok)).toBeNull();
    expect(refusal({ ...ok, extra: 1 })).toBe('unknown field');
    expect(refusal({ ...ok, strategy: 'random' })).toBe('expect.verdict');
    expect(refusal({ ...ok, seed: 1 })).toBe('seed');
    expect(refusal({ ...ok, limits: { maxStates: 0 } })).toBe('limits.maxStates');
    expect(refusal({ ...ok, limits: { maxDepth: 0 } })).toBeNull();
    expect(refusal({ ...ok, name: '../up' })).toBe('name');
    expect(refusal(JSON.parse('{"model":"m.ts","expect":{"verdict":"safe"},"params":{"__proto__":1}}'))).toBe('params');
    expect(isAbsolute(resolve('x'))).toBe(true);
  });
});
