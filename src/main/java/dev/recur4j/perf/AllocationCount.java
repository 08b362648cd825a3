package dev.recur4j.perf;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Heap bytes allocated per call over a run of separately measured calls.
 *
 * @param least    the fewest bytes one call allocated: the steady-state figure (one-off JIT
 *                 allocations on the calling thread do not count, see {@link AllocationCounter#bytesPerCall})
 * @param mean     total bytes over the calls divided by the number of calls (floor), which also shows
 *                 an engine that allocates on some calls only
 * @param byThread where the total came from: each thread that allocated during the measured calls, by name, with
 *                 its bytes over all of them (empty when nothing was allocated), so that a mean above 0 can be
 *                 traced to the engine's threads or to another thread of the JVM
 */
public record AllocationCount(long least, long mean, Map<String, Long> byThread) {
    /** Nothing allocated. */
    public static final AllocationCount NONE = new AllocationCount(0, 0, Map.of());

    public AllocationCount {
        byThread = Collections.unmodifiableMap(new TreeMap<>(byThread)); // by name, the same order in every report
    }
}
