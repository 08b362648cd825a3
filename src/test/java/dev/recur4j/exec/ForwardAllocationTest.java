package dev.recur4j.exec;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * After warm-up, a forward call allocates nothing on the Java heap, on the caller or on the row
 * team's workers (counted with {@code com.sun.management.ThreadMXBean}), for each cell, the SIMD kernels
 * on both GEMM back ends and the scalar kernels on the java GEMM, 1 and 2 threads. The measurement runs in
 * a fresh JVM per cell family ({@link ForwardAllocationProbe}):
 * in this one, other tests have fed heap segments and scalar kernels to the same call sites, and
 * such polluted profiles can keep C2 from intrinsifying vector operations (which then allocate).
 */
class ForwardAllocationTest {

    @ParameterizedTest
    @ValueSource(strings = {"lstm", "lstm-proj", "lstm-peep", "gru", "gru-rbl", "rnn"})
    void forwardAllocatesNothingAfterWarmUp(String cells) throws Exception {
        ProbeJvm.assertNoAllocation(ForwardAllocationProbe.class, cells, "forward");
    }

    /** The same with every vector kernel inlined into its caller: see {@link ProbeJvm#KERNELS_INLINED}. */
    @ParameterizedTest
    @ValueSource(strings = {"lstm", "lstm-proj", "lstm-peep", "gru", "gru-rbl", "rnn"})
    void kernelsInlinedIntoTheirCallersAllocateNothing(String cells) throws Exception {
        ProbeJvm.assertNoAllocation(ForwardAllocationProbe.class, cells, "simd", "forward", ProbeJvm.KERNELS_INLINED);
    }
}
