package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnSpec;
import dev.recur4j.mem.WorkspacePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Which layers move the input projection into the steps ({@link InputFusion}), that their inference
 * plan swaps the gate buffer for a one-step buffer, and that an LSTM and a GRU too large for it (the
 * up-front projection, which random small configs no longer reach) still match the reference.
 * The fused path itself is checked by the random configs of {@link FastVsReferenceTest} and
 * {@link DirectionSplitTest}.
 *
 * <p>Tolerance: {@link FastVsReferenceTest}'s, argued there for dot products of length ≤ 99. The layers too large
 * for fusion here have dot products of up to 1412 terms, whose fp32 rounding grows with the length (≈ 1412 · 6e-8 ≈
 * 1e-4 in the worst case, ≈ √1412 · 6e-8 ≈ 2e-6 typically); measured worst |diff| / tolerance 0.0045, so the
 * contract holds with a margin of about 200 while a wrong index or mask still gives errors of order 1e-2.
 */
class InputFusionTest {
    /** The default limit, spelled out so these tests do not follow -Drecur4j.fusedInputMaxBytes. */
    private static final long LIMIT = 8L << 20;

    @Test
    void appliesToPlainLstmsWhoseCombinedWeightsFit() {
        assertTrue(InputFusion.applies(RnnSpec.builder(CellKind.LSTM, 256, 512).build(), LIMIT), "W2: 6 MB");
        assertTrue(InputFusion.applies(RnnSpec.builder(CellKind.LSTM, 128, 256).numLayers(2).bidirectional(true)
                .build(), LIMIT), "W4: 1.5 and 3 MB");
        assertFalse(InputFusion.applies(RnnSpec.builder(CellKind.LSTM, 1024, 1024).build(), LIMIT), "W5: 32 MB");
        assertFalse(InputFusion.applies(RnnSpec.builder(CellKind.LSTM, 8, 16).peepholes(true).build(), LIMIT));
        assertFalse(InputFusion.applies(RnnSpec.builder(CellKind.LSTM, 8, 16).projSize(4).build(), LIMIT));
        assertTrue(InputFusion.applies(RnnSpec.builder(CellKind.GRU, 256, 512).build(), LIMIT), "W3: 4.5 MB");
        assertFalse(InputFusion.applies(RnnSpec.builder(CellKind.GRU, 8, 16).linearBeforeReset(false).build(), LIMIT));
        assertFalse(InputFusion.applies(RnnSpec.builder(CellKind.GRU, 900, 512).build(), LIMIT), "9 MB");
        assertFalse(InputFusion.applies(RnnSpec.builder(CellKind.RNN_TANH, 8, 16).build(), LIMIT));
    }

    /** Training an LSTM or a GRU with the input projection in the steps keeps each step's [x_t | h] (xh.s*). */
    @ParameterizedTest
    @EnumSource(value = CellKind.class, names = {"LSTM", "GRU"})
    void fusedTrainingKeepsEachStepsInputAndStateForBptt(CellKind cell) {
        RnnSpec spec = RnnSpec.builder(cell, 5, 17).numLayers(2).bidirectional(true).build();
        WorkspacePlan plan = WorkspacePlan.of(spec, 3, 4, true, 1, 1, true);
        for (int s = 0; s < spec.slots(); s++) {
            assertEquals(spec.layerInputSize(s / 2) + 17, plan.region("xh.s" + s).ld(), "xh.s" + s);
            assertFalse(plan.has("hprev.s" + s));
        }
        assertEquals(4 * 17, plan.region("rec").ld(), "the step product's row: 4H for an LSTM and a GRU");
        assertFalse(plan.has("xh"));
        assertFalse(plan.has("x"), "layer 0 copies each x_t from the caller's array into xh.s0, xh.s1");
        assertTrue(plan.has("y.l0"), "BPTT reads layer 0's output as layer 1's input");
        assertFalse(plan.has("y.l1"), "the last layer writes the caller's result");
        WorkspacePlan upFront = WorkspacePlan.of(spec, 3, 4, true, 1, 1, false);
        assertTrue(upFront.has("xh") && upFront.has("hprev.s0"));
        assertTrue(upFront.has("x"), "the up-front projection's GEMM reads X from the workspace");
        assertFalse(upFront.has("xh.s0"));
    }

    @Test
    void fusedInferencePlansOneStepInsteadOfTheGateBuffer() {
        WorkspacePlan fused = planAfterOneForward(RnnSpec.builder(CellKind.LSTM, 5, 17).build());
        assertTrue(fused.has("xhstep"));
        assertFalse(fused.has("gates"));
        assertFalse(fused.has("x"), "each step copies x_t from the caller's array, so no copy of the whole input");
        assertFalse(fused.has("y.l0"), "one layer writes the caller's result");
        WorkspacePlan gru = planAfterOneForward(RnnSpec.builder(CellKind.GRU, 5, 17).build());
        assertTrue(gru.has("xhstep"));
        assertFalse(gru.has("gates"));
        assertFalse(gru.has("x"), "as an LSTM's, the GRU's steps copy x_t from the caller's array");
        assertEquals(4 * 17, gru.region("rec").ld(), "[W_i{r,z} x + W_h{r,z} h, W_in x, W_hn h]");
        WorkspacePlan rbl = planAfterOneForward(RnnSpec.builder(CellKind.GRU, 5, 17).linearBeforeReset(false).build());
        assertTrue(rbl.has("gates"));
        assertFalse(rbl.has("xhstep"));
    }

