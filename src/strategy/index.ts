/** The exhaustive strategies, by name. Each is one file and only orders the expansion. */
import type { Exploration } from '../engine/explore.js';
import { bfs } from './bfs.js';
import { dfs } from './dfs.js';

export const EXHAUSTIVE = { bfs, dfs } as const satisfies Record<string, (x: Exploration) => void>;
export type StrategyName = keyof typeof EXHAUSTIVE;
export const STRATEGIES = Object.keys(EXHAUSTIVE) as StrategyName[];
