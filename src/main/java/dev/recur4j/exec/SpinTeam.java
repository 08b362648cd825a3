package dev.recur4j.exec;

import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of {@code size} threads that all run the same {@link Member} task for each call and
 * synchronise inside it through {@link #barrier()}; the caller is member 0, the others are threads
 * created here once and stopped by {@link #close()}. Between calls a worker spins for a short while
 * (so back-to-back calls pay no wake-up) and then parks. A call allocates nothing.
 */
final class SpinTeam implements AutoCloseable {
    /** How long an idle worker spins before parking: a few calls' worth of a small-batch forward. */
    private static final long IDLE_SPIN_NANOS = 200_000;

    /** The work of one member; must end with a {@link SpinBarrier#await()} so the call joins there. */
    interface Member {
        void run(int member);
    }

    private final Member task;
    private final SpinBarrier barrier;
    private final Thread[] workers;
    private volatile int generation;
    private volatile boolean stopping;
    private volatile Throwable failure;

    SpinTeam(int size, Member task) {
        this.task = task;
        this.barrier = new SpinBarrier(size);
        this.workers = new Thread[size - 1];
        TeamThreads.start(workers, "recur4j-gemv-", this::work, this::close);
    }

    int size() {
        return workers.length + 1;
    }

    SpinBarrier barrier() {
        return barrier;
    }

    /** Runs the task on every member; returns when member 0's task returns (after its final barrier). */
    void run() {
        if (barrier.isBroken()) {
            throw new IllegalStateException("the small-batch team failed in an earlier call", failure);
        }
        if (workers.length > 0) {
            generation = generation + 1; // single writer: the calling thread
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
        try {
            task.run(0);
        } catch (RuntimeException | Error e) {
            barrier.breakBarrier();
            Throwable f = failure;
            if (f != null && f != e) {
                e.addSuppressed(f);
            }
            throw e;
        }
    }

    private void work(int member) {
        int seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + IDLE_SPIN_NANOS;
            int gen;
            while ((gen = generation) == seen) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = gen;
            if (stopping) {
                return;
            }
            try {
                task.run(member);
            } catch (Throwable e) {
                failure = e;
                barrier.breakBarrier();
            }
        }
    }

    @Override
    public void close() {
        if (stopping) {
            return;
        }
        stopping = true;
        generation = generation + 1;
        TeamThreads.wakeAndJoin(workers);
    }
}
