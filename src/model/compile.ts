/**
 * A model definition plus parameter values → a compiled model: the slot layout, the
 * views, one step context per actor instance, and the invariants. The engine drives it
 * through `engine/transitions.ts`.
 */
import { Symmetry } from './symmetry.js';
import { MmraceError, describeThrown, isMmraceError } from '../errors.js';
import type { ActorDef, InitCtx, InvariantFn, Model, ParamValue, StepCtx, World } from './define.js';
import { resolveParams } from './define.js';
import { MODE_READONLY, Store, layoutParts, makeView, readSlot, shapeOf, writeRaw, type SlotInfo } from './layout.js';
import { checkFieldName, enumOf, isType, record, type Fields, type RecordType, type Type } from './schema.js';

export interface CompiledStep {
  readonly label: string;
  readonly guard: ((c: StepCtx) => boolean) | null;
  readonly body: ((c: StepCtx) => void) | null;
  /** The step is something hardware does, not a kernel call (StepDef `hw`, or a label `hw:...`). */
  readonly hw: boolean;
  /** The step's `doc`, for the reports. */
  readonly doc?: string;
}

/** A choice as a replay records it: its name (a named choice), the value taken and its index. */
export interface ChoiceMade {
  readonly name?: string;
  /** The value: a string, number or boolean as the model gave it, anything else as text. */
  readonly value: string | number | boolean;
  readonly index: number;
  /** Made by `choose(n)` (or `choose(name, n)`): the value is the index. */
  readonly count?: boolean;
}

/** A note of a step (`c.note`): about the step itself, or what `party` (another column: Xen) did. */
export interface StepNote {
  readonly party?: string;
  readonly text: string;
}

/**
 * What a step (or init) says besides its effect on the state: its choices by value and
 * its notes. Kept only while a replay runs (CompiledModel.recording); the search never
 * builds one.
 */
export class Recording {
  readonly choices: ChoiceMade[] = [];
  readonly notes: StepNote[] = [];
}

/** A value as a record keeps it: a string, number or boolean as it is, anything else as text. */
function recordedValue(v: unknown): string | number | boolean {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** A name of a named choice: a non-empty string that is not a number (object keys keep their order then). */
function checkChoiceName(name: string, what: string): void {
  const first = name.charCodeAt(0);
  if (name.length === 0 || (first >= 48 && first <= 57)) {
    throw new MmraceError('E_MODEL_DEF', `${what}: choose(): the choice name '${name}' must be a non-empty name that does not start with a digit`);
  }
}

/**
 * `choose` of a step or of init, in all its forms: `choose(n)` (an index), `choose(values)`
 * (a value), `choose(name, n | values)` (one named choice), and `choose({ name: values |
 * n, ... })` (one choice per key, in key order, returning `{ name: value, ... }`). Each
 * form makes one index per choice, as the trace records it.
 */
function chooseWith(ch: Choices, rec: Recording | null, what: string, a: unknown, b?: unknown): any {
  if (typeof a === 'number') {
    const i = ch.pick(a, what);
    if (rec !== null) rec.choices.push({ value: i, index: i, count: true });
    return i;
  }
  if (typeof a === 'string') {
    checkChoiceName(a, what);
    return chooseOne(ch, rec, what, a, b);
  }
  if (Array.isArray(a)) return chooseOne(ch, rec, what, undefined, a);
  if (typeof a === 'object' && a !== null) {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(a)) {
      checkChoiceName(name, what);
      out[name] = chooseOne(ch, rec, what, name, (a as Record<string, unknown>)[name]);
    }
    return out;
  }
  throw new MmraceError('E_MODEL_DEF', `${what}: choose() takes a count, an array of values, a name and either, or an object of named options`);
}

