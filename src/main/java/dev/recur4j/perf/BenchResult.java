package dev.recur4j.perf;

import java.util.Arrays;

/**
 * The statistics of a benchmark: wall time per call over the timed runs, throughput at the
 * median, and bytes allocated per call.
 *
 * @param runs              timed calls
 * @param warmupCalls       calls made before timing
 * @param medianMs          median wall time of one call (mean of the two middle ones for an even count)
 * @param minMs             fastest call
 * @param maxMs             slowest call
 * @param flopsPerCall      as {@link dev.recur4j.RnnFlops} counts them
 * @param gflops            flopsPerCall / median, in GFLOP/s
 * @param allocBytesPerCall Java heap bytes allocated per call after warm-up: the least over the calls measured
 *                          ({@link AllocationCounter#bytesPerCall}); 0 when the engine allocates nothing
 * @param allocBytesMeanPerCall the mean over the same calls (includes one-off allocations by the JIT)
 */
public record BenchResult(int runs, int warmupCalls, double medianMs, double minMs, double maxMs, double flopsPerCall,
                          double gflops, long allocBytesPerCall, long allocBytesMeanPerCall) {

    /** The statistics of the first {@code runs} entries of {@code nanos} (each one call's wall time). */
    public static BenchResult of(long[] nanos, int runs, int warmupCalls, double flopsPerCall, long allocBytesPerCall) {
        return of(nanos, runs, warmupCalls, flopsPerCall, new AllocationCount(allocBytesPerCall, allocBytesPerCall));
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
        return new BenchResult(runs, warmupCalls, medianMs, sorted[0] / 1e6, sorted[runs - 1] / 1e6, flopsPerCall,
                flopsPerCall / medianNanos, alloc.least(), alloc.mean());
    }
}
