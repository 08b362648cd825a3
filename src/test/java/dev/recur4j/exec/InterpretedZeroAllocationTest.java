package dev.recur4j.exec;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code Kernels.zero} allocates nothing even when interpreted. It runs only a few times per call
 * (state init, bias column sums), too rarely for C2 to compile it whole within a benchmark's few
 * dozen calls, so it must not rely on C2 removing allocations: a Vector API version, run
 * interpreted or in C1 code, allocated every vector (the bench read 120-768 bytes per call on
 * W3/W6/W7). The probe runs in a fresh JVM with {@code -Xint} ({@link InterpretedZeroProbe}).
 */
class InterpretedZeroAllocationTest {

    @Test
    void zeroAllocatesNothingInTheInterpreter() throws Exception {
        ProbeJvm.assertNoAllocation(InterpretedZeroProbe.class, "-", "-", "interpreted zero", List.of("-Xint"));
    }
}
