/**
 * Symmetry reduction over the instances of an actor declared `symmetric` (ActorDef): such
 * instances are interchangeable, so two states that differ only in which instance holds
 * which pc and locals behave alike. The search stores one representative of each class:
 * the state with the instances of each symmetric actor sorted by (pc, locals).
 *
 * What makes the instances interchangeable is checked as the model runs: their steps may
 * not read `c.self`, no step reads one of them by index (`c.pc`), and every invariant must
 * give the same answer on a state and on its representative (`CompiledModel.canonical`).
 * The rest of the state is shared and does not name instances, so sorting them maps
 * reachable states to reachable states and keeps every violation.
 */
import { readRaw, writeRaw, type SlotInfo } from './layout.js';

/** The instances of one symmetric actor: for each, its pc slot then its local slots. */
interface Group {
  /** Global instance numbers, in declaration order. */
  readonly ks: readonly number[];
  readonly slots: readonly (readonly SlotInfo[])[];
}

interface Sortable {
  readonly k: number;
  readonly pcSlot: number;
  readonly localSlots: readonly number[];
}

export class Symmetry {
  private readonly groups: Group[];
  private readonly instances: number;
  /** The state before the last `canonicalize` that changed it. */
  readonly before: Int32Array;

  constructor(slots: readonly SlotInfo[], groups: readonly (readonly Sortable[])[], instances: number, size: number) {
    this.groups = groups
      .filter((g) => g.length > 1)
      .map((g) => ({ ks: g.map((i) => i.k), slots: g.map((i) => [i.pcSlot, ...i.localSlots].map((k) => slots[k]!)) }));
    this.instances = instances;
    this.before = new Int32Array(size);
  }

  /** There is something to sort. */
  get active(): boolean {
    return this.groups.length > 0;
  }

  /**
   * Sorts the instances of each symmetric actor in `buf` by (pc, locals). Returns true
   * when that changed `buf` (its previous value is then in `before`).
   */
  canonicalize(buf: Int32Array): boolean {
    let changed = false;
    for (const g of this.groups) {
      // Insertion sort of the instances' tuples in place, by swapping slot values: no
      // allocation per state, and a group is usually small and nearly sorted.
      const t = g.slots;
      for (let i = 1; i < t.length; i++) {
        for (let j = i; j > 0 && compare(buf, t[j - 1]!, t[j]!) > 0; j--) {
          if (!changed) this.before.set(buf);
          changed = true;
          swap(buf, t[j - 1]!, t[j]!);
        }
      }
    }
    return changed;
  }

  /**
   * For each position of the canonical form of `buf`, the instance of `buf` that lands
   * there: `perm[k]` is the global number, in `buf`, of the instance at global number `k`
   * of the canonical state (identity outside the symmetric actors).
   */
  permutation(buf: Int32Array): number[] {
    const perm = Array.from({ length: this.instances }, (_, k) => k);
    for (const g of this.groups) this.order(buf, g).forEach((i, pos) => (perm[g.ks[pos]!] = g.ks[i]!));
    return perm;
  }

  /** Indexes of a group's instances in sorted order (stable: equal instances keep their order). */
  private order(buf: Int32Array, g: Group): number[] {
    return g.slots.map((_, i) => i).sort((a, b) => compare(buf, g.slots[a]!, g.slots[b]!) || a - b);
  }
}

/** Exchanges the values of two instances' slots (the same layout, slot for slot). */
function swap(buf: Int32Array, a: readonly SlotInfo[], b: readonly SlotInfo[]): void {
  for (let j = 0; j < a.length; j++) {
    const x = readRaw(buf, a[j]!);
    writeRaw(buf, a[j]!, readRaw(buf, b[j]!));
    writeRaw(buf, b[j]!, x);
  }
}

function compare(buf: Int32Array, a: readonly SlotInfo[], b: readonly SlotInfo[]): number {
  for (let j = 0; j < a.length; j++) {
    const d = readRaw(buf, a[j]!) - readRaw(buf, b[j]!);
    if (d !== 0) return d;
  }
  return 0;
}