function chooseOne(ch: Choices, rec: Recording | null, what: string, name: string | undefined, x: unknown): unknown {
  if (typeof x === 'number') {
    const i = ch.pick(x, what);
    if (rec !== null) rec.choices.push({ ...(name !== undefined ? { name } : {}), value: i, index: i, count: true });
    return i;
  }
  if (!Array.isArray(x)) {
    throw new MmraceError('E_MODEL_DEF', `${what}: choose(${name !== undefined ? `'${name}', ` : ''}...): the options must be a count or an array of values`);
  }
  const i = ch.pick(x.length, what);
  const v = x[i];
  if (rec !== null) rec.choices.push({ ...(name !== undefined ? { name } : {}), value: recordedValue(v), index: i });
  return v;
}

/** `note` of a step or of init: recorded on replay only; `text` may be a function, called only then. */
function noteWith(ch: Choices, rec: Recording | null, what: string, a: unknown, b?: unknown): void {
  if (rec === null || ch.inGuard) return;
  const party = b === undefined ? undefined : a;
  const text = b === undefined ? a : b;
  if (party !== undefined && (typeof party !== 'string' || party.trim() === '')) {
    throw new MmraceError('E_MODEL_DEF', `${what}: note(party, text): the party must be a non-empty string`);
  }
  const t = typeof text === 'function' ? (text as () => unknown)() : text;
  rec.notes.push({ ...(party !== undefined ? { party: party as string } : {}), text: String(t) });
}

/** The choice vector of the step being run, shared by all contexts of a model. */
export class Choices {
  /** Chosen index at each choose() position; only the first `len` entries count. */
  readonly cv: number[] = [];
  /** Arity seen at each position in the current run. */
  readonly ar: number[] = [];
  /** Positions of cv in use (the prefix that the next run follows). */
  len = 0;
  /** choose() calls so far in this run. */
  ci = 0;
  /** True while a guard runs: choose() is not allowed there. */
  inGuard = false;
  /** Set when a replayed choice is out of range for the arity the model now offers. */
  outOfRange = false;

  reset(): void {
    this.len = 0;
    this.ci = 0;
    this.outOfRange = false;
  }

  /** Starts a run that follows the choice vector `choice` (replay). */
  follow(choice: readonly number[]): void {
    this.reset();
    for (let i = 0; i < choice.length; i++) this.cv[i] = choice[i]!;
    this.len = choice.length;
  }

  /** The choice vector of the last run (allocates). */
  taken(): number[] {
    return this.cv.slice(0, this.ci);
  }

  /** Moves to the next choice vector in odometer order; false when all were run. */
  advance(): boolean {
    for (let pos = this.ci - 1; pos >= 0; pos--) {
      if (this.cv[pos]! + 1 < this.ar[pos]!) {
        this.cv[pos]!++;
        this.len = pos + 1;
        this.ci = 0;
        return true;
      }
    }
    return false;
  }

  pick(n: number, what: string): number {
    if (this.inGuard) {
      throw new MmraceError('E_MODEL_DEF', `${what}: choose() in a guard`, 'guards decide enabledness; choose in the step body');
    }
    if ((n | 0) !== n || n < 1) {
      throw new MmraceError('E_MODEL_DEF', `${what}: choose(${n}) needs at least one option`);
    }
    const pos = this.ci++;
    if (pos >= this.len) {
      this.cv[pos] = 0;
      this.len = pos + 1;
    }
    this.ar[pos] = n;
    const v = this.cv[pos]!;
    if (v >= n) {
      this.outOfRange = true;
      return 0;
    }
    return v;
  }
}

