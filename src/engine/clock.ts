/**
 * A search's clock: the time limit, the stop signal, progress reports, and the turns it
 * gives the event loop, the same for every search. A search looks at it every so often
 * (`due`, a counter that costs one increment), never per state.
 *
 * A signal's handler (SIGINT, SIGTERM on the command line) runs only when this thread is
 * free: a search that runs for a long while in this thread yields (`turn`) about every
 * TURN_MS, so that the handler can abort the signal and the search stop with what it has
 * found, like a time limit. Without a signal, it never yields.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Progress } from './result.js';

/** Looks at the clock once every this many ticks (a state expanded, a step of a walk). */
export const TICKS = 1024;
/** Milliseconds between two turns given to the event loop while a signal may come. */
const TURN_MS = 25;

export interface ClockOptions {
  /** Seconds the search may take. */
  readonly timeLimit?: number | undefined;
  readonly onProgress?: ((p: Progress) => void) | undefined;
  /** Seconds between progress reports (default 2). */
  readonly progressEvery?: number | undefined;
  /** Aborted to stop the search at its next look at the clock. */
  readonly signal?: AbortSignal | undefined;
}

/** Why a search stops for its clock. */
export type ClockStop = 'time-limit' | 'interrupted';

export class Clock {
  readonly born: number;
  private readonly deadline: number;
  private readonly every: number;
  private nextProgress: number;
  private nextTurn: number;
  private ticks = 0;

  constructor(private readonly o: ClockOptions) {
    this.born = performance.now();
    this.deadline = o.timeLimit !== undefined ? this.born + o.timeLimit * 1000 : Infinity;
    this.every = (o.progressEvery ?? 2) * 1000;
    this.nextProgress = this.born + this.every;
    this.nextTurn = o.signal ? this.born + TURN_MS : Infinity;
  }

  /** Seconds since the search began. */
  get seconds(): number {
    return (performance.now() - this.born) / 1000;
  }

  /** True once every TICKS calls: time to `look`. */
  due(): boolean {
    return (++this.ticks & (TICKS - 1)) === 0;
  }

  /**
   * Why the search must stop now (the signal, the time limit), or null; reports progress
   * when one is due, `progress` telling the counts.
   */
  look(progress: () => Omit<Progress, 'seconds'>): ClockStop | null {
    if (this.o.signal?.aborted) return 'interrupted';
    const now = performance.now();
    if (now >= this.deadline) return 'time-limit';
    if (this.o.onProgress !== undefined && now >= this.nextProgress) this.report(progress(), now);
    return null;
  }

  /** Reports progress now. */
  report(p: Omit<Progress, 'seconds'>, now = performance.now()): void {
    if (this.o.onProgress === undefined) return;
    this.nextProgress = now + this.every;
    this.o.onProgress({ ...p, seconds: (now - this.born) / 1000 });
  }

  /** Whether a turn of the event loop is due (a signal may have come meanwhile). */
  get turnDue(): boolean {
    return performance.now() >= this.nextTurn;
  }

  /** Gives the event loop a turn (a signal's handler runs then). */
  async turn(): Promise<void> {
    await nextTurn();
    this.nextTurn = performance.now() + TURN_MS;
  }
}
