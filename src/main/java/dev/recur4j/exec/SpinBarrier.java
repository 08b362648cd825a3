package dev.recur4j.exec;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A reusable barrier for a few threads that each own a core: arrivals count up on an atomic, the
 * last one resets the count and publishes the next phase with a volatile write; the others
 * busy-wait on the phase with {@link Thread#onSpinWait()}. No locks: when every member is running,
 * a wait costs one cache-line transfer. Happens-before: everything a thread wrote before
 * {@link #await()} is visible to every thread after it.
 *
 * <p>When the machine is oversubscribed, a partner may be descheduled for a whole time slice; a
 * waiter that spins then only takes the core it needs. So after {@link #SPIN_NANOS} a waiter
 * registers itself in its arrival slot and parks; the last arriver unparks the registered waiters
 * after publishing the phase. Registration (write slot, then read phase) and release (write phase,
 * then read slots) are both volatile, so either the waiter sees the new phase or the releaser sees
 * the waiter; the timed park is only a safety net.
 *
 * <p>The slots are kept apart by the phase's parity. A waiter of phase p that is delayed between its
 * last look at the phase and its registration writes its slot after phase p has ended; with one set
 * of slots that write could overwrite a waiter of phase p + 1 that had the same arrival number and
 * was already parked, which the release of p + 1 would then not wake (a lost wake-up: a stall of one
 * park timeout). Phase p + 2 cannot begin before the delayed waiter arrives for p + 1, so slots of
 * the same parity are never used by two phases at once.
 *
 * <p>If one member fails it calls {@link #breakBarrier()}; every current and future wait then throws,
 * so no thread waits forever on a partner that has left.
 */
final class SpinBarrier {
    /**
     * Spin this long before parking ({@link HiddenExchange} waits alike): longer than the host takes to run a 2-vCPU
     * VM's woken thread in nearly every case (a parked thread unparked: 10-32 µs by the median, p99 0.2-2.6 ms), so
     * that one member's park does not make its partner wait past its own window and park in turn. 50 µs until the
     * twenty-eighth session: W1 (LSTM B=1, T=100, I=64, H=256) with 2 threads called every 5 ms, medians of 600
     * calls, 1.4-9.0 ms a call where the hand-off's fetches spun 50 µs, 1.0-1.1 with 1 ms, 1.0-1.3 with 2 ms; a
     * 2-layer bidirectional LSTM with B=1, whose members meet here after each layer and direction, every 5 ms: p90
     * 5.0-5.7 ms with 1 ms here against 4.9-7.4 with 50 µs (medians 4.2-4.6 against 4.2-5.5). The price: with more
     * busy threads than cores, a waiter holds its core up to 1 ms before it yields it.
     */
    static final long SPIN_NANOS = 1_000_000;
    private static final long PARK_NANOS = 1_000_000;

    private final int parties;
    private final long parkNanos;
    private final AtomicInteger arrived = new AtomicInteger();
    /** [phase parity][arrival - 1]: a parked waiter of the phases of that parity. */
    private final AtomicReferenceArray<Thread> sleepers;
    private volatile int phase;
    private volatile boolean broken;

    SpinBarrier(int parties) {
        this(parties, PARK_NANOS);
    }

    /** With the park timeout given (tests: one long enough that a lost wake-up shows as a hang). */
    SpinBarrier(int parties, long parkNanos) {
        this.parties = parties;
        this.parkNanos = parkNanos;
        this.sleepers = new AtomicReferenceArray<>(2 * Math.max(1, parties - 1));
    }

    private int slot(int p, int arrival) {
        return (p & 1) * Math.max(1, parties - 1) + arrival - 1;
    }

    void await() {
        if (parties == 1) {
            return;
        }
        int p = phase;
        int arrival = arrived.incrementAndGet();
        if (arrival == parties) {
            arrived.set(0);
            phase = p + 1;
            for (int i = 1; i < parties; i++) {
                Thread t = sleepers.get(slot(p, i));
                if (t != null) {
                    LockSupport.unpark(t);
                }
            }
            return;
        }
        int spins = 0;
        long spinUntil = 0;
        while (phase == p) {
            checkNotBroken();
            if ((++spins & 255) != 0) {
                Thread.onSpinWait();
            } else if (spinUntil == 0) {
                spinUntil = System.nanoTime() + SPIN_NANOS;
            } else if (System.nanoTime() > spinUntil) {
                sleep(slot(p, arrival), p);
            }
        }
    }

    private void sleep(int slot, int p) {
        Thread me = Thread.currentThread();
        sleepers.set(slot, me);
        boolean interrupted = false;
        while (phase == p && !broken) {
            interrupted |= Parking.parkNanos(this, parkNanos);
        }
        sleepers.compareAndSet(slot, me, null);
        Parking.restore(interrupted);
    }

    void breakBarrier() {
        broken = true;
        for (int i = 0; i < sleepers.length(); i++) {
            Thread t = sleepers.get(i);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    boolean isBroken() {
        return broken;
    }

    /** Throws if a member has failed: a waiter must stop waiting for a partner that has left. */
    void checkNotBroken() {
        if (broken) {
            throw new IllegalStateException("a thread of the small-batch team failed");
        }
    }
}
