/**
 * Random small models as plain data (an AST), for the contract properties. Two
 * independent interpreters read it: `toModel` (to-model.ts) builds an mmrace model, and
 * `explore` (reference.ts) explores it naively.
 *
 * Semantics, shared by both interpreters, in numbers (only the mmrace model's
 * representation of a number differs, see "Representation" below):
 * - Variables hold 0..max (a bool is 0..1). A lock variable holds 0 when free and
 *   id + 1 when held by owner id.
 * - An actor's instance has a pc (a step index, or `done` = steps.length) and, if the
 *   actor has one, a local `t` holding 0..localMax (initially 0).
 * - A reference to a shared variable names variable i, or, with `dyn` (only in steps of
 *   an actor with a local), variable i + stride * (t % length), t read when the op runs.
 * - A step is enabled when its instance is not done and its guard (if any) holds. It
 *   runs its ops in order on the state:
 *     set     dst = c
 *     copy    dst = src % (max(dst) + 1)
 *     inc     dst = (dst + 1) % (max(dst) + 1)
 *     choose  dst = one of `values` (each index is a separate transition)
 *     chooseUpTo  dst = one of 0 .. src % (max(dst) + 1) (an arity that depends on the state)
 *     acquire if the lock is free (0), it becomes id + 1; else nothing
 *     release if the lock is id + 1, it becomes free (0); else nothing
 *     fault   if `when` holds: the transition is a fault of `property`; stop the step
 *     goto    (last op only) continue at step `label` (≤ the current step)
 *     finish  (last op only) the instance is done
 *   then the pc moves to the goto target, to done, or to the next step (done after the
 *   last step). The id of acquire and release is the actor's index (`by: 'actor'`: its
 *   instances share the lock) or the instance's global number, counted over all actors
 *   in declaration order (`by: 'instance'`). Only acquire and release write a lock; a
 *   step that acquires one has, instead of a guard of its own, the first lock it
 *   acquires being free (== 0) as its guard.
 * - The initial states are every combination of each variable's initial values, in
 *   variable order (init's choose calls). A lock starts free.
 * - An invariant is a condition on a shared variable (never `dyn`) that must hold in
 *   every state.
 *
 * Representation in the mmrace model (to-model.ts; the reference never sees it):
 * - number x of an int is the value base + x * scale of an int(lo, hi) (by default
 *   int(0, max) and x itself): wide ranges take 17 to 32 bits, negative minimums are
 *   stored offset; a bool is x !== 0; an enum is the name `e<x>` of an
 *   enumOf('e0', .., 'e<names-1>'); a lock is a lock(owners) slot, read as free / owner.
 * - `layout` places each variable in the state: top-level, a field of a record (records
 *   nest one level), or an element of an array (of scalars, read with get/set, or of
 *   records, read as arr[i].field). Without `layout`, variable i is the top-level `v<i>`.
 *   Enough variables, and wide ones, make a state of several 32-bit words.
 */
import fc from 'fast-check';

export type Cmp = '==' | '!=' | '<' | '>';
/** A dynamic index: the variable is i + stride * (t % length), t the instance's local. */
export interface Dyn {
  readonly length: number;
  readonly stride: number;
}
export type VarRef = { readonly scope: 'shared'; readonly i: number; readonly dyn?: Dyn } | { readonly scope: 'local' };
export interface Cond {
  readonly v: VarRef;
  readonly cmp: Cmp;
  readonly c: number;
}
/** Whose id takes a lock: the actor's index, or the instance's global number. */
export type LockBy = 'actor' | 'instance';
export type Op =
  | { readonly op: 'set'; readonly dst: VarRef; readonly c: number }
  | { readonly op: 'copy'; readonly dst: VarRef; readonly src: VarRef }
  | { readonly op: 'inc'; readonly dst: VarRef }
  | { readonly op: 'choose'; readonly dst: VarRef; readonly values: readonly number[] }
  | { readonly op: 'chooseUpTo'; readonly dst: VarRef; readonly src: VarRef }
  | { readonly op: 'acquire'; readonly lock: VarRef; readonly by: LockBy }
  | { readonly op: 'release'; readonly lock: VarRef; readonly by: LockBy }
  | { readonly op: 'fault'; readonly when: Cond; readonly property: string }
  | { readonly op: 'goto'; readonly label: number }
  | { readonly op: 'finish' };
