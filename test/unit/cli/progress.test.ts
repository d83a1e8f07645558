import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Options } from 'cli-progress';
import type { Progress } from '../../../src/engine/result.js';
import { createProgress, type ProgressLine } from '../../../src/cli/progress.js';

/** The options each cli-progress bar was made with: the real bar, recorded. */
const made = vi.hoisted(() => [] as Options[]);
vi.mock('cli-progress', async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof import('cli-progress') }>()).default;
  class Recording extends real.SingleBar {
    constructor(o: Options, preset?: import('cli-progress').Preset) {
      made.push(o);
      super(o, preset);
    }
  }
  const mod = { ...real, SingleBar: Recording, Bar: Recording };
  return { ...mod, default: mod };
});

/** A stream that keeps what is written to it, with the isTTY and columns of a terminal or a pipe. */
function fakeStream(isTTY: boolean, columns = 160): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  Object.assign(w, { isTTY, columns });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

/** The written text without ANSI escape sequences. */
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');

const P: Progress = { states: 123_456, transitions: 400_000, depth: 17, queued: 4_321, seconds: 2 };
const P2: Progress = { states: 987_654, transitions: 2_000_000, depth: 23, queued: 55_555, seconds: 12.5 };

const open: ProgressLine[] = [];
function progress(opts: Parameters<typeof createProgress>[0]): ProgressLine {
  const p = createProgress(opts);
  open.push(p);
  return p;
}
afterEach(() => {
  for (const p of open.splice(0)) p.stop();
  made.length = 0;
});

describe('createProgress: when nothing is written', () => {
  it.each([
    ['the stream is not a TTY', { tty: false, env: {} }],
    ['CI=true', { tty: true, env: { CI: 'true' } }],
    ['CI=1', { tty: true, env: { CI: '1' } }],
    ['TERM=dumb', { tty: true, env: { TERM: 'dumb' } }],
    ['quiet', { tty: true, env: {}, quiet: true }],
  ])('%s', (_why, c) => {
    const s = fakeStream(c.tty);
    const p = progress({ stream: s.stream, env: c.env, quiet: 'quiet' in c ? c.quiet : false, workers: 2 });
    p.update(P);
    p.update(P2);
    p.stop();
    expect(s.text()).toBe('');
    expect(made).toHaveLength(0);
  });

  it('draws on a TTY when CI is empty or false (the control for the cases above)', () => {
    for (const env of [{}, { CI: '' }, { CI: 'false' }]) {
      const s = fakeStream(true);
      const p = progress({ stream: s.stream, env });
      p.update(P);
      expect(plain(s.text())).toContain('123,456');
      p.stop();
    }
  });

  it('writes nothing when stopped before the first update', () => {
    const s = fakeStream(true);
    const p = progress({ stream: s.stream, env: {} });
    p.stop();
    expect(s.text()).toBe('');
  });
});

describe('createProgress on a terminal', () => {
  it('shows states, states/s, depth, frontier, elapsed and workers', () => {
    const s = fakeStream(true);
    const p = progress({ stream: s.stream, env: {}, workers: 3 });
    p.update(P);
    const line = plain(s.text());
    expect(line).toContain('123,456'); // states
    expect(line).toContain('61,728 states/s'); // 123456 / 2
    expect(line).toContain('depth 17');
    expect(line).toContain('frontier 4,321');
    expect(line).toContain('2.00 s');
    expect(line).toContain('3 workers');
    expect(line).not.toContain('\n');
  });

  it('says main thread for the sequential engine', () => {
    const s = fakeStream(true);
    progress({ stream: s.stream, env: {}, workers: 0 }).update(P);
    expect(plain(s.text())).toContain('main thread');
  });

  it('draws the latest counts by stop(), then clears the line and leaves the cursor at its start', () => {
    const s = fakeStream(true);
    const p = progress({ stream: s.stream, env: {}, workers: 1 });
    p.update(P);
    p.update(P2);
    p.stop();
    const all = s.text();
    expect(plain(all)).toContain('987,654');
    expect(plain(all)).toContain('79,012 states/s'); // 987654 / 12.5 = 79012.32
    expect(plain(all)).toContain('frontier 55,555');
    expect(plain(all)).toContain('12.5 s');
    expect(plain(all)).toContain('1 worker');
    // cursor to column 1, erase the whole line: what follows starts on a clean line.
    expect(all.endsWith('\x1b[1G\x1b[2K')).toBe(true);
    expect(all).not.toContain('\n');
    const before = all.length;
    p.update(P);
    p.stop();
    expect(s.text().length).toBe(before);
  });

  it('never draws wider than the terminal, so the line cannot wrap', () => {
    const s = fakeStream(true, 30);
    const p = progress({ stream: s.stream, env: {} });
    p.update(P);
    const drawn = plain(s.text());
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.length).toBeLessThan(30);
  });

  it('does not keep the process alive between redraws', () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const s = fakeStream(true);
    const p = progress({ stream: s.stream, env: {} });
    const before = timers();
    p.update(P);
    expect(s.text()).not.toBe(''); // the bar started, with its redraw timer
    expect(timers()).toBe(before);
  });
});

describe('the options given to cli-progress', () => {
  it('limit redraws to 10 a second and leave the terminal as it was', () => {
    const s = fakeStream(true);
    progress({ stream: s.stream, env: {} }).update(P);
    expect(made).toHaveLength(1);
    const o = made[0]!;
    expect(o.stream).toBe(s.stream);
    // fps is cli-progress's redraw limit (throttle time 1000/fps ms), given explicitly rather than left to its default.
    expect(o.fps).toBe(10);
    expect(o.clearOnComplete).toBe(true);
    expect(o.linewrap).not.toBe(false); // false would send an escape that disables wrapping
    expect(o.hideCursor).not.toBe(true);
    expect(o.gracefulExit).toBe(false); // its SIGINT listener would swallow Ctrl-C
    expect(o.noTTYOutput).not.toBe(true);
  });
});