export class Instance {
  /** Global instance number, in actor declaration order. */
  readonly k: number;
  readonly actor: string;
  readonly index: number;
  /** Slot number of the pc, and its position: word, bit offset, mask. */
  readonly pcSlot: number;
  readonly pcWord: number;
  readonly pcShift: number;
  readonly pcMask: number;
  readonly steps: readonly CompiledStep[];
  readonly labels: ReadonlyMap<string, number>;
  /** pc value meaning finished. */
  readonly done: number;
  readonly ctx: Ctx;
  readonly locals: unknown;
  readonly localSlots: readonly number[];
  /** The actor is declared private (ActorDef.private): only this instance reads its pc and locals. */
  readonly private: boolean;
  /** The actor is declared symmetric (ActorDef.symmetric): its instances are interchangeable. */
  readonly symmetric: boolean;
  /** The actor is declared optional (ActorDef.optional): waiting, or unfinished at the end, is never a deadlock. */
  readonly optional: boolean;
  /** `guard of <instance> <label>` per pc, for errors (built once). */
  readonly guardNames: readonly string[];
  constructor(
    k: number,
    actor: string,
    index: number,
    pcInfo: SlotInfo,
    pcSlot: number,
    steps: CompiledStep[],
    labels: Map<string, number>,
    locals: unknown,
    localSlots: number[],
    model: CompiledModel,
    isPrivate = false,
    isSymmetric = false,
    isOptional = false,
  ) {
    this.k = k;
    this.actor = actor;
    this.index = index;
    this.pcSlot = pcSlot;
    this.pcWord = pcInfo.word;
    this.pcShift = pcInfo.shift;
    this.pcMask = (1 << pcInfo.bits) - 1;
    this.steps = steps;
    this.labels = labels;
    this.done = steps.length;
    this.locals = locals;
    this.localSlots = localSlots;
    this.private = isPrivate;
    this.symmetric = isSymmetric;
    this.optional = isOptional;
    this.ctx = new Ctx(this, model);
    if (isSymmetric) {
      const name = this.name;
      Object.defineProperty(this.ctx, 'self', {
        get: () => {
          throw brokenPromise(`${name} read c.self`, actor, 'symmetric');
        },
      });
    }
    this.guardNames = steps.map((st) => `guard of ${actor}[${index}] ${st.label}`);
  }
  get name(): string {
    return `${this.actor}[${this.index}]`;
  }

  /** The pc (step index; `done` when finished) of this instance in `buf`. */
  pcIn(buf: Int32Array): number {
    return (buf[this.pcWord]! >>> this.pcShift) & this.pcMask;
  }

  setPc(buf: Int32Array, pc: number): void {
    const m = this.pcMask << this.pcShift;
    buf[this.pcWord] = (buf[this.pcWord]! & ~m) | (pc << this.pcShift);
  }

  /** The label of the pc in `buf`, or `done`. */
  labelIn(buf: Int32Array): string {
    const pc = this.pcIn(buf);
    return pc === this.done ? 'done' : this.steps[pc]!.label;
  }
}

/** The context a step body receives; one per instance, reused for every step. */
export class Ctx implements StepCtx {
  readonly s: unknown;
  readonly l: unknown;
  readonly self: number;
  readonly p: unknown;
  /** pc after the step; -1 means fall through. */
  next = -1;
  faultMsg: string | null = null;
  faultProp = 'fault';
  private readonly inst: Instance;
  private readonly model: CompiledModel;
  private readonly ch: Choices;
  constructor(inst: Instance, model: CompiledModel) {
    this.inst = inst;
    this.model = model;
    this.s = model.root;
    this.l = inst.locals;
    this.self = inst.index;
    this.p = model.params;
    this.ch = model.choices;
  }
  choose(a: unknown, b?: unknown): any {
    return chooseWith(this.ch, this.model.recording, this.inst.name, a, b);
  }
  note(a: unknown, b?: unknown): void {
    noteWith(this.ch, this.model.recording, this.inst.name, a, b);
  }
  get noting(): boolean {
    return this.model.recording !== null && !this.ch.inGuard;
  }
  goto(label: string): void {
    const i = this.inst.labels.get(label);
    if (i === undefined) {
      throw new MmraceError(
        'E_MODEL_DEF',
        `${this.inst.name}: goto('${label}'): no such label`,
        `labels of ${this.inst.actor}: ${[...this.inst.labels.keys()].join(', ')}`,
      );
    }
    this.next = i;
  }
  finish(): void {
    this.next = this.inst.done;
  }
  fault(message: string, property = 'fault'): void {
    this.faultMsg = String(message);
    this.faultProp = String(property);
  }
  pc(actor: string, instance = 0): string {
    const target = this.model.instance(actor, instance);
    const what = `${this.inst.name} read the pc of ${target.name}`;
    if (target.private && target !== this.inst) throw brokenPromise(what, target.actor, 'private');
    if (target.symmetric) throw brokenPromise(what, target.actor, 'symmetric');
    return this.model.pcOf(actor, instance);
  }
}

