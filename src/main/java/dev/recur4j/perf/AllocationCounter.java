package dev.recur4j.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts the Java heap bytes a batch of calls allocates, through HotSpot's per-thread allocation
 * counters ({@code com.sun.management.ThreadMXBean}). Reading the counters may itself allocate
 * (with all threads: the id and result arrays), so the cost of an empty interval is measured and
 * subtracted; an engine that allocates nothing reads 0. Calls are measured one at a time and the
 * least is reported (see {@link #bytesPerCall}).
 *
 * <p>With {@code allThreads} the count is summed over the threads alive when an interval starts,
 * for engines that work on other threads too: each thread's bytes at the end minus its bytes at
 * the start, for the threads alive at both readings. A thread that ends during the interval drops
 * out of it instead of taking all it ever allocated out of the sum (which made a call read 0; a
 * test framework's thread ending at the wrong moment could do that), and a thread started during
 * it is not seen (creating it allocates on the thread that does, which is). The sum also sees
 * whatever unrelated threads allocate meanwhile, so it is an estimate; the current-thread count is
 * exact.
 */
public final class AllocationCounter {
    private static final int EMPTY_INTERVALS = 5;
    private static final Runnable NOTHING = () -> { };

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

    /**
     * Runs {@code call} {@code calls} times, measuring each call on its own, and returns the least
     * bytes one call allocated (>= 0). The least, not the mean: while methods that run only a few
     * times per call are still being compiled, the JIT makes the calling thread allocate now and
     * then on its own account (a method's first C2 compilation resolves the String constants of its
     * class on the thread that triggered it; a method handle invoked often enough is customized into
     * new lambda forms), a few hundred bytes in one call out of many. An engine that allocates on
     * every call shows that amount in every call, so the least is its steady-state figure. The mean
     * is returned too, so that an engine allocating on some calls only is not hidden.
     */
    public AllocationCount bytesPerCall(Runnable call, int calls) {
        if (calls < 1) {
            throw new IllegalArgumentException("calls must be >= 1, found " + calls);
        }
        long overhead = Long.MAX_VALUE;
        for (int i = 0; i < EMPTY_INTERVALS; i++) {
            overhead = Math.min(overhead, bytesDuring(NOTHING, 0, null));
        }
        long least = Long.MAX_VALUE;
        long total = 0;
        Map<Long, Long> byId = new HashMap<>(); // filled between intervals, never inside one
        for (int i = 0; i < calls; i++) {
            long bytes = Math.max(0, bytesDuring(call, overhead, byId));
            least = Math.min(least, bytes);
            total += bytes;
        }
        return new AllocationCount(least, total / calls, names(byId));
    }

    /**
     * The bytes allocated while {@code call} runs, less {@code overhead} (the counter's own, on the calling thread):
     * this thread's, or the sum over the threads alive at its start; each thread's share is added to {@code byId}
     * (null: not wanted) after the interval.
     */
    private long bytesDuring(Runnable call, long overhead, Map<Long, Long> byId) {
        long self = Thread.currentThread().threadId();
        if (!allThreads) {
            long before = threads.getCurrentThreadAllocatedBytes();
            call.run();
            long bytes = threads.getCurrentThreadAllocatedBytes() - before - overhead;
            add(byId, self, bytes);
            return bytes;
        }
        long[] ids = threads.getAllThreadIds();
        long[] before = threads.getThreadAllocatedBytes(ids);
        call.run();
        long[] after = threads.getThreadAllocatedBytes(ids);
        long sum = 0;
        for (int i = 0; i < ids.length; i++) {
            if (before[i] >= 0 && after[i] >= 0) { // -1: not alive (or not counted) at one of the readings
                long bytes = after[i] - before[i] - (ids[i] == self ? overhead : 0);
                sum += bytes;
                add(byId, ids[i], bytes);
            }
        }
        return sum;
    }

    private static void add(Map<Long, Long> byId, long id, long bytes) {
        if (byId != null && bytes > 0) {
            byId.merge(id, bytes, Long::sum);
        }
    }

    /**
     * {@code byId} by thread name ("thread N" for one that has ended since; names shared by several are summed);
     * {@link AllocationCount} sorts them.
     */
    private Map<String, Long> names(Map<Long, Long> byId) {
        Map<String, Long> byName = new HashMap<>();
        for (Map.Entry<Long, Long> e : byId.entrySet()) {
            ThreadInfo info = threads.getThreadInfo(e.getKey());
            String name = info != null ? info.getThreadName() : "thread " + e.getKey();
            byName.merge(name, e.getValue(), Long::sum);
        }
        return byName;
    }
}
