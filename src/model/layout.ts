/**
 * Schema → packed slot layout, and the views that address it.
 *
 * Every state is one Int32Array of 32-bit words. Each scalar of the schema owns one
 * slot: a bit field just wide enough for its range (a bool is 1 bit, an int(0, 20) 5,
 * an enum of 6 values 3), never straddling a word. A record or array whose fields fit
 * in 32 bits is packed like a scalar; a larger one starts on a word boundary, so one
 * view class serves every instance of a record type. Views are created once per model
 * and read `store.b`, the buffer currently bound: rebasing every view over another
 * state is `store.bind(buf)`, with no allocation. A view records the slots it reads
 * and writes (the footprint) when the store is in recording mode.
 *
 * Slot values are stored unsigned from 0: an int as value - min, a lock as owner + 1
 * (0 free), an enum as its index, a bool as 0/1. All-zero words are the default state.
 */
import { MmraceError } from '../errors.js';
import type { ArrayType, EnumType, IntType, LockView, RecordType, ScalarArrayView, ScalarType, Type } from './schema.js';

export interface SlotInfo {
  /** Human path of the slot: `pte[1].valid`, `U1[0].pc`. */
  readonly path: string;
  readonly type: ScalarType;
  /** Word of the state buffer, bit offset in it, and width. */
  readonly word: number;
  readonly shift: number;
  readonly bits: number;
}

/** Bits needed for `n` distinct values (at least 1). */
export function bitsFor(n: number): number {
  let b = 1;
  while (b < 32 && 2 ** b < n) b++;
  return b;
}

export function scalarBits(t: ScalarType): number {
  switch (t.kind) {
    case 'bool':
      return 1;
    case 'int':
      return bitsFor(t.max - t.min + 1);
    case 'enum':
      return bitsFor(t.values.length);
    case 'lock':
      return bitsFor(t.owners + 1);
  }
}

function maskOf(bits: number): number {
  return bits >= 32 ? -1 : (1 << bits) - 1;
}

/** The stored (unsigned) value of a slot. */
export function readRaw(buf: Int32Array, slot: SlotInfo): number {
  return ((buf[slot.word]! >>> slot.shift) & maskOf(slot.bits)) >>> 0;
}

export function writeRaw(buf: Int32Array, slot: SlotInfo, raw: number): void {
  const m = maskOf(slot.bits) << slot.shift;
  buf[slot.word] = (buf[slot.word]! & ~m) | ((raw << slot.shift) & m);
}

/** The value of a slot as a model sees it: an int's value, an enum's index, 0/1, owner + 1. */
export function readSlot(buf: Int32Array, slot: SlotInfo): number {
  const raw = readRaw(buf, slot);
  return slot.type.kind === 'int' ? raw + slot.type.min : raw;
}

// ---- shapes: how much room a type takes, and where its parts go ----------------------

interface Shape {
  /** Bits when the type packs into one word (≤ 32), else null. */
  readonly bits: number | null;
  /** Words when it does not. */
  readonly words: number;
  /** Scalars in the type. */
  readonly slots: number;
}

const shapes = new WeakMap<Type, Shape>();

function partsOf(t: RecordType | ArrayType): Type[] {
  return t.kind === 'record' ? Object.values(t.fields) : Array.from({ length: t.length }, () => t.of);
}

export function shapeOf(t: Type): Shape {
  const cached = shapes.get(t);
  if (cached) return cached;
  let shape: Shape;
  if (t.kind === 'record' || t.kind === 'array') {
    const parts = partsOf(t);
    let bits = 0;
    let slots = 0;
    let packs = true;
    for (const p of parts) {
      const ps = shapeOf(p);
      slots += ps.slots;
      if (ps.bits === null) packs = false;
      else bits += ps.bits;
    }
    if (packs && bits <= 32) shape = { bits, words: 1, slots };
    else {
      const cur = { w: 0, b: 0 };
      for (const p of parts) advance(cur, shapeOf(p));
      shape = { bits: null, words: cur.w + (cur.b > 0 ? 1 : 0), slots };
    }
  } else {
    shape = { bits: scalarBits(t), words: 1, slots: 1 };
  }
  shapes.set(t, shape);
  return shape;
}

