/**
 * Transition enumeration, the hot primitive: for a state, every enabled step of every
 * actor instance, each choice of each step, run into one scratch buffer. The engine
 * never chooses: it hands every successor, in a fixed order, to a sink.
 *
 * Order: instances in declaration order (k), then choice vectors in odometer order;
 * `ordinal` numbers the successors of one instance from 0, and (k, ordinal) names a
 * transition from a given state.
 */
import { MmraceError } from '../errors.js';
import type { CompiledModel, Ctx, Instance } from '../model/compile.js';
import { wrapThrown } from '../model/compile.js';
import { MODE_READONLY, MODE_RECORD, NOT_LOCAL, formatSlotValue, readRaw, readSlot } from '../model/layout.js';
import { BEAT, HEART_WORDS, IDLE, ORDINAL, beatWord, invariantsWord, stepCodes } from './watchdog.js';

export interface SuccessorSink {
  /**
   * Called with the successor in `work` (valid until the call returns). `ctx.faultMsg` is
   * non-null when the step raised a fault. Return false to stop enumerating.
   */
  successor(k: number, ordinal: number, work: Int32Array, ctx: Ctx): boolean;
}

/** A step threw or broke a rule of the model API; carries where, for the trace. */
export class StepError extends MmraceError {
  readonly k: number;
  readonly ordinal: number;
  constructor(base: MmraceError, k: number, ordinal: number) {
    super(base.code, base.message, base.hint);
    this.k = k;
    this.ordinal = ordinal;
  }
}

/**
 * The determinism probe: the first state an expander expands, then every PROBE_EVERY-th,
 * is expanded a second time (after the first expansion, with a sink that only records)
 * and the two lists of successors must be equal (see Expander.probe).
 */
export const PROBE_EVERY = 1000;

/** The hint of E_NONDETERMINISTIC: where a model's steps get a second result from. */
export const NONDETERMINISTIC_HINT =
  'a step, guard or invariant gives another result when it runs again from the same state: look for Math.random, Date.now, or state kept outside the model (a module-level variable or counter) in the model';

/** Locals of at most this many bits get a flat memo table for expandPor (64 KiB per step at most). */
const MEMO_BITS = 16;

export class Expander {
  readonly m: CompiledModel;
  readonly work: Int32Array;
  private readonly instances: readonly Instance[];
  /**
   * The heartbeat (engine/watchdog.ts): word BEAT names each guard and step as it starts,
   * for a watchdog to see a step that never returns; STATE is the caller's. An array of
   * its own until a watchdog hands one it watches.
   */
  heart: Int32Array = new Int32Array(HEART_WORDS);
  /** The counter of the beat words. */
  private beats = 0;
  /** Per instance: the code of its step at pc 0 (watchdog.ts stepCodes). */
  private readonly codes: Int32Array;

  constructor(m: CompiledModel) {
    this.m = m;
    this.work = new Int32Array(m.size);
    this.instances = m.instances;
    this.codes = stepCodes(m);
    // An instance whose locals lie in one word, within MEMO_BITS bits: its memo key is
    // those bits, read at once (other slots between them only make the key finer).
    for (const inst of m.instances) {
      if (!inst.private) continue;
      const slots = inst.localSlots.map((k) => m.slots[k]!);
      const word = slots[0]?.word ?? 0;
      if (!slots.every((x) => x.word === word)) continue;
      // No locals: one key (0) per pc.
      const shift = slots.length > 0 ? Math.min(...slots.map((x) => x.shift)) : 0;
      const span = slots.length > 0 ? Math.max(...slots.map((x) => x.shift + x.bits)) - shift : 0;
      if (span > MEMO_BITS) continue;
      this.memoKey[inst.k] = { word, shift, mask: 2 ** span - 1 };
      this.memoWidth[inst.k] = 2 ** span;
      this.memoTable[inst.k] = new Int8Array(inst.steps.length * 2 ** span);
    }
  }

