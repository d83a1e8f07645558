/** Interpreter (a): a random model description → an mmrace model, via defineModel. */
import { array, bool, defineModel, enumOf, int, lock, record } from '../../src/index.js';
import type { LockView, Model, ScalarArrayView, StepCtx, Type } from '../../src/index.js';
import {
  actorName,
  compare,
  enumNames,
  invariantName,
  labelName,
  layoutOf,
  type Cond,
  type ModelDesc,
  type Op,
  type Place,
  type StepDesc,
  type VarDesc,
  type VarRef,
} from './random-model.js';

/** The state view, walked by field names and array indices. */
type Node = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Ctx = StepCtx<Node, { t: number }>;

/** How to reach a variable from the state view: the keys, and which one is its array index (-1: none). */
interface Path {
  readonly keys: readonly (string | number)[];
  readonly index: number;
}

/**
 * `private`: declare every actor private (ActorDef.private; the random models never read a
 * pc or another instance's local), or the actors whose index is listed. `symmetric`: declare every actor symmetric (ActorDef.symmetric;
 * their steps never read c.self, since lock ops by instance are refused here, and the
 * invariants read only shared variables).
 */
export function toModel(d: ModelDesc, o: { readonly private?: boolean | readonly number[]; readonly symmetric?: boolean } = {}): Model {
  const layout = layoutOf(d);

  // The mmrace type of each variable, and of each place (an array's type is its first element's).
  const scalarType = (v: VarDesc): Type => {
    switch (v.kind) {
      case 'bool':
        return bool();
      case 'enum':
        return enumOf(...enumNames(v));
      case 'lock':
        return lock(v.owners ?? 63);
      case 'int':
        return v.repr ? int(v.repr.lo, v.repr.hi) : int(0, v.max);
    }
  };
  const typeOf = (p: Place): Type => {
    if (p.kind === 'var') return scalarType(d.vars[p.i]!);
    if (p.kind === 'record') return record(Object.fromEntries(p.fields.map((f) => [f.name, typeOf(f.place)])));
    const of = typeOf(p.elems[0]!);
    // The elements of an array share one type: a description that says otherwise is wrong.
    for (const e of p.elems) if (JSON.stringify(typeOf(e)) !== JSON.stringify(of)) throw new Error(`array elements of different types: ${JSON.stringify(p)}`);
    return array(p.elems.length, of);
  };
  const state: Record<string, Type> = {};
  for (const e of layout) state[e.name] = typeOf(e.place);

  const paths: Path[] = [];
  const walk = (p: Place, keys: (string | number)[], index: number): void => {
    if (p.kind === 'var') paths[p.i] = { keys, index };
    else if (p.kind === 'record') for (const f of p.fields) walk(f.place, [...keys, f.name], index);
    else p.elems.forEach((e, k) => walk(e, [...keys, k], keys.length));
  };
  for (const e of layout) walk(e.place, [e.name], -1);

  // number <-> the variable's value in the mmrace model.
  const encode = (v: VarDesc, x: number): unknown => {
    switch (v.kind) {
      case 'bool':
        return x !== 0;
      case 'enum':
        return enumNames(v)[x];
      case 'int':
        return v.repr ? v.repr.base + x * v.repr.scale : x;
      case 'lock':
        throw new Error('a lock is written only by acquire and release');
    }
  };
  const decoders = d.vars.map((v): ((y: unknown) => number) => {
    switch (v.kind) {
      case 'bool':
        return (y) => Number(y);
      case 'enum': {
        const index = new Map(enumNames(v).map((name, x) => [name, x]));
        return (y) => index.get(y as string)!;
      }
      case 'int':
        return v.repr ? ((r) => (y) => ((y as number) - r.base) / r.scale)(v.repr) : (y) => y as number;
      case 'lock':
        return (y) => ((y as LockView).free ? 0 : (y as LockView).owner + 1);
    }
  });

  /**
   * Reads and writes of a reference, resolved once: the container of the variable (the
   * array index taken from `t` for a dyn reference) and its last key. A scalar in an array
   * of scalars goes through get/set, anything else (record fields, locks) by property.
   */
  interface Access {
    read(root: Node, t: number): number;
    write(root: Node, t: number, x: number): void;
    lock(root: Node, t: number): LockView;
  }
  const access = (r: VarRef & { scope: 'shared' }): Access => {
    const v = d.vars[r.i]!;
    const { keys, index } = paths[r.i]!;
    const dyn = r.dyn;
    const key = (k: number, t: number) => (dyn && k === index ? t % dyn.length : keys[k]!);
    const at = (root: Node, t: number): [Node, string | number] => {
      let n = root;
      for (let k = 0; k < keys.length - 1; k++) n = n[key(k, t)];
      return [n, key(keys.length - 1, t)];
    };
    const viaGet = index === keys.length - 1 && v.kind !== 'lock';
    const decode = decoders[r.i]!;
    return {
      read(root, t) {
        const [n, k] = at(root, t);
        return decode(viaGet ? (n as ScalarArrayView<unknown>).get(k as number) : n[k]);
      },
      write(root, t, x) {
        const [n, k] = at(root, t);
        const y = encode(v, x);
        if (viaGet) (n as ScalarArrayView<unknown>).set(k as number, y);
        else n[k] = y;
      },
      lock(root, t) {
        const [n, k] = at(root, t);
        return n[k] as LockView;
      },
    };
  };

  interface Ref {
    read(c: { s: Node; l: { t: number } | null }): number;
    write(c: Ctx, x: number): void;
  }
  const refOf = (r: VarRef): Ref => {
    if (r.scope === 'local') return { read: (c) => c.l!.t, write: (c, x) => void (c.l.t = x) };
    const a = access(r);
    // A dyn reference reads the local first; the others never touch it.
    if (r.dyn) return { read: (c) => a.read(c.s, c.l!.t), write: (c, x) => a.write(c.s, c.l.t, x) };
    return { read: (c) => a.read(c.s, 0), write: (c, x) => a.write(c.s, 0, x) };
  };
  const maxOf = (r: VarRef, localMax: number | null) => (r.scope === 'local' ? localMax! : d.vars[r.i]!.max);
  const condOf = (cond: Cond) => {
    const v = refOf(cond.v);
    return (c: { s: Node; l: { t: number } | null }) => compare(v.read(c), cond.cmp, cond.c);
  };

  // Global instance numbers: the first of each actor.
  const firstInstance: number[] = [];
  d.actors.reduce((n, a, j) => ((firstInstance[j] = n), n + a.instances), 0);

  const opOf = (op: Op, j: number, localMax: number | null, where: string): ((c: Ctx) => boolean) => {
    // Each returns false when the step stops there (a fault).
    switch (op.op) {
      case 'set': {
        const dst = refOf(op.dst);
        return (c) => (dst.write(c, op.c), true);
      }
      case 'copy': {
        const [dst, src, range] = [refOf(op.dst), refOf(op.src), maxOf(op.dst, localMax) + 1];
        return (c) => (dst.write(c, src.read(c) % range), true);
      }
      case 'inc': {
        const [dst, range] = [refOf(op.dst), maxOf(op.dst, localMax) + 1];
        return (c) => (dst.write(c, (dst.read(c) + 1) % range), true);
      }
      case 'choose': {
        const dst = refOf(op.dst);
        return (c) => (dst.write(c, c.choose(op.values)), true);
      }
      case 'chooseUpTo': {
        const [dst, src, range] = [refOf(op.dst), refOf(op.src), maxOf(op.dst, localMax) + 1];
        return (c) => (dst.write(c, c.choose((src.read(c) % range) + 1)), true);
      }
      case 'acquire':
      case 'release': {
        if (op.by === 'instance' && o.symmetric) throw new Error('a model whose locks are taken by instance (c.self) is not symmetric');
        const r = op.lock as VarRef & { scope: 'shared' };
        const a = access(r);
        const lockAt = (c: Ctx) => a.lock(c.s, r.dyn ? c.l.t : 0);
        const id = op.by === 'actor' ? () => j : (c: Ctx) => firstInstance[j]! + c.self;
        if (op.op === 'acquire') {
          return (c) => {
            const l = lockAt(c);
            if (l.free) l.acquire(id(c));
            return true;
          };
        }
        return (c) => {
          const l = lockAt(c);
          const me = id(c);
          if (l.heldBy(me)) l.release(me);
          return true;
        };
      }
      case 'fault': {
        const when = condOf(op.when);
        return (c) => {
          if (!when(c)) return true;
          c.fault(`fault at ${where}`, op.property);
          return false;
        };
      }
      case 'goto':
        return (c) => (c.goto(labelName(op.label)), true);
      case 'finish':
        return (c) => (c.finish(), true);
    }
  };

  const step = (s: StepDesc, j: number, localMax: number | null, where: string) => {
    const out: { await?: (c: Ctx) => boolean; do?: (c: Ctx) => void } = {};
    if (s.guard !== null) {
      const guard = s.guard;
      const holds = condOf(guard);
      // The guard of a step that takes a lock asks the lock itself.
      if (guard.v.scope === 'shared' && d.vars[guard.v.i]!.kind === 'lock' && guard.cmp === '==' && guard.c === 0) {
        const r = guard.v;
        const a = access(r);
        out.await = (c) => a.lock(c.s, r.dyn ? c.l.t : 0).free;
      } else out.await = holds;
    }
    // A step without ops has no body (it only falls through), like `{ await }` in models.
    if (s.ops.length > 0) {
      const ops = s.ops.map((op) => opOf(op, j, localMax, where));
      out.do = (c) => {
        for (const f of ops) if (!f(c)) return;
      };
    }
    return out;
  };

  const actors: Record<string, unknown> = {};
  d.actors.forEach((a, j) => {
    const steps: Record<string, unknown> = {};
    a.steps.forEach((s, k) => (steps[labelName(k)] = step(s, j, a.localMax, `${actorName(j)} ${labelName(k)}`)));
    actors[actorName(j)] = {
      instances: a.instances,
      ...(a.localMax !== null ? { locals: { t: int(0, a.localMax) } } : {}),
      ...(o.private === true || (Array.isArray(o.private) && o.private.includes(j)) ? { private: true } : {}),
      ...(o.symmetric ? { symmetric: true } : {}),
      steps,
    };
  });

  const invariants: Record<string, (s: Node) => boolean> = {};
  d.invariants.forEach((cond, i) => {
    const holds = condOf(cond);
    invariants[invariantName(i)] = (s) => holds({ s, l: null });
  });

  // Every variable but the locks (free already) is written: the default state is each int's
  // minimum, which is not number 0 of a represented int.
  const writers = d.vars.map((v, i) => (v.kind === 'lock' ? null : access({ scope: 'shared', i })));

  return defineModel({
    id: 'random',
    state,
    init: (c: { readonly s: unknown; choose(values: readonly number[]): number }) => {
      d.vars.forEach((v, i) => {
        const x = v.init.length === 1 ? v.init[0]! : c.choose(v.init);
        writers[i]?.write(c.s, 0, x);
      });
    },
    actors: actors as never,
    invariants,
  } as never) as Model;
}
