package dev.recur4j.exec;

import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Starting and stopping the worker threads of a team ({@link RowTeam}, {@link SpinTeam}): member 0 is the caller,
 * {@code workers[i]} runs member i + 1.
 */
final class TeamThreads {
    private TeamThreads() {
    }

    /**
     * Creates and starts {@code workers[i]}, a daemon platform thread named {@code name + (i + 1)} that runs
     * {@code member.accept(i + 1)}. If the system refuses one (a pid limit), {@code stop} stops those already
     * started before the failure is rethrown: no thread is left behind by a team that was never built.
     */
    static void start(Thread[] workers, String name, IntConsumer member, Runnable stop) {
        try {
            for (int i = 0; i < workers.length; i++) {
                int m = i + 1;
                workers[i] = Thread.ofPlatform().daemon().name(name + m).unstarted(() -> member.accept(m));
                workers[i].start();
            }
        } catch (RuntimeException | Error e) {
            stop.run();
            throw e;
        }
    }

    /**
     * Wakes every worker (which, having seen its team's stop flag, returns) and waits for each; slots never created
     * ({@link #start} failed before them) are skipped. An interrupt does not cut the wait short: the caller frees what
     * the workers used once this returns, so they must have ended (they are idle, so the wait is short); the flag is
     * set again at the end.
     */
    static void wakeAndJoin(Thread[] workers) {
        for (Thread w : workers) {
            LockSupport.unpark(w); // null is a no-op
        }
        boolean interrupted = false;
        for (Thread w : workers) {
            while (w != null && w != Thread.currentThread()) { // a worker closing its own team: it ends after this
                try {
                    w.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // join cleared the flag: the next join waits
                }
            }
        }
        Parking.restore(interrupted);
    }
}