  /** Marks the heartbeat: the invariants run (between steps, on a new state). */
  beatInvariants(): void {
    this.heart[BEAT] = invariantsWord((this.beats = (this.beats + 1) & 0xff));
  }

  /** Marks the heartbeat: the step of code `code` starts, run `ordinal` of its body (-1: its guard). Two plain stores: their whole cost. */
  private beat(code: number, ordinal: number): void {
    this.heart[ORDINAL] = ordinal;
    this.heart[BEAT] = beatWord(code, (this.beats = (this.beats + 1) & 0xff));
  }

  /** Marks the heartbeat: the model's init runs next (for the next initial state). */
  beatInit(): void {
    this.heart[ORDINAL] = -1;
    this.heart[BEAT] = beatWord(0, (this.beats = (this.beats + 1) & 0xff));
  }

  /** Marks the heartbeat: the model code that ran has returned; the engine's own work follows. */
  idle(): void {
    this.heart[BEAT] = IDLE;
  }

  /** True when instance k's next step is enabled in `src`. */
  enabled(src: Int32Array, k: number): boolean {
    const inst = this.instances[k]!;
    const pc = inst.pcIn(src);
    if (pc === inst.done) return false;
    const step = inst.steps[pc]!;
    return step.guard === null || this.guard(src, inst, step.guard, k);
  }

  private guard(src: Int32Array, inst: Instance, g: (c: Ctx) => boolean, k: number): boolean {
    const $ = this.m.store;
    const ch = this.m.choices;
    $.bind(src);
    const saved = $.m;
    const pc = inst.pcIn(src);
    $.m = saved | MODE_READONLY;
    $.readOnlyWhat = inst.guardNames[pc]!;
    ch.inGuard = true;
    this.beat(this.codes[k]! + 2 * pc + 1, -1);
    let ok: boolean;
    try {
      ok = g(inst.ctx);
      this.heart[BEAT] = IDLE;
    } catch (e) {
      if (e === NOT_LOCAL) throw e;
      throw new StepError(wrapThrown(e, `${inst.name} ${inst.steps[inst.pcIn(src)]!.label} (await)`), k, -1);
    } finally {
      $.m = saved;
      ch.inGuard = false;
    }
    if (ok !== true && ok !== false) {
      throw new StepError(
        new MmraceError('E_MODEL_DEF', `${inst.name} ${inst.steps[inst.pcIn(src)]!.label}: await returned ${String(ok)}, not a boolean`),
        k,
        -1,
      );
    }
    return ok;
  }

  /**
   * Every how many expansions (expand, expandPor, expandSleep) the determinism probe runs:
   * the first one, then every `probeEvery`-th; 0: never. A count of this expander's own
   * expansions, so which states are probed depends on the order it expands them in, never
   * on a clock; the probe hands the sink what one expansion does, so it changes no count.
   */
  probeEvery = PROBE_EVERY;
  /** Expansions until the next probe (1: the next one). */
  private probeIn = 1;
  /** The successors of the probe's two expansions. */
  private probeRuns: [ProbeRecord, ProbeRecord] | null = null;

  /** Whether this expansion is probed (counts it). */
  private probing(): boolean {
    if (this.probeEvery <= 0 || --this.probeIn > 0) return false;
    this.probeIn = this.probeEvery;
    return true;
  }

  /**
   * Enumerates the successors of `src` into `sink`. Returns the number of enabled
   * instances (0 means: no step enabled). Stops early when the sink returns false.
   * Throws E_NONDETERMINISTIC when the determinism probe finds the state's successors
   * differ between two expansions.
   */
  expand(src: Int32Array, sink: SuccessorSink): number {
    if (this.probing()) return this.probe(src, sink, (s) => this.expandAll(src, s));
    return this.expandAll(src, sink);
  }

