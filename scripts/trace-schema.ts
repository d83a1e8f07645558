/**
 * Writes docs/trace.schema.json, the JSON Schema of the `mmrace-trace/1` trace format, for
 * tools written in other languages. It is generated from the zod schema that readTrace
 * validates with, so the two cannot say different things; test/unit/trace/schema.test.ts
 * fails when the file is stale. Run: `npm run schema`.
 */
import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { TRACE_FORMAT, traceSchema } from '../src/trace/trace.js';

/** Where the schema is kept. */
export const SCHEMA_FILE = fileURLToPath(new URL('../docs/trace.schema.json', import.meta.url));

/**
 * The JSON Schema, with an identity and a title in front. The $id is a URN: it names the
 * format, and nothing is meant to be fetched from it.
 */
export function traceJsonSchema(): Record<string, unknown> {
  const { $schema, ...body } = z.toJSONSchema(traceSchema) as Record<string, unknown>;
  return {
    $schema,
    $id: `urn:mmrace:schema:${TRACE_FORMAT}`,
    title: `mmrace trace (${TRACE_FORMAT})`,
    description:
      'A counterexample of mmrace as data: the model and its parameters, the schedule of steps with the fingerprint of each state, and the violation it ends in. Generated from the schema that mmrace validates traces with (src/trace/trace.ts); the fields are described in docs/trace-format.md.',
    ...body,
  };
}

/** The file's text: pretty JSON and a final newline, as the repository keeps it. */
export function renderTraceSchema(): string {
  return JSON.stringify(traceJsonSchema(), null, 2) + '\n';
}

const main = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (main) {
  writeFileSync(SCHEMA_FILE, renderTraceSchema());
  console.log(`wrote ${relative(process.cwd(), SCHEMA_FILE)}`);
}
