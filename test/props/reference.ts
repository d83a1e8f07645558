/**
 * Interpreter (b), the oracle: a deliberately naive explorer of a random model
 * description. Plain objects for states, JSON.stringify as the state key, a plain BFS
 * over every reachable state. It imports nothing from src/ and nothing executable from
 * the other interpreter: only the description's types.
 *
 * A state holds exactly what an mmrace state holds: the shared variables, and for each
 * actor instance (in declaration order) its pc and its local, if it has one. Every
 * variable is a number (a lock: 0 free, id + 1 held): how the mmrace model lays them out
 * in records and arrays, and represents them as enums, bools, offset ints or lock slots,
 * is none of its business; a dyn reference is index arithmetic on the list of variables.
 *
 * It records every violation it can reach, with the shortest distance at which each
 * property is violated:
 * - an invariant violated in a state at distance d: d (initial states included, d = 0);
 * - a fault on a transition from a state at distance d: d + 1 (the transition counts);
 * - a deadlock (nothing enabled, some instance not done) in a state at distance d: d.
 * It keeps exploring past violating states (not past a faulting transition, which has
 * no successor), so it finds every violation, not just the first.
 */
import type { Cond, ModelDesc, Op, VarRef } from './random-model.js';

interface RState {
  v: number[];
  inst: { pc: number; t?: number }[];
}

export interface Reference {
  /** Distinct reachable states. */
  readonly states: number;
  /** Transitions tried from every reachable state: one per enabled instance and choice. */
  readonly transitions: number;
  /** Greatest BFS distance of a reachable state. */
  readonly maxDistance: number;
  /** Shortest trace length of each violated property. */
  readonly violations: ReadonlyMap<string, number>;
  /** Shortest trace length of any violation, or null when there is none. */
  readonly shortest: number | null;
}

/** Thrown when a model has more states than `cap` (the property then discards it). */
export class TooBig extends Error {}

function holds(x: number, cmp: string, c: number): boolean {
  if (cmp === '==') return x === c;
  if (cmp === '!=') return x !== c;
  if (cmp === '<') return x < c;
  if (cmp === '>') return x > c;
  throw new Error(`reference: unknown comparison ${cmp}`);
}