  /**
   * The determinism probe. Expands `src` with `run` into `sink` (as without the probe: the
   * sink sees exactly the successors, in the same order, and the same return value), each
   * successor recorded on its way; then once more, recording only, up to as many
   * successors as the sink took (so a step the search does not run is not run here
   * either). A model is deterministic when a step's result depends on the state alone:
   * the two lists (instance, ordinal, the successor's every word, the fault raised) and
   * the counts of enabled instances must be equal. On a difference: E_NONDETERMINISTIC,
   * as a StepError naming the step when the same step gave two results (the search's
   * error trace then ends with it), else (another step enabled, another number of
   * choices) as an error at the state.
   */
  private probe(src: Int32Array, sink: SuccessorSink, run: (s: SuccessorSink) => number): number {
    const [first, second] = (this.probeRuns ??= [new ProbeRecord(this.m.size), new ProbeRecord(this.m.size)]);
    first.start(sink, -1);
    let enabled: number;
    try {
      enabled = run(first);
    } finally {
      // Not kept until the next probe (a level's sink holds the level's buffers).
      first.release();
    }
    // Only after the sink took them all: a sink that throws ends the expansion as before.
    second.start(null, first.stopped ? first.count : -1);
    let again: number;
    try {
      again = run(second);
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      const inst = this.instances[e.k]!;
      const err = new MmraceError(
        'E_NONDETERMINISTIC',
        `${inst.name} ${inst.labelIn(src)}: the ${e.ordinal < 0 ? 'guard' : 'step'} threw when it ran again from the same state (the determinism probe), not the first time: ${e.message}`,
        NONDETERMINISTIC_HINT,
      );
      // A guard that threw: the error is the state's (a step that did not run ends no trace).
      throw e.ordinal < 0 ? err : new StepError(err, e.k, e.ordinal);
    }
    // The successors both runs name alike (instance, ordinal) must be equal; then the lists.
    const n = Math.min(first.count, second.count);
    let i = 0;
    for (; i < n; i++) {
      const k = first.k(i);
      const ordinal = first.ordinal(i);
      if (k !== second.k(i) || ordinal !== second.ordinal(i)) break;
      const why = this.differs(first, second, i);
      if (why !== null) {
        const inst = this.instances[k]!;
        throw new StepError(
          new MmraceError(
            'E_NONDETERMINISTIC',
            `${inst.name} ${inst.labelIn(src)}: two runs of the step from the same state gave different results (the determinism probe): ${why}`,
            NONDETERMINISTIC_HINT,
          ),
          k,
          ordinal,
        );
      }
    }
    if (i < first.count || i < second.count || enabled !== again) {
      const what = (r: ProbeRecord): string => {
        if (i >= r.count) return 'none';
        const inst = this.instances[r.k(i)]!;
        return `${inst.name} ${inst.labelIn(src)} (choices #${r.ordinal(i)})`;
      };
      throw new MmraceError(
        'E_NONDETERMINISTIC',
        i < first.count || i < second.count
          ? `two expansions of the same state gave different successors (the determinism probe): its successor ${i + 1} was ${what(first)} the first time, ${what(second)} the second`
          : `two expansions of the same state gave different steps enabled (the determinism probe): ${enabled}, then ${again}`,
        NONDETERMINISTIC_HINT,
      );
    }
    return enabled;
  }

  /** How successor i differs between two records of the same (instance, ordinal), or null. */
  private differs(a: ProbeRecord, b: ProbeRecord, i: number): string | null {
    const fa = a.faults[i] ?? null;
    const fb = b.faults[i] ?? null;
    if (fa !== fb) return `the fault raised: ${fa ?? 'none'}, then ${fb ?? 'none'}`;
    const size = this.m.size;
    const wa = a.words.subarray(i * size, (i + 1) * size);
    const wb = b.words.subarray(i * size, (i + 1) * size);
    let same = true;
    for (let j = 0; j < size; j++) if (wa[j] !== wb[j]) same = false;
    if (same) return null;
    for (const slot of this.m.slots) {
      const x = readSlot(wa, slot);
      const y = readSlot(wb, slot);
      if (x !== y) return `${slot.path} = ${formatSlotValue(slot.type, x)}, then ${formatSlotValue(slot.type, y)}`;
    }
    return 'the states differ';
  }

