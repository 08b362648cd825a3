package dev.recur4j.exec;

import java.util.concurrent.locks.LockSupport;

/**
 * The parks of the teams' waits, made to park an interrupted thread too. {@link LockSupport#park} returns at once
 * while the thread's interrupt flag is set, so a wait loop around it would spin at full speed for the rest of the
 * wait (a service cancelling a call with {@code Future.cancel(true)} would have its thread burn a core until the
 * partners arrive, taking it from them on a small machine). recur4j's calls are not interruptible: a call runs to
 * its end and the caller's flag is kept. So a park clears the flag and says whether it was set, and the wait sets
 * it again with {@link #restore} once it is over, not after each park: {@link Thread#interrupt} also gives the
 * thread a park permit, so setting the flag between two parks would make the next one return at once again.
 * The teams' own worker threads drop the flag: nothing interrupts them but a stray call, and it means nothing there.
 */
final class Parking {
    private Parking() {
    }

    /** {@link LockSupport#parkNanos(Object, long)}, also when interrupted: whether the flag was set, now cleared. */
    static boolean parkNanos(Object blocker, long nanos) {
        boolean interrupted = Thread.interrupted();
        LockSupport.parkNanos(blocker, nanos);
        return Thread.interrupted() | interrupted;
    }

    /** {@link LockSupport#park(Object)}, also when interrupted: whether the flag was set, now cleared. */
    static boolean park(Object blocker) {
        boolean interrupted = Thread.interrupted();
        LockSupport.park(blocker);
        return Thread.interrupted() | interrupted;
    }

    /** Sets the calling thread's interrupt flag again if a park of the wait that ends here cleared it. */
    static void restore(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
