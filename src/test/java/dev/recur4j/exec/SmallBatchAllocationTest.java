package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.fail;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Once warm, a small-batch forward call allocates nothing on any thread (the caller and the team's
 * workers), counted with {@code com.sun.management.ThreadMXBean}. Vector API values are only
 * scalar-replaced once C2 has compiled the kernels, which happens in the background at its own
 * pace, so the test runs rounds of calls until one round allocates nothing and fails if none does
 * within the time limit: a round of AllocationRounds.ROUND_CALLS calls with zero bytes shows the steady state allocates nothing.
 */
class SmallBatchAllocationTest {
    private static final long LIMIT_NANOS = 20_000_000_000L;

    @ParameterizedTest
    @EnumSource(value = Impl.class, names = {"SCALAR", "SIMD"})
    void warmCallsAllocateNothing(Impl impl) {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
                "needs com.sun.management.ThreadMXBean");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(),
                "thread allocation counting is not available");
        for (RnnSpec spec : new RnnSpec[] {
                RnnSpec.builder(CellKind.LSTM, 7, 40).peepholes(true).build(),
                RnnSpec.builder(CellKind.LSTM, 7, 40).bidirectional(true).build(),
                RnnSpec.builder(CellKind.GRU, 7, 40).bias(false).build(),
                RnnSpec.builder(CellKind.GRU, 7, 40).linearBeforeReset(false).numLayers(2).build(),
                RnnSpec.builder(CellKind.RNN_RELU, 7, 40).build(),
                RnnSpec.builder(CellKind.RNN_TANH, 7, 100).build(), RnnSpec.builder(CellKind.GRU, 7, 100).build(),
                RnnSpec.builder(CellKind.LSTM, 7, 100).build()}) {
            String failure = allocatesNothingEventually(mx, spec, impl);
            if (failure != null) {
                fail(spec + ": " + failure);
            }
        }
    }

    /** Null once a round of calls allocates nothing, else what the rounds allocated. */
    private static String allocatesNothingEventually(com.sun.management.ThreadMXBean mx, RnnSpec spec, Impl impl) {
        RnnWeights w = RnnWeights.random(spec, 5);
        Random rnd = new Random(9);
        RnnBatch batch = new RnnBatch(2, 12, RandomConfig.uniform(rnd, 2 * 12 * 7), new int[] {12, 5}, null, null);
        RnnResult out = RnnResult.allocate(spec, 2, 12);
        try (FastRnn fast = new FastRnn(w, impl, Gemms.get(GemmKind.JAVA), 2)) {
            fast.forward(batch, out);
            long[] ids = teamThreadIds();
            long start = System.nanoTime();
            List<Long> rounds = new ArrayList<>();
            while (System.nanoTime() - start < LIMIT_NANOS) {
                long before = allocated(mx, ids);
                for (int i = 0; i < AllocationRounds.ROUND_CALLS; i++) { // long: see AllocationRounds
                    fast.forward(batch, out);
                }
                long bytes = allocated(mx, ids) - before;
                if (bytes == 0) {
                    return null;
                }
                rounds.add(bytes);
            }
            return rounds.size() + " rounds of " + AllocationRounds.ROUND_CALLS + " warm calls all allocated; bytes of the first and last: "
                    + rounds.subList(0, Math.min(5, rounds.size())) + " ... " + rounds.get(rounds.size() - 1);
        }
    }

    /** The calling thread and the small-batch workers. */
    private static long[] teamThreadIds() {
        List<Long> ids = new ArrayList<>();
        ids.add(Thread.currentThread().threadId());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("recur4j-gemv-")) {
                ids.add(t.threadId());
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
        long sum = 0;
        for (long id : ids) {
            sum += mx.getThreadAllocatedBytes(id);
        }
        return sum;
    }
}
