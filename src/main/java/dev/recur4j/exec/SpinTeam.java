package dev.recur4j.exec;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of {@code size} threads that all run the same {@link Member} task for each call and
 * synchronise inside it through {@link #barrier()}; the caller is member 0, the others are threads
 * created here once and stopped by {@link #close()}. Between calls a worker spins for a while ({@link
 * #idleSpinNanos}, 200 µs unless {@code -Drecur4j.smallBatchIdleSpinMicros} says otherwise, so that back-to-back
 * calls pay no wake-up) and then parks. A call allocates nothing.
 *
 * <p>If a member's task throws, the barrier is broken, so the others' waits throw too; the call fails with the
 * first failure (the caller's own exception carries a worker's as suppressed) only once every member has left the
 * task, so no worker goes on with the call's arguments after it has returned, and every later call is refused with
 * that first failure as the cause.
 */
final class SpinTeam implements AutoCloseable {
    /** The system property that sets {@link #idleSpinNanos}, in microseconds. */
    static final String IDLE_SPIN_PROPERTY = "recur4j.smallBatchIdleSpinMicros";
    /** {@link #IDLE_SPIN_PROPERTY}'s default: a few calls' worth of a small-batch forward. */
    private static final long DEFAULT_IDLE_SPIN_MICROS = 200;

    /** The work of one member; must end with a {@link SpinBarrier#await()} so the call joins there. */
    interface Member {
        void run(int member);
    }

    /** Ints between two workers' entries of {@link #left}: 64 bytes, so they share no cache line. */
    private static final int STRIDE = 16;

    private final Member task;
    /**
     * How long an idle worker spins before it parks. A parked worker's vCPU may go idle, and a VM's host can be slow
     * to run it again: W1 (LSTM B=1, T=100, I=64, H=256) with 2 threads called every 5 ms, medians of 600 calls on a
     * 2-vCPU Zen 4 VM: 200 µs gave p90 7.0-10.7 ms and p99 21-36 ms (median 1.06-1.42), 20 ms (the worker spinning
     * through the pauses) p90 1.10-1.32 and p99 1.4-3.6 (median 0.83-1.01), at the price of a core kept busy that long
     * after each call.
     */
    private final long idleSpinNanos;
    private final SpinBarrier barrier;
    private final Thread[] workers;
    private volatile int generation;
    private volatile boolean stopping;
    /** The first failure of a member's task: the others' are mostly the broken barrier it caused. */
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** Per worker (at i * STRIDE): the generation of the last call whose task it has left. */
    private final AtomicIntegerArray left;

    SpinTeam(int size, Member task) {
        this.task = task;
        this.idleSpinNanos = idleSpinNanos(System.getProperty(IDLE_SPIN_PROPERTY));
        this.barrier = new SpinBarrier(size);
        this.workers = new Thread[size - 1];
        this.left = new AtomicIntegerArray(Math.max(1, workers.length * STRIDE));
        TeamThreads.start(workers, "recur4j-gemv-", this::work, this::close);
    }

    /**
     * {@link #IDLE_SPIN_PROPERTY}'s value (null: not set) in nanoseconds; refused, naming the property, unless a whole
     * number of microseconds from 0 to a minute.
     */
    static long idleSpinNanos(String micros) {
        if (micros == null) {
            return DEFAULT_IDLE_SPIN_MICROS * 1000;
        }
        long us;
        try {
            us = Long.parseLong(micros.trim());
        } catch (NumberFormatException e) {
            us = -1;
        }
        if (us < 0 || us > 60_000_000) {
            throw new IllegalArgumentException("-D" + IDLE_SPIN_PROPERTY + " must be 0..60000000 microseconds, found '"
                    + micros + "'");
        }
        return us * 1000;
    }

    int size() {
        return workers.length + 1;
    }

    SpinBarrier barrier() {
        return barrier;
    }

    /**
     * Runs the task on every member; returns when member 0's task returns (after its final barrier). If a task
     * throws, throws once every worker has left the task. Refused once closed.
     */
    void run() {
        if (stopping) {
            // its workers have ended: the task's barriers would wait for them forever
            throw new IllegalStateException("the small-batch team is closed");
        }
        if (barrier.isBroken()) {
            throw new IllegalStateException("the small-batch team failed in an earlier call", failure.get());
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
            failure.compareAndSet(null, e); // before the break: a worker's exception caused by it comes after
            barrier.breakBarrier();
            awaitWorkersLeft();
            Throwable f = failure.get();
            if (f != e) {
                e.addSuppressed(f);
            }
            throw e;
        }
    }

    /**
     * Waits until every worker has left this call's task (after a failure: they leave at their next wait). A worker
     * that has ended is not in it either: a close() on another thread during the call (outside the contract, FastRnn's
     * guard defers it) bumps the generation, and a worker that sees that bump first ends without leaving this call's.
     */
    private void awaitWorkersLeft() {
        int gen = generation;
        boolean interrupted = false;
        for (int i = 0; i < workers.length; i++) {
            while (left.get(i * STRIDE) != gen && workers[i].isAlive()) {
                interrupted |= Parking.parkNanos(this, 50_000);
            }
        }
        Parking.restore(interrupted);
    }

    private void work(int member) {
        int seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + idleSpinNanos;
            int gen;
            while ((gen = generation) == seen) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    Parking.park(this); // a worker drops an interrupt (see Parking)
                }
            }
            seen = gen;
            if (stopping) {
                return;
            }
            try {
                task.run(member);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
                barrier.breakBarrier();
            }
            left.set((member - 1) * STRIDE, gen);
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
