package dev.recur4j.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fallback FMA peak, measured in Java when {@code native/build/limits.json} is missing: each
 * thread runs 12 independent FMA chains on registers only (the native probe's method; 12 chains
 * cover FMA latency x FMA ports, 4 cycles x 2 ports), on the JVM's preferred vector species.
 * FLOPs = iterations x 12 chains x lanes x 2. It reads lower than the native probe when the
 * preferred species is narrower than the widest the CPU has, so results say "measured in Java".
 *
 * <p>Until C2 compiles {@link #chains}, every vector operation is interpreted or boxed and
 * thousands of times slower, and when C2 finishes depends on the machine's load. So the warm-up
 * makes enough small calls to trigger the compilation, then waits (up to 3 s) until a call runs at a
 * rate only compiled code reaches, and the measurement is the best of several short windows, all
 * threads running in each.
 */
final class JavaFmaProbe {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;
    /** Iterations per timed chunk: about 60 µs at 200 GFLOP/s with 16 lanes, so a window ends on time. */
    private static final long CHUNK = 1L << 15;
    /** Warm-up: small calls, enough of them for C2's invocation and back-edge thresholds. */
    private static final long WARM_CHUNK = 16;
    private static final int WARM_CALLS = 5000;
    private static final int WINDOWS = 5;
    /** A rate only C2's code of {@link #chains} reaches (see {@link #untilCompiled}). */
    private static final double COMPILED_GFLOPS = 2.0;
    /** Iterations of one call while waiting for C2: tens of µs compiled, so the wait ends soon after it. */
    private static final long PROBE_CHUNK = 1L << 12;
    /** Longest wait for C2 after the warm-up. */
    private static final long COMPILE_WAIT_NANOS = 3_000_000_000L;

    private JavaFmaProbe() {
    }

    /** Vector bits of the species measured. */
    static int vectorBits() {
        return F.vectorBitSize();
    }

    /**
     * GFLOP/s of {@code threads} threads together, in about {@code seconds}: 30% warm-up (longer while C2 has
     * not compiled the loop, see {@link #untilCompiled}), then the best of {@value #WINDOWS} windows.
     */
    static double gflops(int threads, double seconds) {
        long warmNanos = (long) (seconds * 0.3e9);
        long windowNanos = Math.max(1, (long) (seconds * 0.7e9 / WINDOWS));
        long[] windowStart = new long[1];
        CyclicBarrier barrier = new CyclicBarrier(threads, () -> windowStart[0] = System.nanoTime());
        long[][] iterations = new long[WINDOWS][threads];
        long[][] ends = new long[WINDOWS][threads];
        float[] sinks = new float[threads];
        long[] starts = new long[WINDOWS];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers.add(Thread.ofPlatform().name("recur4j-fma-probe-" + t).start(() -> {
                long warmEnd = System.nanoTime() + warmNanos;
                float sink = 0;
                for (int i = 0; i < WARM_CALLS || System.nanoTime() < warmEnd; i++) {
                    sink += chains(WARM_CHUNK);
                }
                sink += untilCompiled(warmEnd + COMPILE_WAIT_NANOS);
                for (int w = 0; w < WINDOWS; w++) {
                    await(barrier);
                    long begin = windowStart[0];
                    if (id == 0) {
                        starts[w] = begin;
                    }
                    long n = 0;
                    while (System.nanoTime() < begin + windowNanos) {
                        sink += chains(CHUNK);
                        n += CHUNK;
                    }
                    ends[w][id] = System.nanoTime();
                    iterations[w][id] = n;
                }
                sinks[id] = sink;
            }));
        }
        join(workers); // join() orders the workers' writes before our reads
        double best = 0;
        for (int w = 0; w < WINDOWS; w++) {
            long total = 0;
            long lastEnd = starts[w];
            for (int t = 0; t < threads; t++) {
                total += iterations[w][t];
                lastEnd = Math.max(lastEnd, ends[w][t]);
            }
            best = Math.max(best, (double) total * CHAINS * F.length() * 2 / Math.max(1, lastEnd - starts[w]));
        }
        return best;
    }

    /**
     * Keeps calling {@link #chains} until one call runs at {@value #COMPILED_GFLOPS} GFLOP/s or more, or until
     * {@code deadline}. Triggering C2 is not enough: its compile may wait in a queue (a test suite keeps it busy),
     * and a probe that times the interpreted loop reports a peak a hundred times too low. No CPU with a vector
     * unit runs the compiled loop below that rate, and the interpreted or C1 loop does not reach it.
     */
    private static float untilCompiled(long deadline) {
        float sink = 0;
        while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            sink += chains(PROBE_CHUNK);
            double gflops = (double) PROBE_CHUNK * CHAINS * F.length() * 2 / Math.max(1, System.nanoTime() - t0);
            if (gflops >= COMPILED_GFLOPS) {
                break;
            }
        }
        return sink;
    }

    /**
     * {@code iterations} rounds of acc = a*b + acc on 12 independent chains; the reduced sum keeps them live. The
     * accumulator is the addend, as in a GEMM kernel: x86's FMA overwrites one operand, and with acc = acc*a + b
     * C2 copied registers around every FMA (on a Zen 1 that form read 26-29 GFLOP/s of a 46 peak).
     */
    private static float chains(long iterations) {
        FloatVector a = FloatVector.broadcast(F, 0.999999f);
        FloatVector b = FloatVector.broadcast(F, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(F, 0f);
        FloatVector c1 = FloatVector.broadcast(F, 1f);
        FloatVector c2 = FloatVector.broadcast(F, 2f);
        FloatVector c3 = FloatVector.broadcast(F, 3f);
        FloatVector c4 = FloatVector.broadcast(F, 4f);
        FloatVector c5 = FloatVector.broadcast(F, 5f);
        FloatVector c6 = FloatVector.broadcast(F, 6f);
        FloatVector c7 = FloatVector.broadcast(F, 7f);
        FloatVector c8 = FloatVector.broadcast(F, 8f);
        FloatVector c9 = FloatVector.broadcast(F, 9f);
        FloatVector c10 = FloatVector.broadcast(F, 10f);
        FloatVector c11 = FloatVector.broadcast(F, 11f);
        for (long i = 0; i < iterations; i++) {
            c0 = a.fma(b, c0);
            c1 = a.fma(b, c1);
            c2 = a.fma(b, c2);
            c3 = a.fma(b, c3);
            c4 = a.fma(b, c4);
            c5 = a.fma(b, c5);
            c6 = a.fma(b, c6);
            c7 = a.fma(b, c7);
            c8 = a.fma(b, c8);
            c9 = a.fma(b, c9);
            c10 = a.fma(b, c10);
            c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException("FMA probe interrupted", e);
        }
    }

    private static void join(List<Thread> workers) {
        try {
            for (Thread w : workers) {
                w.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("FMA probe interrupted", e);
        }
    }
}
