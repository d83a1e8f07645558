/**
 * Growable stores of fixed-size state vectors and of per-state integers.
 *
 * StateQueue is a FIFO in chunks: BFS pushes discovered states at the tail and takes
 * them from the head; a chunk is recycled once every state in it was taken, so memory
 * follows the frontier, not the whole space.
 */
const CHUNK_STATES = 1 << 14;

export class StateQueue {
  private readonly n: number;
  private readonly chunks: Int32Array[] = [];
  /** Index of the first state in chunks[0], in all states ever pushed. */
  private base = 0;
  private head = 0;
  private tail = 0;
  private spare: Int32Array | null = null;

  constructor(stateSize: number) {
    this.n = Math.max(1, stateSize);
  }

  get length(): number {
    return this.tail - this.head;
  }

  /** Bytes held by the queue's chunks. */
  get bytes(): number {
    return this.chunks.length * CHUNK_STATES * this.n * 4;
  }

  push(state: Int32Array): void {
    const rel = this.tail - this.base;
    const c = Math.floor(rel / CHUNK_STATES);
    if (c === this.chunks.length) {
      this.chunks.push(this.spare ?? new Int32Array(CHUNK_STATES * this.n));
      this.spare = null;
    }
    const chunk = this.chunks[c]!;
    const n = this.n;
    const off = (rel % CHUNK_STATES) * n;
    for (let i = 0; i < n; i++) chunk[off + i] = state[i]!;
    this.tail++;
  }

  /** Copies the oldest state into `dst` and removes it. */
  shiftInto(dst: Int32Array): void {
    if (this.head === this.tail) throw new Error('StateQueue.shiftInto on an empty queue');
    let rel = this.head - this.base;
    if (rel === CHUNK_STATES) {
      this.spare = this.chunks.shift()!;
      this.base += CHUNK_STATES;
      rel = 0;
    }
    this.head++;
    const chunk = this.chunks[0]!;
    const n = this.n;
    const off = rel * n;
    for (let i = 0; i < n; i++) dst[i] = chunk[off + i]!;
  }
}

/**
 * A growable Int32 column indexed by state id (parent links, moves), in chunks: growing
 * never copies what is stored, and memory is taken a chunk at a time.
 */
export class IntColumn {
  private readonly chunks: Int32Array[] = [];
  private readonly shift: number;
  private readonly mask: number;
  length = 0;
  /** `chunk`: values per chunk, rounded up to a power of two. */
  constructor(chunk = 1 << 16) {
    this.shift = Math.max(4, Math.ceil(Math.log2(chunk)));
    this.mask = (1 << this.shift) - 1;
  }
  push(v: number): void {
    const i = this.length;
    let c = this.chunks[i >>> this.shift];
    if (c === undefined) {
      c = new Int32Array(1 << this.shift);
      this.chunks.push(c);
    }
    c[i & this.mask] = v;
    this.length = i + 1;
  }
  get(i: number): number {
    return this.chunks[i >>> this.shift]![i & this.mask]!;
  }
  /** Drops every value from index `n` on. */
  truncate(n: number): void {
    if (n < this.length) this.length = n;
  }
  get bytes(): number {
    return this.chunks.length * (1 << this.shift) * 4;
  }

  /**
   * The stored values, in order, as views of the chunks (the last one cut at `length`):
   * a checkpoint writes them out without copying the column.
   */
  views(): Int32Array[] {
    const out: Int32Array[] = [];
    const size = 1 << this.shift;
    for (let start = 0; start < this.length; start += size) {
      out.push(this.chunks[start >>> this.shift]!.subarray(0, Math.min(size, this.length - start)));
    }
    return out;
  }

  /**
   * Appends `values`, which the column adopts: on a column that ends at a chunk boundary
   * (an empty one, as when a checkpoint is loaded), each whole chunk's worth becomes a
   * chunk that is a view of `values`, so loading millions of links copies only the last,
   * partial chunk. The caller must not use `values` afterwards.
   */
  adopt(values: Int32Array): void {
    const size = 1 << this.shift;
    let at = 0;
    if ((this.length & this.mask) === 0) {
      this.chunks.length = this.length >>> this.shift;
      for (; at + size <= values.length; at += size) this.chunks.push(values.subarray(at, at + size));
      this.length += at;
    }
    for (; at < values.length; at++) this.push(values[at]!);
  }
}
