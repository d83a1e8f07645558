import { describe, expect, it } from 'vitest';
import { array, bool, describeType, enumOf, int, lock, record } from '../../../src/model/schema.js';
import { checkFieldName, isType } from '../../../src/model/schema.js';
import { mmError } from '../helpers.js';

describe('type constructors', () => {
  it('reject malformed bounds, enums and arrays with E_MODEL_DEF', () => {
    const bad: (() => unknown)[] = [
      () => int(3, 1),
      () => int(0.5, 2),
      () => int(0, 2 ** 31),
      () => int(-(2 ** 31) - 1, 0),
      () => enumOf(),
      () => enumOf('a', 'a'),
      () => enumOf('a', ''),
      () => array(-1, bool()),
      () => array(1.5, bool()),
      () => array((1 << 20) + 1, bool()),
    ];
    for (const f of bad) expect(mmError(f).code).toBe('E_MODEL_DEF');
  });

  it('accept the extremes', () => {
    expect(int(-(2 ** 31), 2 ** 31 - 1)).toEqual({ kind: 'int', min: -(2 ** 31), max: 2 ** 31 - 1 });
    expect(int(4, 4)).toEqual({ kind: 'int', min: 4, max: 4 });
    expect(array(0, bool()).length).toBe(0);
    expect(enumOf('only').values).toEqual(['only']);
  });

  it('field names must be identifiers and not reserved', () => {
    for (const name of ['a-b', '1x', '', 'has space', '$', '$o', 'constructor', '__proto__', 'prototype', 'toJSON']) {
      expect(mmError(() => checkFieldName(name)).code, name).toBe('E_MODEL_DEF');
    }
    expect(mmError(() => record({ 'bad-name': bool() })).code).toBe('E_MODEL_DEF');
    for (const name of ['a', '_x', 'pte2', 'O', 'oo', 'o', 's', 'k']) expect(() => checkFieldName(name)).not.toThrow();
  });

  it('isType and describeType', () => {
    expect(isType(bool())).toBe(true);
    expect(isType(lock())).toBe(true);
    expect(isType({ kind: 'float' })).toBe(false);
    expect(isType(3)).toBe(false);
    expect(isType(null)).toBe(false);
    expect(describeType(array(2, record({ a: int(0, 3), b: enumOf('x', 'y') })))).toBe('array(2, record{a, b})');
    expect(describeType(int(-1, 1))).toBe('int(-1, 1)');
    expect(describeType(enumOf('x', 'y'))).toBe('enum(x, y)');
  });
});