/** Places a part of shape `sh` at the cursor; returns its (word, shift). */
function advance(cur: { w: number; b: number }, sh: Shape): { w: number; s: number } {
  if (sh.bits !== null) {
    if (cur.b + sh.bits > 32) {
      cur.w++;
      cur.b = 0;
    }
    const at = { w: cur.w, s: cur.b };
    cur.b += sh.bits;
    if (cur.b === 32) {
      cur.w++;
      cur.b = 0;
    }
    return at;
  }
  if (cur.b > 0) {
    cur.w++;
    cur.b = 0;
  }
  const at = { w: cur.w, s: 0 };
  cur.w += sh.words;
  return at;
}

/** Where each part of a composite goes, relative to the composite's (word, shift). */
interface RelPart {
  readonly w: number;
  readonly s: number;
  /** Slots before this part within the composite. */
  readonly k: number;
}

const relLayouts = new WeakMap<Type, RelPart[]>();

function relLayout(t: RecordType | ArrayType): RelPart[] {
  const cached = relLayouts.get(t);
  if (cached) return cached;
  const out: RelPart[] = [];
  const cur = { w: 0, b: 0 };
  let k = 0;
  for (const p of partsOf(t)) {
    const sh = shapeOf(p);
    const at = advance(cur, sh);
    out.push({ w: at.w, s: at.s, k });
    k += sh.slots;
  }
  relLayouts.set(t, out);
  return out;
}

/**
 * Lays out a sequence of named top-level parts (the shared state, then each actor
 * instance) and returns every slot with its position, plus the words used.
 */
export function layoutParts(parts: readonly { readonly name: string; readonly type: Type }[]): {
  slots: SlotInfo[];
  at: { w: number; s: number; k: number }[];
  words: number;
} {
  const slots: SlotInfo[] = [];
  const at: { w: number; s: number; k: number }[] = [];
  const cur = { w: 0, b: 0 };
  for (const p of parts) {
    const pos = advance(cur, shapeOf(p.type));
    at.push({ ...pos, k: slots.length });
    collectSlots(p.type, p.name, pos.w, pos.s, slots);
  }
  return { slots, at, words: Math.max(1, cur.w + (cur.b > 0 ? 1 : 0)) };
}

/** Appends the slots of `t`, placed at (w, s), to `out`, in layout order. */
export function collectSlots(t: Type, path: string, w: number, s: number, out: SlotInfo[]): void {
  if (t.kind === 'record' || t.kind === 'array') {
    const rel = relLayout(t);
    const names = t.kind === 'record' ? Object.keys(t.fields) : null;
    const parts = partsOf(t);
    for (let i = 0; i < parts.length; i++) {
      const sub = names ? (path ? `${path}.${names[i]}` : names[i]!) : `${path}[${i}]`;
      collectSlots(parts[i]!, sub, w + rel[i]!.w, s + rel[i]!.s, out);
    }
    return;
  }
  out.push({ path, type: t, word: w, shift: s, bits: scalarBits(t) });
}

/** Thrown by a probed step at its first access to a slot its instance does not own (Store.probe). */
export const NOT_LOCAL: unique symbol = Symbol('not local');

