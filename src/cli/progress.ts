/**
 * The live progress line of a search, redrawn in place on a terminal (cli-progress):
 * states, states per second, transitions, depth, frontier, elapsed time and workers, as
 * many as the terminal's width has room for (`progressLine`; the line of --progress has
 * the same fields, every one). It is for a person watching: nothing at all is written to a
 * pipe or a file, on CI, on a dumb terminal, or with quiet, so logs and --json output stay
 * clean.
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../engine/result.js';
import { num, secs } from '../report/text.js';

export interface ProgressLine {
  /** Shows the search's latest counts (drawn at the next redraw; see PROGRESS_FPS). */
  update(p: Progress): void;
  /** Clears the line and leaves the cursor at its start, so what follows prints on a clean line. Idempotent. */
  stop(): void;
}

export interface ProgressOptions {
  /** Where the line goes (default: stderr, so stdout keeps only results). */
  readonly stream?: NodeJS.WriteStream;
  readonly quiet?: boolean;
  /** Worker threads of the search (0 or absent: the sequential engine in the main thread). */
  readonly workers?: number;
  /** The environment to read CI and TERM from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * At most 10 redraws a second, through cli-progress's `fps` option (its throttle time is
 * 1000 / fps = 100 ms): its timer redraws every 100 ms, and update() redraws at once only
 * when nothing was drawn for 2 × 100 ms — the sequential search runs in one synchronous
 * loop, so only those synchronous redraws show while it runs. A redraw writes only when the
 * text changed. More would cost terminal output, not inform.
 */
export const PROGRESS_FPS = 10;

/**
 * Whether the line may be drawn: a terminal (isTTY), not quiet, not CI (any non-empty CI
 * other than `false`: CI logs keep every redraw as a line), not TERM=dumb (no cursor moves).
 */
export function progressEnabled(stream: NodeJS.WriteStream, quiet: boolean, env: NodeJS.ProcessEnv): boolean {
  if (quiet || stream.isTTY !== true) return false;
  const ci = env['CI'];
  if (ci !== undefined && ci !== '' && ci !== 'false') return false;
  return env['TERM'] !== 'dumb';
}

/**
 * The fields of a progress report, in the words of both its lines (the live line here, and
 * the line of --progress): states, states per second over the whole search so far,
 * transitions, depth, frontier (the states queued), elapsed time, and workers. `drop` says
 * which go first when the line must fit a narrow terminal (highest first; 0: never).
 */
export function progressFields(p: Progress, workers: number | undefined): { readonly text: string; readonly drop: number }[] {
  const rate = p.seconds > 0 ? p.states / p.seconds : 0;
  const n = p.workers ?? workers;
  const threads = n && n > 0 ? `${n} worker${n > 1 ? 's' : ''}` : 'main thread';
  return [
    { text: `states ${num(p.states)}`, drop: 0 },
    { text: `${num(rate)} states/s`, drop: 4 },
    { text: `transitions ${num(p.transitions)}`, drop: 6 },
    { text: `depth ${p.depth}`, drop: 1 },
    { text: `frontier ${num(p.queued)}`, drop: 3 },
    { text: `${secs(p.seconds)} s`, drop: 2 },
    { text: threads, drop: 5 },
  ];
}

/**
 * The progress line: every field or, given the `width` of a terminal, the fields that fit in
 * width - 1 columns, so that the terminal never wraps the line onto a second one that a
 * redraw would not clear; the least telling go first (transitions, workers, states/s,
 * frontier, time, depth). On a terminal too narrow for the states alone, the line is cut
 * short with an ellipsis.
 */
export function progressLine(p: Progress, workers: number | undefined, width = Infinity): string {
  const fields = progressFields(p, workers);
  const line = (): string => `  … ${fields.map((f) => f.text).join(' · ')}`;
  while (line().length >= width && fields.some((f) => f.drop > 0)) {
    const most = Math.max(...fields.map((f) => f.drop));
    fields.splice(fields.findIndex((f) => f.drop === most), 1);
  }
  const text = line();
  return text.length < width ? text : `${text.slice(0, Math.max(0, width - 2))}…`.slice(0, Math.max(0, width - 1));
}

/** The options given to cli-progress, each for a reason. */
export function barOptions(stream: NodeJS.WriteStream): cliProgress.Options {
  return {
    stream,
    fps: PROGRESS_FPS,
    // The line for the terminal's width now (its columns, 80 when it does not say): a window made narrower gets fewer fields.
    format: (_options, params, payload: { line?: (width: number) => string }) => payload.line?.(params.maxWidth) ?? '',
    // stop() clears the line: the verdict that follows replaces it.
    clearOnComplete: true,
    // true: cli-progress trims to the width itself; false would send an escape that turns
    // wrapping off and leave the terminal so if mmrace were killed before stop().
    linewrap: true,
    hideCursor: false,
    // Its SIGINT/SIGTERM listeners would keep Ctrl-C from ending mmrace.
    gracefulExit: false,
    noTTYOutput: false,
  };
}

/**
 * cli-progress redraws on a timer between updates; unreferenced, that timer never keeps
 * mmrace running after the search, even if stop() were missed on an error path.
 */
class UnrefBar extends cliProgress.SingleBar {
  override render(): void {
    super.render();
    (this as unknown as { timer: NodeJS.Timeout | null }).timer?.unref();
  }
}

const silent: ProgressLine = { update: () => {}, stop: () => {} };

/**
 * The progress line of a search. The bar starts at the first update, so a search that ends
 * before its first progress report draws nothing at all.
 */
export function createProgress(opts: ProgressOptions = {}): ProgressLine {
  const stream = opts.stream ?? process.stderr;
  if (!progressEnabled(stream, opts.quiet === true, opts.env ?? process.env)) return silent;
  const bar = new UnrefBar(barOptions(stream));
  let started = false;
  let stopped = false;
  return {
    update(p) {
      if (stopped) return;
      const payload = { line: (width: number) => progressLine(p, opts.workers, width) };
      if (!started) {
        started = true;
        bar.start(0, 0, payload);
      } else bar.update(payload);
    },
    stop() {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}
