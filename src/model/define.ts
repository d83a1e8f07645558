/**
 * The model author's API: parameters, actors with labeled atomic steps, invariants,
 * and `defineModel`. A definition is plain data and functions; `compileModel` (see
 * compile.ts) turns it and a set of parameter values into a runnable model.
 */
import { MmraceError } from '../errors.js';
import type { Fields, RecordType, ViewOf } from './schema.js';

// ---- parameters --------------------------------------------------------------------

export interface IntParam {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  readonly default: number;
  readonly doc?: string;
}
export interface BoolParam {
  readonly kind: 'bool';
  readonly default: boolean;
  readonly doc?: string;
}
export interface EnumParam<V extends string = string> {
  readonly kind: 'enum';
  readonly values: readonly V[];
  readonly default: V;
  readonly doc?: string;
}
export type ParamSpec = IntParam | BoolParam | EnumParam;
export type ParamSpecs = { readonly [name: string]: ParamSpec };
export type ParamValue = number | boolean | string;
export type ParamValues<P extends ParamSpecs> = 0 extends 1 & P ? any : ParamValuesOf<P>;

type ParamValuesOf<P extends ParamSpecs> = {
  readonly [K in keyof P]: P[K] extends IntParam
    ? number
    : P[K] extends BoolParam
      ? boolean
      : P[K] extends EnumParam<infer V>
        ? V
        : never;
};

export const param = {
  int(min: number, max: number, dflt: number, doc?: string): IntParam {
    if (!Number.isInteger(min) || !Number.isInteger(max) || !Number.isInteger(dflt) || min > dflt || dflt > max) {
      throw new MmraceError('E_MODEL_DEF', `param.int(${min}, ${max}, ${dflt}): needs integers with min <= default <= max`);
    }
    return { kind: 'int', min, max, default: dflt, ...(doc ? { doc } : {}) };
  },
  bool(dflt: boolean, doc?: string): BoolParam {
    return { kind: 'bool', default: dflt, ...(doc ? { doc } : {}) };
  },
  enum<const V extends string>(values: readonly V[], dflt: NoInfer<V>, doc?: string): EnumParam<V> {
    if (!values.includes(dflt)) {
      throw new MmraceError('E_MODEL_DEF', `param.enum([${values.join(', ')}], ${dflt}): the default is not one of the values`);
    }
    return { kind: 'enum', values, default: dflt, ...(doc ? { doc } : {}) };
  },
};

// ---- steps and actors --------------------------------------------------------------

/** What a step body sees. `s` is the shared state, `l` this instance's locals. */
export interface StepCtx<S = any, L = any, PV = any> {
  readonly s: S;
  readonly l: L;
  /** Index of this instance among the instances of its actor (0 for a single instance). */
  readonly self: number;
  readonly p: PV;
  /** Data nondeterminism: each of 0..n-1 is a separate transition. */
  choose(n: number): number;
  /** Data nondeterminism: each value is a separate transition. */
  choose<const T>(values: readonly T[]): T;
  /** One named choice (the reports show `name value`): an index of 0..n-1, or a value. */
  choose(name: string, n: number): number;
  choose<const T>(name: string, values: readonly T[]): T;
  /**
   * Named choices, one per key in key order (each a separate choice, as `choose(name, x)`
   * would make): `c.choose({ page: [0, 1], op: ['load', 'store'] })` gives `{ page, op }`.
   */
  choose<const O extends ChoiceOptions>(options: O): ChosenOf<O>;
  /**
   * A note for the reports, recorded when a trace is replayed and never in the search (no
   * effect on the state): `note(text)` tells what this step found or did (shown after the
   * step in the race diagram); `note(party, text)` what another party did in this step (a
   * column of its own, e.g. the hypervisor: `c.note('Xen', 'get_page_type(X,L1): -EINVAL')`).
   * `text` may be a function, then called only when the note is recorded.
   */
  note(text: NoteText): void;
  note(party: string, text: NoteText): void;
  /**
   * True only while a replay records the step's notes (never in the search): a step can
   * skip the work of building a note, `if (c.noting) c.note(...)`, where it runs often.
   */
  readonly noting: boolean;
  /** Continue at `label` instead of falling through to the next step. */
  goto(label: string): void;
  /** This instance is finished after this step. */
  finish(): void;
  /**
   * The step raises a fault (an Oops, a BUG, an unhandled translation fault): a
   * violation of `property` (default `fault`). The step's writes still apply; return
   * right after calling it.
   */
  fault(message: string, property?: string): void;
  /** The label at which instance `instance` of `actor` stands (`done` when finished). */
  pc(actor: string, instance?: number): string;
}