  private expandAll(src: Int32Array, sink: SuccessorSink): number {
    const instances = this.instances;
    let enabled = 0;
    for (let k = 0; k < instances.length; k++) {
      const inst = instances[k]!;
      const pc = inst.pcIn(src);
      if (pc === inst.done) continue;
      const step = inst.steps[pc]!;
      if (step.guard !== null && !this.guard(src, inst, step.guard, k)) continue;
      enabled++;
      if (!this.runAll(src, inst, pc, step.body, sink)) return enabled;
    }
    return enabled;
  }

  /**
   * `expand` with partial-order reduction. When an enabled instance of a private actor
   * (ActorDef.private) takes a local forward step from `src`, only that instance's
   * successors are enumerated: the first such instance in instance order, so the choice
   * depends on the state alone (the same in every engine and at any worker count).
   *
   * - Local: the step's guard and every choice of its body read and write only the
   *   instance's own pc and locals (the footprint recorded by the views). No other
   *   instance's step and no invariant reads those (`private` is checked on every read),
   *   so the step is independent of everything the others can ever do, cannot enable or
   *   disable them, and is invisible to the invariants: {it} is a persistent set.
   * - No fault: a choice that raises a fault ends its path, and the other instances' steps
   *   would never run after it.
   * - Forward: every choice moves the pc to a later step (or to done). A cycle of states
   *   returns every pc to where it was, so it needs a backward step (a goto to the same or
   *   an earlier label), which is never reduced: every cycle of the reduced state graph
   *   holds a fully expanded state (the cycle proviso), so no step is ignored forever.
   *
   * Together these preserve deadlocks, faults and invariant violations (the contract
   * properties check it on random models). Returns the number of enabled instances as
   * `expand` does, except that a reduced state reports 1 (it has an enabled step).
   */
  expandPor(src: Int32Array, sink: SuccessorSink): number {
    if (this.probing()) return this.probe(src, sink, (s) => this.expandPorOnce(src, s));
    return this.expandPorOnce(src, sink);
  }

  private expandPorOnce(src: Int32Array, sink: SuccessorSink): number {
    const k = this.firstLocal(src);
    if (k < 0) return this.expandAll(src, sink);
    const inst = this.instances[k]!;
    const pc = inst.pcIn(src);
    this.runAll(src, inst, pc, inst.steps[pc]!.body, sink);
    return 1;
  }

  /** The first instance (in instance order) whose step expandPor takes alone, or -1. */
  private firstLocal(src: Int32Array): number {
    const instances = this.instances;
    for (let k = 0; k < instances.length; k++) {
      const inst = instances[k]!;
      if (!inst.private) continue;
      const pc = inst.pcIn(src);
      if (pc === inst.done) continue;
      if (this.isLocalForward(src, inst, pc)) return k;
    }
    return -1;
  }

  /**
   * The sleep set of each successor `expandSleep` hands to the sink (a bit per instance),
   * valid while the sink runs.
   */
  sleepOut = 0;
  /**
   * Per instance: the slots its step read and wrote from the state being expanded, as
   * bitsets of the store's `fpWords` words each (expandSleep).
   */
  private fpRead: Int32Array | null = null;
  private fpWrite: Int32Array | null = null;
  /** The slots the current instance's guard read, as a bitset (expandSleep). */
  private guardReads: Int32Array | null = null;

