/**
 * The strategies, by name, one file each. The exhaustive ones only order the expansion;
 * the bug-hunting ones (walk.ts) pick each step of a run and never prove safety.
 */
import type { Exploration } from '../engine/explore.js';
import { bfs } from './bfs.js';
import { bounded } from './bounded.js';
import { dfs } from './dfs.js';
import { pct } from './pct.js';
import { random } from './random.js';
import type { WalkOptions, WalkStrategy } from './walk.js';

export const EXHAUSTIVE = { bfs, dfs } as const satisfies Record<string, (x: Exploration) => void>;
export const WALKS = { random, pct, bounded } as const satisfies Record<string, (o: WalkOptions) => WalkStrategy>;
export type ExhaustiveName = keyof typeof EXHAUSTIVE;
export type WalkName = keyof typeof WALKS;
export type StrategyName = ExhaustiveName | WalkName;
export const STRATEGIES = [...Object.keys(EXHAUSTIVE), ...Object.keys(WALKS)] as StrategyName[];

/** True for the bug-hunting strategies (random, pct, bounded). */
export function isWalk(name: string): name is WalkName {
  return Object.hasOwn(WALKS, name);
}
