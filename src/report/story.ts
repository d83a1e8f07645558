/**
 * A counterexample as the reports tell it (lkml.ts, markdown.ts, html.ts): the trace
 * replayed on its model, step by step, with who acted, the call path of each step, what
 * it changed, and how the run ended. Every string in it may come from a model (actor
 * names, labels, slot paths, messages): each renderer escapes them for its format.
 */
import type { ChoiceMade, CompiledModel } from '../model/compile.js';
import { replay, type ReplayResult, type SlotChange } from '../trace/replay.js';
import type { Trace } from '../trace/trace.js';
import { isAbsolute, relative } from 'node:path';
import { shq } from './shell.js';

/** `p` relative to the current folder when it lies under it (reports name no machine's folders), else its last parts. */
function fromHere(p: string): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p.split(/[\\/]/).slice(-2).join('/');
}

export interface StoryStep {
  /** 1-based step number. */
  readonly n: number;
  /** Column of the actor instance that took the step (an index into `Story.actors`). */
  readonly column: number;
  /** The step's label as the model names it. */
  readonly label: string;
  /**
   * The call path of the label: a label `f:g:h` is step `h` inside `g` inside `f` (the
   * convention of the models: `contpte_convert:xchg`, `mmu:walk`); one part otherwise.
   */
  readonly calls: readonly string[];
  readonly choice?: readonly number[];
  /** The choices by value (and name), when the replay recorded them: one per index of `choice`. */
  readonly values?: readonly ChoiceMade[];
  /** The step is hardware's (StepDef `hw`, a label `hw:...`): shown as its last call, without `()`. */
  readonly hw?: boolean;
  /** The step's `doc`. */
  readonly doc?: string;
  /** What the step noted about itself (`c.note(text)`). */
  readonly notes?: readonly string[];
  /** What other parties did in the step (`c.note(party, text)`): `column` indexes `Story.actors` then `Story.parties`. */
  readonly asides?: readonly { readonly column: number; readonly text: string }[];
  /** The slots the step changed (the pcs of instances left out). */
  readonly changes: readonly SlotChange[];
  /** The step raised this fault (the last step then). */
  readonly fault?: { readonly property: string; readonly message: string };
}

export interface StoryActor {
  /** `actor` alone when the model has one instance of it, else `actor[i]`. */
  readonly name: string;
  readonly actor: string;
  readonly instance: number;
}

export interface Story {
  readonly model: string;
  readonly params: Readonly<Record<string, number | boolean | string>>;
  /** The scenario the trace came from, when it names one. */
  readonly scenario?: string;
  /** The actor instances that took a step, in the order they first did. */
  readonly actors: readonly StoryActor[];
  /** Parties that are not actors but that steps noted (`c.note('Xen', ...)`): columns after the actors'. */
  readonly parties?: readonly string[];
  /**
   * What the run started from, as the diagram's header tells it: the parameters whose
   * value differs from the model's default, and init's choices by value and its notes.
   */
  readonly setup?: {
    readonly params: readonly { readonly name: string; readonly value: number | boolean | string }[];
    readonly init: readonly ChoiceMade[];
    readonly notes: readonly string[];
  };
  readonly steps: readonly StoryStep[];
  /** Every slot of the initial state (pcs left out), in the model's order. */
  readonly initial: readonly { readonly slot: string; readonly value: string }[];
  /** How the trace ends on replay. */
  readonly end: {
    readonly kind: 'invariant' | 'fault' | 'deadlock' | 'error' | 'none';
    readonly property?: string;
    readonly message?: string;
    /** The replay ended as the trace says it should. */
    readonly reproduced: boolean;
    /** The trace ends where a step was stopped, which replay does not run again (ReplayResult.notRun). */
    readonly notRun?: boolean;
  };
  /** The model file changed since the trace was recorded (replayed on the new one anyway). */
  readonly sourceChanged: boolean;
  /** The command that replays the trace, for the reader to run. */
  readonly replayCommand: string;
}

/**
 * Replays `trace` on `m` (the model it names, compiled with its parameters) and tells
 * it. `traceFile` is the file as the reader should name it in the replay command.
 */
