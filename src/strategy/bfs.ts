/**
 * Breadth-first search: states are expanded in the order they were discovered, so the
 * first violation found has a shortest counterexample. The default strategy of `check`.
 */
import type { Exploration, Frontier } from '../engine/explore.js';
import { StateQueue } from '../state/queue.js';

export function bfs(x: Exploration): void {
  const queue = new StateQueue(x.m.size);
  // Sleep sets: a state's is inherited from its first parent (Expander.expandSleep), which
  // in breadth-first order is the parent on its least shortest path.
  x.useSleep = x.sleepable;
  const sleeps = x.useSleep ? new StateQueue(1) : null;
  const sleep = new Int32Array(1);
  // BFS expands states in id order, so the id and depth of the head are implicit:
  // ids are consecutive and each level ends where the previous level's last child is.
  let levelEnd = 0;
  const frontier: Frontier = {
    add(state, _id, _depth, s) {
      queue.push(state);
      if (sleeps !== null) {
        sleep[0] = s;
        sleeps.push(sleep);
      }
    },
  };
  x.frontier = frontier;
  if (!x.addInitialStates()) return;
  levelEnd = x.states;
  const src = new Int32Array(x.m.size);
  let id = 0;
  let depth = 0;
  while (queue.length > 0 && !x.stopped) {
    if (id === levelEnd) {
      depth++;
      levelEnd = x.states;
    }
    queue.shiftInto(src);
    if (sleeps !== null) {
      sleeps.shiftInto(sleep);
      x.currentSleep = sleep[0]!;
    }
    x.currentId = id++;
    x.currentDepth = depth;
    x.queued = queue.length;
    x.expand(src);
  }
  // An invariant or fault found while expanding level d has a counterexample of d + 1
  // steps; a deadlock among the rest of level d has one of d steps and is reported instead.
  if (x.violation !== null && x.violation.kind !== 'deadlock' && x.error === null) {
    const found = x.violation;
    while (id < levelEnd && queue.length > 0) {
      queue.shiftInto(src);
      x.currentId = id++;
      x.currentDepth = depth;
      x.violation = null;
      if (x.checkDeadlock(src) || x.error !== null) return;
      x.violation = found;
    }
  }
}
