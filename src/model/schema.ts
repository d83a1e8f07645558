/**
 * The state type language. A schema is a tree of these types; it compiles to a flat
 * layout of integer slots (see layout.ts), and steps read and write it through views
 * (see views.ts).
 */
import { MmraceError } from '../errors.js';

export interface BoolType {
  readonly kind: 'bool';
}
export interface IntType {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
}
export interface EnumType<V extends string = string> {
  readonly kind: 'enum';
  readonly values: readonly V[];
}
/** A lock slot holds 0 when free, owner + 1 when held; owners are 0 .. owners-1. */
export interface LockType {
  readonly kind: 'lock';
  readonly owners: number;
}
export interface RecordType<F extends Fields = Fields> {
  readonly kind: 'record';
  readonly fields: F;
}
export interface ArrayType<T extends Type = Type> {
  readonly kind: 'array';
  readonly length: number;
  readonly of: T;
}

export type ScalarType = BoolType | IntType | EnumType | LockType;
export type Type = ScalarType | RecordType | ArrayType;
export type Fields = { readonly [name: string]: Type };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function bool(): BoolType {
  return { kind: 'bool' };
}

export function int(min: number, max: number): IntType {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min > max || min < INT32_MIN || max > INT32_MAX) {
    throw new MmraceError('E_MODEL_DEF', `int(${min}, ${max}): bounds must be 32-bit integers with min <= max`);
  }
  return { kind: 'int', min, max };
}

export function enumOf<const V extends string>(...values: V[]): EnumType<V> {
  if (values.length === 0) throw new MmraceError('E_MODEL_DEF', 'enumOf(): needs at least one value');
  if (new Set(values).size !== values.length) {
    throw new MmraceError('E_MODEL_DEF', `enumOf(${values.join(', ')}): values must be distinct`);
  }
  for (const v of values) {
    if (typeof v !== 'string' || v.length === 0) {
      throw new MmraceError('E_MODEL_DEF', `enumOf(): values must be non-empty strings`);
    }
  }
  return { kind: 'enum', values };
}

/** A lock; its holders are ids 0 .. owners-1 (default 63). */
export function lock(owners = 63): LockType {
  if (!Number.isInteger(owners) || owners < 1 || owners > 2 ** 30) {
    throw new MmraceError('E_MODEL_DEF', `lock(${owners}): owners must be an integer from 1 to ${2 ** 30}`);
  }
  return { kind: 'lock', owners };
}

export function record<const F extends Fields>(fields: F): RecordType<F> {
  for (const name of Object.keys(fields)) checkFieldName(name);
  return { kind: 'record', fields };
}

export function array<T extends Type>(length: number, of: T): ArrayType<T> {
  if (!Number.isInteger(length) || length < 0 || length > 1 << 20) {
    throw new MmraceError('E_MODEL_DEF', `array(${length}, ...): length must be an integer from 0 to ${1 << 20}`);
  }
  return { kind: 'array', length, of };
}

const RESERVED = new Set(['constructor', '__proto__', 'prototype', 'toJSON']);

export function checkFieldName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED.has(name)) {
    throw new MmraceError(
      'E_MODEL_DEF',
      `field name '${name}' is not allowed`,
      'field names are identifiers (letters, digits, _) and not one of: ' + [...RESERVED].join(', '),
    );
  }
}

export function isType(x: unknown): x is Type {
  if (typeof x !== 'object' || x === null) return false;
  const k = (x as { kind?: unknown }).kind;
  return k === 'bool' || k === 'int' || k === 'enum' || k === 'lock' || k === 'record' || k === 'array';
}

// ---- the view types that steps see -------------------------------------------------

/** A lock as steps see it: `s.ptl.acquire(self)`, `s.ptl.free`. */
export interface LockView {
  /** True when no one holds the lock. */
  readonly free: boolean;
  /** The holder's id, or -1 when free. */
  readonly owner: number;
  /** True when `id` holds the lock. */
  heldBy(id: number): boolean;
  /** Take the lock for `id`; a fault of the model when it is not free (guard it with `await: c => lock.free`). */
  acquire(id: number): void;
  /** Release the lock held by `id`; a fault of the model when `id` does not hold it. */
  release(id: number): void;
}

/** An array of scalars: read with get(i), write with set(i, v). */
export interface ScalarArrayView<T> {
  readonly length: number;
  get(i: number): T;
  set(i: number, v: T): void;
  /** A copy of the elements, for reading in invariants and debugging (allocates). */
  toArray(): T[];
}

export type ViewOf<T extends Type> = T extends BoolType
  ? boolean
  : T extends IntType
    ? number
    : T extends EnumType<infer V>
      ? V
      : T extends LockType
        ? LockView
        : T extends RecordType<infer F>
          ? RecordView<F>
          : T extends ArrayType<infer E>
            ? E extends BoolType | IntType | EnumType
              ? ScalarArrayView<ViewOf<E>>
              : readonly ViewOf<E>[]
            : never;

export type RecordView<F extends Fields> = 0 extends 1 & F ? any : RecordViewOf<F>;

type RecordViewOf<F extends Fields> = {
  -readonly [K in keyof F as F[K] extends LockType | RecordType | ArrayType ? never : K]: ViewOf<F[K]>;
} & {
  readonly [K in keyof F as F[K] extends LockType | RecordType | ArrayType ? K : never]: ViewOf<F[K]>;
};

/** Short description of a type for messages and docs. */
export function describeType(t: Type): string {
  switch (t.kind) {
    case 'bool':
      return 'bool';
    case 'int':
      return `int(${t.min}, ${t.max})`;
    case 'enum':
      return `enum(${t.values.join(', ')})`;
    case 'lock':
      return 'lock';
    case 'record':
      return `record{${Object.keys(t.fields).join(', ')}}`;
    case 'array':
      return `array(${t.length}, ${describeType(t.of)})`;
  }
}