/** The options of a named choice: per name, a count or the values. */
export type ChoiceOptions = { readonly [name: string]: number | readonly unknown[] };
/** What a named choice returns: per name, the index (a count) or the value chosen. */
export type ChosenOf<O extends ChoiceOptions> = 0 extends 1 & O ? any : { -readonly [K in keyof O]: O[K] extends readonly (infer T)[] ? T : number };
/** The text of a note, or a function that makes it (called only on replay). */
export type NoteText = string | (() => string);

export type StepFn<S, L, PV> = (c: StepCtx<S, L, PV>) => void;
export type GuardFn<S, L, PV> = (c: StepCtx<S, L, PV>) => boolean;

/**
 * A step is either a body, or an object with a guard (`await`: the step is disabled
 * while it is false — how locks and blocking waits are modelled) and an optional body.
 */
export type StepDef<S, L, PV> =
  | StepFn<S, L, PV>
  | {
      readonly await?: GuardFn<S, L, PV>;
      readonly do?: StepFn<S, L, PV>;
      /** What the step stands for, shown in the Markdown and HTML reports. */
      readonly doc?: string;
      /**
       * The step is something hardware does (a page-table walk, a TLB fill), not a kernel
       * call: the race diagram shows its label's last part without `()` (`mmu:walk` is
       * shown `walk`). A label `hw:...` says the same.
       */
      readonly hw?: boolean;
    };

/** The view of an actor's locals; `any` when the locals' types are not known (inline actors). */
export type LocalsView<L extends Fields> = 0 extends 1 & L ? any : ViewOf<RecordType<L>>;

export interface ActorDef<S = any, L extends Fields = any, PV = any> {
  /** How many instances (K readers, one per CPU); default 1. 0 leaves the actor out. */
  readonly instances?: number;
  /** Locals of each instance, stored in the state. */
  readonly locals?: L;
  /** Labeled steps in program order; a step falls through to the next, the last to finished. */
  readonly steps: { readonly [label: string]: StepDef<S, LocalsView<L>, PV> };
  /**
   * The instances' pcs and locals are private: no step of another instance (`c.pc`) and
   * no invariant (`w.pc`, `w.locals`) reads them. Checked on every read (an error
   * E_MODEL_DEF names the read). It lets partial-order reduction run a step that touches
   * only its instance's pc and locals without interleaving the other actors around it.
   */
  readonly private?: boolean;
  /**
   * The instances are interchangeable (K readers): symmetry reduction stores one state of
   * each class of states that differ only in which instance holds which pc and locals.
   * Checked as the model runs: the steps may not read `c.self`, no step reads one of
   * them by index (`c.pc`), and every invariant must give the same answer whatever the
   * order of the instances (an error E_MODEL_DEF names the first that does not).
   */
  readonly symmetric?: boolean;
  /**
   * The actor may act at any time or never (an interrupt, an IPI's handler, a speculative
   * hardware walk): an instance waiting at a step whose guard is false never makes a
   * deadlock, and a run may end with it unfinished. A deadlock is a state where nothing
   * can move and an instance of another actor has not finished.
   */
  readonly optional?: boolean;
  readonly doc?: string;
}

// ---- invariants and init -----------------------------------------------------------

/** What invariants see besides the shared state. */
export interface World<PV = any> {
  readonly p: PV;
  /** Label at which instance `instance` of `actor` stands (`done` when finished). */
  pc(actor: string, instance?: number): string;
  /** The locals of an instance (read only). */
  locals(actor: string, instance?: number): any;
}

export type InvariantFn<S, PV> = (s: S, w: World<PV>) => boolean;

export interface InitCtx<S = any, PV = any> {
  readonly s: S;
  readonly p: PV;
  /** Several initial states: each of 0..n-1 is a separate initial state. */
  choose(n: number): number;
  choose<const T>(values: readonly T[]): T;
  /** Named choices (the race diagram's `init:` line shows them as `name=value`); see StepCtx.choose. */
  choose(name: string, n: number): number;
  choose<const T>(name: string, values: readonly T[]): T;
  choose<const O extends ChoiceOptions>(options: O): ChosenOf<O>;
  /** A note about the initial state, for the race diagram's `init:` line (recorded on replay only). */
  note(text: NoteText): void;
  /** The locals of an instance, to initialise them. */
  locals(actor: string, instance?: number): any;
}

type OrFn<PV, T> = T | ((p: PV) => T);

