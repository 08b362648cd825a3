package dev.recur4j.exec;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * After warm-up, a forward call allocates nothing on the Java heap, on the caller or on the row
 * team's workers (counted with {@code com.sun.management.ThreadMXBean}), for each cell, both GEMM
 * back ends, 1 and 2 threads. The measurement runs in a fresh JVM per cell family ({@link ForwardAllocationProbe}):
 * in this one, other tests have fed heap segments and scalar kernels to the same call sites, and
 * such polluted profiles can keep C2 from intrinsifying vector operations (which then allocate).
 */
class ForwardAllocationTest {

    @ParameterizedTest
    @ValueSource(strings = {"lstm", "lstm-proj", "lstm-peep", "gru", "gru-rbl", "rnn"})
    void forwardAllocatesNothingAfterWarmUp(String cells) throws Exception {
        ProbeJvm.assertNoAllocation(ForwardAllocationProbe.class, cells, "forward");
    }

    /**
     * The same with C2 told to inline the peephole kernel into lstmForwardStep and that into its caller:
     * C2 does so by itself when it compiles a caller before the kernel, and that order varies from run to run.
     * A kernel whose vectors get boxed once it is inlined into a larger method fails here in every run.
     */
    @Test
    void peepholeKernelInlinedIntoItsCallersAllocatesNothing() throws Exception {
        ProbeJvm.assertNoAllocation(ForwardAllocationProbe.class, "lstm-peep", "forward", List.of(
                "-XX:CompileCommand=quiet",
                "-XX:CompileCommand=inline,dev.recur4j.kernel.VectorKernels::lstmPeephole*",
                "-XX:CompileCommand=inline,dev.recur4j.kernel.VectorKernels::lstmForwardStep"));
    }
}
