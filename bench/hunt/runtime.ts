/**
 * The small runtime the async renditions of bench/hunt/ share: mmrace's step semantics
 * (actors of labeled atomic steps, guards, choices, faults, invariants, deadlock) on top
 * of fast-check's scheduler.
 *
 * - Each actor is an async function. Before each of its atomic steps it waits for one
 *   scheduled point, `s.schedule(Promise.resolve(), 'actor:label')`; fast-check releases
 *   one pending point at a time, picked uniformly, so each scheduling decision picks the
 *   actor that makes the next step, as mmrace's `random` strategy does. The step's body
 *   then runs synchronously: it is atomic, as an mmrace step is.
 * - A guarded step (`await` in mmrace: a spinlock, "H is not running") holds no pending
 *   point while its guard is false: the actor waits, unscheduled, until some step changes
 *   the state and its guard holds, as a disabled transition. A point released when its
 *   guard no longer holds (another step disabled it in between) is a no-op: the actor
 *   waits again and no step is counted.
 * - `choose(n)` is a data choice (mmrace's `c.choose`): drawn by fast-check (`fc.gen()`)
 *   when the step runs.
 * - `fault(property, message)` ends the run with that violation (mmrace's `c.fault`).
 * - The invariants are checked in every state reached: before each step is released
 *   (the state the previous step left, once every actor's program counter has settled)
 *   and at the end of the run; a run that ends with an actor not done is a deadlock.
 * - A run is cut after `maxSteps` steps (mmrace's `--max-depth`, 1000 by default), and
 *   then counts as passed, as a cut walk of mmrace's bug-hunting strategies does.
 *
 * The same renditions run under a scripted scheduler in test/unit/bench-hunt.test.ts.
 */

/** What a rendition needs from fast-check's `Scheduler` (the test's scripted one offers the same). */
export interface Points {
  schedule<T>(task: Promise<T>, label?: string, metadata?: string): Promise<T>;
  waitIdle(): Promise<void>;
}

/** A data choice: an index in [0, n). */
export type Chooser = (n: number) => number;

export interface Violation {
  /** The property: an invariant, a fault's property, `deadlock`, or `error` (the rendition threw). */
  readonly property: string;
  readonly message: string;
}

/** Thrown to unwind an actor once the run has stopped. */
class Stop extends Error {}

const NEVER = new Promise<never>(() => {});

export type Invariants<S> = Record<string, (s: S, w: World<S>) => boolean>;

export class World<S> {
  /** Program counter of each actor: the label of its next step, or `done`. */
  readonly pc: Record<string, string> = {};
  violation: Violation | null = null;
  /** Steps executed. */
  steps = 0;
  /** The run reached maxSteps and was cut. */
  cut = false;
  private readonly running: Promise<void>[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    private readonly points: Points,
    private readonly chooser: Chooser,
    readonly s: S,
    private readonly invariants: Invariants<S> = {},
    private readonly maxSteps = 1000,
  ) {}

  private get stopped(): boolean {
    return this.violation !== null || this.cut;
  }

  /** c.choose(n): an index in [0, n). */
  choose(n: number): number {
    const k = this.chooser(n);
    if (!Number.isInteger(k) || k < 0 || k >= n) throw new Error(`choose(${n}) got ${k}`);
    return k;
  }

  /** c.choose(values). */
  pick<T>(values: readonly T[]): T {
    return values[this.choose(values.length)]!;
  }

  /** c.fault(message, property): the run ends with this violation. */
  fault(property: string, message: string): never {
    this.violation ??= { property, message };
    throw new Stop();
  }

  /**
   * One atomic step of `actor`, labeled `label` (mmrace's step label): waits to be
   * scheduled while `guard` holds, then runs `body`.
   */
  async step(actor: string, label: string, body: () => void, guard?: () => boolean): Promise<void> {
    this.pc[actor] = label;
    for (;;) {
      if (this.stopped) await NEVER;
      if (guard && !guard()) {
        await this.changed();
        continue;
      }
      await this.points.schedule(Promise.resolve(), `${actor}:${label}`, actor);
      if (this.stopped) await NEVER;
      if (!guard || guard()) break;
    }
    this.checkInvariants();
    if (this.steps >= this.maxSteps) {
      this.cut = true;
      await NEVER;
    }
    this.steps++;
    body();
    this.notify();
  }

  /** Starts an actor; its pc is `done` when `program` returns. */
  spawn(actor: string, program: () => Promise<void>): void {
    this.pc[actor] = 'start';
    this.running.push(
      program().then(
        () => {
          this.pc[actor] = 'done';
          this.notify();
        },
        (e: unknown) => {
          if (!(e instanceof Stop)) this.violation ??= { property: 'error', message: e instanceof Error ? e.message : String(e) };
        },
      ),
    );
  }

  /** Lets the scheduler run the actors to the end; returns the violation, if any. */
  async run(): Promise<Violation | null> {
    await this.points.waitIdle();
    if (this.stopped) return this.violation;
    try {
      this.checkInvariants();
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      return this.violation;
    }
    const stuck = Object.entries(this.pc).filter(([, pc]) => pc !== 'done');
    if (stuck.length > 0) {
      this.violation = { property: 'deadlock', message: `no step enabled: ${stuck.map(([a, pc]) => `${a} at ${pc}`).join(', ')}` };
    }
    return this.violation;
  }

  private checkInvariants(): void {
    for (const [name, holds] of Object.entries(this.invariants)) {
      if (!holds(this.s, this)) this.fault(name, `invariant ${name} violated`);
    }
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }
}

/** A rendition: builds the shared state, spawns its actors on `w`. */
export interface Rendition<S = any> {
  /** The mmrace scenario it mirrors. */
  readonly scenario: string;
  /** The property the seed violation violates. */
  readonly property: string;
  /** Sets up one run: initial state (its choices through `choose`), invariants, actors. */
  start(points: Points, choose: Chooser): World<S>;
}