  /**
   * `expand` (or `expandPor` when `por`) with a sleep set (Godefroid): `sleep` has a bit
   * for each instance whose step need not be taken from `src`, because a path of the same
   * length that takes it earlier was explored first (see docs/por.md for why breadth-first
   * search may inherit the sleep set of a state's first parent alone). Returns what
   * `expand` returns: sleeping instances are enabled and are counted.
   *
   * Each successor's sleep set (`sleepOut`) holds the instances of `sleep`, and those
   * taken before this one from `src`, whose step is independent of the step just taken:
   * neither writes a slot the other reads or writes (the footprints the views record; a
   * step always writes its own pc). A sleeping instance's footprint is recorded by running
   * its step again without handing on what it makes. Instances of private actors (under
   * `por`) never sleep: a state where the reduction takes one step alone must not have
   * that step asleep.
   */
  expandSleep(src: Int32Array, sleep: number, sink: SuccessorSink, por: boolean): number {
    if (this.probing()) return this.probe(src, sink, (s) => this.expandSleepOnce(src, sleep, s, por));
    return this.expandSleepOnce(src, sleep, sink, por);
  }

  private expandSleepOnce(src: Int32Array, sleep: number, sink: SuccessorSink, por: boolean): number {
    if (por) {
      const k = this.firstLocal(src);
      if (k >= 0) {
        // A private step touches nothing the others' steps do: every sleeping instance stays asleep.
        this.sleepOut = sleep;
        const inst = this.instances[k]!;
        const pc = inst.pcIn(src);
        this.runAll(src, inst, pc, inst.steps[pc]!.body, sink);
        return 1;
      }
    }
    const m = this.m;
    const $ = m.store;
    if (this.fpRead === null) {
      this.fpRead = new Int32Array(this.instances.length * $.fpWords);
      this.fpWrite = new Int32Array(this.instances.length * $.fpWords);
      this.guardReads = new Int32Array($.fpWords);
    }
    const instances = this.instances;
    const saved = $.m;
    let enabled = 0;
    let before = 0;
    // The footprints of the sleeping instances.
    for (let k = 0; k < instances.length; k++) {
      if ((sleep & (1 << k)) === 0) continue;
      $.m = saved | MODE_RECORD;
      try {
        if (this.footprint(src, k)) enabled++;
        else sleep &= ~(1 << k);
      } finally {
        $.m = saved;
      }
    }
    const work = this.work;
    for (let k = 0; k < instances.length; k++) {
      if ((sleep & (1 << k)) !== 0) continue;
      const inst = instances[k]!;
      const pc = inst.pcIn(src);
      if (pc === inst.done) continue;
      const step = inst.steps[pc]!;
      this.clearFootprint(k);
      $.m = saved | MODE_RECORD;
      $.beginFootprint();
      try {
        if (step.guard !== null && !this.guard(src, inst, step.guard, k)) continue;
      } finally {
        $.m = saved;
      }
      enabled++;
      this.guardReads!.set($.readBits);
      const candidates = sleep | before;
      const ctx = inst.ctx;
      if (step.body === null) {
        work.set(src);
        inst.setPc(work, pc + 1);
        ctx.faultMsg = null;
        $.beginFootprint();
        this.sleepOut = this.independentOf(k, candidates);
        if (!sink.successor(k, 0, work, ctx)) return enabled;
      } else {
        const ch = m.choices;
        ch.reset();
        let ordinal = 0;
        do {
          $.m = saved | MODE_RECORD;
          $.beginFootprint();
          try {
            this.runBody(src, inst, pc, step.body, ordinal);
          } finally {
            $.m = saved;
          }
          this.sleepOut = this.independentOf(k, candidates);
          if (!sink.successor(k, ordinal, work, ctx)) return enabled;
          ordinal++;
        } while (ch.advance());
      }
      if (!(por && inst.private)) before |= 1 << k;
    }
    return enabled;
  }

  private clearFootprint(k: number): void {
    const R = this.fpRead!;
    const W = this.fpWrite!;
    const w = this.m.store.fpWords;
    for (let i = k * w, end = i + w; i < end; i++) {
      R[i] = 0;
      W[i] = 0;
    }
  }

