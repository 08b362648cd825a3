package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Once warm, a small-batch forward call allocates nothing on any thread (the caller and the team's
 * workers), counted with {@code com.sun.management.ThreadMXBean} by {@link AllocationRounds}: Vector API
 * values are only scalar-replaced once C2 has compiled the kernels, which happens in the background at its
 * own pace, so rounds of calls go on until one allocates nothing. Unlike the GEMM path's probes this runs in
 * the test JVM: batch 2 is below {@link SmallBatchForward#MAX_BATCH}, which the probes' batch of 8 is not.
 */
class SmallBatchAllocationTest {
    @ParameterizedTest
    @EnumSource(value = Impl.class, names = {"SCALAR", "SIMD"})
    void warmCallsAllocateNothing(Impl impl) {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx
                        && mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(),
                "thread allocation counting is not available");
        for (RnnSpec spec : new RnnSpec[] {
                RnnSpec.builder(CellKind.LSTM, 7, 40).peepholes(true).build(),
                RnnSpec.builder(CellKind.LSTM, 7, 40).bidirectional(true).build(),
                RnnSpec.builder(CellKind.GRU, 7, 40).bias(false).build(),
                RnnSpec.builder(CellKind.GRU, 7, 40).linearBeforeReset(false).numLayers(2).build(),
                RnnSpec.builder(CellKind.RNN_RELU, 7, 40).build(),
                RnnSpec.builder(CellKind.RNN_TANH, 7, 100).build(), RnnSpec.builder(CellKind.GRU, 7, 100).build(),
                RnnSpec.builder(CellKind.LSTM, 7, 100).build()}) {
            assertEquals(0, leastBytesPerRound(spec, impl),
                    spec + ": bytes allocated by the least of the rounds of " + AllocationRounds.ROUND_CALLS
                            + " warm calls");
        }
    }

    private static long leastBytesPerRound(RnnSpec spec, Impl impl) {
        RnnWeights w = RnnWeights.random(spec, 5);
        Random rnd = new Random(9);
        RnnBatch batch = new RnnBatch(2, 12, RandomConfig.uniform(rnd, 2 * 12 * 7), new int[] {12, 5}, null, null);
        RnnResult out = RnnResult.allocate(spec, 2, 12);
        try (FastRnn fast = new FastRnn(w, impl, Gemms.get(GemmKind.JAVA), 2)) {
            return AllocationRounds.leastBytesPerRound(() -> fast.forward(batch, out));
        }
    }
}
