package dev.recur4j.perf;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * The JIT's accumulated compilation time in milliseconds ({@link CompilationMXBean#getTotalCompilationTime}),
 * which {@link BenchRunner} watches to end its warm-up only once the JIT has gone quiet; a constant 0 where the
 * JVM does not report it (the warm-up then falls back to its time and call minimums).
 */
final class JitClock {
    private JitClock() {
    }

    static LongSupplier compiledMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return () -> 0L;
        }
        return jit::getTotalCompilationTime;
    }
}