/** A read that breaks what an actor declared (ActorDef.private, ActorDef.symmetric). */
function brokenPromise(what: string, actor: string, declared: 'private' | 'symmetric'): MmraceError {
  const why =
    declared === 'private'
      ? `only ${actor}'s own steps may read its pc and locals (that is what private: true promises partial-order reduction)`
      : `the instances of a symmetric actor are interchangeable, so no step may tell them apart`;
  return new MmraceError('E_MODEL_DEF', `${what}, but actor ${actor} is declared ${declared}`, `${why}; drop ${declared}: true or the read`);
}

export interface CompiledInvariant {
  readonly name: string;
  readonly fn: InvariantFn<unknown, unknown>;
}

export class CompiledModel implements World {
  readonly model: Model;
  readonly id: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly slots: readonly SlotInfo[];
  /** Slots per state. */
  readonly size: number;
  readonly store: Store;
  /** Per slot: the instance that owns it privately (a private actor's pc and locals), or -1. */
  readonly slotOwner: Int32Array;
  /** Some actor is declared private (partial-order reduction can apply). */
  readonly hasPrivate: boolean;
  /** Symmetry over the instances of symmetric actors, or null when no such actor has two. */
  readonly symmetry: Symmetry | null;
  readonly root: unknown;
  readonly instances: readonly Instance[];
  readonly byActor: ReadonlyMap<string, readonly Instance[]>;
  readonly invariants: readonly CompiledInvariant[];
  readonly choices = new Choices();
  /** Set while a replay runs a step or init (trace/replay.ts): its choices by value and notes go there. */
  recording: Recording | null = null;
  /** Number of leading slots that belong to the shared state (the rest are pcs and locals). */
  readonly sharedSize: number;
  /** `size` is the number of 32-bit words of a state; `slots` are its bit fields. */

