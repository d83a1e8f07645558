/**
 * Parent links: per stored state, its parent and the move that reached it, from which a
 * counterexample is rebuilt (as TLC does), 8 bytes per state.
 */
import { MmraceError } from '../errors.js';
import { IntColumn } from '../state/queue.js';
import type { Path } from './result.js';

export const NO_PARENT = -1;

/**
 * Parent links and moves of stored states, by state id: 8 bytes per state, from which
 * a counterexample is rebuilt (as TLC does). A move is k + instances × ordinal; an
 * initial state's parent is NO_PARENT and its move is its initial-state ordinal.
 */
export class Links {
  private readonly parent = new IntColumn();
  private readonly move = new IntColumn();
  constructor(private readonly nInst: number) {}

  get length(): number {
    return this.parent.length;
  }

  /** Keeps the links of the first `n` states only. */
  truncate(n: number): void {
    this.parent.truncate(n);
    this.move.truncate(n);
  }

  push(parent: number, move: number): void {
    this.parent.push(parent);
    this.move.push(move);
  }

  /**
   * Pushes the links of candidates `kept[from]` to `kept[to - 1]`: parent `base +
   * parents[c]`, move `moves[c]` (the parallel explorer's batches, numbered in order).
   */
  pushKept(base: number, parents: Int32Array, moves: Int32Array, kept: Int32Array, from: number, to: number): void {
    for (let j = from; j < to; j++) {
      const c = kept[j]!;
      this.parent.push(base + parents[c]!);
      this.move.push(moves[c]!);
    }
  }

  /** The parent and move columns as views of their chunks, in order (to save them: checkpoints). */
  views(): { readonly parents: Int32Array[]; readonly moves: Int32Array[] } {
    return { parents: this.parent.views(), moves: this.move.views() };
  }

  /** Appends saved links (`views` of another run), adopting the arrays instead of copying them. */
  adopt(parents: Int32Array, moves: Int32Array): void {
    if (parents.length !== moves.length) throw new MmraceError('E_INTERNAL', `links: ${parents.length} parents for ${moves.length} moves`);
    this.parent.adopt(parents);
    this.move.adopt(moves);
  }

  /** The path from an initial state to state `id`. */
  pathTo(id: number): Path {
    const moves: [number, number][] = [];
    let cur = id;
    while (this.parent.get(cur) !== NO_PARENT) {
      const mv = this.move.get(cur);
      moves.push([mv % this.nInst, Math.floor(mv / this.nInst)]);
      cur = this.parent.get(cur);
    }
    moves.reverse();
    return { init: this.move.get(cur), moves };
  }

  get bytes(): number {
    return this.parent.bytes + this.move.bytes;
  }
}
