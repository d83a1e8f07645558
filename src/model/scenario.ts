/**
 * Scenario files: a model, its parameters, a strategy, limits and the expected
 * verdict. JSON, validated on load; paths are relative to the scenario file.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { MmraceError } from '../errors.js';
import { STRATEGIES, isWalk } from '../strategy/index.js';
import { MAX_SEED } from '../strategy/walk.js';

const paramValue = z.union([z.number(), z.boolean(), z.string()]);

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Defaults to the file name without .json. */
  name: z.string().min(1).optional(),
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
    const where = issue.path.length ? issue.path.join('.') : 'the top level';
    throw new MmraceError('E_SCENARIO', `${file}: at ${where}: ${issue.message}`, 'see docs/scenarios.md for the fields of a scenario');
  }
  const s = r.data;
  const walk = isWalk(s.strategy);
  const wrong = (where: string, message: string) => new MmraceError('E_SCENARIO', `${file}: at ${where}: ${message}`, 'see docs/strategies.md');
  if (!walk && s.seed !== undefined) throw wrong('seed', `applies to the strategies random, pct and bounded, not ${s.strategy}`);
  if (!walk && s.limits.runs !== undefined) throw wrong('limits.runs', `applies to the strategies random, pct and bounded, not ${s.strategy}`);
  if (s.pctDepth !== undefined && s.strategy !== 'pct') throw wrong('pctDepth', `applies to the strategy pct, not ${s.strategy}`);
  if (walk && s.expect.verdict === 'safe') {
    throw wrong('expect.verdict', `${s.strategy} is a bug-hunting strategy: it never reports safe, so it cannot meet "safe" (use bfs or dfs)`);
  }
  const abs = resolve(file);
  return { ...s, name: s.name ?? basename(file).replace(/\.json$/, ''), file: abs, modelPath: resolve(dirname(abs), s.model) };
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MmraceError('E_IO', `cannot read scenario ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MmraceError('E_SCENARIO', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(json, file);
}
