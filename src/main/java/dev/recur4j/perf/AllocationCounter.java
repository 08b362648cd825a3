package dev.recur4j.perf;

import java.lang.management.ManagementFactory;

/**
 * Counts the Java heap bytes a batch of calls allocates, through HotSpot's per-thread allocation
 * counters ({@code com.sun.management.ThreadMXBean}). Reading the counters may itself allocate
 * (with all threads: the id and result arrays), so the cost of an empty interval is measured and
 * subtracted; an engine that allocates nothing reads 0.
 *
 * <p>With {@code allThreads} the count is summed over every live thread, for engines that work
 * on other threads too. That sum also sees whatever unrelated threads allocate meanwhile, and
 * misses threads that end during the interval, so it is an estimate; the current-thread count
 * is exact.
 */
public final class AllocationCounter {
    private static final int EMPTY_INTERVALS = 5;

    private final com.sun.management.ThreadMXBean threads;
    private final boolean allThreads;

    private AllocationCounter(com.sun.management.ThreadMXBean threads, boolean allThreads) {
        this.threads = threads;
        this.allThreads = allThreads;
    }

    /** A counter, or an {@link IllegalStateException} if this JVM cannot count allocations per thread. */
    public static AllocationCounter create(boolean allThreads) {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)
                || !mx.isThreadAllocatedMemorySupported()) {
            throw new IllegalStateException("this JVM does not count allocated bytes per thread"
                    + " (com.sun.management.ThreadMXBean)");
        }
        if (!mx.isThreadAllocatedMemoryEnabled()) {
            mx.setThreadAllocatedMemoryEnabled(true);
        }
        return new AllocationCounter(mx, allThreads);
    }

    public boolean allThreads() {
        return allThreads;
    }

    /** Runs {@code call} {@code calls} times and returns the bytes allocated per call (floor, >= 0). */
    public long bytesPerCall(Runnable call, int calls) {
        if (calls < 1) {
            throw new IllegalArgumentException("calls must be >= 1, found " + calls);
        }
        long overhead = Long.MAX_VALUE;
        for (int i = 0; i < EMPTY_INTERVALS; i++) {
            long before = allocatedBytes();
            long after = allocatedBytes();
            overhead = Math.min(overhead, after - before);
        }
        long before = allocatedBytes();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        long after = allocatedBytes();
        return Math.max(0, after - before - overhead) / calls;
    }

    /** The counter now: this thread's bytes, or the sum over all live threads. */
    private long allocatedBytes() {
        if (!allThreads) {
            return threads.getCurrentThreadAllocatedBytes();
        }
        long[] bytes = threads.getThreadAllocatedBytes(threads.getAllThreadIds());
        long sum = 0;
        for (long b : bytes) {
            if (b > 0) { // -1: the thread ended or is not counted
                sum += b;
            }
        }
        return sum;
    }
}
