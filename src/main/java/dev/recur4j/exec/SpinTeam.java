package dev.recur4j.exec;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of {@code size} threads that all run the same {@link Member} task for each call and
 * synchronise inside it through {@link #barrier()}; the caller is member 0, the others are threads
 * created here once and stopped by {@link #close()}. Between calls a worker spins until {@link #idleSpinNanos}
 * after the last call's end (200 µs unless {@code -Drecur4j.smallBatchIdleSpinMicros} says otherwise, so that
 * back-to-back calls pay no wake-up; through a call it did not join as well) and then parks. A call allocates
 * nothing.
 *
 * <p>A call that finds every worker parked wakes them, unless {@link WakePolicy} has learnt that woken workers join
 * too late on this machine (on a VM, a parked worker's idle vCPU can take a millisecond or more to run again, and
 * the call then stalls at every hand-off); then the call runs on the caller alone ({@link #runsAlone()}) and wakes
 * nobody. A worker joins a call by claiming it for the team, the caller claims it for itself, and whichever claim
 * comes first decides; a worker that sees a call claimed by the caller leaves it untouched. A call alone that came
 * within the idle spin of the previous call's end wakes the workers as it ends, so that calls that follow one
 * another closely run on the whole team again.
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

    /**
     * The work of one member; must end with a {@link SpinBarrier#await()} so the call joins there, unless member 0's
     * call runs alone ({@link #runsAlone()}), where it must not wait for anyone.
     */
    interface Member {
        void run(int member);
    }

    /** Longs between two workers' entries of {@link #left} and {@link #parked}: 64 bytes, no cache line shared. */
    private static final int STRIDE = 8;

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
    /** The number of the current call (a long: a service's calls can outnumber an int's range within weeks). */
    private volatile long generation;
    /**
     * Who runs call g: below 3g undecided, {@code 3g + 1} the team (a worker has joined), {@code 3g + 2} the caller
     * alone. Each side claims the call by a compare-and-set from an undecided value, so exactly one claim wins.
     */
    private final AtomicLong mode = new AtomicLong();
    /** Per worker (at i * STRIDE): 1 while it parks (or is about to) between calls, else 0. */
    private final AtomicLongArray parked;
    /** Per worker (at i * STRIDE): when it last went to park (its clock: System.nanoTime). */
    private final AtomicLongArray parkedSince;
    /** Per worker (at i * STRIDE): when it joined its last call (its clock: System.nanoTime). */
    private final AtomicLongArray joinedNanos;
    /** Whether a call that finds the workers parked wakes them (used by the caller only). */
    private final WakePolicy wakes;
    /**
     * When the last call ended, and its generation (written in that order): a worker spins until {@link
     * #idleSpinNanos} after the end of the last call, whether it took part in it or not.
     */
    private volatile long lastEndNanos;
    private volatile long endedGeneration;
    /** Whether the current call runs alone: written and read by the caller only, so a close() cannot change it. */
    private boolean callAlone;
    private volatile boolean stopping;
    /** The first failure of a member's task: the others' are mostly the broken barrier it caused. */
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** Per worker (at i * STRIDE): the generation of the last call whose task it has left (or not joined). */
    private final AtomicLongArray left;

    SpinTeam(int size, Member task) {
        this(size, task, new WakePolicy());
    }

    /** With the policy given (tests: one that has seen slow joins). */
    SpinTeam(int size, Member task, WakePolicy wakes) {
        this(size, task, wakes, idleSpinNanos(System.getProperty(IDLE_SPIN_PROPERTY)));
    }

    /** With the policy and the idle spin given (tests). */
    SpinTeam(int size, Member task, WakePolicy wakes, long idleSpinNanos) {
        this.task = task;
        this.wakes = wakes;
        this.idleSpinNanos = idleSpinNanos;
        this.lastEndNanos = System.nanoTime() - idleSpinNanos - 1; // as if the last call had ended long ago
        this.barrier = new SpinBarrier(size);
        this.workers = new Thread[size - 1];
        this.left = new AtomicLongArray(Math.max(1, workers.length * STRIDE));
        this.parked = new AtomicLongArray(Math.max(1, workers.length * STRIDE));
        this.parkedSince = new AtomicLongArray(Math.max(1, workers.length * STRIDE));
        this.joinedNanos = new AtomicLongArray(Math.max(1, workers.length * STRIDE));
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
     * Runs the task on every member, or on the caller alone if every worker has parked and {@link WakePolicy} says
     * not to wake them; returns when member 0's task returns (after its final barrier, if the call is the team's). If a
     * task throws, throws once every worker has left the task. Refused once closed.
     */
    void run() {
        if (stopping) {
            // its workers have ended: the task's barriers would wait for them forever
            throw new IllegalStateException("the small-batch team is closed");
        }
        if (barrier.isBroken()) {
            throw new IllegalStateException("the small-batch team failed in an earlier call", failure.get());
        }
        long begun = System.nanoTime();
        long previousEnd = lastEndNanos;
        boolean alone = false;
        boolean woken = false;
        callAlone = false;
        if (workers.length > 0) {
            long gen = generation + 1; // single writer: the calling thread
            generation = gen;
            // After the write of the generation: a worker marks itself parked before it looks at the generation a
            // last time, so either it sees this call or this sees it parked (all volatile: sequentially consistent).
            if (workersParked()) {
                long longest = 0;
                for (int i = 0; i < workers.length; i++) {
                    longest = Math.max(longest, begun - parkedSince.get(i * STRIDE));
                }
                woken = wakes.wakes(longest);
                alone = !woken && claim(gen, ALONE); // the claim fails if a worker saw the call and joined first
                callAlone = alone;
            }
            if (!alone) {
                for (Thread w : workers) {
                    LockSupport.unpark(w);
                }
            }
        }
        try {
            task.run(0);
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e); // before the break: a worker's exception caused by it comes after
            barrier.breakBarrier();
            if (!alone) {
                awaitWorkersLeft(); // a call alone has none in it: they cannot claim it
            }
            Throwable f = failure.get();
            if (f != e) {
                e.addSuppressed(f);
            }
            throw e;
        } finally {
            lastEndNanos = System.nanoTime();
            endedGeneration = generation;
        }
        if (woken) {
            long last = Long.MIN_VALUE;
            for (int i = 0; i < workers.length; i++) {
                last = Math.max(last, joinedNanos.get(i * STRIDE)); // written before the call's final barrier
            }
            wakes.joined(last - begun);
        }
        if (alone && begun - previousEnd < idleSpinNanos) {
            // calls follow one another: have the workers spin for the next one
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
    }

    /**
     * Whether the current call runs on the caller alone (asked by member 0's task). If so, no worker takes part: the
     * task must not wait for or hand anything to the others, its barrier included.
     */
    boolean runsAlone() {
        return callAlone;
    }

    /** Whether every worker is parked between calls (tests: to make a call find them so). */
    boolean workersParked() {
        for (int i = 0; i < workers.length; i++) {
            if (parked.get(i * STRIDE) != 1) {
                return false;
            }
        }
        return true;
    }

    private static final int TEAM = 1;
    private static final int ALONE = 2;

    /** Claims call {@code gen} for {@code who} (TEAM or ALONE) unless it is decided; whether {@code who} has it. */
    private boolean claim(long gen, int who) {
        long undecided = 3 * gen;
        long m;
        while ((m = mode.get()) < undecided) {
            if (mode.compareAndSet(m, undecided + who)) {
                return true;
            }
        }
        return m == undecided + who;
    }

    /**
     * Waits until every worker has left this call's task (after a failure: they leave at their next wait). A worker
     * that has ended is not in it either: a close() on another thread during the call (outside the contract, FastRnn's
     * guard defers it) bumps the generation, and a worker that sees that bump first ends without leaving this call's.
     */
    private void awaitWorkersLeft() {
        long gen = generation;
        boolean interrupted = false;
        for (int i = 0; i < workers.length; i++) {
            while (left.get(i * STRIDE) != gen && workers[i].isAlive()) {
                interrupted |= Parking.parkNanos(this, 50_000);
            }
        }
        Parking.restore(interrupted);
    }

    private void work(int member) {
        int slot = (member - 1) * STRIDE;
        long seen = 0;
        while (true) {
            long gen;
            while ((gen = generation) == seen) {
                if (endedGeneration != seen || System.nanoTime() - lastEndNanos < idleSpinNanos) {
                    Thread.onSpinWait();
                } else {
                    parkedSince.set(slot, System.nanoTime());
                    parked.set(slot, 1); // before the last look at the generation: see run()
                    if (generation == seen) {
                        Parking.park(this); // a worker drops an interrupt (see Parking)
                    }
                    parked.set(slot, 0);
                }
            }
            seen = gen;
            if (stopping) {
                return;
            }
            if (claim(gen, TEAM)) {
                joinedNanos.set(slot, System.nanoTime());
                try {
                    task.run(member);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    barrier.breakBarrier();
                }
            }
            left.set(slot, gen);
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