export interface StepDesc {
  readonly guard: Cond | null;
  readonly ops: readonly Op[];
}
export interface ActorDesc {
  readonly instances: number;
  /** The local `t` holds 0..localMax; null: no local. */
  readonly localMax: number | null;
  readonly steps: readonly StepDesc[];
}
/** How an int's numbers are represented: number x is base + x * scale of an int(lo, hi). */
export interface IntRepr {
  readonly lo: number;
  readonly hi: number;
  readonly base: number;
  readonly scale: number;
}
export interface VarDesc {
  readonly kind: 'int' | 'bool' | 'enum' | 'lock';
  /** Values are 0..max (1 for a bool; for a lock, 1 + the greatest owner id). */
  readonly max: number;
  /** Initial values: one (a constant) or several (one initial state each); [0] for a lock. */
  readonly init: readonly number[];
  /** An int's representation (default: int(0, max), x itself). */
  readonly repr?: IntRepr;
  /** An enum's number of names, max + 1 or more (default max + 1). */
  readonly names?: number;
  /** A lock's lock(owners), more than the greatest owner id. */
  readonly owners?: number;
}
/** Where a variable lives in the mmrace state. */
export type Place =
  | { readonly kind: 'var'; readonly i: number }
  | { readonly kind: 'record'; readonly fields: readonly { readonly name: string; readonly place: Place }[] }
  | { readonly kind: 'array'; readonly elems: readonly Place[] };
export interface ModelDesc {
  readonly vars: readonly VarDesc[];
  readonly actors: readonly ActorDesc[];
  readonly invariants: readonly Cond[];
  /** The top-level entries of the state, each variable in exactly one; absent: `v<i>` each. */
  readonly layout?: readonly { readonly name: string; readonly place: Place }[];
}

/** Largest number of actor instances in a model, to keep the state spaces small. */
const MAX_INSTANCES = 4;
/** Largest number of variables of a model with a layout (arrays replicate their element). */
const MAX_SHAPED_VARS = 8;

// ---- raw shapes: independent numbers, resolved into a valid model by `resolve` ------
// (indices are taken modulo what exists, so shrinking any number keeps a valid model)

interface RawCond {
  v: number;
  local: boolean;
  dyn: boolean;
  cmp: number;
  c: number;
}
interface RawOp {
  kind: number;
  dst: number;
  dstLocal: boolean;
  dstDyn: boolean;
  src: number;
  srcLocal: boolean;
  srcDyn: boolean;
  c: number;
  values: number[];
  when: RawCond;
  oops: boolean;
}
interface RawStep {
  guard: RawCond | null;
  ops: RawOp[];
  tail: number;
  target: number;
}
interface RawActor {
  instances: number;
  local: number;
  steps: RawStep[];
}
interface RawVar {
  bool: boolean;
  max: number;
  init: number[];
}
/** A variable's type for a shaped model: `kind` picks int, bool, enum, lock, wide or negative int. */
interface RawTemplate {
  kind: number;
  max: number;
  init: number[];
  /** Which wide representation, enum size or lock size. */
  variant: number;
}
/** A group of the layout: a top-level scalar, a record, an array of scalars or of records. */
interface RawGroup {
  kind: number;
  length: number;
  fields: RawTemplate[];
  /** 0: flat; 1: the last fields form a nested record; 2: the last field is a nested array. */
  nest: number;
}
interface RawModel {
  vars: RawVar[];
  actors: RawActor[];
  invariants: RawCond[];
  shaped: boolean;
  groups: RawGroup[];
}

/** Knobs of the generator. */
export interface GenOptions {
  /** Generate fault ops (default true). */
  readonly faults?: boolean;
  /** Generate invariants (default true). */
  readonly invariants?: boolean;
  /** A step has a guard with probability 1 / guardOdds (default 2). */
  readonly guardOdds?: number;
  /**
   * Probability that a model has a layout: records, arrays (indexed by `t` too), enums,
   * locks, wide and negative ints, states of several words (default 0.2; 1: always).
   */
  readonly shapes?: number;
  /**
   * Lock ops may take a lock for the instance (`by: 'instance'`), which the mmrace model
   * computes from c.self: such a model must not be declared symmetric (default false;
   * by the actor's index, the instances of an actor stay interchangeable).
   */
  readonly instanceLocks?: boolean;
}