  constructor(model: Model, given: Readonly<Record<string, ParamValue>>) {
    this.model = model;
    this.id = model.id;
    const p = Object.freeze(resolveParams(model.params, given, model.id));
    this.params = p;
    const fields = evalOrFn(model.state, p, 'state');
    if (!isFields(fields)) throw new MmraceError('E_MODEL_DEF', `model ${model.id}: state must be an object of types (bool(), int(), ...)`);
    const stateType = record(fields);

    const actorDefs = evalOrFn(model.actors, p, 'actors');
    if (typeof actorDefs !== 'object' || actorDefs === null || Object.keys(actorDefs).length === 0) {
      throw new MmraceError('E_MODEL_DEF', `model ${model.id}: actors must be an object with at least one actor`);
    }
    // The layout: the shared state, then each instance's pc and locals.
    interface Pending {
      actor: string;
      index: number;
      steps: CompiledStep[];
      labels: Map<string, number>;
      localsType: RecordType | null;
      isPrivate: boolean;
      isSymmetric: boolean;
      isOptional: boolean;
    }
    const pending: Pending[] = [];
    const parts: { name: string; type: Type }[] = [{ name: '', type: stateType }];
    for (const [name, def] of Object.entries(actorDefs)) {
      checkActor(model.id, name, def);
      const { steps, labels } = compileSteps(model.id, name, def);
      const n = def.instances ?? 1;
      const localsType = def.locals && Object.keys(def.locals).length > 0 ? record(def.locals) : null;
      const pcType = enumOf(...[...labels.keys()], 'done');
      for (let i = 0; i < n; i++) {
        parts.push({ name: `${name}[${i}].pc`, type: pcType });
        if (localsType) parts.push({ name: `${name}[${i}]`, type: localsType });
        pending.push({ actor: name, index: i, steps, labels, localsType, isPrivate: def.private === true, isSymmetric: def.symmetric === true, isOptional: def.optional === true });
      }
    }
    const layout = layoutParts(parts);
    this.slots = layout.slots;
    this.size = layout.words;
    this.sharedSize = shapeOf(stateType).slots;
    this.store = new Store(layout.slots, layout.words);
    const root = layout.at[0]!;
    this.root = makeView(stateType, this.store, root.w, root.s, root.k);
    const instances: Instance[] = [];
    const byActor = new Map<string, Instance[]>();
    let part = 1;
    for (const q of pending) {
      const pcAt = layout.at[part++]!;
      let locals: unknown = Object.freeze({});
      const localSlots: number[] = [];
      if (q.localsType) {
        const at = layout.at[part++]!;
        locals = makeView(q.localsType, this.store, at.w, at.s, at.k, `${q.actor}[${q.index}]`);
        for (let j = 0; j < shapeOf(q.localsType).slots; j++) localSlots.push(at.k + j);
      }
      const inst = new Instance(instances.length, q.actor, q.index, this.slots[pcAt.k]!, pcAt.k, q.steps, q.labels, locals, localSlots, this, q.isPrivate, q.isSymmetric, q.isOptional);
      instances.push(inst);
      if (!byActor.has(q.actor)) byActor.set(q.actor, []);
      byActor.get(q.actor)!.push(inst);
    }
    if (instances.length === 0) throw new MmraceError('E_MODEL_DEF', `model ${model.id}: no actor has an instance`);
    this.instances = instances;
    this.byActor = byActor;
    // Which instance owns each slot privately (-1: shared, or an actor not declared private).
    this.slotOwner = new Int32Array(this.slots.length).fill(-1);
    for (const inst of instances) {
      if (!inst.private) continue;
      this.slotOwner[inst.pcSlot] = inst.k;
      for (const k of inst.localSlots) this.slotOwner[k] = inst.k;
    }
    this.hasPrivate = instances.some((i) => i.private);
    const symmetric = [...byActor.values()].filter((list) => list[0]!.symmetric);
    const sym = new Symmetry(this.slots, symmetric, instances.length, this.size);
    this.symmetry = sym.active ? sym : null;

    const inv = model.invariants === undefined ? {} : evalOrFn(model.invariants, p, 'invariants');
    if (typeof inv !== 'object' || inv === null) throw new MmraceError('E_MODEL_DEF', `model ${model.id}: invariants must be an object of predicates`);
    this.invariants = Object.entries(inv).map(([name, fn]) => {
      if (typeof fn !== 'function') throw new MmraceError('E_MODEL_DEF', `model ${model.id}: invariant ${name} is not a function`);
      if (name === 'deadlock' || name === 'fault') throw new MmraceError('E_MODEL_DEF', `model ${model.id}: '${name}' is reserved, name the invariant otherwise`);
      return { name, fn: fn as InvariantFn<unknown, unknown> };
    });
    this.initCtx.s = this.root;
    this.initCtx.p = this.params;
  }

  get p(): Readonly<Record<string, ParamValue>> {
    return this.params;
  }

  instance(actor: string, index = 0): Instance {
    const list = this.byActor.get(actor);
    const inst = list?.[index];
    if (!inst) {
      throw new MmraceError(
        'E_MODEL_DEF',
        list ? `actor ${actor} has ${list.length} instance(s), not ${index + 1}` : `no actor named '${actor}'`,
        `actors: ${[...this.byActor.keys()].join(', ')}`,
      );
    }
    return inst;
  }

  /** World.pc (invariants): label of an instance in the bound state. */
  pc(actor: string, instance = 0): string {
    const target = this.instance(actor, instance);
    if (target.private) throw brokenPromise(`${this.store.readOnlyWhat || 'an invariant'} read the pc of ${target.name}`, target.actor, 'private');
    return this.pcOf(actor, instance);
  }

  pcOf(actor: string, instance: number): string {
    const inst = this.instance(actor, instance);
    const $ = this.store;
    if ($.m & 2) $.r(inst.pcSlot);
    return inst.labelIn($.b);
  }

  /** World.locals (invariants): the locals view of an instance. */
  locals(actor: string, instance = 0): unknown {
    const target = this.instance(actor, instance);
    if (target.private) throw brokenPromise(`${this.store.readOnlyWhat || 'an invariant'} read the locals of ${target.name}`, target.actor, 'private');
    return target.locals;
  }

