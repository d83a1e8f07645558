import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTraceSchema, SCHEMA_FILE } from '../../../scripts/trace-schema.js';
import { TRACE_FORMAT, readTrace, writeTrace } from '../../../src/trace/trace.js';
import { ANY_MODEL_PATH, checkIn, compileModel, faulty, mmError, removeTempDirs, tempDir } from '../helpers.js';

afterAll(removeTempDirs);

type Json = Record<string, unknown>;
type Key = string | number;

interface ObjectSchema {
  readonly type?: string;
  readonly properties?: Record<string, ObjectSchema>;
  readonly required?: readonly string[];
  readonly additionalProperties?: unknown;
  readonly items?: ObjectSchema;
  readonly const?: unknown;
}

const committed = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as ObjectSchema & Json;

/**
 * A trace as written by mmrace (the `faulty` model's counterexample), with every optional
 * field filled in, so that each field of the schema can be taken away in turn. readTrace
 * validates without replaying: values need only be well formed.
 */
async function fullTrace(): Promise<Json> {
  const dir = tempDir();
  const file = join(dir, 'full.trace.json');
  const r = await checkIn(compileModel(faulty), ANY_MODEL_PATH);
  writeTrace({ ...r.trace!, scenario: 'scenarios/x/faulty.json' }, file);
  const t = JSON.parse(readFileSync(file, 'utf8')) as Json & { init: Json; schedule: Json[] };
  t.init = { ...t.init, choice: [1, 0] };
  t.schedule[0] = { ...t.schedule[0], choice: [2], guard: true };
  t['error'] = { code: 'E_MODEL_THREW', message: 'a step threw' };
  return t;
}

/** Writes `t` to a file and reads it back with readTrace: the trace, or the error code. */
function load(t: unknown): string {
  const file = join(tempDir(), 't.json');
  writeFileSync(file, JSON.stringify(t));
  try {
    readTrace(file);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** Every object schema (with properties) inside `s`, with its path; an array's items are found at index 0. */
function* objectSchemas(s: ObjectSchema, path: Key[] = []): Generator<{ path: Key[]; schema: ObjectSchema }> {
  if (s.type === 'object' && s.properties) {
    yield { path, schema: s };
    for (const [k, sub] of Object.entries(s.properties)) yield* objectSchemas(sub, [...path, k]);
  }
  if (s.type === 'array' && s.items) yield* objectSchemas(s.items, [...path, 0]);
}

function at(t: unknown, path: readonly Key[]): Json {
  let v = t;
  for (const k of path) v = (v as Record<Key, unknown>)[k];
  return v as Json;
}

/** A copy of `t` with `edit` applied to the object at `path`. */
function edited(t: Json, path: readonly Key[], edit: (o: Json) => void): Json {
  const copy = structuredClone(t);
  edit(at(copy, path));
  return copy;
}

describe('docs/trace.schema.json', () => {
  it('is exactly what `npm run schema` generates now (run it after changing src/trace/trace.ts)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(renderTraceSchema());
  });

  it('names the format, with an identity and a title', () => {
    expect(committed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(committed.$id).toBe('urn:mmrace:schema:mmrace-trace/1');
    expect(committed.title).toContain('mmrace-trace/1');
    expect(typeof committed.description).toBe('string');
    expect(committed.properties!['format']!.const).toBe('mmrace-trace/1');
    expect(TRACE_FORMAT).toBe('mmrace-trace/1');
  });

  it('requires at the top level what the format needs', () => {
    expect([...committed.required!].sort()).toEqual(['format', 'init', 'model', 'params', 'schedule', 'tool', 'verdict']);
  });
});

describe('the schema and readTrace agree', () => {
  let full: Json;
  beforeAll(async () => {
    full = await fullTrace();
  });

  it('readTrace accepts the full trace (the control for the rejections below)', () => {
    expect(load(full)).toBe('ok');
  });

  it('the full trace has every field the schema declares, so each one below is tried', () => {
    for (const { path, schema } of objectSchemas(committed)) {
      expect(Object.keys(at(full, path)).sort(), `at ${path.join('.') || 'the top level'}`).toEqual(Object.keys(schema.properties!).sort());
    }
  });

  it('rejects a trace missing a required field with E_TRACE_FORMAT, and accepts one missing an optional field', () => {
    let required = 0;
    for (const { path, schema } of objectSchemas(committed)) {
      for (const key of Object.keys(schema.properties!)) {
        const must = schema.required?.includes(key) === true;
        if (must) required++;
        const where = [...path, key].join('.');
        expect(load(edited(full, path, (o) => delete o[key])), where).toBe(must ? 'E_TRACE_FORMAT' : 'ok');
      }
    }
    expect(required).toBeGreaterThanOrEqual(15);
  });

  it('rejects a field the schema does not declare, where it says additionalProperties: false', () => {
    for (const { path, schema } of objectSchemas(committed)) {
      expect(schema.additionalProperties).toBe(false);
      expect(load(edited(full, path, (o) => (o['extra'] = 1))), path.join('.')).toBe('E_TRACE_FORMAT');
    }
  });

  it('rejects another format version, a missing schedule, and a value outside the schema', () => {
    expect(load({ ...full, format: 'mmrace-trace/2' })).toBe('E_TRACE_FORMAT');
    const { schedule: _s, ...noSchedule } = full;
    expect(load(noSchedule)).toBe('E_TRACE_FORMAT');
    expect(load(edited(full, ['model'], (o) => (o['sourceHash'] = 'md5:00')))).toBe('E_TRACE_FORMAT');
    expect(load(edited(full, ['schedule', 0], (o) => (o['fp'] = 'XYZ')))).toBe('E_TRACE_FORMAT');
    expect(load({ ...full, verdict: 'safe' })).toBe('E_TRACE_FORMAT');
  });

  it('names the field in the message', () => {
    const file = join(tempDir(), 'v2.json');
    writeFileSync(file, JSON.stringify({ ...full, format: 'mmrace-trace/2' }));
    const e = mmError(() => readTrace(file));
    expect(e.code).toBe('E_TRACE_FORMAT');
    expect(e.message).toContain('at format');
  });
});
