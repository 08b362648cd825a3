package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.mem.WorkspacePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The forward pass that runs a bidirectional layer's two directions at once, one per thread
 * ({@link ForwardPass#splitsDirections}), against the reference: every cell and variant, T = 1, variable
 * lengths, through {@link FastVsReferenceTest#compare} (same tolerances, justified there). Only inference
 * with more than SmallBatchForward.MAX_BATCH rows splits directions (fewer rows take the small-batch path,
 * and a training call runs row chunks through every layer, see FastRnn), so the edge shapes assert that their
 * split ran; the 1-row and the training cases of the same configurations check the paths those take instead,
 * with the same 2-thread engines.
 */
class DirectionSplitTest {
    private static final int THREADS = 2;

    @Test
    void twoThreadsGiveEachDirectionItsOwnStepBuffers() {
        RnnSpec bi = RnnSpec.builder(CellKind.LSTM, 5, 17).bidirectional(true).build();
        RnnSpec uni = RnnSpec.builder(CellKind.LSTM, 5, 17).build();
        assertTrue(ForwardPass.splitsDirections(bi, THREADS));
        assertFalse(ForwardPass.splitsDirections(uni, THREADS));
        assertFalse(ForwardPass.splitsDirections(bi, 1));
        assertTrue(planAfterOneCall(bi, THREADS).has("h.d1"));
        assertFalse(planAfterOneCall(bi, 1).has("h.d1"));
        assertFalse(planAfterOneCall(uni, THREADS).has("h.d1"));
    }

    /**
     * The workspace plan of an engine for spec after one forward call of SmallBatchForward.MAX_BATCH + 1 rows
     * x 3 steps: more rows than the small-batch path takes, so the call plans a workspace.
     */
    static WorkspacePlan planAfterOneCall(RnnSpec spec, int threads) {
        int rows = SmallBatchForward.MAX_BATCH + 1;
        try (FastRnn fast = new FastRnn(RnnWeights.random(spec, 1), Impl.SIMD, Gemms.get(GemmKind.JAVA), threads)) {
            RnnBatch in = new RnnBatch(rows, 3, RandomConfig.uniform(new Random(2), rows * 3 * spec.inputSize()), null,
                    null, null);
            fast.forward(in, RnnResult.allocate(spec, rows, 3));
            return fast.lastPlan();
        }
    }

    @Test
    void randomBidirectionalConfigsMatchTheReference() {
        Random rnd = new Random(20260417L);
        List<String> failures = new ArrayList<>();
        int drawn = 0;
        int split = 0; // inference above the small-batch path's rows: the configs that run directions apart
        while (drawn < 120 && failures.size() < 5) {
            RandomConfig c = RandomConfig.draw(rnd);
            if (!c.spec().bidirectional()) {
                continue;
            }
            drawn++;
            if (!c.training() && c.batch().batch() > SmallBatchForward.MAX_BATCH) {
                split++;
            }
            check(new RandomConfig(c.spec(), c.weightSeed(), c.batch(), c.gradOut(), c.training(), THREADS), failures);
        }
        assertEquals(List.of(), failures);
        assertTrue(split >= 20, "only " + split + " of the drawn configs ran the directions apart");
    }

    @Test
    void edgeShapesMatchTheReference() {
        Random rnd = new Random(7);
        List<String> failures = new ArrayList<>();
        for (CellKind cell : CellKind.values()) {
            for (boolean lbr : new boolean[] {true, false}) {
                if (!lbr && cell != CellKind.GRU) {
                    continue;
                }
                RnnSpec.Builder sb = RnnSpec.builder(cell, 17, 33).numLayers(2).bidirectional(true);
                if (cell == CellKind.GRU) {
                    sb.linearBeforeReset(lbr);
                }
                RnnSpec spec = sb.build();
                // {batch, steps}: B = 1 and T = 1 alone and together; with variable lengths, the smallest B that
                // inference runs on the GEMM path (SmallBatchForward.MAX_BATCH + 1), and 17
                int b = SmallBatchForward.MAX_BATCH + 1;
                int[][] shapes = {{1, 1}, {1, 6}, {b, 1}, {b, 6}, {17, 9}};
                assertTrue(planAfterOneCall(spec, THREADS).has("h.d1"), spec + ": inference of " + b
                        + " rows runs the directions apart, each with its own step buffers");
                for (int[] bt : shapes) {
                    for (boolean training : new boolean[] {false, true}) {
                        check(config(rnd, spec, bt[0], bt[1], training), failures);
                    }
                }
            }
        }
        RnnSpec proj = RnnSpec.builder(CellKind.LSTM, 17, 33).projSize(7).peepholes(true).bidirectional(true).build();
        assertTrue(planAfterOneCall(proj, THREADS).has("h.d1"), proj + ": runs the directions apart");
        for (boolean training : new boolean[] {false, true}) {
            check(config(rnd, proj, 17, 9, training), failures);
        }
        assertEquals(List.of(), failures);
    }

    /** Random inputs, h0, c0, gradients; lengths in [1, T] (not all T) when there are several rows. */
    private static RandomConfig config(Random rnd, RnnSpec spec, int b, int t, boolean training) {
        int[] lengths = null;
        if (b > 1) {
            lengths = new int[b];
            for (int i = 0; i < b; i++) {
                lengths[i] = 1 + rnd.nextInt(t);
            }
            lengths[0] = t;
        }
        float[] h0 = RandomConfig.uniform(rnd, spec.slots() * b * spec.outputSize());
        float[] c0 = spec.hasCellState() ? RandomConfig.uniform(rnd, spec.slots() * b * spec.hiddenSize()) : null;
        RnnBatch batch = new RnnBatch(b, t, RandomConfig.uniform(rnd, b * t * spec.inputSize()), lengths, h0, c0);
        float[] gHn = RandomConfig.uniform(rnd, spec.slots() * b * spec.outputSize());
        float[] gCn = spec.hasCellState() ? RandomConfig.uniform(rnd, spec.slots() * b * spec.hiddenSize()) : null;
        RnnGradOutput go = new RnnGradOutput(
                RandomConfig.uniform(rnd, b * t * spec.directions() * spec.outputSize()), gHn, gCn);
        return new RandomConfig(spec, rnd.nextLong(), batch, go, training, THREADS);
    }

    private static void check(RandomConfig cfg, List<String> failures) {
        failures.addAll(FastVsReferenceTest.compareEveryEngine(cfg, InputFusion.MAX_WEIGHT_BYTES));
        if (failures.size() > 5) {
            fail(String.join("\n", failures));
        }
    }
}
