/**
 * Schema → flat slot layout, and the views that address it.
 *
 * Every state is one Int32Array; each scalar of the schema owns one slot. Views are
 * created once per model and read `store.b`, the buffer currently bound: rebasing a
 * view over another state is `store.bind(buf)`, with no allocation. A view records the
 * slots it reads and writes (the footprint) when the store is in recording mode.
 */
import { MmraceError } from '../errors.js';
import type { ArrayType, EnumType, IntType, LockView, RecordType, ScalarArrayView, ScalarType, Type } from './schema.js';

export interface SlotInfo {
  /** Human path of the slot: `pte[1].valid`, `U1[0].pc`. */
  readonly path: string;
  readonly type: ScalarType;
}

/** Mode bits of a store. */
export const MODE_READONLY = 1;
export const MODE_RECORD = 2;

/**
 * The buffer binding shared by all views of a model, plus the footprint recorder.
 * Hot-path accessors read `b` and test `m`; everything else is slow path.
 */
export class Store {
  b: Int32Array;
  m = 0;
  readonly slots: SlotInfo[];
  /** Footprint of the current step (valid in MODE_RECORD): slot numbers read and written. */
  readonly readSet: number[] = [];
  readonly writeSet: number[] = [];
  private readStamp: Int32Array;
  private writeStamp: Int32Array;
  private stamp = 1;
  /** Set while a guard or invariant runs: names what was being evaluated, for errors. */
  readOnlyWhat = '';

  constructor(slots: SlotInfo[]) {
    this.slots = slots;
    this.b = new Int32Array(slots.length);
    this.readStamp = new Int32Array(slots.length);
    this.writeStamp = new Int32Array(slots.length);
  }

  bind(buf: Int32Array): void {
    this.b = buf;
  }

  /** Start recording a fresh footprint. */
  beginFootprint(): void {
    this.readSet.length = 0;
    this.writeSet.length = 0;
    this.stamp++;
    if (this.stamp === 0x7fffffff) {
      this.readStamp.fill(0);
      this.writeStamp.fill(0);
      this.stamp = 1;
    }
  }

  r(k: number): void {
    if (this.readStamp[k] !== this.stamp) {
      this.readStamp[k] = this.stamp;
      this.readSet.push(k);
    }
  }

  /** Slow path of every write: refuses writes in read-only mode, records in recording mode. */
  w(k: number): void {
    if (this.m & MODE_READONLY) {
      throw new MmraceError(
        'E_MODEL_DEF',
        `${this.readOnlyWhat || 'a read-only evaluation'} wrote ${this.slots[k]!.path}`,
        'guards (await) and invariants must only read the state; move the write into the step body (do)',
      );
    }
    if (this.writeStamp[k] !== this.stamp) {
      this.writeStamp[k] = this.stamp;
      this.writeSet.push(k);
    }
  }

  range(k: number, v: unknown): never {
    const slot = this.slots[k]!;
    throw new MmraceError(
      'E_MODEL_RANGE',
      `wrote ${formatUnknown(v)} to ${slot.path}, which is ${describeScalar(slot.type)}`,
      'widen the declared type or fix the step that computes the value',
    );
  }
}

function formatUnknown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function describeScalar(t: ScalarType): string {
  switch (t.kind) {
    case 'bool':
      return 'a bool';
    case 'int':
      return `int(${t.min}, ${t.max})`;
    case 'enum':
      return `enum(${t.values.join(', ')})`;
    case 'lock':
      return 'a lock';
  }
}

export function sizeOf(t: Type): number {
  switch (t.kind) {
    case 'record': {
      let n = 0;
      for (const f of Object.values(t.fields)) n += sizeOf(f);
      return n;
    }
    case 'array':
      return t.length * sizeOf(t.of);
    default:
      return 1;
  }
}

/** Appends the slots of `t` at path `path` to `out`, in layout order. */
export function collectSlots(t: Type, path: string, out: SlotInfo[]): void {
  switch (t.kind) {
    case 'record':
      for (const [name, f] of Object.entries(t.fields)) collectSlots(f, path ? `${path}.${name}` : name, out);
      return;
    case 'array':
      for (let i = 0; i < t.length; i++) collectSlots(t.of, `${path}[${i}]`, out);
      return;
    default:
      out.push({ path, type: t });
  }
}

/** The value a slot holds in a fresh state: false, the lower bound, the first enum value, free. */
export function defaultSlotValue(t: ScalarType): number {
  return t.kind === 'int' ? t.min : 0;
}

// ---- views ---------------------------------------------------------------------------

interface ViewBase {
  readonly $: Store;
  readonly o: number;
}
type ViewCtor = new ($: Store, o: number, path: string) => ViewBase;

const recordClasses = new WeakMap<RecordType, ViewCtor>();

