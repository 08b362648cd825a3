package dev.recur4j.exec;

import java.util.concurrent.locks.LockSupport;

/** A sleep for the thread tests that lasts its whole time. */
final class FullSleep {
    private FullSleep() {
    }

    /**
     * Parks until {@code nanos} have passed, however often a park returns early: a park permit left by an unpark (a
     * team's {@code run()} unparks a worker that was still spinning idle, and {@link Parking#restore} leaves one)
     * ends one park at once, which would make a test's "long part of the work" last no time at all.
     */
    static void nanos(long nanos) {
        long end = System.nanoTime() + nanos;
        for (long left; (left = end - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }
}
