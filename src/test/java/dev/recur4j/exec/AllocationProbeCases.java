package dev.recur4j.exec;

import dev.recur4j.RnnBatch;
import dev.recur4j.RnnSpec;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.util.Random;

/**
 * What the forward and training allocation probes share: the cases they print (every GEMM back end,
 * 1 and 2 threads, each spec) and the input batch (8 sequences of up to 5 steps, variable lengths: more
 * rows than {@link SmallBatchForward#MAX_BATCH}, so inference runs the GEMM path too).
 */
final class AllocationProbeCases {
    static final int BATCH = 8;
    static final int SEQ_LEN = 5;

    /** Bytes one case allocates, as the probe measures them. */
    interface Probe {
        long bytes(RnnSpec spec, GemmKind gemm, int threads);
    }

    private AllocationProbeCases() {
    }

    /** Prints {@code <case> <bytes>} per case, or {@code <case> skipped} for a back end that does not load. */
    static void printEach(RnnSpec[] specs, Probe probe) {
        for (GemmKind g : GemmKind.values()) {
            for (int threads = 1; threads <= 2; threads++) {
                for (RnnSpec spec : specs) {
                    String name = (spec.cell() + "/" + spec + "/" + g + "/threads=" + threads).replace(' ', '_');
                    System.out.println(name + " " + (Gemms.available(g) ? Long.toString(probe.bytes(spec, g, threads))
                            : "skipped"));
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
