package dev.recur4j.exec;

import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnSpec;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.util.List;
import java.util.Random;

/**
 * What the forward and training allocation probes share: the cases they print and the input batch (8
 * sequences of up to 5 steps, variable lengths: more rows than {@link SmallBatchForward#MAX_BATCH}, so
 * inference runs the GEMM path too). The cases: the SIMD kernels on every GEMM back end, 1 and 2 threads,
 * each spec; then, when asked, the scalar kernels on the java GEMM, 1 and 2 threads (the back ends are the
 * same code under either kernel set, and the SIMD cases cover them). The SIMD cases run first, so the
 * scalar kernels' calls cannot shape the profiles C2 compiles the vector kernels from.
 */
final class AllocationProbeCases {
    static final int BATCH = 8;
    static final int SEQ_LEN = 5;

    /** Bytes one case allocates, as the probe measures them. */
    interface Probe {
        long bytes(RnnSpec spec, Impl impl, GemmKind gemm, int threads);
    }

    private AllocationProbeCases() {
    }

    /**
     * The kernel sets a probe's {@code args[1]} names: {@code simd} or {@code simd,scalar} (the default). The
     * tests that force C2 to inline the vector kernels ask for {@code simd} alone, since the scalar kernels
     * are not among those the flags touch.
     */
    static List<Impl> impls(String[] args) {
        String names = args.length > 1 ? args[1] : "simd,scalar";
        return switch (names) {
            case "simd" -> List.of(Impl.SIMD);
            case "simd,scalar" -> List.of(Impl.SIMD, Impl.SCALAR);
            default -> throw new IllegalArgumentException("impls: " + names);
        };
    }

    /** Prints {@code <case> <bytes>} per case, or {@code <case> skipped} for a back end that does not load. */
    static void printEach(RnnSpec[] specs, List<Impl> impls, Probe probe) {
        for (Impl impl : impls) {
            List<GemmKind> gemms = impl == Impl.SIMD ? List.of(GemmKind.values()) : List.of(GemmKind.JAVA);
            for (GemmKind g : gemms) {
                for (int threads = 1; threads <= 2; threads++) {
                    for (RnnSpec spec : specs) {
                        String name = (spec.cell() + "/" + spec + "/" + impl + "/" + g + "/threads=" + threads)
                                .replace(' ', '_');
                        System.out.println(name + " " + (Gemms.available(g)
                                ? Long.toString(probe.bytes(spec, impl, g, threads)) : "skipped"));
                    }
                }
            }
        }
    }

    /** The probes' input: random values from {@code rnd}, lengths 5, 3, 5, 1, 4, 5, 2, 5. */
    static RnnBatch batch(Random rnd, RnnSpec spec) {
        return new RnnBatch(BATCH, SEQ_LEN, RandomConfig.uniform(rnd, BATCH * SEQ_LEN * spec.inputSize()),
                new int[] {5, 3, 5, 1, 4, 5, 2, 5}, null, null);
    }
}
