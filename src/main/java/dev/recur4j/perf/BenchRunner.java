package dev.recur4j.perf;

import java.util.Arrays;
import java.util.logging.Logger;

/**
 * Times a {@link BenchCall}: a warm-up (at least {@code warmupSeconds} and {@code minWarmupCalls}),
 * then timed runs (at least {@code seconds} and {@code minRuns}), each call's wall time taken with
 * {@link System#nanoTime()}, then {@code allocCalls} separate steady-state calls whose heap allocation
 * is counted, the least of them reported (so neither the timing array's growth nor a one-off
 * allocation by the JIT is counted against the engine; see {@link AllocationCounter#bytesPerCall}).
 */
public final class BenchRunner {
    private static final Logger LOG = Logger.getLogger(BenchRunner.class.getName());

    private final BenchSettings settings;
    private final AllocationCounter allocation;

    /**
     * @param allocationOnAllThreads count allocation on every live thread, for engines that use
     *                               worker threads (see {@link AllocationCounter})
     */
    public BenchRunner(BenchSettings settings, boolean allocationOnAllThreads) {
        this.settings = settings;
        this.allocation = AllocationCounter.create(allocationOnAllThreads);
    }

    public BenchResult run(BenchCall call) {
        int warmupCalls = warmUp(call);
        long[] nanos = new long[Math.max(16, settings.minRuns())];
        int runs = 0;
        long timedNanos = (long) (settings.seconds() * 1e9);
        long start = System.nanoTime();
        while (runs < settings.minRuns() || System.nanoTime() - start < timedNanos) {
            if (runs == nanos.length) {
                nanos = Arrays.copyOf(nanos, runs * 2);
            }
            long t0 = System.nanoTime();
            call.run();
            nanos[runs++] = System.nanoTime() - t0;
        }
        AllocationCount bytes = allocation.bytesPerCall(call::run, settings.allocCalls());
        BenchResult result = BenchResult.of(nanos, runs, warmupCalls, call.flops(), bytes);
        LOG.fine(() -> "recur4j bench: " + result);
        return result;
    }

    private int warmUp(BenchCall call) {
        long warmupNanos = (long) (settings.warmupSeconds() * 1e9);
        long start = System.nanoTime();
        int calls = 0;
        while (calls < settings.minWarmupCalls() || System.nanoTime() - start < warmupNanos) {
            call.run();
            calls++;
        }
        return calls;
    }
}
