package dev.recur4j.perf;

import java.util.Arrays;
import java.util.Map;

/**
 * The statistics of a benchmark: wall time per call over the timed runs, throughput at the
 * median, and bytes allocated per call.
 *
 * @param runs              timed calls
 * @param warmupCalls       calls made before timing
 * @param medianMs          median wall time of one call (mean of the two middle ones for an even count)
 * @param p90Ms             90th percentile, nearest rank: the ⌈0.9·runs⌉-th fastest call
 * @param p99Ms             99th percentile, nearest rank: the ⌈0.99·runs⌉-th fastest call (the slowest below 100 runs)
 * @param minMs             fastest call
 * @param maxMs             slowest call
 * @param flopsPerCall      as {@link dev.recur4j.RnnFlops} counts them
 * @param gflops            flopsPerCall / median, in GFLOP/s
 * @param allocBytesPerCall Java heap bytes allocated per call after warm-up: the least over the calls measured
 *                          ({@link AllocationCounter#bytesPerCall}); 0 when the engine allocates nothing
 * @param allocBytesMeanPerCall the mean over the same calls (includes one-off allocations by the JIT)
 * @param allocBytesByThread    the threads that allocated during those calls, by name, with their bytes over all of
 *                              them ({@link AllocationCount#byThread}); empty when nothing was allocated
 * @param intervalMs        how far apart the timed calls started ({@link BenchSettings#intervalSeconds}); 0: back to
 *                          back
 */
public record BenchResult(int runs, int warmupCalls, double medianMs, double p90Ms, double p99Ms, double minMs,
                          double maxMs, double flopsPerCall, double gflops, long allocBytesPerCall,
                          long allocBytesMeanPerCall, Map<String, Long> allocBytesByThread, double intervalMs) {

    /** Of timed calls back to back (the record's form before {@code intervalMs}). */
    public BenchResult(int runs, int warmupCalls, double medianMs, double p90Ms, double p99Ms, double minMs,
                       double maxMs, double flopsPerCall, double gflops, long allocBytesPerCall,
                       long allocBytesMeanPerCall, Map<String, Long> allocBytesByThread) {
        this(runs, warmupCalls, medianMs, p90Ms, p99Ms, minMs, maxMs, flopsPerCall, gflops, allocBytesPerCall,
                allocBytesMeanPerCall, allocBytesByThread, 0);
    }

    /** The statistics of the first {@code runs} entries of {@code nanos} (each one call's wall time). */
    public static BenchResult of(long[] nanos, int runs, int warmupCalls, double flopsPerCall, long allocBytesPerCall) {
        return of(nanos, runs, warmupCalls, flopsPerCall,
                new AllocationCount(allocBytesPerCall, allocBytesPerCall, Map.of()));
    }

    /** As {@link #of(long[], int, int, double, long)}, with the least and the mean bytes per call. */
    public static BenchResult of(long[] nanos, int runs, int warmupCalls, double flopsPerCall, AllocationCount alloc) {
        if (runs < 1 || runs > nanos.length) {
            throw new IllegalArgumentException("runs must be in 1.." + nanos.length + ", found " + runs);
        }
        long[] sorted = Arrays.copyOf(nanos, runs);
        Arrays.sort(sorted);
        double medianNanos = runs % 2 == 1
                ? sorted[runs / 2]
                : (sorted[runs / 2 - 1] + (double) sorted[runs / 2]) / 2;
        double medianMs = medianNanos / 1e6;
        return new BenchResult(runs, warmupCalls, medianMs, nearestRank(sorted, 90) / 1e6,
                nearestRank(sorted, 99) / 1e6, sorted[0] / 1e6, sorted[runs - 1] / 1e6, flopsPerCall,
                flopsPerCall / medianNanos, alloc.least(), alloc.mean(), alloc.byThread(), 0);
    }

    /** The same statistics, of timed calls that started {@code ms} apart. */
    public BenchResult spacedMs(double ms) {
        return new BenchResult(runs, warmupCalls, medianMs, p90Ms, p99Ms, minMs, maxMs, flopsPerCall, gflops,
                allocBytesPerCall, allocBytesMeanPerCall, allocBytesByThread, ms);
    }

    /**
     * The percent-th percentile of ascending {@code sorted} by nearest rank: the smallest value with at least
     * percent % of the values at or below it, an actual call's time (no interpolation), so a tail of slow calls
     * shows as it was: with 10 runs p90 is the 9th fastest and p99 the slowest.
     */
    static long nearestRank(long[] sorted, int percent) {
        int rank = (int) ((sorted.length * (long) percent + 99) / 100); // ceil(n * percent / 100), >= 1
        return sorted[rank - 1];
    }
}