function rawModelArb(o: GenOptions): fc.Arbitrary<RawModel> {
  const rawCond = fc.record({ v: fc.nat(7), local: fc.boolean(), dyn: fc.boolean(), cmp: fc.nat(3), c: fc.nat(3) });
  const rawOp = fc.record({
    // 0..9; 8 and 9 are faults (mapped to inc when faults are off)
    kind: fc.nat(o.faults === false ? 7 : 9),
    dst: fc.nat(7),
    dstLocal: fc.boolean(),
    dstDyn: fc.boolean(),
    src: fc.nat(7),
    srcLocal: fc.boolean(),
    srcDyn: fc.boolean(),
    c: fc.nat(3),
    values: fc.array(fc.nat(3), { minLength: 2, maxLength: 3 }),
    when: rawCond,
    oops: fc.boolean(),
  });
  const odds = o.guardOdds ?? 2;
  const rawStep = fc.record({
    // A guard with probability 1 / odds (null first: shrinking drops guards).
    guard: fc.oneof({ arbitrary: fc.constant(null), weight: odds - 1 }, { arbitrary: rawCond, weight: 1 }),
    ops: fc.array(rawOp, { maxLength: 3 }),
    // 0..5: nothing; 6, 7: goto; 8: finish
    tail: fc.nat(8),
    target: fc.nat(3),
  });
  const rawActor = fc.record({
    instances: fc.integer({ min: 1, max: 2 }),
    local: fc.nat(2),
    steps: fc.array(rawStep, { minLength: 1, maxLength: 4 }),
  });
  const rawVar = fc.record({
    bool: fc.boolean(),
    max: fc.integer({ min: 1, max: 3 }),
    init: fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }),
  });
  const rawTemplate = fc.record({
    kind: fc.nat(9),
    max: fc.integer({ min: 1, max: 3 }),
    init: fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }),
    variant: fc.nat(5),
  });
  const rawGroup = fc.record({
    kind: fc.nat(5),
    length: fc.integer({ min: 2, max: 3 }),
    fields: fc.array(rawTemplate, { minLength: 1, maxLength: 3 }),
    nest: fc.nat(2),
  });
  const p = o.shapes ?? 0.2;
  return fc.record({
    vars: fc.array(rawVar, { minLength: 1, maxLength: 4 }),
    actors: fc.array(rawActor, { minLength: 1, maxLength: 3 }),
    invariants: o.invariants === false ? fc.constant([]) : fc.array(rawCond, { maxLength: 2 }),
    shaped: p >= 1 ? fc.constant(true) : p <= 0 ? fc.constant(false) : fc.nat(99).map((x) => x >= 100 - p * 100),
    groups: fc.array(rawGroup, { minLength: 1, maxLength: 4 }),
  });
}

const CMPS: readonly Cmp[] = ['==', '!=', '<', '>'];

/**
 * Wide and negative ints: the numbers 0..3 spread over ranges of 3 to 32 bits, so that
 * slots of 17 bits and more push the next ones into further words, and stored values
 * (value - lo) differ from the values.
 */
const WIDE: readonly IntRepr[] = [
  { lo: 0, hi: 70000, base: 0, scale: 20000 },
  { lo: -100000, hi: 100000, base: -50000, scale: 30001 },
  { lo: -3, hi: 3, base: -3, scale: 2 },
  { lo: -(2 ** 20), hi: 2 ** 20, base: -(2 ** 20), scale: 2 ** 19 },
  { lo: -(2 ** 31), hi: 2 ** 31 - 1, base: -(2 ** 31), scale: 2 ** 30 },
  { lo: 5, hi: 2 ** 24, base: 2 ** 24 - 3, scale: 1 },
];
/** Owners of a lock: the fewest the ids need, the default, and a 21-bit slot. */
const LOCK_OWNERS: readonly number[] = [MAX_INSTANCES, 63, 2 ** 20];

/** A variable of type `t`, as element `element` of an array (0 alone): its initial values shift with the element. */
function templateVar(t: RawTemplate, element: number): VarDesc {
  // Several initial values only for the first element of an array, to keep the initial states few.
  const inits = (range: number) => {
    const xs = t.init.map((x) => (x + element) % range);
    return element === 0 ? dedupeKeepOrder(xs).slice(0, t.init.length > 2 ? 2 : 1) : xs.slice(0, 1);
  };
  switch (t.kind) {
    case 0:
    case 1:
      return { kind: 'int', max: t.max, init: inits(t.max + 1) };
    case 2:
      return { kind: 'bool', max: 1, init: inits(2) };
    case 3:
    case 4:
      return { kind: 'enum', max: t.max, init: inits(t.max + 1), names: t.max + 1 + (t.variant % 3) };
    case 5:
    case 6:
      return { kind: 'lock', max: MAX_INSTANCES, init: [0], owners: LOCK_OWNERS[t.variant % LOCK_OWNERS.length]! };
    default:
      return { kind: 'int', max: t.max, init: inits(t.max + 1), repr: WIDE[t.variant % WIDE.length]! };
  }
}

