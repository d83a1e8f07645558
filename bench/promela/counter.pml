/*
 * counter: the Promela twin of models/counter/counter.ts, for the benchmark (bench/).
 *
 * THREADS threads each do INCS lock-protected increments of a shared counter x. Each
 * mmrace step is one SPIN transition (a d_step), so both tools see the same states:
 *
 *   lock    await l == 0, then l = owner + 1
 *   read    tmp = x
 *   write   x = tmp + 1
 *   unlock  l = 0; i++; back to lock if i < INCS, else done
 *
 * Differences from the mmrace model that do not change the set of reachable states:
 * - "done" is the label `end_done`, where a thread blocks forever instead of letting
 *   its process terminate (a terminating SPIN process adds states in which it no
 *   longer exists; mmrace keeps a finished thread at pc = done).
 * - `finished` counts the threads at `end_done`; it is a function of the threads'
 *   control states, so it adds no distinct state, and lets the last thread to finish
 *   check the invariant `final` of counter.ts: x == THREADS * INCS when all are done.
 *
 * Sizes: spin -a -DTHREADS=4 -DINCS=4 counter.pml   (THREADS * INCS <= 255)
 */
#ifndef THREADS
#define THREADS 2
#endif
#ifndef INCS
#define INCS 1
#endif

byte x = 0;
byte l = 0;          /* 0 free, owner + 1 held */
byte finished = 0;

active [THREADS] proctype thread()
{
	byte tmp = 0;
	byte i = 0;
lock:
	atomic { l == 0 -> l = _pid + 1 };
	d_step { tmp = x };
	d_step { x = tmp + 1 };
	if
	:: atomic { i < INCS - 1 -> l = 0; i++; goto lock }
	:: d_step { i == INCS - 1 -> l = 0; i++; finished++;
	            assert(finished < THREADS || x == THREADS * INCS) }
	fi;
end_done:
	false
}