/**
 * Creates the view of type `t` at slot offset `o` over `store`; `path` names it in
 * errors. Views are sealed: a write to a field the schema does not declare throws
 * instead of becoming state the checker cannot see.
 */
export function makeView(t: Type, store: Store, o: number, path = ''): unknown {
  switch (t.kind) {
    case 'record':
      return Object.seal(new (recordClass(t))(store, o, path));
    case 'array':
      return makeArrayView(t, store, o, path);
    case 'lock':
      return Object.seal(new LockV(store, o));
    default:
      throw new MmraceError('E_INTERNAL', `makeView on scalar ${t.kind}`);
  }
}

function makeArrayView(t: ArrayType, store: Store, o: number, path: string): unknown {
  const e = t.of;
  switch (e.kind) {
    case 'bool':
      return Object.seal(new BoolArray(store, o, t.length, path));
    case 'int':
      return Object.seal(new IntArray(store, o, t.length, path, e));
    case 'enum':
      return Object.seal(new EnumArray(store, o, t.length, path, e));
    default: {
      const size = sizeOf(e);
      const out: unknown[] = [];
      for (let i = 0; i < t.length; i++) out.push(makeView(e, store, o + i * size, `${path}[${i}]`));
      return Object.freeze(out);
    }
  }
}

function recordClass(rt: RecordType): ViewCtor {
  const cached = recordClasses.get(rt);
  if (cached) return cached;
  const composite: { name: string; type: Type; rel: number }[] = [];
  class R implements ViewBase {
    readonly $: Store;
    readonly o: number;
    constructor($: Store, o: number, path: string) {
      this.$ = $;
      this.o = o;
      for (const c of composite) {
        const value = makeView(c.type, $, o + c.rel, path ? `${path}.${c.name}` : c.name);
        Object.defineProperty(this, c.name, { value, enumerable: true, writable: false });
      }
    }
  }
  let rel = 0;
  for (const [name, f] of Object.entries(rt.fields)) {
    if (f.kind === 'record' || f.kind === 'array' || f.kind === 'lock') {
      composite.push({ name, type: f, rel });
    } else {
      Object.defineProperty(R.prototype, name, { ...scalarAccessor(f, rel), enumerable: true });
    }
    rel += sizeOf(f);
  }
  Object.defineProperty(R.prototype, 'toJSON', {
    value: function (this: ViewBase) {
      const out: Record<string, unknown> = {};
      for (const name of Object.keys(rt.fields)) out[name] = toPlain((this as unknown as Record<string, unknown>)[name]);
      return out;
    },
  });
  recordClasses.set(rt, R);
  return R;
}

function toPlain(v: unknown): unknown {
  if (v instanceof LockV) return v.owner;
  if (v instanceof ScalarArrayBase) return v.toArray();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object' && 'toJSON' in v) return (v as { toJSON(): unknown }).toJSON();
  return v;
}

/** Accessors of a scalar field at relative offset `d` of a record view. */
function scalarAccessor(t: Exclude<ScalarType, { kind: 'lock' }>, d: number): PropertyDescriptor {
  switch (t.kind) {
    case 'bool':
      return {
        get(this: ViewBase): boolean {
          const $ = this.$;
          const k = this.o + d;
          if ($.m & MODE_RECORD) $.r(k);
          return $.b[k] !== 0;
        },
        set(this: ViewBase, v: boolean) {
          const $ = this.$;
          const k = this.o + d;
          if ($.m) $.w(k);
          if (v !== true && v !== false) $.range(k, v);
          $.b[k] = v ? 1 : 0;
        },
      };
    case 'int': {
      const min = t.min;
      const max = t.max;
      return {
        get(this: ViewBase): number {
          const $ = this.$;
          const k = this.o + d;
          if ($.m & MODE_RECORD) $.r(k);
          return $.b[k]!;
        },
        set(this: ViewBase, v: number) {
          const $ = this.$;
          const k = this.o + d;
          if ($.m) $.w(k);
          if ((v | 0) !== v || v < min || v > max) $.range(k, v);
          $.b[k] = v;
        },
      };
    }
    case 'enum': {
      const values = t.values;
      const index = enumIndex(t);
      return {
        get(this: ViewBase): string {
          const $ = this.$;
          const k = this.o + d;
          if ($.m & MODE_RECORD) $.r(k);
          return values[$.b[k]!]!;
        },
        set(this: ViewBase, v: string) {
          const $ = this.$;
          const k = this.o + d;
          if ($.m) $.w(k);
          const i = index.get(v);
          $.b[k] = i === undefined ? $.range(k, v) : i;
        },
      };
    }
  }
}

function enumIndex(t: EnumType): Map<string, number> {
  return new Map(t.values.map((v, i) => [v, i]));
}