  /**
   * Calls `each` with every initial state, in the order of init's choices, with its
   * ordinal; stops when `each` returns false. The state buffer is reused: copy it to
   * keep it. The choice vector that made it is `this.choices.taken()` during the call.
   */
  forEachInitialState(each: (state: Int32Array, ordinal: number) => boolean): void {
    const ch = this.choices;
    ch.reset();
    const buf = new Int32Array(this.size);
    let ordinal = 0;
    do {
      buf.fill(0);
      this.runInit(buf);
      if (!each(buf, ordinal++)) return;
    } while (this.model.init && ch.advance());
  }

  /** All initial states (allocates one buffer each: for tests and small models). */
  initialStates(): Int32Array[] {
    const out: Int32Array[] = [];
    this.forEachInitialState((s) => (out.push(s.slice()), true));
    return out;
  }

  /** All initial states with the choice vector of init that made each. */
  initialStatesWithChoices(): { state: Int32Array; choice: number[] }[] {
    const out: { state: Int32Array; choice: number[] }[] = [];
    this.forEachInitialState((s) => (out.push({ state: s.slice(), choice: this.choices.taken() }), true));
    return out;
  }

  /** The initial state with a given ordinal and the choice vector of init that made it. */
  initialAt(ordinal: number): { state: Int32Array; choice: number[] } | null {
    let found: { state: Int32Array; choice: number[] } | null = null;
    this.forEachInitialState((s, i) => {
      if (i !== ordinal) return true;
      found = { state: s.slice(), choice: this.choices.taken() };
      return false;
    });
    return found;
  }

  /**
   * Runs init once. With `choice`, runs it with that choice vector (replay) and returns
   * null when the vector does not fit the choices init makes.
   */
  initialState(choice: readonly number[] | null): Int32Array;
  initialState(choice: readonly number[]): Int32Array | null;
  initialState(choice: readonly number[] | null): Int32Array | null {
    const ch = this.choices;
    if (choice !== null) ch.follow(choice);
    // All-zero words: false, int minimums, first enum values, free locks, first steps.
    const buf = new Int32Array(this.size);
    this.runInit(buf);
    if (choice !== null && (ch.outOfRange || ch.ci !== choice.length)) return null;
    return buf;
  }

  /** Runs init over `buf` (all-zero words) following the current choice vector. */
  private runInit(buf: Int32Array): void {
    this.store.bind(buf);
    this.store.m = 0;
    this.choices.ci = 0;
    const init = this.model.init;
    if (!init) return;
    try {
      init(this.initCtx as InitCtx);
    } catch (e) {
      throw wrapThrown(e, `init of model ${this.id}`);
    }
  }

  private readonly initCtx = {
    s: undefined as unknown,
    p: undefined as unknown,
    choose: (a: unknown, b?: unknown): any => chooseWith(this.choices, this.recording, 'init', a, b),
    note: (a: unknown, b?: unknown): void => noteWith(this.choices, this.recording, 'init', a, b),
    locals: (actor: string, i = 0) => this.instance(actor, i).locals,
  };

  /**
   * Puts `buf` in canonical form (Symmetry.canonicalize) when the model has symmetric
   * actors and `on`; when that changed the state, checks that the invariants give the
   * same answer on both forms (the promise symmetric makes), else E_MODEL_DEF.
   */
  canonical(buf: Int32Array, on = true): void {
    const sym = this.symmetry;
    if (sym === null || !on || !sym.canonicalize(buf)) return;
    const before = this.violatedInvariant(sym.before);
    const after = this.violatedInvariant(buf);
    if (before !== after) {
      const inv = before ?? after;
      throw new MmraceError(
        'E_MODEL_DEF',
        `invariant ${inv} depends on the order of the instances of a symmetric actor: it ${before === inv ? 'fails' : 'holds'} in a state and ${after === inv ? 'fails' : 'holds'} once its instances are sorted`,
        'an invariant over a symmetric actor must treat its instances alike (for example, loop over all of them); or drop symmetric: true',
      );
    }
  }

