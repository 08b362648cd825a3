package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.JavaGemm;
import dev.recur4j.mem.WorkspacePlan;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Workspace reuse across calls and shapes, threads, and use after close. */
class FastRnnLifecycleTest {
    private static final RnnSpec SPEC = RnnSpec.builder(CellKind.LSTM, 5, 17).numLayers(2).bidirectional(true).build();

    private static RnnBatch batch(int b, int t, long seed) {
        Random rnd = new Random(seed);
        return RnnBatch.of(b, t, RandomConfig.uniform(rnd, b * t * 5));
    }

    /**
     * Batches above {@link SmallBatchForward#MAX_BATCH}, so the calls take the GEMM path and its workspace (a
     * batch of 6 or fewer rows takes the small-batch path, which has buffers of its own, tested in
     * SmallBatchForwardTest).
     */
    @Test
    void reusedWorkspaceGivesTheSameResultsAsAFreshEngine() {
        RnnWeights w = RnnWeights.random(SPEC, 7);
        int small = SmallBatchForward.MAX_BATCH + 1;
        int large = SmallBatchForward.MAX_BATCH + 3;
        RnnBatch smallBatch = batch(small, 3, 1);
        RnnBatch largeBatch = batch(large, 9, 2);
        RnnResult fresh = RnnResult.allocate(SPEC, small, 3);
        try (FastRnn e = new FastRnn(w, Impl.SIMD, new JavaGemm(), 1)) {
            e.forward(smallBatch, fresh);
        }
        try (FastRnn e = new FastRnn(w, Impl.SIMD, new JavaGemm(), 1)) {
            RnnResult first = RnnResult.allocate(SPEC, small, 3);
            e.forward(smallBatch, first);
            WorkspacePlan smallPlan = e.lastPlan();
            assertNotNull(smallPlan, "the GEMM path planned a workspace");
            e.forward(largeBatch, RnnResult.allocate(SPEC, large, 9)); // grows the workspace, leaves stale data in it
            assertTrue(e.lastPlan().totalElements() > smallPlan.totalElements(), "the larger call grew the workspace");
            RnnResult again = RnnResult.allocate(SPEC, small, 3);
            e.forward(smallBatch, again);
            assertArrayEquals(fresh.output(), first.output());
            assertArrayEquals(fresh.output(), again.output());
            assertArrayEquals(fresh.hN(), again.hN());
            assertArrayEquals(fresh.cN(), again.cN());
        }
    }

    @Test
    void callsAfterCloseThrow() {
        FastRnn e = new FastRnn(RnnWeights.random(SPEC, 7), Impl.SCALAR, new JavaGemm(), 1);
        e.forward(batch(1, 2, 3), RnnResult.allocate(SPEC, 1, 2));
        e.close();
        e.close(); // idempotent
        // the engine's own check, not a failure deeper down on its freed memory
        IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> e.forward(batch(1, 2, 3), RnnResult.allocate(SPEC, 1, 2)));
        assertEquals("this FastRnn engine is closed", ex.getMessage());
        ex = assertThrows(IllegalStateException.class,
                () -> e.forward(batch(8, 2, 3), RnnResult.allocate(SPEC, 8, 2)));
        assertEquals("this FastRnn engine is closed", ex.getMessage());
    }

    private static long rowThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("recur4j-rows") && t.isAlive()).count();
    }

    @Test
    void threadsAreCreatedOnlyWhenAskedAndStoppedByClose() {
        long before = rowThreads();
        try (FastRnn one = new FastRnn(RnnWeights.random(SPEC, 7), Impl.SCALAR, new JavaGemm(), 1)) {
            one.forward(batch(3, 2, 3), RnnResult.allocate(SPEC, 3, 2));
            assertEquals(before, rowThreads(), "threads=1 must not create threads");
        }
        FastRnn three = new FastRnn(RnnWeights.random(SPEC, 7), Impl.SCALAR, new JavaGemm(), 3);
        three.forward(batch(3, 2, 3), RnnResult.allocate(SPEC, 3, 2));
        assertEquals(before + 2, rowThreads(), "threads=3: two workers plus the caller");
        three.close();
        assertEquals(before, rowThreads(), "close() stops the workers");
    }

    @Test
    void rejectsTheReferenceImpl() {
        assertThrows(IllegalArgumentException.class,
                () -> new FastRnn(RnnWeights.random(SPEC, 7), Impl.REFERENCE, new JavaGemm(), 1));
    }
}
