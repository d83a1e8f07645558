/**
 * Depth-first search with an explicit stack. Expanding a frame's state stores its new
 * successors (seen-set, invariants, parent links: all in Exploration) as the frame's
 * children; the search then enters the first child not yet entered, and pops a frame
 * when all its children were entered. The stack is always a path from an initial
 * state. Counterexamples are valid but not the shortest: use BFS for those.
 */
import type { Exploration } from './explore.js';

class Frame {
  readonly state: Int32Array;
  id = 0;
  depth = 0;
  /** Children: `n` state vectors of `size` ints, with their ids. */
  kids: Int32Array;
  kidIds: number[] = [];
  n = 0;
  next = 0;
  constructor(private readonly size: number) {
    this.state = new Int32Array(size);
    this.kids = new Int32Array(size * 4);
  }
  reset(id: number, depth: number): void {
    this.id = id;
    this.depth = depth;
    this.n = 0;
    this.next = 0;
  }
  addKid(state: Int32Array, id: number): void {
    const size = this.size;
    if ((this.n + 1) * size > this.kids.length) {
      const bigger = new Int32Array(this.kids.length * 2);
      bigger.set(this.kids);
      this.kids = bigger;
    }
    this.kids.set(state, this.n * size);
    this.kidIds[this.n++] = id;
  }
}

export function dfs(x: Exploration): void {
  const size = x.m.size;
  const stack: Frame[] = [];
  const frameAt = (i: number): Frame => {
    while (stack.length <= i) stack.push(new Frame(size));
    return stack[i]!;
  };
  // A virtual root frame (-1) holds the initial states as its children.
  const root = new Frame(size);
  let current = root;
  x.frontier = {
    add(state, id) {
      current.addKid(state, id);
    },
  };
  if (!x.addInitialStates()) return;
  let top = -1;
  const parentOf = (i: number): Frame => (i < 0 ? root : stack[i]!);
  while (!x.stopped) {
    const f = parentOf(top);
    if (f.next === f.n) {
      if (top < 0) break;
      top--;
      continue;
    }
    const j = f.next++;
    const child = frameAt(top + 1);
    child.reset(f.kidIds[j]!, top + 1);
    const off = j * size;
    for (let i = 0; i < size; i++) child.state[i] = f.kids[off + i]!;
    top++;
    current = child;
    x.currentId = child.id;
    x.currentDepth = child.depth;
    x.queued = top + 1;
    x.expand(child.state);
  }
}