export function explore(d: ModelDesc, cap = 20000): Reference {
  // The instances, in declaration order.
  const insts: { actor: number; localMax: number | null }[] = [];
  d.actors.forEach((a, j) => {
    for (let i = 0; i < a.instances; i++) insts.push({ actor: j, localMax: a.localMax });
  });
  const stepsOf = (n: number) => d.actors[insts[n]!.actor]!.steps;

  // The variable a shared reference names in state s for instance n (a dyn one: by its local).
  const which = (s: RState, n: number, r: VarRef & { scope: 'shared' }): number =>
    r.dyn === undefined ? r.i : r.i + r.dyn.stride * (s.inst[n]!.t! % r.dyn.length);
  const get = (s: RState, n: number, r: VarRef): number => (r.scope === 'local' ? s.inst[n]!.t! : s.v[which(s, n, r)]!);
  const set = (s: RState, n: number, r: VarRef, x: number): void => {
    if (r.scope === 'local') s.inst[n]!.t = x;
    else s.v[which(s, n, r)] = x;
  };
  const top = (n: number, r: VarRef): number => (r.scope === 'local' ? insts[n]!.localMax! : d.vars[r.i]!.max);
  // Whose id takes a lock: the actor's index, or the instance's number (its index in insts).
  const idOf = (n: number, by: string): number => (by === 'actor' ? insts[n]!.actor : n);
  const test = (s: RState, n: number, c: Cond) => holds(get(s, n, c.v), c.cmp, c.c);
  const clone = (s: RState): RState => JSON.parse(JSON.stringify(s)) as RState;

  type Outcome = { fault: string } | { state: RState };

  /** Runs ops[i..] of instance n's step from s (s is owned, may be changed); every outcome. */
  function run(s: RState, n: number, ops: readonly Op[], i: number, next: number | null): Outcome[] {
    for (; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.op === 'set') set(s, n, op.dst, op.c);
      else if (op.op === 'copy') set(s, n, op.dst, get(s, n, op.src) % (top(n, op.dst) + 1));
      else if (op.op === 'inc') set(s, n, op.dst, (get(s, n, op.dst) + 1) % (top(n, op.dst) + 1));
      else if (op.op === 'choose') {
        // Each value is its own transition: branch here and return every branch's outcomes.
        const out: Outcome[] = [];
        for (const x of op.values) {
          const branch = clone(s);
          set(branch, n, op.dst, x);
          out.push(...run(branch, n, ops, i + 1, next));
        }
        return out;
      } else if (op.op === 'chooseUpTo') {
        // Values 0 .. src mod (max + 1): the number of branches depends on the state.
        const arity = (get(s, n, op.src) % (top(n, op.dst) + 1)) + 1;
        const out: Outcome[] = [];
        for (let x = 0; x < arity; x++) {
          const branch = clone(s);
          set(branch, n, op.dst, x);
          out.push(...run(branch, n, ops, i + 1, next));
        }
        return out;
      } else if (op.op === 'acquire') {
        if (get(s, n, op.lock) === 0) set(s, n, op.lock, idOf(n, op.by) + 1);
      } else if (op.op === 'release') {
        if (get(s, n, op.lock) === idOf(n, op.by) + 1) set(s, n, op.lock, 0);
      } else if (op.op === 'fault') {
        if (test(s, n, op.when)) return [{ fault: op.property }];
      } else if (op.op === 'goto') next = op.label;
      else if (op.op === 'finish') next = stepsOf(n).length;
    }
    s.inst[n]!.pc = next ?? s.inst[n]!.pc + 1;
    return [{ state: s }];
  }

  const violations = new Map<string, number>();
  const found = (property: string, distance: number) => {
    const before = violations.get(property);
    if (before === undefined || distance < before) violations.set(property, distance);
  };

  // Initial states: every combination of the variables' initial values.
  let inits: number[][] = [[]];
  for (const v of d.vars) inits = inits.flatMap((prefix) => v.init.map((x) => [...prefix, x]));
  const dist = new Map<string, number>();
  const queue: RState[] = [];
  for (const vals of inits) {
    const s: RState = { v: vals, inst: insts.map((x) => (x.localMax === null ? { pc: 0 } : { pc: 0, t: 0 })) };
    const key = JSON.stringify(s);
    if (!dist.has(key)) {
      dist.set(key, 0);
      queue.push(s);
    }
  }

  let transitions = 0;
  let maxDistance = 0;
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    const ds = dist.get(JSON.stringify(s))!;
    maxDistance = Math.max(maxDistance, ds);
    // Every invariant the state violates: each is a violation of its own.
    d.invariants.forEach((c, i) => {
      if (!holds(s.v[(c.v as { i: number }).i]!, c.cmp, c.c)) found(`inv${i}`, ds);
    });
    let enabled = 0;
    let allDone = true;
    for (let n = 0; n < insts.length; n++) {
      const steps = stepsOf(n);
      const pc = s.inst[n]!.pc;
      if (pc === steps.length) continue;
      allDone = false;
      const step = steps[pc]!;
      if (step.guard !== null && !test(s, n, step.guard)) continue;
      enabled++;
      for (const o of run(clone(s), n, step.ops, 0, null)) {
        transitions++;
        if ('fault' in o) {
          found(o.fault, ds + 1);
          continue;
        }
        const key = JSON.stringify(o.state);
        if (!dist.has(key)) {
          dist.set(key, ds + 1);
          queue.push(o.state);
          if (queue.length > cap) throw new TooBig(`more than ${cap} states`);
        }
      }
    }
    if (enabled === 0 && !allDone) found('deadlock', ds);
  }
  const lengths = [...violations.values()];
  return {
    states: queue.length,
    transitions,
    maxDistance,
    violations,
    shortest: lengths.length ? Math.min(...lengths) : null,
  };
}
