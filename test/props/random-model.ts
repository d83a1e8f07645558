/**
 * Random small models as plain data (an AST), for the contract properties. Two
 * independent interpreters read it: `toModel` (to-model.ts) builds an mmrace model, and
 * `explore` (reference.ts) explores it naively.
 *
 * Semantics, shared by both interpreters:
 * - Variables hold 0..max (a bool is 0..1 and is a `bool()` in the mmrace model).
 * - An actor's instance has a pc (a step index, or `done` = steps.length) and, if the
 *   actor has one, a local `t` holding 0..localMax (initially 0).
 * - A step is enabled when its instance is not done and its guard (if any) holds. It
 *   runs its ops in order on the state:
 *     set     dst = c
 *     copy    dst = src % (max(dst) + 1)
 *     inc     dst = (dst + 1) % (max(dst) + 1)
 *     choose  dst = one of `values` (each index is a separate transition)
 *     chooseUpTo  dst = one of 0 .. src % (max(dst) + 1) (an arity that depends on the state)
 *     fault   if `when` holds: the transition is a fault of `property`; stop the step
 *     goto    (last op only) continue at step `label` (≤ the current step)
 *     finish  (last op only) the instance is done
 *   then the pc moves to the goto target, to done, or to the next step (done after the
 *   last step).
 * - The initial states are every combination of each variable's initial values, in
 *   variable order (init's choose calls).
 * - An invariant is a condition on a shared variable that must hold in every state.
 */
import fc from 'fast-check';

export type Cmp = '==' | '!=' | '<' | '>';
export type VarRef = { readonly scope: 'shared'; readonly i: number } | { readonly scope: 'local' };
export interface Cond {
  readonly v: VarRef;
  readonly cmp: Cmp;
  readonly c: number;
}
export type Op =
  | { readonly op: 'set'; readonly dst: VarRef; readonly c: number }
  | { readonly op: 'copy'; readonly dst: VarRef; readonly src: VarRef }
  | { readonly op: 'inc'; readonly dst: VarRef }
  | { readonly op: 'choose'; readonly dst: VarRef; readonly values: readonly number[] }
  | { readonly op: 'chooseUpTo'; readonly dst: VarRef; readonly src: VarRef }
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
export interface VarDesc {
  readonly kind: 'int' | 'bool';
  /** Values are 0..max (1 for a bool). */
  readonly max: number;
  /** Initial values: one (a constant) or several (one initial state each). */
  readonly init: readonly number[];
}
export interface ModelDesc {
  readonly vars: readonly VarDesc[];
  readonly actors: readonly ActorDesc[];
  readonly invariants: readonly Cond[];
}

/** Largest number of actor instances in a model, to keep the state spaces small. */
const MAX_INSTANCES = 4;

// ---- raw shapes: independent numbers, resolved into a valid model by `resolve` ------
// (indices are taken modulo what exists, so shrinking any number keeps a valid model)