/** Where each variable of a layout is: its array's element 0 variable, length and stride, if any. */
interface Slot {
  readonly first: number;
  readonly length: number;
  readonly stride: number;
}

/** Vars and layout of a shaped model, at most MAX_SHAPED_VARS variables. */
function shapedVars(groups: readonly RawGroup[]): { vars: VarDesc[]; layout: { name: string; place: Place }[]; slots: (Slot | null)[] } {
  const vars: VarDesc[] = [];
  const slots: (Slot | null)[] = [];
  const layout: { name: string; place: Place }[] = [];
  const fieldName = (k: number) => `f${k}`;
  // A record of `fields`, the last ones nested as `nest` says; element `e` of an array.
  const recordOf = (fields: readonly RawTemplate[], nest: number, e: number, arr: { base: number; length: number; stride: number } | null): Place => {
    const flat = nest === 0 || fields.length < 2 ? fields.length : nest === 1 ? Math.max(1, fields.length - 2) : fields.length - 1;
    const leaf = (t: RawTemplate): Place => {
      vars.push(templateVar(t, e));
      slots.push(arr ? { first: arr.base + (vars.length - 1 - arr.base) % arr.stride, length: arr.length, stride: arr.stride } : null);
      return { kind: 'var', i: vars.length - 1 };
    };
    const out: { name: string; place: Place }[] = fields.slice(0, flat).map((t, k) => ({ name: fieldName(k), place: leaf(t) }));
    const rest = fields.slice(flat);
    if (rest.length > 0 && nest === 1) {
      out.push({ name: fieldName(flat), place: { kind: 'record', fields: rest.map((t, k) => ({ name: fieldName(k), place: leaf(t) })) } });
    } else if (rest.length > 0) {
      // A scalar array inside a record: its elements share their type (only the arrays of
      // groups are indexed by t, which keeps `Slot` to one array per variable).
      const t = rest[0]!;
      const elems: Place[] = [];
      for (let k = 0; k < 2; k++) {
        vars.push(templateVar(t, e + k));
        slots.push(null);
        elems.push({ kind: 'var', i: vars.length - 1 });
      }
      out.push({ name: fieldName(flat), place: { kind: 'array', elems } });
    }
    return { kind: 'record', fields: out };
  };
  // Variables a group would take, to stop before MAX_SHAPED_VARS.
  const size = (g: RawGroup): number => {
    const rec = (fs: readonly RawTemplate[]) => fs.length + (g.nest === 2 && fs.length >= 2 ? 1 : 0);
    switch (g.kind) {
      case 0:
      case 1:
        return 1;
      case 2:
        return rec(g.fields);
      case 3:
        return g.length;
      default:
        return g.length * Math.min(2, g.fields.length);
    }
  };
  for (const g of groups) {
    if (vars.length > 0 && vars.length + size(g) > MAX_SHAPED_VARS) continue;
    const k = layout.length;
    switch (g.kind) {
      case 0:
      case 1:
        vars.push(templateVar(g.fields[0]!, 0));
        slots.push(null);
        layout.push({ name: `v${vars.length - 1}`, place: { kind: 'var', i: vars.length - 1 } });
        break;
      case 2:
        layout.push({ name: `r${k}`, place: recordOf(g.fields, g.nest, 0, null) });
        break;
      case 3: {
        const base = vars.length;
        const elems: Place[] = [];
        for (let e = 0; e < g.length; e++) {
          vars.push(templateVar(g.fields[0]!, e));
          slots.push({ first: base, length: g.length, stride: 1 });
          elems.push({ kind: 'var', i: vars.length - 1 });
        }
        layout.push({ name: `a${k}`, place: { kind: 'array', elems } });
        break;
      }
      default: {
        // An array of records of one or two scalar fields.
        const fields = g.fields.slice(0, 2);
        const arr = { base: vars.length, length: g.length, stride: fields.length };
        const elems: Place[] = [];
        for (let e = 0; e < g.length; e++) elems.push(recordOf(fields, 0, e, arr));
        layout.push({ name: `a${k}`, place: { kind: 'array', elems } });
      }
    }
  }
  return { vars, layout, slots };
}