  /**
   * Records in instance k's footprint what its guard and every choice of its step read and
   * write from `src` (the store in recording mode). False when the step is not enabled.
   */
  private footprint(src: Int32Array, k: number): boolean {
    const inst = this.instances[k]!;
    const pc = inst.pcIn(src);
    if (pc === inst.done) return false;
    const step = inst.steps[pc]!;
    const $ = this.m.store;
    this.clearFootprint(k);
    $.beginFootprint();
    if (step.guard !== null && !this.guard(src, inst, step.guard, k)) return false;
    if (step.body !== null) {
      const ch = this.m.choices;
      ch.reset();
      let ordinal = 0;
      do this.runBody(src, inst, pc, step.body, ordinal++);
      while (ch.advance());
    }
    this.addFootprint(k);
    return true;
  }

  /** Adds the store's footprint to instance k's, and its own pc to what it writes. */
  private addFootprint(k: number): void {
    const $ = this.m.store;
    const w = $.fpWords;
    const R = this.fpRead!;
    const W = this.fpWrite!;
    const base = k * w;
    for (let i = 0; i < w; i++) {
      R[base + i]! |= $.readBits[i]!;
      W[base + i]! |= $.writeBits[i]!;
    }
    const pcSlot = this.instances[k]!.pcSlot;
    W[base + (pcSlot >>> 5)]! |= 1 << (pcSlot & 31);
  }

  /**
   * The instances of `candidates` whose step is independent of the step of instance k
   * just run (its guard's reads in guardReads, its body's accesses in the store's
   * footprint): neither writes a slot the other reads or writes. Also adds that step to
   * instance k's footprint.
   */
  private independentOf(k: number, candidates: number): number {
    const $ = this.m.store;
    const w = $.fpWords;
    const gr = this.guardReads!;
    const reads = $.readBits;
    const writes = $.writeBits;
    const pcSlot = this.instances[k]!.pcSlot;
    writes[pcSlot >>> 5]! |= 1 << (pcSlot & 31);
    for (let i = 0; i < w; i++) reads[i]! |= gr[i]!;
    this.addFootprint(k);
    if (candidates === 0) return 0;
    const R = this.fpRead!;
    const W = this.fpWrite!;
    let out = 0;
    for (let j = 0; j < this.instances.length; j++) {
      const bit = 1 << j;
      if ((candidates & bit) === 0) continue;
      const base = j * w;
      let conflict = 0;
      for (let i = 0; i < w; i++) conflict |= (writes[i]! & (R[base + i]! | W[base + i]!)) | (reads[i]! & W[base + i]!);
      if (conflict === 0) out |= bit;
    }
    return out;
  }

  /**
   * `localForward`, remembered per instance, pc and values of the instance's locals. Up to
   * its first access to a slot it does not own, a step (and its guard) sees only its own
   * pc and locals (and the model's constant parameters), so whether it is local and
   * forward is a function of those values: the answer is the same in every state that
   * agrees on them, whatever the search order.
   */
  private isLocalForward(src: Int32Array, inst: Instance, pc: number): boolean {
    const table = this.memoTable[inst.k];
    if (table !== undefined) {
      const mk = this.memoKey[inst.k]!;
      const key = (src[mk.word]! >>> mk.shift) & mk.mask;
      // Small locals: a flat table per instance, [pc][locals] → 0 unknown, 1 local, 2 not.
      const at = pc * this.memoWidth[inst.k]! + key;
      const known = table[at]!;
      if (known !== 0) return known === 1;
      const local = this.localForward(src, inst, pc);
      table[at] = local ? 1 : 2;
      return local;
    }
    const key = this.localsKey(src, inst);
    const memo = (this.memo[inst.k] ??= [])[pc] ?? (this.memo[inst.k]![pc] = new Map());
    let local = memo.get(key);
    if (local === undefined) {
      local = this.localForward(src, inst, pc);
      memo.set(key, local);
    }
    return local;
  }

  private readonly memo: Map<number | string, boolean>[][] = [];
  /** Per private instance whose locals take at most MEMO_BITS bits: its flat memo table and row width. */
  private readonly memoTable: (Int8Array | undefined)[] = [];
  private readonly memoWidth: number[] = [];
  private readonly memoKey: ({ word: number; shift: number; mask: number } | undefined)[] = [];

