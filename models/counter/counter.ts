/**
 * counter — the scalable reference model of the benchmarks (not a kernel race).
 *
 * T threads each do L increments of a shared counter, each increment protected by a
 * spinlock: lock, read into a local, write back plus one, unlock. With `locked=false`
 * the lock is skipped and the classic lost update appears:
 *
 *   thread 0                    thread 1
 *   tmp = x          (0)
 *                               tmp = x      (0)
 *   x = tmp + 1      (1)
 *                               x = tmp + 1  (1)   -> final x = 1, not 2
 *
 * Invariant `final`: when every thread is done, x == T * L.
 *
 * Expected state counts (BFS, no reduction; SPIN stores the same numbers for
 * bench/promela/counter.pml): T=2 L=1 locked: 17 states, 16 transitions; T=3 L=3: 4,627;
 * T=4 L=4: 1,291,193; T=4 L=5: 5,965,761; T=5 L=3: 9,883,801 (bench/RESULTS.md).
 */
import { actor, defineModel, int, lock, param } from 'mmrace/model';

export default defineModel({
  id: 'counter',
  title: 'T threads, L lock-protected increments each',
  params: {
    threads: param.int(1, 8, 2, 'number of threads T'),
    incs: param.int(1, 64, 1, 'increments per thread L'),
    locked: param.bool(true, 'take the lock around each increment'),
  },
  state: (p) => ({ x: int(0, p.threads * p.incs), l: lock() }),
  actors: (p) => ({
    thread: actor({
      instances: p.threads,
      locals: { tmp: int(0, p.threads * p.incs), i: int(0, p.incs) },
      steps: {
        lock: {
          await: (c) => !c.p.locked || c.s.l.free,
          do: (c) => {
            if (c.p.locked) c.s.l.acquire(c.self);
          },
        },
        read: (c) => {
          c.l.tmp = c.s.x;
        },
        write: (c) => {
          c.s.x = c.l.tmp + 1;
        },
        unlock: (c) => {
          if (c.p.locked) c.s.l.release(c.self);
          c.l.i = c.l.i + 1;
          if (c.l.i < c.p.incs) c.goto('lock');
          else c.finish();
        },
      },
    }),
  }),
  invariants: {
    final: (s, w) => {
      for (let i = 0; i < w.p.threads; i++) if (w.pc('thread', i) !== 'done') return true;
      return s.x === w.p.threads * w.p.incs;
    },
  },
});