  /** Name of the first invariant violated by `buf`, or null. */
  violatedInvariant(buf: Int32Array): string | null {
    const i = this.firstViolated(buf, 0);
    return i < 0 ? null : this.invariants[i]!.name;
  }

  /**
   * Names of every invariant violated by `buf`, in declaration order (--all-violations:
   * an invariant that fails only where an earlier one fails too is a violation of its own).
   */
  violatedInvariants(buf: Int32Array): string[] {
    const out: string[] = [];
    for (let i = this.firstViolated(buf, 0); i >= 0; i = this.firstViolated(buf, i + 1)) out.push(this.invariants[i]!.name);
    return out;
  }

  /** Index of the first invariant violated by `buf` from the `from`-th on, or -1. */
  private firstViolated(buf: Int32Array, from: number): number {
    const invs = this.invariants;
    if (invs.length <= from) return -1;
    const $ = this.store;
    $.bind(buf);
    const saved = $.m;
    $.m = MODE_READONLY;
    try {
      for (let i = from; i < invs.length; i++) {
        const inv = invs[i]!;
        $.readOnlyWhat = `invariant ${inv.name}`;
        let ok: boolean;
        try {
          ok = inv.fn(this.root, this);
        } catch (e) {
          throw wrapThrown(e, `invariant ${inv.name}`);
        }
        if (ok !== true) {
          if (ok !== false) {
            throw new MmraceError('E_MODEL_DEF', `invariant ${inv.name} returned ${String(ok)}, not a boolean`);
          }
          return i;
        }
      }
      return -1;
    } finally {
      $.m = saved;
    }
  }

  /** The value of every slot of a state, in slot order (ints as values, the rest raw). */
  decode(buf: Int32Array): number[] {
    return this.slots.map((slot) => readSlot(buf, slot));
  }

  /** The state whose slots hold `values` (in slot order, as `decode` gives them). */
  encode(values: readonly number[]): Int32Array {
    if (values.length !== this.slots.length) {
      throw new MmraceError('E_INTERNAL', `encode: ${values.length} values for ${this.slots.length} slots`);
    }
    const buf = new Int32Array(this.size);
    this.slots.forEach((slot, i) => writeRaw(buf, slot, slot.type.kind === 'int' ? values[i]! - slot.type.min : values[i]!));
    return buf;
  }

  /** The state as a plain object (shared state, then each instance's pc and locals); allocates. */
  describe(buf: Int32Array): Record<string, unknown> {
    this.store.bind(buf);
    const shared = JSON.parse(JSON.stringify(this.root)) as Record<string, unknown>;
    const actors: Record<string, unknown> = {};
    for (const inst of this.instances) {
      actors[inst.name] = {
        pc: inst.labelIn(buf),
        ...(JSON.parse(JSON.stringify(inst.locals)) as object),
      };
    }
    return { ...shared, ...actors };
  }
}

/** Wraps an exception from model code, keeping MmraceErrors (with context added). */
export function wrapThrown(e: unknown, where: string): MmraceError {
  if (isMmraceError(e)) {
    if (e.message.startsWith(where)) return e;
    return new MmraceError(e.code, `${where}: ${e.message}`, e.hint);
  }
  return new MmraceError('E_MODEL_THREW', `${where} threw ${describeThrown(e)}`, 'a step, guard or invariant must not throw; use c.fault() to report a failure of the modelled code');
}

function evalOrFn<T>(x: T | ((p: any) => T), p: unknown, what: string): T {
  if (typeof x !== 'function') return x;
  try {
    return (x as (p: unknown) => T)(p);
  } catch (e) {
    throw wrapThrown(e, what);
  }
}

function isFields(x: unknown): x is Fields {
  if (typeof x !== 'object' || x === null) return false;
  for (const [name, t] of Object.entries(x)) {
    checkFieldName(name);
    if (!isType(t)) return false;
  }
  return true;
}