export function buildStory(trace: Trace, m: CompiledModel, traceFile: string): Story {
  return storyOf(trace, replay(trace, m), traceFile, m);
}

/** `buildStory` from a replay already made. */
export function storyOf(trace: Trace, r: ReplayResult, traceFile: string, m?: CompiledModel): Story {
  const count = new Map<string, number>();
  if (m) for (const inst of m.instances) count.set(inst.actor, (count.get(inst.actor) ?? 0) + 1);
  const columns = new Map<string, number>();
  const actors: StoryActor[] = [];
  // What other parties did in each step (`c.note('Xen', ...)`), placed once the actors are known.
  const said: { party: string; text: string }[][] = [];
  const steps = r.steps.map((s, i): StoryStep => {
    const key = `${s.actor}\u0000${s.instance}`;
    let column = columns.get(key);
    if (column === undefined) {
      column = actors.length;
      columns.set(key, column);
      const single = m !== undefined ? count.get(s.actor) === 1 : false;
      actors.push({ name: single ? s.actor : `${s.actor}[${s.instance}]`, actor: s.actor, instance: s.instance });
    }
    const step = m?.byActor.get(s.actor)?.[s.instance]?.steps.find((x) => x.label === s.label);
    const own = (s.notes ?? []).filter((n) => n.party === undefined).map((n) => n.text);
    said[i] = (s.notes ?? []).flatMap((n) => (n.party !== undefined ? [{ party: n.party, text: n.text }] : []));
    return {
      n: s.n,
      column,
      label: s.label,
      calls: s.label.split(':').filter((p, i, all) => p.length > 0 || all.length === 1),
      ...(s.choice?.length ? { choice: s.choice } : {}),
      ...(s.values?.length ? { values: s.values } : {}),
      ...(step?.hw ? { hw: true } : {}),
      ...(step?.doc !== undefined ? { doc: step.doc } : {}),
      ...(own.length ? { notes: own } : {}),
      changes: s.changes.filter((c) => !c.slot.endsWith('.pc')),
      ...(s.fault ? { fault: s.fault } : {}),
    };
  });
  // A party named like an actor's column writes there; the others get columns after the actors', in the order they first speak.
  const partyList: string[] = [];
  for (const n of said.flat()) if (!actors.some((a) => a.name === n.party) && !partyList.includes(n.party)) partyList.push(n.party);
  const columnOf = (party: string): number => {
    const at = actors.findIndex((a) => a.name === party);
    return at >= 0 ? at : actors.length + partyList.indexOf(party);
  };
  const placed = steps.map((st, i): StoryStep => (said[i]!.length ? { ...st, asides: said[i]!.map((n) => ({ column: columnOf(n.party), text: n.text })) } : st));
  const defaults = m?.model.params ?? {};
  const changedParams = Object.entries(trace.params)
    .filter(([name, value]) => Object.hasOwn(defaults, name) && (defaults as Record<string, { default: unknown }>)[name]!.default !== value)
    .map(([name, value]) => ({ name, value }));
  const setup =
    changedParams.length || r.init?.values.length || r.init?.notes.length
      ? { setup: { params: changedParams, init: r.init?.values ?? [], notes: r.init?.notes ?? [] } }
      : {};
  return {
    model: trace.model.id,
    params: trace.params,
    // A trace read from a file holds an absolute path: show it from the current folder.
    ...(trace.scenario !== undefined ? { scenario: fromHere(trace.scenario) } : {}),
    actors,
    ...(partyList.length ? { parties: partyList } : {}),
    ...setup,
    steps: placed,
    initial: r.initial.filter((x) => !x.slot.endsWith('.pc')),
    end: {
      kind: r.kind ?? 'none',
      ...(r.property !== undefined ? { property: r.property } : {}),
      ...(r.message !== undefined ? { message: r.message } : {}),
      reproduced: r.reproduced,
      ...(r.notRun ? { notRun: true } : {}),
    },
    sourceChanged: r.sourceChanged,
    replayCommand: `npx mmrace replay ${shq(traceFile)}`,
  };
}