    private static WorkspacePlan planAfterOneForward(RnnSpec spec) {
        return DirectionSplitTest.planAfterOneCall(spec, 1);
    }

    /**
     * Random fusable layers (LSTM, GRU linear-before-reset; 1-3 layers, one or two directions, B above
     * {@link SmallBatchForward#MAX_BATCH} so the small-batch path stays out of inference, variable lengths, h0, c0, threads 1-3; inference and training) with
     * the input projection in the steps and, limit 0, up front: both against the reference, every impl and GEMM.
     */
    @Test
    void stepAndUpFrontProjectionsMatchTheReference() {
        Random rnd = new Random(20261130L);
        int[] batches = {SmallBatchForward.MAX_BATCH + 1, SmallBatchForward.MAX_BATCH + 3, 17};
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < 24 && failures.size() < 5; i++) {
            RnnSpec spec = RnnSpec.builder(i % 2 == 0 ? CellKind.LSTM : CellKind.GRU, 1 + rnd.nextInt(20),
                    1 + rnd.nextInt(33)).numLayers(1 + rnd.nextInt(3)).bidirectional(rnd.nextBoolean())
                    .bias(rnd.nextInt(4) > 0).build();
            RnnBatch batch = RandomConfig.batch(rnd, spec, batches[rnd.nextInt(batches.length)], 1 + rnd.nextInt(9));
            // half of them training: each step's [x_t | h] is then kept for BPTT (xh.s*)
            boolean training = i % 4 >= 2;
            int outputs = batch.batch() * batch.seqLen() * spec.directions() * spec.outputSize();
            float[] gradHn = RandomConfig.uniform(rnd, spec.slots() * batch.batch() * spec.outputSize());
            RandomConfig cfg = new RandomConfig(spec, rnd.nextLong(), batch,
                    new RnnGradOutput(RandomConfig.uniform(rnd, outputs), gradHn, null), training, 1 + rnd.nextInt(3));
            for (long limit : new long[] {LIMIT, 0}) {
                assertEquals(limit > 0, InputFusion.applies(spec, limit));
                for (String f : FastVsReferenceTest.compareEveryEngine(cfg, limit)) {
                    failures.add("limit " + limit + " " + f);
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    /**
     * GRU training whose layer-0 input width (64) is a multiple of the Java GEMM's panel width (2 vectors: 4 to 32
     * columns), so its weight gradients take {@code sgemmTransASplit}'s one-packing path; layer 1 (input 2 x 37 =
     * 74, a multiple of none of them) takes the three products. Variable lengths, both directions, 1 to 3 threads,
     * every engine against the reference.
     */
    @Test
    void gruTrainingWithAPanelAlignedInputMatchesTheReference() {
        Random rnd = new Random(20261202L);
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 64, 37).numLayers(2).bidirectional(true).build();
        List<String> failures = new ArrayList<>();
        for (int threads = 1; threads <= 3; threads++) {
            RnnBatch batch = RandomConfig.batch(rnd, spec, 9, 6);
            int outputs = batch.batch() * batch.seqLen() * spec.directions() * spec.outputSize();
            RandomConfig cfg = new RandomConfig(spec, rnd.nextLong(), batch,
                    new RnnGradOutput(RandomConfig.uniform(rnd, outputs), null, null), true, threads);
            failures.addAll(FastVsReferenceTest.compareEveryEngine(cfg, LIMIT));
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void layersTooLargeToFuseMatchTheReference() {
        // LSTM (600 + 512) * 4 * 512 floats = 9.1 MB, GRU (900 + 512) * 3 * 512 floats = 8.7 MB: above 8 MiB
        List<String> failures = new ArrayList<>();
        checkAgainstReference(RnnSpec.builder(CellKind.LSTM, 600, 512).build(), failures);
        checkAgainstReference(RnnSpec.builder(CellKind.GRU, 900, 512).build(), failures);
        assertEquals(List.of(), failures);
    }

    /**
     * Inference of 8 rows of up to 3 steps (variable lengths, h0, c0) at 1 and 2 threads, every engine: more
     * rows than {@link SmallBatchForward#MAX_BATCH}, so the GEMM path runs, with the input projection up front.
     */
    private static void checkAgainstReference(RnnSpec spec, List<String> failures) {
        assertFalse(InputFusion.applies(spec, LIMIT), spec.toString());
        int in = spec.inputSize();
        int h = spec.hiddenSize();
        Random rnd = new Random(11);
        for (int threads = 1; threads <= 2; threads++) {
            RnnBatch batch = new RnnBatch(8, 3, RandomConfig.uniform(rnd, 8 * 3 * in),
                    new int[] {3, 1, 2, 3, 2, 3, 1, 2}, RandomConfig.uniform(rnd, 8 * h),
                    spec.hasCellState() ? RandomConfig.uniform(rnd, 8 * h) : null);
            RandomConfig cfg = new RandomConfig(spec, rnd.nextLong(), batch,
                    new RnnGradOutput(new float[8 * 3 * h], null, null), false, threads);
            assertTrue(batch.batch() > SmallBatchForward.MAX_BATCH, "the batch must take the GEMM path");
            failures.addAll(FastVsReferenceTest.compareEveryEngine(cfg, LIMIT));
        }
    }
}
