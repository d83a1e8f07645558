/**
 * The live progress line of a search, redrawn in place on a terminal (cli-progress):
 * states, states per second, depth, frontier, elapsed time and workers. It is for a
 * person watching: nothing at all is written to a pipe or a file, on CI, on a dumb
 * terminal, or with quiet, so logs and --json output stay clean.
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

/** The text of the line; states per second over the whole search so far. */
export function progressText(p: Progress, workers: number | undefined): string {
  const rate = p.seconds > 0 ? p.states / p.seconds : 0;
  const n = p.workers ?? workers;
  const threads = n && n > 0 ? `${n} worker${n > 1 ? 's' : ''}` : 'main thread';
  return `  … states ${num(p.states)} · ${num(rate)} states/s · depth ${p.depth} · frontier ${num(p.queued)} · ${secs(p.seconds)} s · ${threads}`;
}

/** Cuts the line one column short of the width, so the terminal never wraps it onto a second line that a redraw would not clear. */
function fit(text: string, width: number): string {
  return text.length < width ? text : text.slice(0, Math.max(0, width - 1));
}

/** The options given to cli-progress, each for a reason. */
export function barOptions(stream: NodeJS.WriteStream): cliProgress.Options {
  return {
    stream,
    fps: PROGRESS_FPS,
    format: (_options, params, payload: { text?: string }) => fit(payload.text ?? '', params.maxWidth),
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
      const payload = { text: progressText(p, opts.workers) };
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
