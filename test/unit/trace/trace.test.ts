import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TRACE_FORMAT, actor, defineModel, int, readTrace, writeTrace } from '../../../src/index.js';
import type { Trace } from '../../../src/index.js';
import { hashSource } from '../../../src/model/load.js';
import { ANY_MODEL_PATH, checkIn, compileModel, mmError, removeTempDirs, tempDir } from '../helpers.js';

afterAll(removeTempDirs);
import { createHash } from 'node:crypto';

const model = defineModel({
  id: 'tiny',
  state: { x: int(0, 3) },
  init: (c) => void (c.s.x = c.choose([0, 1])),
  actors: {
    T: actor({
      steps: {
        go: (c) => void (c.s.x = c.s.x + c.choose([1, 2])),
      },
    }),
  },
  invariants: { small: (s) => s.x < 3 },
});

async function aTrace(): Promise<Trace> {
  const r = await checkIn(compileModel(model), ANY_MODEL_PATH);
  return r.trace!;
}

describe('buildTrace (through check)', () => {
  it('names each step and records choices, fingerprints, params and the model', async () => {
    const t = await aTrace();
    // By hand: x = 0 + 1 or 2, 1 + 1 or 2; the first in BFS order reaching 3 is init [1], go [1].
    expect(t.format).toBe(TRACE_FORMAT);
    expect(t.tool.name).toBe('mmrace');
    expect(t.model).toEqual({
      id: 'tiny',
      path: ANY_MODEL_PATH,
      sourceHash: 'sha256:' + createHash('sha256').update(readFileSync(ANY_MODEL_PATH)).digest('hex'),
    });
    expect(t.params).toEqual({});
    expect(t.init.choice).toEqual([1]);
    expect(t.init.fp).toMatch(/^[0-9a-f]{16}$/);
    expect(t.schedule).toEqual([{ actor: 'T', instance: 0, label: 'go', choice: [1], fp: t.schedule[0]!.fp }]);
    expect(t.schedule[0]!.fp).toMatch(/^[0-9a-f]{16}$/);
    expect(t.schedule[0]!.fp).not.toBe(t.init.fp);
    expect(t.verdict).toBe('violation');
    expect(t.violation).toEqual({ kind: 'invariant', property: 'small', message: 'small does not hold' });
  });
});

describe('writeTrace and readTrace', () => {
  it('store the model path relative to the trace file and give it back absolute', async () => {
    const dir = tempDir();
    const file = join(dir, 'a', 'b', 'trace.json');
    const t = await aTrace();
    writeTrace(t, file);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Trace;
    expect(raw.model.path).toBe(relative(dirname(file), ANY_MODEL_PATH).split('\\').join('/'));
    expect(readTrace(file)).toEqual(t);
  });

  it('hashSource of a missing file is E_IO', () => {
    expect(mmError(() => hashSource(join(tempDir(), 'missing.ts'))).code).toBe('E_IO');
  });
});

describe('readTrace rejects malformed files with E_TRACE_FORMAT', () => {
  const good = async (): Promise<Record<string, unknown>> => {
    const t = await aTrace();
    return JSON.parse(JSON.stringify(t)) as Record<string, unknown>;
  };
  const cases: [string, (t: any) => unknown][] = [
    ['wrong format string', (t) => ({ ...t, format: 'mmrace-trace/2' })],
    ['missing format', (t) => ((t.format = undefined), t)],
    ['missing schedule', (t) => ((t.schedule = undefined), t)],
    ['schedule not an array', (t) => ({ ...t, schedule: {} })],
    ['an unknown top-level key', (t) => ({ ...t, extra: 1 })],
    ['an unknown step key', (t) => ((t.schedule[0].when = 1), t)],
    ['a negative instance', (t) => ((t.schedule[0].instance = -1), t)],
    ['a fractional choice', (t) => ((t.schedule[0].choice = [0.5]), t)],
    ['a negative choice', (t) => ((t.schedule[0].choice = [-1]), t)],
    ['an empty label', (t) => ((t.schedule[0].label = ''), t)],
    ['a malformed fingerprint', (t) => ((t.schedule[0].fp = 'xyz'), t)],
    ['an uppercase fingerprint', (t) => ((t.init.fp = 'ABCDEF0123456789'), t)],
    ['a malformed source hash', (t) => ((t.model.sourceHash = 'md5:abc'), t)],
    ['an unknown verdict', (t) => ({ ...t, verdict: 'safe' })],
    ['an unknown violation kind', (t) => ((t.violation.kind = 'panic'), t)],
    ['guard other than true', (t) => ((t.schedule[0].guard = false), t)],
    ['a non-mmrace tool', (t) => ((t.tool.name = 'tlc'), t)],
    ['a params value of a wrong type', (t) => ({ ...t, params: { a: null } })],
    ['an array', () => []],
    ['null', () => null],
    ['a number', () => 42],
  ];
  for (const [what, edit] of cases) {
    it(what, async () => {
      const file = join(tempDir(), 'bad.json');
      writeFileSync(file, JSON.stringify(edit(await good())));
      const e = mmError(() => readTrace(file));
      expect(e.code).toBe('E_TRACE_FORMAT');
      expect(e.message).toContain(file);
    });
  }

  it('not JSON', () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, '{"format": "mmrace-trace/1", ');
    const e = mmError(() => readTrace(file));
    expect(e.code).toBe('E_TRACE_FORMAT');
    expect(e.message).toContain('not JSON');
  });

  it('an empty file', () => {
    const file = join(tempDir(), 'empty.json');
    writeFileSync(file, '');
    expect(mmError(() => readTrace(file)).code).toBe('E_TRACE_FORMAT');
  });

  it('the message says where the problem is', async () => {
    const file = join(tempDir(), 'bad.json');
    const t = (await good()) as any;
    t.schedule[0].instance = 'zero';
    writeFileSync(file, JSON.stringify(t));
    expect(mmError(() => readTrace(file)).message).toContain('schedule.0.instance');
  });

  it('a missing file is E_IO', () => {
    expect(mmError(() => readTrace(join(tempDir(), 'none.json'))).code).toBe('E_IO');
  });
});