interface RawCond {
  v: number;
  local: boolean;
  cmp: number;
  c: number;
}
interface RawOp {
  kind: number;
  dst: number;
  dstLocal: boolean;
  src: number;
  srcLocal: boolean;
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
interface RawModel {
  vars: RawVar[];
  actors: RawActor[];
  invariants: RawCond[];
}

/** Knobs of the generator. */
export interface GenOptions {
  /** Generate fault ops (default true). */
  readonly faults?: boolean;
  /** Generate invariants (default true). */
  readonly invariants?: boolean;
  /** A step has a guard with probability 1 / guardOdds (default 2). */
  readonly guardOdds?: number;
}

function rawModelArb(o: GenOptions): fc.Arbitrary<RawModel> {
  const rawCond = fc.record({ v: fc.nat(5), local: fc.boolean(), cmp: fc.nat(3), c: fc.nat(3) });
  const rawOp = fc.record({
    // 0..9; 8 and 9 are faults (mapped to inc when faults are off)
    kind: fc.nat(o.faults === false ? 7 : 9),
    dst: fc.nat(5),
    dstLocal: fc.boolean(),
    src: fc.nat(5),
    srcLocal: fc.boolean(),
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
  return fc.record({
    vars: fc.array(rawVar, { minLength: 1, maxLength: 4 }),
    actors: fc.array(rawActor, { minLength: 1, maxLength: 3 }),
    invariants: o.invariants === false ? fc.constant([]) : fc.array(rawCond, { maxLength: 2 }),
  });
}

const CMPS: readonly Cmp[] = ['==', '!=', '<', '>'];

function resolve(raw: RawModel): ModelDesc {
  // 1–3 ints, at most one bool (the first var flagged bool, if it is not the only int).
  const vars: VarDesc[] = [];
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
  const nv = vars.length;
  const shared = (i: number): { readonly scope: 'shared'; readonly i: number } => ({ scope: 'shared', i: i % nv });

  let budget = MAX_INSTANCES;
  const actors: ActorDesc[] = raw.actors.map((ra, j) => {
    const left = raw.actors.length - j - 1; // keep one instance for each later actor
    const instances = Math.max(1, Math.min(ra.instances, budget - left));
    budget -= instances;
    const localMax = ra.local === 0 ? null : ra.local;
    const ref = (n: number, local: boolean): VarRef => (local && localMax !== null ? { scope: 'local' } : shared(n));
    const maxOf = (r: VarRef) => (r.scope === 'local' ? localMax! : vars[r.i]!.max);
    const cond = (rc: RawCond): Cond => {
      const v = ref(rc.v, rc.local);
      return { v, cmp: CMPS[rc.cmp % 4]!, c: rc.c % (maxOf(v) + 1) };
    };
    const steps: StepDesc[] = ra.steps.map((rs, k) => {
      const ops: Op[] = rs.ops.map((ro): Op => {
        const dst = ref(ro.dst, ro.dstLocal);
        const range = maxOf(dst) + 1;
        switch (ro.kind % 10) {
          case 0:
          case 1:
            return { op: 'set', dst, c: ro.c % range };
          case 2:
            return { op: 'copy', dst, src: ref(ro.src, ro.srcLocal) };
          case 3:
          case 4:
            return { op: 'inc', dst };
          case 5:
            return { op: 'chooseUpTo', dst, src: ref(ro.src, ro.srcLocal) };
          case 6:
          case 7:
            return { op: 'choose', dst, values: ro.values.map((x) => x % range) };
          default:
            return { op: 'fault', when: cond(ro.when), property: ro.oops ? 'oops' : 'fault' };
        }
      });
      if (rs.tail === 6 || rs.tail === 7) ops.push({ op: 'goto', label: rs.target % (k + 1) });
      else if (rs.tail === 8) ops.push({ op: 'finish' });
      return { guard: rs.guard === null ? null : cond(rs.guard), ops };
    });
    return { instances, localMax, steps };
  });
  const invariants = raw.invariants.map((rc): Cond => {
    const v = shared(rc.v);
    return { v, cmp: CMPS[rc.cmp % 4]!, c: rc.c % (vars[v.i]!.max + 1) };
  });
  return { vars, actors, invariants };
}

function dedupeKeepOrder(xs: readonly number[]): number[] {
  return [...new Set(xs)];
}

/** Random small model descriptions. */
export function modelDesc(o: GenOptions = {}): fc.Arbitrary<ModelDesc> {
  return rawModelArb(o).map(resolve);
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

/** The model as short text, for failure messages. */
export function describeModel(d: ModelDesc): string {
  const ref = (r: VarRef) => (r.scope === 'local' ? 't' : varName(r.i));
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
      case 'fault':
        return `if (${cond(o.when)}) fault ${o.property}`;
      case 'goto':
        return `goto ${labelName(o.label)}`;
      case 'finish':
        return 'finish';
    }
  };
  const lines = d.vars.map((v, i) => `${varName(i)}: ${v.kind} 0..${v.max} init [${v.init.join(',')}]`);
  d.actors.forEach((a, j) => {
    lines.push(`${actorName(j)} x${a.instances}${a.localMax !== null ? ` (t: 0..${a.localMax})` : ''}:`);
    a.steps.forEach((s, k) => lines.push(`  ${labelName(k)}: ${s.guard ? `[await ${cond(s.guard)}] ` : ''}${s.ops.map(op).join('; ')}`));
  });
  d.invariants.forEach((c, i) => lines.push(`${invariantName(i)}: ${cond(c)}`));
  return lines.join('\n');
}