function checkActor(modelId: string, name: string, def: ActorDef): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new MmraceError('E_MODEL_DEF', `model ${modelId}: actor name '${name}' must be an identifier`);
  }
  if (typeof def !== 'object' || def === null || typeof def.steps !== 'object' || def.steps === null) {
    throw new MmraceError('E_MODEL_DEF', `model ${modelId}: actor ${name} needs steps: { label: step, ... }`);
  }
  const n = def.instances ?? 1;
  if (!Number.isInteger(n) || n < 0 || n > 4096) {
    throw new MmraceError('E_MODEL_DEF', `model ${modelId}: actor ${name} instances=${n}: must be an integer from 0 to 4096`);
  }
  if (def.locals !== undefined && !isFields(def.locals)) {
    throw new MmraceError('E_MODEL_DEF', `model ${modelId}: actor ${name} locals must be an object of types`);
  }
  if (def.symmetric !== undefined && typeof def.symmetric !== 'boolean') {
    throw new MmraceError('E_MODEL_DEF', `model ${modelId}: actor ${name} symmetric=${String(def.symmetric)}: must be true or false`);
  }
  if (def.private !== undefined && typeof def.private !== 'boolean') {
    throw new MmraceError('E_MODEL_DEF', `model ${modelId}: actor ${name} private=${String(def.private)}: must be true or false`);
  }
  if (def.locals !== undefined && 'pc' in def.locals) {
    throw new MmraceError('E_MODEL_DEF', `model ${modelId}: actor ${name}: a local may not be named 'pc' (the program counter is)`);
  }
}

function compileSteps(modelId: string, actor: string, def: ActorDef): { steps: CompiledStep[]; labels: Map<string, number> } {
  const steps: CompiledStep[] = [];
  const labels = new Map<string, number>();
  for (const [label, sd] of Object.entries(def.steps)) {
    if (/^\d+$/.test(label) || label === 'done' || label.length === 0) {
      throw new MmraceError(
        'E_MODEL_DEF',
        `model ${modelId}: actor ${actor} step label '${label}' is not allowed`,
        'labels are names (a kernel function or statement), not numbers, and not "done"',
      );
    }
    let guard: CompiledStep['guard'] = null;
    let body: CompiledStep['body'] = null;
    let hw = label.startsWith('hw:');
    let doc: string | undefined;
    if (typeof sd === 'function') body = sd as (c: StepCtx) => void;
    else if (typeof sd === 'object' && sd !== null) {
      const known = new Set(['await', 'do', 'doc', 'hw']);
      for (const k of Object.keys(sd)) {
        if (!known.has(k)) throw new MmraceError('E_MODEL_DEF', `model ${modelId}: ${actor} step ${label}: unknown key '${k}' (await, do, doc, hw)`);
      }
      if (sd.await !== undefined && typeof sd.await !== 'function') throw new MmraceError('E_MODEL_DEF', `model ${modelId}: ${actor} step ${label}: await must be a function`);
      if (sd.do !== undefined && typeof sd.do !== 'function') throw new MmraceError('E_MODEL_DEF', `model ${modelId}: ${actor} step ${label}: do must be a function`);
      if (sd.doc !== undefined && typeof sd.doc !== 'string') throw new MmraceError('E_MODEL_DEF', `model ${modelId}: ${actor} step ${label}: doc must be a string`);
      if (sd.hw !== undefined && typeof sd.hw !== 'boolean') throw new MmraceError('E_MODEL_DEF', `model ${modelId}: ${actor} step ${label}: hw must be true or false`);
      guard = (sd.await as CompiledStep['guard']) ?? null;
      body = (sd.do as CompiledStep['body']) ?? null;
      if (sd.hw !== undefined) hw = sd.hw;
      doc = sd.doc;
    } else {
      throw new MmraceError('E_MODEL_DEF', `model ${modelId}: ${actor} step ${label} must be a function or { await, do }`);
    }
    labels.set(label, steps.length);
    steps.push({ label, guard, body, hw, ...(doc !== undefined ? { doc } : {}) });
  }
  if (steps.length === 0) throw new MmraceError('E_MODEL_DEF', `model ${modelId}: actor ${actor} has no steps`);
  return { steps, labels };
}