function resolve(raw: RawModel, o: GenOptions): ModelDesc {
  let vars: VarDesc[] = [];
  let layout: { name: string; place: Place }[] | undefined;
  let slots: (Slot | null)[] = [];
  if (raw.shaped) {
    ({ vars, layout, slots } = shapedVars(raw.groups));
  } else {
    // 1–3 ints, at most one bool (the first var flagged bool, if it is not the only int).
    let haveBool = false;
    let ints = 0;
    for (const rv of raw.vars) {
      if (rv.bool && !haveBool && vars.length > 0) {
        haveBool = true;
        vars.push({ kind: 'bool', max: 1, init: dedupeKeepOrder(rv.init.map((x) => x % 2)).slice(0, 2) });
      } else if (ints < 3) {
        ints++;
        // Mostly a single initial value; several when the raw list says so.
        vars.push({ kind: 'int', max: rv.max, init: rv.init.map((x) => x % (rv.max + 1)).slice(0, rv.init.length > 2 ? 2 : 1) });
      }
    }
    slots = vars.map(() => null);
  }
  const nv = vars.length;

  let budget = MAX_INSTANCES;
  const actors: ActorDesc[] = raw.actors.map((ra, j) => {
    const left = raw.actors.length - j - 1; // keep one instance for each later actor
    const instances = Math.max(1, Math.min(ra.instances, budget - left));
    budget -= instances;
    const localMax = ra.local === 0 ? null : ra.local;
    const ref = (n: number, local: boolean, dyn = false): VarRef => {
      if (local && localMax !== null) return { scope: 'local' };
      const i = n % nv;
      const slot = slots[i];
      // An element of an array, at the index the local gives.
      if (dyn && localMax !== null && slot) return { scope: 'shared', i: slot.first, dyn: { length: slot.length, stride: slot.stride } };
      return { scope: 'shared', i };
    };
    const maxOf = (r: VarRef) => (r.scope === 'local' ? localMax! : vars[r.i]!.max);
    const isLock = (r: VarRef) => r.scope === 'shared' && vars[r.i]!.kind === 'lock';
    const cond = (rc: RawCond): Cond => {
      const v = ref(rc.v, rc.local, rc.dyn);
      return { v, cmp: CMPS[rc.cmp % 4]!, c: rc.c % (maxOf(v) + 1) };
    };
    const steps: StepDesc[] = ra.steps.map((rs, k) => {
      const ops: Op[] = rs.ops.map((ro): Op => {
        const dst = ref(ro.dst, ro.dstLocal, ro.dstDyn);
        const range = maxOf(dst) + 1;
        const kind = ro.kind % 10;
        if (kind < 8 && isLock(dst)) {
          // Only acquire and release write a lock.
          const by: LockBy = ro.oops && o.instanceLocks === true ? 'instance' : 'actor';
          return kind === 2 || kind === 5 ? { op: 'release', lock: dst, by } : { op: 'acquire', lock: dst, by };
        }
        switch (kind) {
          case 0:
          case 1:
            return { op: 'set', dst, c: ro.c % range };
          case 2:
            return { op: 'copy', dst, src: ref(ro.src, ro.srcLocal, ro.srcDyn) };
          case 3:
          case 4:
            return { op: 'inc', dst };
          case 5:
            return { op: 'chooseUpTo', dst, src: ref(ro.src, ro.srcLocal, ro.srcDyn) };
          case 6:
          case 7:
            return { op: 'choose', dst, values: ro.values.map((x) => x % range) };
          default:
            return { op: 'fault', when: cond(ro.when), property: ro.oops ? 'oops' : 'fault' };
        }
      });
      if (rs.tail === 6 || rs.tail === 7) ops.push({ op: 'goto', label: rs.target % (k + 1) });
      else if (rs.tail === 8) ops.push({ op: 'finish' });
      // A step that takes a lock waits for it (the first it takes) to be free.
      const acquire = ops.find((x) => x.op === 'acquire');
      const guard = acquire ? { v: acquire.lock, cmp: '==' as const, c: 0 } : rs.guard === null ? null : cond(rs.guard);
      return { guard, ops };
    });
    return { instances, localMax, steps };
  });
  const invariants = raw.invariants.map((rc): Cond => {
    const v = { scope: 'shared' as const, i: rc.v % nv };
    return { v, cmp: CMPS[rc.cmp % 4]!, c: rc.c % (vars[v.i]!.max + 1) };
  });
  return layout ? { vars, actors, invariants, layout } : { vars, actors, invariants };
}

