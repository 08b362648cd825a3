package dev.recur4j.exec;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reusable barrier for a few threads that each own a core: arrivals count up on an atomic, the
 * last one resets the count and publishes the next phase with a volatile write; the others
 * busy-wait on the phase with {@link Thread#onSpinWait()}. No locks, no parking: a wait costs one
 * cache-line transfer when every thread is running. When the machine is oversubscribed (a waiter
 * would spin while the thread it waits for is descheduled), a waiter yields its time slice after a
 * bounded number of spins. Happens-before: everything a thread wrote before {@link #await()} is
 * visible to every thread after it.
 *
 * <p>If one member fails it calls {@link #breakBarrier()}; every current and future wait then throws,
 * so no thread spins forever on a partner that has left.
 */
final class SpinBarrier {
    private static final int SPINS_BEFORE_YIELD = 1 << 14;

    private final int parties;
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile int phase;
    private volatile boolean broken;

    SpinBarrier(int parties) {
        this.parties = parties;
    }

    void await() {
        if (parties == 1) {
            return;
        }
        int p = phase;
        if (arrived.incrementAndGet() == parties) {
            arrived.set(0);
            phase = p + 1;
            return;
        }
        int spins = 0;
        while (phase == p) {
            if (broken) {
                throw new IllegalStateException("a thread of the small-batch team failed");
            }
            if (++spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    void breakBarrier() {
        broken = true;
    }

    boolean isBroken() {
        return broken;
    }
}
