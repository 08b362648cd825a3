package dev.recur4j.perf;

/**
 * Heap bytes allocated per call over a run of separately measured calls.
 *
 * @param least the fewest bytes one call allocated: the steady-state figure (one-off JIT
 *              allocations on the calling thread do not count, see {@link AllocationCounter#bytesPerCall})
 * @param mean  total bytes over the calls divided by the number of calls (floor), which also shows
 *              an engine that allocates on some calls only
 */
public record AllocationCount(long least, long mean) {
    /** Nothing allocated. */
    public static final AllocationCount NONE = new AllocationCount(0, 0);
}
