package dev.recur4j.exec;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that splits batch rows [0, rows) into contiguous chunks, one per thread;
 * the caller runs chunk 0 itself. Batch rows of a recurrent layer are independent, so a chunk can
 * run a whole time loop (its own GEMMs and kernels) with no synchronisation until the join at the
 * end of {@link #run}; a task may let a thread that finishes early take over rows of another one
 * through the team's {@link RowShare}. With one thread nothing is created and the task runs inline.
 *
 * <p>Every chunk runs on its own thread, at the same time as the others; tasks rely on that: a
 * training chunk may wait inside its task for another chunk's time loop ({@code BackwardPass}),
 * which would never end if two chunks shared a thread.
 *
 * <p>Start and join allocate nothing (a call's forward pass must not): the caller publishes the
 * task and bumps a volatile generation, workers wait for it by a short spin then
 * {@link LockSupport#park}, and the last worker to finish unparks the caller. ({@code Phaser}
 * allocates a wait node whenever a thread blocks.) The spin is short because the cores are
 * usually shared: each task is a whole (layer, direction) time loop, so waking costs little.
 */
final class RowTeam implements AutoCloseable {
    /** Busy-wait iterations before parking. */
    private static final int SPINS = 1 << 10;
    /**
     * How long a chunk's thread that waits inside a task for another's step boundary ({@link RowShare}) or time loop
     * ({@code BackwardPass}) spins before it naps: short, as those waits are rare and a batched step takes
     * milliseconds, unlike the small-batch members' ({@link SpinBarrier#SPIN_NANOS}).
     */
    static final long WAIT_SPIN_NANOS = 50_000;

    /** Work on rows [from, to); {@code chunk} in [0, threads) names per-thread scratch. */
    interface Task {
        void rows(int chunk, int from, int to);
    }

    private final int threads;
    private final RowShare share;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile Thread caller;
    private volatile Task task;
    private volatile int rows;
    private volatile boolean stopping;
    /**
     * The call's first failure: a chunk that waits on a failed one (see {@link #failed()}) stops, and may throw a
     * consequence of it, which must not replace the cause.
     */
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    RowTeam(int threads) {
        this(threads, new RowShare(threads));
    }

    /** With {@code share} for the tasks' hand-overs of rows (tests pass one that slows a chunk down). */
    RowTeam(int threads, RowShare share) {
        this.threads = threads;
        this.share = share;
        this.workers = new Thread[threads - 1];
        TeamThreads.start(workers, "recur4j-rows-", this::work, this::close);
    }

    int threads() {
        return threads;
    }

    /** Where a task's chunks hand rows to each other mid-loop; see {@link RowShare}. */
    RowShare share() {
        return share;
    }

    /** Runs {@code t} over [0, n) split across the team; returns when every chunk is done. Refused once closed. */
    void run(int n, Task t) {
        if (stopping) {
            // its workers have ended: the join would wait for them forever (FastRnn's guard refuses such calls first)
            throw new IllegalStateException("the row team is closed");
        }
        if (threads == 1 || n == 1) {
            t.rows(0, 0, n);
            return;
        }
        task = t;
        rows = n;
        failure.set(null);
        caller = Thread.currentThread();
        pending.set(workers.length);
        generation = generation + 1; // start: the volatile write publishes task, rows and pending
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable mine = null;
        try {
            runChunk(0, t, n);
        } catch (Throwable e) {
            mine = e;
            failure.compareAndSet(null, e); // also tells chunks that wait on this one inside the task (see failed())
        }
        awaitWorkers();
        task = null;
        Throwable f = failure.get();
        if (mine != null && mine != f) {
            f.addSuppressed(mine); // not lost when a worker failed first (an Error, say)
        }
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error er) {
            throw er;
        }
        if (f != null) { // a checked exception thrown past the compiler's checks: still a failed call
            throw new IllegalStateException("a chunk of the row team failed", f);
        }
    }

    private void awaitWorkers() {
        boolean interrupted = false;
        for (int spin = 0; pending.get() != 0; spin++) {
            if (spin < SPINS) {
                Thread.onSpinWait();
            } else {
                interrupted |= Parking.park(this);
            }
        }
        Parking.restore(interrupted);
    }

    /**
     * Whether a chunk of the running task has thrown: a task whose chunks wait for each other must stop
     * waiting then, or the join would never come.
     */
    boolean failed() {
        return failure.get() != null;
    }

    /**
     * Opens the {@link RowShare} slot of every chunk that {@link #run}(n, t) hands rows, before the run, so that
     * a thread can ask a chunk whose thread has not begun yet; each chunk's task closes its own.
     */
    void openShares(int n) {
        for (int c = 0; c < threads; c++) {
            if (runsChunk(n, c)) {
                share.open(c);
            }
        }
    }

    /** Whether {@link #run}(n, t) hands chunk {@code chunk} any rows (with n < threads some chunks get none). */
    boolean runsChunk(int n, int chunk) {
        return from(n, chunk) < to(n, chunk);
    }

    /** First row {@link #run}(n, t) hands chunk {@code chunk} (empty chunks: from == to). */
    int from(int n, int chunk) {
        if (threads == 1 || n == 1) {
            return chunk == 0 ? 0 : n;
        }
        return (int) ((long) n * chunk / threads);
    }

    /** End (exclusive) of the rows {@link #run}(n, t) hands chunk {@code chunk}. */
    int to(int n, int chunk) {
        if (threads == 1 || n == 1) {
            return n;
        }
        return (int) ((long) n * (chunk + 1) / threads);
    }

    private void runChunk(int chunk, Task t, int n) {
        int from = from(n, chunk);
        int to = to(n, chunk);
        if (from < to) {
            t.rows(chunk, from, to);
        }
    }

    private void work(int chunk) {
        int seen = 0;
        while (true) {
            for (int spin = 0; generation == seen; spin++) {
                if (spin < SPINS) {
                    Thread.onSpinWait();
                } else {
                    Parking.park(this); // a worker drops an interrupt (see Parking)
                }
            }
            seen = generation;
            if (stopping) {
                return;
            }
            try {
                runChunk(chunk, task, rows);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        if (stopping) {
            return;
        }
        stopping = true; // also with one thread, so that a closed team refuses calls whatever its size
        generation = generation + 1; // workers wake, see stopping, return
        TeamThreads.wakeAndJoin(workers);
    }
}