function bitsToSlots(bits: Int32Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < bits.length * 32; k++) if ((bits[k >>> 5]! & (1 << (k & 31))) !== 0) out.push(k);
  return out;
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
  /**
   * Footprint of the current step (valid in MODE_RECORD): the slots read and the slots
   * written, as bitsets of `fpWords` words (slot k is bit k & 31 of word k >>> 5).
   */
  readonly fpWords: number;
  readonly readBits: Int32Array;
  readonly writeBits: Int32Array;
  /** Set while a guard or invariant runs: names what was being evaluated, for errors. */
  readOnlyWhat = '';
  /**
   * While partial-order reduction probes a step (Expander.expandPor): the instance it
   * belongs to, and per slot the instance that owns it (-1: shared). The first read or
   * write of a slot the instance does not own throws NOT_LOCAL (recording mode only;
   * a probe records no footprint).
   */
  probe = -1;
  owner: Int32Array | null = null;

  constructor(slots: SlotInfo[], words: number) {
    this.slots = slots;
    this.b = new Int32Array(words);
    this.fpWords = Math.max(1, (slots.length + 31) >>> 5);
    this.readBits = new Int32Array(this.fpWords);
    this.writeBits = new Int32Array(this.fpWords);
  }

  /** The slots the current footprint read, in increasing order. */
  reads(): number[] {
    return bitsToSlots(this.readBits);
  }

  /** The slots the current footprint wrote, in increasing order. */
  writes(): number[] {
    return bitsToSlots(this.writeBits);
  }

  bind(buf: Int32Array): void {
    this.b = buf;
  }

  /** Start recording a fresh footprint. */
  beginFootprint(): void {
    for (let i = 0; i < this.fpWords; i++) {
      this.readBits[i] = 0;
      this.writeBits[i] = 0;
    }
  }

  r(k: number): void {
    if (this.probe >= 0) {
      if (this.owner![k] !== this.probe) throw NOT_LOCAL;
      return;
    }
    this.readBits[k >>> 5]! |= 1 << (k & 31);
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
    if (this.probe >= 0) {
      if (this.owner![k] !== this.probe) throw NOT_LOCAL;
      return;
    }
    this.writeBits[k >>> 5]! |= 1 << (k & 31);
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

// ---- views ---------------------------------------------------------------------------

/**
 * Every view knows its word `$o`, its bit offset `$s` and its first slot number `$k`
 * (names a schema field cannot take: fields are identifiers without `$`).
 */
interface ViewBase {
  readonly $: Store;
  readonly $o: number;
  readonly $s: number;
  readonly $k: number;
}
type ViewCtor = new ($: Store, o: number, s: number, k: number, path: string) => ViewBase;

const recordClasses = new WeakMap<RecordType, ViewCtor>();

/**
 * Creates the view of composite type `t` at word `o`, bit `s`, first slot `k` over
 * `store`; `path` names it in errors. Views are sealed: a write to a field the schema
 * does not declare throws instead of becoming state the checker cannot see.
 */
export function makeView(t: Type, store: Store, o: number, s: number, k: number, path = ''): unknown {
  switch (t.kind) {
    case 'record':
      return Object.seal(new (recordClass(t))(store, o, s, k, path));
    case 'array':
      return makeArrayView(t, store, o, s, k, path);
    case 'lock':
      return Object.seal(new LockV(store, o, s, k, scalarBits(t), t.owners));
    default:
      throw new MmraceError('E_INTERNAL', `makeView on scalar ${t.kind}`);
  }
}

function makeArrayView(t: ArrayType, store: Store, o: number, s: number, k: number, path: string): unknown {
  const e = t.of;
  switch (e.kind) {
    case 'bool':
      return Object.seal(new BoolArray(store, o, s, k, path, t));
    case 'int':
      return Object.seal(new IntArray(store, o, s, k, path, t, e));
    case 'enum':
      return Object.seal(new EnumArray(store, o, s, k, path, t, e));
    default: {
      const rel = relLayout(t);
      const out: unknown[] = [];
      for (let i = 0; i < t.length; i++) {
        out.push(makeView(e, store, o + rel[i]!.w, s + rel[i]!.s, k + rel[i]!.k, `${path}[${i}]`));
      }
      return Object.freeze(out);
    }
  }
}

function recordClass(rt: RecordType): ViewCtor {
  const cached = recordClasses.get(rt);
  if (cached) return cached;
  const composite: { name: string; type: Type; rel: RelPart }[] = [];
  class R implements ViewBase {
    readonly $: Store;
    readonly $o: number;
    readonly $s: number;
    readonly $k: number;
    constructor($: Store, o: number, s: number, k: number, path: string) {
      this.$ = $;
      this.$o = o;
      this.$s = s;
      this.$k = k;
      for (const c of composite) {
        const value = makeView(c.type, $, o + c.rel.w, s + c.rel.s, k + c.rel.k, path ? `${path}.${c.name}` : c.name);
        Object.defineProperty(this, c.name, { value, enumerable: true, writable: false });
      }
    }
  }
  const rel = relLayout(rt);
  Object.entries(rt.fields).forEach(([name, f], i) => {
    const r = rel[i]!;
    if (f.kind === 'record' || f.kind === 'array' || f.kind === 'lock') composite.push({ name, type: f, rel: r });
    else Object.defineProperty(R.prototype, name, { ...scalarAccessor(f, r.w, r.s, r.k), enumerable: true });
  });
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

/** Accessors of a scalar field at relative word W, bit S, slot K of a record view. */
function scalarAccessor(t: Exclude<ScalarType, { kind: 'lock' }>, W: number, S: number, K: number): PropertyDescriptor {
  switch (t.kind) {
    case 'bool':
      return {
        get(this: ViewBase): boolean {
          const $ = this.$;
          if ($.m & MODE_RECORD) $.r(this.$k + K);
          return (($.b[this.$o + W]! >>> (this.$s + S)) & 1) !== 0;
        },
        set(this: ViewBase, v: boolean) {
          const $ = this.$;
          if ($.m) $.w(this.$k + K);
          if (v !== true && v !== false) $.range(this.$k + K, v);
          const w = this.$o + W;
          const bit = 1 << (this.$s + S);
          $.b[w] = v ? $.b[w]! | bit : $.b[w]! & ~bit;
        },
      };
    case 'int': {
      const min = t.min;
      const max = t.max;
      const M = maskOf(scalarBits(t));
      return {
        get(this: ViewBase): number {
          const $ = this.$;
          if ($.m & MODE_RECORD) $.r(this.$k + K);
          return (((($.b[this.$o + W]! >>> (this.$s + S)) & M) >>> 0) + min);
        },
        set(this: ViewBase, v: number) {
          const $ = this.$;
          if ($.m) $.w(this.$k + K);
          if ((v | 0) !== v || v < min || v > max) $.range(this.$k + K, v);
          const w = this.$o + W;
          const sh = this.$s + S;
          const m = M << sh;
          $.b[w] = ($.b[w]! & ~m) | (((v - min) << sh) & m);
        },
      };
    }
    case 'enum': {
      const values = t.values;
      const index = enumIndex(t);
      const M = maskOf(scalarBits(t));
      return {
        get(this: ViewBase): string {
          const $ = this.$;
          if ($.m & MODE_RECORD) $.r(this.$k + K);
          return values[($.b[this.$o + W]! >>> (this.$s + S)) & M]!;
        },
        set(this: ViewBase, v: string) {
          const $ = this.$;
          if ($.m) $.w(this.$k + K);
          const i = index.get(v);
          const x = i === undefined ? $.range(this.$k + K, v) : i;
          const w = this.$o + W;
          const sh = this.$s + S;
          const m = M << sh;
          $.b[w] = ($.b[w]! & ~m) | ((x << sh) & m);
        },
      };
    }
  }
}

function enumIndex(t: EnumType): Map<string, number> {
  return new Map(t.values.map((v, i) => [v, i]));
}

class LockV implements LockView, ViewBase {
  private readonly mask: number;
  private readonly owners: number;
  constructor(
    readonly $: Store,
    readonly $o: number,
    readonly $s: number,
    readonly $k: number,
    bits: number,
    owners: number,
  ) {
    this.mask = maskOf(bits);
    this.owners = owners;
  }
  private raw(): number {
    const $ = this.$;
    if ($.m & MODE_RECORD) $.r(this.$k);
    return ($.b[this.$o]! >>> this.$s) & this.mask;
  }
  private put(raw: number): void {
    const m = this.mask << this.$s;
    const b = this.$.b;
    b[this.$o] = (b[this.$o]! & ~m) | ((raw << this.$s) & m);
  }
  get free(): boolean {
    return this.raw() === 0;
  }
  get owner(): number {
    return this.raw() - 1;
  }
  heldBy(id: number): boolean {
    return this.owner === id;
  }
  acquire(id: number): void {
    const $ = this.$;
    const held = this.raw();
    if ($.m) $.w(this.$k);
    if ((id | 0) !== id || id < 0 || id >= this.owners) {
      throw new MmraceError(
        'E_MODEL_RANGE',
        `${$.slots[this.$k]!.path}.acquire(${String(id)}): owner ids of this lock are 0 to ${this.owners - 1}`,
        'declare the lock with room for more owners: lock(n)',
      );
    }
    if (held !== 0) {
      throw new MmraceError(
        'E_MODEL_DEF',
        `${$.slots[this.$k]!.path}.acquire(${id}): the lock is held by ${held - 1}`,
        'guard the step that takes a lock with `await: c => <lock>.free`',
      );
    }
    this.put(id + 1);
  }
  release(id: number): void {
    const $ = this.$;
    const held = this.raw();
    if ($.m) $.w(this.$k);
    if (held !== id + 1) {
      const what = held === 0 ? 'free' : `held by ${held - 1}`;
      throw new MmraceError('E_MODEL_DEF', `${$.slots[this.$k]!.path}.release(${id}): the lock is ${what}`);
    }
    this.put(0);
  }
  toJSON(): number {
    return this.owner;
  }
}

/** Relative word and bit of each element of an array type, shared by its instances. */
const elementPositions = new WeakMap<ArrayType, { w: Int32Array; s: Int32Array }>();

function positionsOf(t: ArrayType): { w: Int32Array; s: Int32Array } {
  let p = elementPositions.get(t);
  if (!p) {
    const rel = relLayout(t);
    p = { w: Int32Array.from(rel, (r) => r.w), s: Int32Array.from(rel, (r) => r.s) };
    elementPositions.set(t, p);
  }
  return p;
}

abstract class ScalarArrayBase {
  protected readonly pw: Int32Array;
  protected readonly ps: Int32Array;
  protected readonly mask: number;
  readonly length: number;
  constructor(
    readonly $: Store,
    readonly $o: number,
    readonly $s: number,
    readonly $k: number,
    /** The array's path in the state, for errors. */
    readonly path: string,
    t: ArrayType,
  ) {
    const p = positionsOf(t);
    this.pw = p.w;
    this.ps = p.s;
    this.mask = maskOf(scalarBits(t.of as ScalarType));
    this.length = t.length;
  }
  protected check(i: number): void {
    if (i >>> 0 !== i || i >= this.length) {
      throw new MmraceError('E_MODEL_RANGE', `index ${String(i)} out of bounds of ${this.path || 'array'} (length ${this.length})`);
    }
  }
  protected rawAt(i: number): number {
    this.check(i);
    const $ = this.$;
    if ($.m & MODE_RECORD) $.r(this.$k + i);
    return (($.b[this.$o + this.pw[i]!]! >>> (this.$s + this.ps[i]!)) & this.mask) >>> 0;
  }
  protected putAt(i: number, raw: number): void {
    const w = this.$o + this.pw[i]!;
    const m = this.mask << (this.$s + this.ps[i]!);
    const b = this.$.b;
    b[w] = (b[w]! & ~m) | ((raw << (this.$s + this.ps[i]!)) & m);
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
    return this.rawAt(i) !== 0;
  }
  set(i: number, v: boolean): void {
    this.check(i);
    const $ = this.$;
    if ($.m) $.w(this.$k + i);
    if (v !== true && v !== false) $.range(this.$k + i, v);
    this.putAt(i, v ? 1 : 0);
  }
  override toArray(): boolean[] {
    return super.toArray() as boolean[];
  }
}

class IntArray extends ScalarArrayBase implements ScalarArrayView<number> {
  private readonly min: number;
  private readonly max: number;
  constructor($: Store, o: number, s: number, k: number, path: string, t: ArrayType, e: IntType) {
    super($, o, s, k, path, t);
    this.min = e.min;
    this.max = e.max;
  }
  get(i: number): number {
    return this.rawAt(i) + this.min;
  }
  set(i: number, v: number): void {
    this.check(i);
    const $ = this.$;
    if ($.m) $.w(this.$k + i);
    if ((v | 0) !== v || v < this.min || v > this.max) $.range(this.$k + i, v);
    this.putAt(i, v - this.min);
  }
  override toArray(): number[] {
    return super.toArray() as number[];
  }
}

class EnumArray extends ScalarArrayBase implements ScalarArrayView<string> {
  private readonly values: readonly string[];
  private readonly index: Map<string, number>;
  constructor($: Store, o: number, s: number, k: number, path: string, t: ArrayType, e: EnumType) {
    super($, o, s, k, path, t);
    this.values = e.values;
    this.index = enumIndex(e);
  }
  get(i: number): string {
    return this.values[this.rawAt(i)]!;
  }
  set(i: number, v: string): void {
    this.check(i);
    const $ = this.$;
    if ($.m) $.w(this.$k + i);
    const x = this.index.get(v);
    this.putAt(i, x === undefined ? $.range(this.$k + i, v) : x);
  }
  override toArray(): string[] {
    return super.toArray() as string[];
  }
}

/** Formats a slot's value (as readSlot returns it) as a person reads it. */
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
