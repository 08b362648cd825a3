package dev.recur4j.perf;

import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Times a {@link BenchCall}: a warm-up (at least {@code warmupSeconds} and {@code minWarmupCalls}, then
 * on until the JIT has compiled nothing for half of {@code warmupSeconds}, for at most 5 x {@code warmupSeconds}
 * in all), then timed runs (at least {@code seconds} and {@code minRuns}), each call's wall time taken with
 * {@link System#nanoTime()}, back to back or each starting {@code intervalSeconds} after the one before (the caller
 * parked in between; after a call longer than that the next starts at once), then {@code allocCalls} separate
 * steady-state calls whose heap allocation is counted, the least of them reported (so neither the timing array's
 * growth nor a one-off allocation by the JIT is counted against the engine; see
 * {@link AllocationCounter#bytesPerCall}).
 */
public final class BenchRunner {
    private static final Logger LOG = Logger.getLogger(BenchRunner.class.getName());

    private final BenchSettings settings;
    private final AllocationCounter allocation;
    private final LongSupplier jitMillis;
    private final LongSupplier nanoTime;

    /**
     * @param allocationOnAllThreads count allocation on every live thread, for engines that use
     *                               worker threads (see {@link AllocationCounter})
     */
    public BenchRunner(BenchSettings settings, boolean allocationOnAllThreads) {
        this(settings, allocationOnAllThreads, JitClock.compiledMillis());
    }

    /** With {@code jitMillis} in place of the JVM's accumulated compilation time (tests). */
    BenchRunner(BenchSettings settings, boolean allocationOnAllThreads, LongSupplier jitMillis) {
        this(settings, allocationOnAllThreads, jitMillis, System::nanoTime);
    }

    /**
     * With {@code nanoTime} in place of {@link System#nanoTime()} as well (tests: a clock that the fake engine
     * advances, so the warm-up's decisions do not depend on how busy the machine is).
     */
    BenchRunner(BenchSettings settings, boolean allocationOnAllThreads, LongSupplier jitMillis, LongSupplier nanoTime) {
        this.settings = settings;
        this.allocation = AllocationCounter.create(allocationOnAllThreads);
        this.jitMillis = jitMillis;
        this.nanoTime = nanoTime;
    }

    public BenchResult run(BenchCall call) {
        int warmupCalls = warmUp(call);
        long[] nanos = new long[Math.max(16, settings.minRuns())];
        int runs = 0;
        long timedNanos = (long) (settings.seconds() * 1e9);
        long intervalNanos = Math.round(settings.intervalSeconds() * 1e9);
        long start = nanoTime.getAsLong();
        long next = start;
        while (runs < settings.minRuns() || nanoTime.getAsLong() - start < timedNanos) {
            if (runs == nanos.length) {
                nanos = Arrays.copyOf(nanos, runs * 2);
            }
            if (intervalNanos > 0) {
                waitUntil(next);
            }
            long t0 = nanoTime.getAsLong();
            next = t0 + intervalNanos;
            call.run();
            nanos[runs++] = nanoTime.getAsLong() - t0;
        }
        AllocationCount bytes = allocation.bytesPerCall(call::run, settings.allocCalls());
        BenchResult result = BenchResult.of(nanos, runs, warmupCalls, call.flops(), bytes)
                .spacedMs(settings.intervalSeconds() * 1e3);
        LOG.fine(() -> "recur4j bench: " + result);
        return result;
    }

    /**
     * Parks until {@code deadline} on {@link #nanoTime} (at once if it has passed). A test clock that only calls
     * advance never gets there: give such a clock no interval.
     */
    private void waitUntil(long deadline) {
        for (long left = deadline - nanoTime.getAsLong(); left > 0; left = deadline - nanoTime.getAsLong()) {
            LockSupport.parkNanos(left);
        }
    }

    /**
     * Calls until the minimums are met and the JIT has been quiet for half the warm-up time. Timing while C2
     * still compiles the engine's large methods measures the interpreter and C1: with 2 engine threads busy,
     * the compiler threads share the cores with them, and on the 2-vCPU Zen 1 a warm-up of 2 s (2 calls of a
     * 2-layer bidirectional LSTM, W4) left C2 still compiling, so W4 with 2 threads timed calls from 116 to
     * 266 ms and reported a median of 182 where the steady state is 120. The cap keeps a JIT that never
     * settles (or a slow call) from stretching the warm-up beyond 5 x warmupSeconds.
     */
    private int warmUp(BenchCall call) {
        long warmupNanos = (long) (settings.warmupSeconds() * 1e9);
        long quietNanos = warmupNanos / 2;
        long capNanos = 5 * warmupNanos;
        if (warmupNanos == 0 && settings.minWarmupCalls() == 0) {
            return 0;
        }
        long start = nanoTime.getAsLong();
        long jitSeen = jitMillis.getAsLong();
        long lastCompile = start;
        int calls = 0;
        while (true) {
            call.run();
            calls++;
            long now = nanoTime.getAsLong();
            long jit = jitMillis.getAsLong();
            if (jit != jitSeen) {
                jitSeen = jit;
                lastCompile = now;
            }
            boolean minimums = calls >= settings.minWarmupCalls() && now - start >= warmupNanos;
            if (minimums && (now - lastCompile >= quietNanos || now - start >= capNanos)) {
                return calls;
            }
        }
    }
}
