package dev.recur4j.perf;

import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.gemm.OpenBlasGemm;
import dev.recur4j.gemm.Transpose;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SGEMM throughput a GEMM back end reaches on this machine: C[m,n] = A[m,k]·B[k,n] on native
 * memory (beta = 0, so repeating the call is idempotent), one untimed call, then calls until
 * {@code seconds} have passed (at least 3); GFLOP/s = 2·m·n·k / median time. This is the ceiling an
 * RNN layer built on that GEMM can approach. For OpenBLAS the BLAS thread count is
 * {@code threads} during the probe and restored after it; other back ends run on the calling
 * thread (so {@code threads} only labels the result). Results are cached per (back end, shape,
 * threads) for the life of the JVM, so one run measures each once.
 */
public final class SgemmProbe {
    private static final int MIN_CALLS = 3;
    private static final Map<String, Measurement> CACHE = new ConcurrentHashMap<>();

    private SgemmProbe() {
    }

    /**
     * @param backend  the back end's name ({@code openblas} or {@code java})
     * @param core     OpenBLAS's core name and {@code OPENBLAS_CORETYPE}, or "-" for other back ends
     */
    public record Measurement(String backend, String core, int m, int n, int k, int threads, int calls,
                              double gflops) {
        public String shape() {
            return m + "x" + n + "x" + k;
        }
    }

    /** The measurement for this back end, shape and thread count: cached, or taken now (about {@code seconds}). */
    public static Measurement measure(GemmKind kind, int m, int n, int k, int threads, double seconds) {
        String key = kind + ":" + m + "x" + n + "x" + k + ":" + threads;
        return CACHE.computeIfAbsent(key, unused -> run(kind, m, n, k, threads, seconds));
    }

    /** OpenBLAS's core name and OPENBLAS_CORETYPE, e.g. "SkylakeX (OPENBLAS_CORETYPE unset)"; throws if it cannot load. */
    public static String openBlasCore() {
        Gemms.get(GemmKind.OPENBLAS);
        String forced = System.getenv("OPENBLAS_CORETYPE");
        return OpenBlasGemm.corename() + " (OPENBLAS_CORETYPE" + (forced == null ? " unset" : "=" + forced) + ")";
    }

    private static Measurement run(GemmKind kind, int m, int n, int k, int threads, double seconds) {
        Gemm gemm = Gemms.get(kind);
        if (kind != GemmKind.OPENBLAS) {
            return time(gemm, "-", m, n, k, threads, seconds);
        }
        // OpenBLAS's thread count is process-wide: use the probe's, then put the library's back.
        int before = OpenBlasGemm.threads();
        OpenBlasGemm.setThreads(threads);
        try {
            return time(gemm, openBlasCore(), m, n, k, threads, seconds);
        } finally {
            OpenBlasGemm.setThreads(before);
        }
    }

    private static Measurement time(Gemm gemm, String core, int m, int n, int k, int threads, double seconds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = randoms(arena, (long) m * k, 1);
            MemorySegment b = randoms(arena, (long) k * n, 2);
            MemorySegment c = arena.allocate((long) m * n * Float.BYTES, 64);
            sgemm(gemm, m, n, k, a, b, c);
            long[] nanos = new long[16];
            int calls = 0;
            long budget = (long) (seconds * 1e9);
            long start = System.nanoTime();
            while (calls < MIN_CALLS || System.nanoTime() - start < budget) {
                if (calls == nanos.length) {
                    nanos = Arrays.copyOf(nanos, calls * 2);
                }
                long t0 = System.nanoTime();
                sgemm(gemm, m, n, k, a, b, c);
                nanos[calls++] = System.nanoTime() - t0;
            }
            BenchResult stats = BenchResult.of(nanos, calls, 1, 2.0 * m * n * k, 0);
            return new Measurement(gemm.name(), core, m, n, k, threads, calls, stats.gflops());
        }
    }

    private static void sgemm(Gemm gemm, int m, int n, int k, MemorySegment a, MemorySegment b, MemorySegment c) {
        gemm.sgemm(Transpose.NO, Transpose.NO, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
    }

    /** Values in [-1, 1): real data, so no denormal slow paths. */
    private static MemorySegment randoms(Arena arena, long count, long seed) {
        MemorySegment s = arena.allocate(count * Float.BYTES, 64);
        Random rnd = new Random(seed);
        for (long i = 0; i < count; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() * 2 - 1);
        }
        return s;
    }
}