class LockV implements LockView, ViewBase {
  constructor(
    readonly $: Store,
    readonly o: number,
  ) {}
  get free(): boolean {
    const $ = this.$;
    if ($.m & MODE_RECORD) $.r(this.o);
    return $.b[this.o] === 0;
  }
  get owner(): number {
    const $ = this.$;
    if ($.m & MODE_RECORD) $.r(this.o);
    return $.b[this.o]! - 1;
  }
  heldBy(id: number): boolean {
    return this.owner === id;
  }
  acquire(id: number): void {
    const $ = this.$;
    const k = this.o;
    if ($.m & MODE_RECORD) $.r(k);
    if ($.m) $.w(k);
    if ((id | 0) !== id || id < 0) $.range(k, id);
    if ($.b[k] !== 0) {
      throw new MmraceError(
        'E_MODEL_DEF',
        `${$.slots[k]!.path}.acquire(${id}): the lock is held by ${$.b[k]! - 1}`,
        'guard the step that takes a lock with `await: c => <lock>.free`',
      );
    }
    $.b[k] = id + 1;
  }
  release(id: number): void {
    const $ = this.$;
    const k = this.o;
    if ($.m & MODE_RECORD) $.r(k);
    if ($.m) $.w(k);
    if ($.b[k] !== id + 1) {
      const held = $.b[k] === 0 ? 'free' : `held by ${$.b[k]! - 1}`;
      throw new MmraceError('E_MODEL_DEF', `${$.slots[k]!.path}.release(${id}): the lock is ${held}`);
    }
    $.b[k] = 0;
  }
  toJSON(): number {
    return this.owner;
  }
}

abstract class ScalarArrayBase {
  constructor(
    readonly $: Store,
    readonly o: number,
    readonly length: number,
    /** The array's path in the state, for errors. */
    readonly path: string,
  ) {}
  protected slot(i: number): number {
    if (i >>> 0 !== i || i >= this.length) {
      throw new MmraceError('E_MODEL_RANGE', `index ${String(i)} out of bounds of ${this.path || 'array'} (length ${this.length})`);
    }
    return this.o + i;
  }
  abstract get(i: number): unknown;
  toArray(): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.get(i));
    return out;
  }
  toJSON(): unknown[] {
    return this.toArray();
  }
}

class BoolArray extends ScalarArrayBase implements ScalarArrayView<boolean> {
  get(i: number): boolean {
    const k = this.slot(i);
    const $ = this.$;
    if ($.m & MODE_RECORD) $.r(k);
    return $.b[k] !== 0;
  }
  set(i: number, v: boolean): void {
    const k = this.slot(i);
    const $ = this.$;
    if ($.m) $.w(k);
    if (v !== true && v !== false) $.range(k, v);
    $.b[k] = v ? 1 : 0;
  }
  override toArray(): boolean[] {
    return super.toArray() as boolean[];
  }
}

class IntArray extends ScalarArrayBase implements ScalarArrayView<number> {
  private readonly min: number;
  private readonly max: number;
  constructor($: Store, o: number, n: number, path: string, t: IntType) {
    super($, o, n, path);
    this.min = t.min;
    this.max = t.max;
  }
  get(i: number): number {
    const k = this.slot(i);
    const $ = this.$;
    if ($.m & MODE_RECORD) $.r(k);
    return $.b[k]!;
  }
  set(i: number, v: number): void {
    const k = this.slot(i);
    const $ = this.$;
    if ($.m) $.w(k);
    if ((v | 0) !== v || v < this.min || v > this.max) $.range(k, v);
    $.b[k] = v;
  }
  override toArray(): number[] {
    return super.toArray() as number[];
  }
}

class EnumArray extends ScalarArrayBase implements ScalarArrayView<string> {
  private readonly values: readonly string[];
  private readonly index: Map<string, number>;
  constructor($: Store, o: number, n: number, path: string, t: EnumType) {
    super($, o, n, path);
    this.values = t.values;
    this.index = enumIndex(t);
  }
  get(i: number): string {
    const k = this.slot(i);
    const $ = this.$;
    if ($.m & MODE_RECORD) $.r(k);
    return this.values[$.b[k]!]!;
  }
  set(i: number, v: string): void {
    const k = this.slot(i);
    const $ = this.$;
    if ($.m) $.w(k);
    const x = this.index.get(v);
    $.b[k] = x === undefined ? $.range(k, v) : x;
  }
  override toArray(): string[] {
    return super.toArray() as string[];
  }
}

/** Formats the value of a slot as a person reads it. */
export function formatSlotValue(t: ScalarType, v: number): string {
  switch (t.kind) {
    case 'bool':
      return v !== 0 ? 'true' : 'false';
    case 'int':
      return String(v);
    case 'enum':
      return t.values[v] ?? `?${v}`;
    case 'lock':
      return v === 0 ? 'free' : `held(${v - 1})`;
  }
}
