import { describe, expect, it } from 'vitest';
import { actor, bool, defineModel, int, isModel, param } from '../../../src/index.js';
import { parseParamArgs, resolveParams } from '../../../src/model/define.js';
import { compileModel, mmError } from '../helpers.js';

const specs = {
  n: param.int(1, 8, 2, 'threads'),
  fast: param.bool(false),
  mode: param.enum(['a', 'b', 'c'], 'b'),
};

describe('param specs', () => {
  it('reject malformed specs with E_MODEL_DEF', () => {
    expect(mmError(() => param.int(3, 1, 2)).code).toBe('E_MODEL_DEF');
    expect(mmError(() => param.int(0, 5, 6)).code).toBe('E_MODEL_DEF');
    expect(mmError(() => param.int(0, 5, -1)).code).toBe('E_MODEL_DEF');
    expect(mmError(() => param.int(0, 5, 1.5)).code).toBe('E_MODEL_DEF');
    expect(mmError(() => param.enum(['a', 'b'], 'z' as 'a')).code).toBe('E_MODEL_DEF');
  });
  it('keep the doc only when given', () => {
    expect(param.int(0, 3, 1)).toEqual({ kind: 'int', min: 0, max: 3, default: 1 });
    expect(param.bool(true, 'why')).toEqual({ kind: 'bool', default: true, doc: 'why' });
  });
});

describe('resolveParams', () => {
  it('fills defaults', () => {
    expect(resolveParams(specs, {}, 'm')).toEqual({ n: 2, fast: false, mode: 'b' });
    expect(resolveParams(undefined, {}, 'm')).toEqual({});
  });

  it('coerces command-line strings', () => {
    expect(resolveParams(specs, { n: '5', fast: 'true', mode: 'c' }, 'm')).toEqual({ n: 5, fast: true, mode: 'c' });
    expect(resolveParams(specs, { n: ' 8 ', fast: '1' }, 'm')).toEqual({ n: 8, fast: true, mode: 'b' });
    expect(resolveParams(specs, { fast: '0' }, 'm')['fast']).toBe(false);
    expect(resolveParams(specs, { fast: 'false' }, 'm')['fast']).toBe(false);
    expect(resolveParams(specs, { fast: 1 }, 'm')['fast']).toBe(true);
    expect(resolveParams(specs, { n: 1 }, 'm')['n']).toBe(1);
  });

  it('unknown parameter: E_PARAM naming it, with the known ones in the hint', () => {
    const e = mmError(() => resolveParams(specs, { threads: 2 }, 'mymodel'));
    expect(e.code).toBe('E_PARAM');
    expect(e.message).toContain("'threads'");
    expect(e.message).toContain('mymodel');
    expect(e.hint).toContain('n, fast, mode');
    expect(mmError(() => resolveParams(undefined, { x: 1 }, 'm')).hint).toContain('no parameters');
  });

  it('out of range or wrong type: E_PARAM', () => {
    const bad: Record<string, string | number | boolean>[] = [
      { n: 0 },
      { n: 9 },
      { n: '9' },
      { n: '-1' },
      { n: 2.5 },
      { n: '2.5' },
      { n: 'two' },
      { n: '' },
      { n: '1e1' },
      { n: true },
      { fast: 'yes' },
      { fast: 2 },
      { fast: '' },
      { mode: 'd' },
      { mode: 1 },
      { mode: true },
    ];
    for (const given of bad) {
      const e = mmError(() => resolveParams(specs, given, 'm'));
      expect(e.code, JSON.stringify(given)).toBe('E_PARAM');
      expect(e.message).toContain(Object.keys(given)[0]!);
    }
  });
});

describe('parseParamArgs', () => {
  it('splits at the first =', () => {
    expect(parseParamArgs(['a=1', 'b=x=y', 'c='])).toEqual({ a: '1', b: 'x=y', c: '' });
  });
  it('rejects an arg without a name with E_USAGE', () => {
    expect(mmError(() => parseParamArgs(['=1'])).code).toBe('E_USAGE');
    expect(mmError(() => parseParamArgs(['a'])).code).toBe('E_USAGE');
  });
});

describe('defineModel', () => {
  const minimal = {
    state: { x: int(0, 1) },
    actors: { t: actor({ steps: { go: () => {} } }) },
  };
  it('brands the model', () => {
    const m = defineModel({ id: 'ok-1.x_y', ...minimal });
    expect(isModel(m)).toBe(true);
    expect(isModel({ ...minimal, id: 'x' })).toBe(false);
    expect(isModel(null)).toBe(false);
  });
  it('rejects a bad id with E_MODEL_DEF', () => {
    for (const id of ['', 'has space', 'a/b', 3 as unknown as string]) {
      expect(mmError(() => defineModel({ id, ...minimal })).code).toBe('E_MODEL_DEF');
    }
    expect(mmError(() => defineModel(null as never)).code).toBe('E_MODEL_DEF');
  });

  it('parameters reach state, actors and invariants through CompiledModel', () => {
    const m = defineModel({
      id: 'p',
      params: { n: param.int(1, 4, 1), big: param.bool(false) },
      state: (p) => ({ x: int(0, p.big ? 100 : 10), flag: bool() }),
      actors: (p) => ({ t: actor({ instances: p.n, steps: { go: () => {} } }) }),
      invariants: (p): Record<string, () => boolean> => (p.big ? { big: () => true } : {}),
    });
    const c = compileModel(m, { n: '3', big: 'true' });
    expect(c.params).toEqual({ n: 3, big: true });
    expect(c.instances.length).toBe(3);
    expect(c.slots[0]!.type).toEqual({ kind: 'int', min: 0, max: 100 });
    expect(c.invariants.map((i) => i.name)).toEqual(['big']);
    const d = compileModel(m, {});
    expect(d.instances.length).toBe(1);
    expect(d.invariants).toEqual([]);
    expect(mmError(() => compileModel(m, { n: 5 })).code).toBe('E_PARAM');
    expect(mmError(() => compileModel(m, { m: 1 })).code).toBe('E_PARAM');
  });
});