function dedupeKeepOrder(xs: readonly number[]): number[] {
  return [...new Set(xs)];
}

/** Random small model descriptions. */
export function modelDesc(o: GenOptions = {}): fc.Arbitrary<ModelDesc> {
  return rawModelArb(o).map((raw) => resolve(raw, o));
}

// ---- helpers shared by both interpreters (pure functions on numbers) ----------------

export function compare(x: number, cmp: Cmp, c: number): boolean {
  switch (cmp) {
    case '==':
      return x === c;
    case '!=':
      return x !== c;
    case '<':
      return x < c;
    case '>':
      return x > c;
  }
}

export const varName = (i: number) => `v${i}`;
export const actorName = (j: number) => `A${j}`;
export const labelName = (k: number) => `s${k}`;
export const invariantName = (i: number) => `inv${i}`;
/** The names of an enum variable's values, index x being `e<x>`. */
export const enumNames = (v: VarDesc): string[] => Array.from({ length: v.names ?? v.max + 1 }, (_, x) => `e${x}`);

/** The layout of a model: its own, or each variable at top level as `v<i>`. */
export function layoutOf(d: ModelDesc): readonly { readonly name: string; readonly place: Place }[] {
  return d.layout ?? d.vars.map((_, i) => ({ name: varName(i), place: { kind: 'var', i } }));
}

/** The model as short text, for failure messages. */
export function describeModel(d: ModelDesc): string {
  const ref = (r: VarRef) => (r.scope === 'local' ? 't' : r.dyn ? `${varName(r.i)}+${r.dyn.stride}*(t%${r.dyn.length})` : varName(r.i));
  const cond = (c: Cond) => `${ref(c.v)} ${c.cmp} ${c.c}`;
  const op = (o: Op): string => {
    switch (o.op) {
      case 'set':
        return `${ref(o.dst)} = ${o.c}`;
      case 'copy':
        return `${ref(o.dst)} = ${ref(o.src)} mod`;
      case 'inc':
        return `${ref(o.dst)}++ mod`;
      case 'choose':
        return `${ref(o.dst)} = choose[${o.values.join(',')}]`;
      case 'chooseUpTo':
        return `${ref(o.dst)} = choose(0..${ref(o.src)} mod)`;
      case 'acquire':
      case 'release':
        return `${o.op} ${ref(o.lock)} by ${o.by}`;
      case 'fault':
        return `if (${cond(o.when)}) fault ${o.property}`;
      case 'goto':
        return `goto ${labelName(o.label)}`;
      case 'finish':
        return 'finish';
    }
  };
  const type = (v: VarDesc): string => {
    if (v.kind === 'enum') return `enum 0..${v.max} of ${v.names ?? v.max + 1} names`;
    if (v.kind === 'lock') return `lock 0..${v.max} (lock(${v.owners ?? 63}))`;
    if (v.repr) return `int 0..${v.max} as ${v.repr.base} + ${v.repr.scale}x in int(${v.repr.lo}, ${v.repr.hi})`;
    return `${v.kind} 0..${v.max}`;
  };
  const place = (p: Place): string =>
    p.kind === 'var'
      ? varName(p.i)
      : p.kind === 'record'
        ? `{ ${p.fields.map((f) => `${f.name}: ${place(f.place)}`).join(', ')} }`
        : `[${p.elems.map(place).join(', ')}]`;
  const lines = d.vars.map((v, i) => `${varName(i)}: ${type(v)} init [${v.init.join(',')}]`);
  const entry = (e: { readonly name: string; readonly place: Place }) =>
    e.place.kind === 'var' && e.name === varName(e.place.i) ? e.name : `${e.name} = ${place(e.place)}`;
  if (d.layout) lines.push(`state: ${d.layout.map(entry).join('; ')}`);
  d.actors.forEach((a, j) => {
    lines.push(`${actorName(j)} x${a.instances}${a.localMax !== null ? ` (t: 0..${a.localMax})` : ''}:`);
    a.steps.forEach((s, k) => lines.push(`  ${labelName(k)}: ${s.guard ? `[await ${cond(s.guard)}] ` : ''}${s.ops.map(op).join('; ')}`));
  });
  d.invariants.forEach((c, i) => lines.push(`${invariantName(i)}: ${cond(c)}`));
  return lines.join('\n');
}