  /** The values of an instance's locals as one exact key: a number while they fit in 52 bits. */
  private localsKey(src: Int32Array, inst: Instance): number | string {
    const slots = this.m.slots;
    let key = 0;
    let bits = 0;
    for (const k of inst.localSlots) {
      const slot = slots[k]!;
      bits += slot.bits;
      if (bits > 52) return inst.localSlots.map((j) => readRaw(src, slots[j]!)).join(',');
      key = key * 2 ** slot.bits + readRaw(src, slot);
    }
    return key;
  }

  /**
   * Whether instance `inst` (at `pc`, not done) is enabled in `src` and its step is local
   * and forward (see expandPor). Runs the guard and every choice with every access to a
   * slot checked (Store.probe). A guard or step that throws is not local: the full
   * expansion then raises the error where it belongs in the search.
   */
  private localForward(src: Int32Array, inst: Instance, pc: number): boolean {
    const $ = this.m.store;
    const k = inst.k;
    const step = inst.steps[pc]!;
    const saved = $.m;
    $.m = saved | MODE_RECORD;
    // Every access is checked as it happens: the first one to a slot the instance does not
    // own ends the probe (NOT_LOCAL), usually at the step's first line.
    $.owner = this.m.slotOwner;
    $.probe = k;
    try {
      if (step.guard !== null && !this.guard(src, inst, step.guard, k)) return false;
      if (step.body !== null) {
        const ch = this.m.choices;
        ch.reset();
        let ordinal = 0;
        do {
          this.runBody(src, inst, pc, step.body, ordinal++);
          // A fault ends its path: the steps the reduction would postpone never run there.
          if (inst.ctx.faultMsg !== null) return false;
          const next = inst.ctx.next >= 0 ? inst.ctx.next : pc + 1;
          if (next <= pc) return false;
        } while (ch.advance());
      }
      return true;
    } catch {
      // NOT_LOCAL, or the guard or step threw: not local (a model error is raised again
      // by the full expansion, at its place in the search).
      return false;
    } finally {
      $.probe = -1;
      $.m = saved;
    }
  }

  /** Runs every choice of one enabled step; false when the sink asked to stop. */
  private runAll(src: Int32Array, inst: Instance, pc: number, body: ((c: Ctx) => void) | null, sink: SuccessorSink): boolean {
    const work = this.work;
    const ctx = inst.ctx;
    const k = inst.k;
    if (body === null) {
      work.set(src);
      inst.setPc(work, pc + 1);
      ctx.faultMsg = null;
      return sink.successor(k, 0, work, ctx);
    }
    const ch = this.m.choices;
    ch.reset();
    let ordinal = 0;
    do {
      this.runBody(src, inst, pc, body, ordinal);
      if (!sink.successor(k, ordinal, work, ctx)) return false;
      ordinal++;
    } while (ch.advance());
    return true;
  }

  private runBody(src: Int32Array, inst: Instance, pc: number, body: (c: Ctx) => void, ordinal: number): void {
    const work = this.work;
    const ctx = inst.ctx;
    work.set(src);
    this.m.store.bind(work);
    ctx.next = -1;
    ctx.faultMsg = null;
    this.m.choices.ci = 0;
    this.beat(this.codes[inst.k]! + 2 * pc, ordinal);
    try {
      body(ctx);
      this.heart[BEAT] = IDLE;
    } catch (e) {
      if (e === NOT_LOCAL) throw e;
      throw new StepError(wrapThrown(e, `${inst.name} ${inst.steps[pc]!.label}`), inst.k, ordinal);
    }
    inst.setPc(work, ctx.next >= 0 ? ctx.next : pc + 1);
  }

