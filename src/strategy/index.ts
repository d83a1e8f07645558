/**
 * The strategies, by name. The exhaustive ones are orders of expansion, which the
 * engine's drivers implement (bfs: level by level, at any worker count; dfs: a stack);
 * the bug-hunting ones are choosers, one file each, that pick each step of a run and
 * never prove safety (chooser.ts).
 */
import { bounded } from './bounded.js';
import type { Chooser, ChooserOptions } from './chooser.js';
import { pct } from './pct.js';
import { random } from './random.js';

/** The exhaustive orders: breadth-first (shortest counterexamples) and depth-first. */
export const ORDERS = ['bfs', 'dfs'] as const;
/** The bug-hunting choosers, by name. */
export const WALKS = { random, pct, bounded } as const satisfies Record<string, (o: ChooserOptions) => Chooser>;
export type OrderName = (typeof ORDERS)[number];
export type WalkName = keyof typeof WALKS;
export type StrategyName = OrderName | WalkName;
export const STRATEGIES: readonly StrategyName[] = [...ORDERS, ...(Object.keys(WALKS) as WalkName[])];

/** True for the bug-hunting strategies (random, pct, bounded). */
export function isWalk(name: string): name is WalkName {
  return Object.hasOwn(WALKS, name);
}