export interface ModelDef<P extends ParamSpecs = ParamSpecs, F extends Fields = Fields> {
  /** Short identifier: `contpte`, `counter`. */
  readonly id: string;
  readonly title?: string;
  readonly params?: P;
  readonly state: OrFn<ParamValues<P>, F>;
  /** Writes the initial state over defaults (false, int minimum, first enum value, lock free). */
  readonly init?: (c: InitCtx<ViewOf<RecordType<F>>, ParamValues<P>>) => void;
  readonly actors: OrFn<ParamValues<P>, { readonly [name: string]: ActorDef<ViewOf<RecordType<F>>, any, ParamValues<P>> }>;
  readonly invariants?: OrFn<
    ParamValues<P>,
    { readonly [name: string]: InvariantFn<ViewOf<RecordType<F>>, ParamValues<P>> }
  >;
}

export const MODEL_BRAND = Symbol.for('mmrace.model');

/** A defined model. `Model` with no arguments accepts any model. */
export type Model<P extends ParamSpecs = any, F extends Fields = any> = ModelDef<P, F> & {
  readonly [MODEL_BRAND]: true;
};

/**
 * Defines a model. The result is what a model file exports as default.
 *
 * ```ts
 * export default defineModel({
 *   id: 'counter',
 *   params: { threads: param.int(1, 8, 2) },
 *   state: { x: int(0, 8), l: lock() },
 *   actors: (p) => ({ inc: actor({ instances: p.threads, locals: { t: int(0, 8) }, steps: { ... } }) }),
 *   invariants: { ... },
 * });
 * ```
 */
export function defineModel<const P extends ParamSpecs = {}, const F extends Fields = Fields>(
  def: ModelDef<P, F>,
): Model<P, F> {
  if (typeof def !== 'object' || def === null) throw new MmraceError('E_MODEL_DEF', 'defineModel() needs an object');
  if (typeof def.id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(def.id)) {
    throw new MmraceError('E_MODEL_DEF', `model id ${JSON.stringify(def.id)} must be letters, digits, '_', '.', '-'`);
  }
  return Object.freeze({ ...def, [MODEL_BRAND]: true as const });
}

/** Types a single actor's locals for its steps: `actor({ locals: {...}, steps: {...} })`. */
export function actor<const L extends Fields = {}, S = any, PV = any>(def: ActorDef<S, L, PV>): ActorDef<S, L, PV> {
  return def;
}

export function isModel(x: unknown): x is Model {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MODEL_BRAND] === true;
}

/** Validates and completes a set of parameter values against the model's specs. */
export function resolveParams(
  specs: ParamSpecs | undefined,
  given: Readonly<Record<string, ParamValue>>,
  modelId: string,
): Record<string, ParamValue> {
  const s = specs ?? {};
  const out: Record<string, ParamValue> = {};
  for (const name of Object.keys(given)) {
    // Own names only: `toString` or `constructor` are not parameters.
    if (!Object.hasOwn(s, name)) {
      const known = Object.keys(s);
      throw new MmraceError(
        'E_PARAM',
        `model ${modelId} has no parameter '${name}'`,
        known.length ? `its parameters are: ${known.join(', ')}` : 'it takes no parameters',
      );
    }
  }
  for (const [name, spec] of Object.entries(s)) {
    out[name] = Object.hasOwn(given, name) ? coerceParam(name, spec, given[name]!) : spec.default;
  }
  return out;
}

function coerceParam(name: string, spec: ParamSpec, v: ParamValue): ParamValue {
  switch (spec.kind) {
    case 'int': {
      const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < spec.min || n > spec.max) {
        throw new MmraceError('E_PARAM', `parameter ${name}=${String(v)}: must be an integer from ${spec.min} to ${spec.max}`);
      }
      return n;
    }
    case 'bool': {
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === '1' || v === 1) return true;
      if (v === 'false' || v === '0' || v === 0) return false;
      throw new MmraceError('E_PARAM', `parameter ${name}=${String(v)}: must be true or false`);
    }
    case 'enum': {
      if (typeof v === 'string' && spec.values.includes(v)) return v;
      throw new MmraceError('E_PARAM', `parameter ${name}=${String(v)}: must be one of ${spec.values.join(', ')}`);
    }
  }
}

/** Parses `k=v` strings from the command line. Values stay strings; resolveParams coerces. */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  // No prototype: `-p __proto__=1` is a parameter name like any other (and refused as unknown).
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new MmraceError('E_USAGE', `--param ${a}: expected name=value`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}