  /**
   * Runs the transition (k, ordinal) from `src` into `work`. Returns the choice vector
   * taken, or null when instance k is not enabled or has fewer successors.
   */
  runOrdinal(src: Int32Array, k: number, ordinal: number): number[] | null {
    if (!this.enabled(src, k)) return null;
    const inst = this.instances[k]!;
    const pc = inst.pcIn(src);
    const body = inst.steps[pc]!.body;
    if (body === null) {
      if (ordinal !== 0) return null;
      this.work.set(src);
      inst.setPc(this.work, pc + 1);
      inst.ctx.faultMsg = null;
      return [];
    }
    const ch = this.m.choices;
    ch.reset();
    let o = 0;
    do {
      if (o === ordinal) {
        // Run with the vector that this ordinal denotes (advance() computed it).
        this.runBody(src, inst, pc, body, o);
        return ch.taken();
      }
      this.runBody(src, inst, pc, body, o);
      o++;
    } while (ch.advance());
    return null;
  }

  /**
   * Runs instance k's step from `src` with a given choice vector (replay). Returns null
   * when the step is not enabled, 'choice' when the vector does not fit the choices the
   * step makes now, else the ordinal-free result in `work`.
   */
  runChoice(src: Int32Array, k: number, choice: readonly number[]): 'disabled' | 'choice' | 'ok' {
    if (!this.enabled(src, k)) return 'disabled';
    const inst = this.instances[k]!;
    const pc = inst.pcIn(src);
    const body = inst.steps[pc]!.body;
    if (body === null) {
      if (choice.length !== 0) return 'choice';
      this.work.set(src);
      inst.setPc(this.work, pc + 1);
      inst.ctx.faultMsg = null;
      return 'ok';
    }
    const ch = this.m.choices;
    ch.follow(choice);
    this.runBody(src, inst, pc, body, -1);
    if (ch.outOfRange || ch.ci !== choice.length) return 'choice';
    return 'ok';
  }
}

/**
 * The successors of one expansion, as the determinism probe records them: (instance,
 * ordinal), the state's words, the fault's property and message. Forwards each to `sink`
 * when it has one; without, stops after `limit` successors (-1: none).
 */
class ProbeRecord implements SuccessorSink {
  /** (k, ordinal) of each successor. */
  private moves = new Int32Array(64);
  words: Int32Array;
  readonly faults: (string | null)[] = [];
  count = 0;
  /** The sink returned false: the expansion stopped there. */
  stopped = false;
  private sink: SuccessorSink | null = null;
  private limit = -1;

  constructor(private readonly size: number) {
    this.words = new Int32Array(32 * size);
  }

  start(sink: SuccessorSink | null, limit: number): void {
    this.sink = sink;
    this.limit = limit;
    this.count = 0;
    this.stopped = false;
    this.faults.length = 0;
  }

  /** Forgets the sink. */
  release(): void {
    this.sink = null;
  }

  k(i: number): number {
    return this.moves[2 * i]!;
  }

  ordinal(i: number): number {
    return this.moves[2 * i + 1]!;
  }

  successor(k: number, ordinal: number, work: Int32Array, ctx: Ctx): boolean {
    const i = this.count++;
    if (2 * i + 2 > this.moves.length) {
      const m = new Int32Array(this.moves.length * 2);
      m.set(this.moves);
      this.moves = m;
    }
    if ((i + 1) * this.size > this.words.length) {
      const w = new Int32Array(this.words.length * 2 + this.size);
      w.set(this.words);
      this.words = w;
    }
    this.moves[2 * i] = k;
    this.moves[2 * i + 1] = ordinal;
    // Before the sink, which may change `work` (its canonical form under symmetry).
    this.words.set(work.subarray(0, this.size), i * this.size);
    this.faults.push(ctx.faultMsg === null ? null : `${ctx.faultProp}: ${ctx.faultMsg}`);
    if (this.sink === null) return this.limit < 0 || this.count < this.limit;
    const go = this.sink.successor(k, ordinal, work, ctx);
    if (!go) this.stopped = true;
    return go;
  }
}
