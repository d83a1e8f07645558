/** Interpreter (a): a random model description → an mmrace model, via defineModel. */
import { bool, defineModel, int } from '../../src/index.js';
import type { Model, StepCtx } from '../../src/index.js';
import {
  actorName,
  compare,
  invariantName,
  labelName,
  varName,
  type Cond,
  type ModelDesc,
  type Op,
  type StepDesc,
  type VarRef,
} from './random-model.js';

type Shared = Record<string, number | boolean>;
type Ctx = StepCtx<Shared, { t: number }>;

/**
 * `private`: declare every actor private (ActorDef.private; the random models never read a
 * pc or another instance's local), or the actors whose index is listed. `symmetric`: declare every actor symmetric (ActorDef.symmetric;
 * their steps never read c.self and the invariants read only shared variables).
 */
export function toModel(d: ModelDesc, o: { readonly private?: boolean | readonly number[]; readonly symmetric?: boolean } = {}): Model {
  const read = (s: Shared, l: { t: number } | null, r: VarRef): number =>
    r.scope === 'local' ? l!.t : Number(s[varName(r.i)]);
  const write = (c: Ctx, r: VarRef, v: number): void => {
    if (r.scope === 'local') c.l.t = v;
    else c.s[varName(r.i)] = d.vars[r.i]!.kind === 'bool' ? v !== 0 : v;
  };
  const maxOf = (r: VarRef, localMax: number | null) => (r.scope === 'local' ? localMax! : d.vars[r.i]!.max);
  const holds = (c: Ctx, cond: Cond) => compare(read(c.s, c.l, cond.v), cond.cmp, cond.c);

  const body = (ops: readonly Op[], localMax: number | null, where: string) => (c: Ctx) => {
    for (const op of ops) {
      switch (op.op) {
        case 'set':
          write(c, op.dst, op.c);
          break;
        case 'copy':
          write(c, op.dst, read(c.s, c.l, op.src) % (maxOf(op.dst, localMax) + 1));
          break;
        case 'inc':
          write(c, op.dst, (read(c.s, c.l, op.dst) + 1) % (maxOf(op.dst, localMax) + 1));
          break;
        case 'choose':
          write(c, op.dst, c.choose(op.values));
          break;
        case 'chooseUpTo':
          write(c, op.dst, c.choose((read(c.s, c.l, op.src) % (maxOf(op.dst, localMax) + 1)) + 1));
          break;
        case 'fault':
          if (holds(c, op.when)) {
            c.fault(`fault at ${where}`, op.property);
            return;
          }
          break;
        case 'goto':
          c.goto(labelName(op.label));
          break;
        case 'finish':
          c.finish();
          break;
      }
    }
  };

  const step = (s: StepDesc, localMax: number | null, where: string) => {
    const guard = s.guard;
    const out: { await?: (c: Ctx) => boolean; do?: (c: Ctx) => void } = {};
    if (guard !== null) out.await = (c) => holds(c, guard);
    // A step without ops has no body (it only falls through), like `{ await }` in models.
    if (s.ops.length > 0) out.do = body(s.ops, localMax, where);
    return out;
  };

  const state: Record<string, ReturnType<typeof int> | ReturnType<typeof bool>> = {};
  d.vars.forEach((v, i) => (state[varName(i)] = v.kind === 'bool' ? bool() : int(0, v.max)));

  const actors: Record<string, unknown> = {};
  d.actors.forEach((a, j) => {
    const steps: Record<string, unknown> = {};
    a.steps.forEach((s, k) => (steps[labelName(k)] = step(s, a.localMax, `${actorName(j)} ${labelName(k)}`)));
    actors[actorName(j)] = {
      instances: a.instances,
      ...(a.localMax !== null ? { locals: { t: int(0, a.localMax) } } : {}),
      ...(o.private === true || (Array.isArray(o.private) && o.private.includes(j)) ? { private: true } : {}),
      ...(o.symmetric ? { symmetric: true } : {}),
      steps,
    };
  });

  const invariants: Record<string, (s: Shared) => boolean> = {};
  d.invariants.forEach((cond, i) => (invariants[invariantName(i)] = (s) => compare(read(s, null, cond.v), cond.cmp, cond.c)));

  return defineModel({
    id: 'random',
    state,
    init: (c: { readonly s: unknown; choose(values: readonly number[]): number }) => {
      d.vars.forEach((v, i) => {
        const x = v.init.length === 1 ? v.init[0]! : c.choose(v.init);
        (c.s as Shared)[varName(i)] = v.kind === 'bool' ? x !== 0 : x;
      });
    },
    actors: actors as never,
    invariants,
  } as never) as Model;
}
