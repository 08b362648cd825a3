package dev.recur4j.exec;

import java.lang.management.ManagementFactory;
import java.util.stream.Stream;

/**
 * The measurement every allocation test makes (the two probes and {@link SmallBatchAllocationTest}): warm a call
 * up in rounds and return the least bytes {@link #ROUND_CALLS} calls allocated in any round, on the caller and the
 * workers of the row team and of the small-batch team. Only C2-compiled
 * code is allocation-free, so rounds go on until one allocates nothing (or for 20 rounds, then up to 30 s): on
 * a loaded machine C2 may take seconds to (re)compile the step loops, and until then interpreted/C1 code boxes
 * vectors. A round is long so that an engine allocating on only some calls shows: with rounds of 20 calls, a
 * worker allocating a float[64] on every 64th task passed (a review's mutant); with 1000 it reads 4080 bytes.
 */
final class AllocationRounds {
    private AllocationRounds() {
    }

    static final int ROUND_CALLS = 1000;

    static long leastBytesPerRound(Runnable call) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long least = Long.MAX_VALUE;
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (int round = 0; least > 0 && (round < 20 || System.nanoTime() < deadline); round++) {
            for (int i = 0; i < 500; i++) {
                call.run();
            }
            long[] ids = teamThreadIds();
            long before = allocated(mx, ids);
            for (int i = 0; i < ROUND_CALLS; i++) {
                call.run();
            }
            least = Math.min(least, allocated(mx, ids) - before);
        }
        return least;
    }

    /** The caller and the workers of both teams ({@link RowTeam}, {@link SpinTeam}). */
    private static long[] teamThreadIds() {
        return Stream.concat(Stream.of(Thread.currentThread()), Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> isTeamWorker(t.getName()) && t.isAlive()))
                .mapToLong(Thread::threadId).toArray();
    }

    private static boolean isTeamWorker(String name) {
        return name.startsWith("recur4j-rows-") || name.startsWith("recur4j-gemv-");
    }

    /** Bytes allocated so far by these threads; per-id calls, since the array overload allocates its result. */
    private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
        long s = 0;
        for (long id : ids) {
            s += Math.max(0, mx.getThreadAllocatedBytes(id));
        }
        return s;
    }
}
