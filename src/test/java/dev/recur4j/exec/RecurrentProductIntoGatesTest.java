package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The recurrent product of a layer without {@link InputFusion} added straight into the step's gate rows (beta = 1)
 * instead of through the rec block ({@link ForwardPass#recurrentProductViaRec}): RNNs, LSTM training and peephole
 * LSTMs take that path once chunk 0's rows of rec outgrow the L2 budget, which the small random configurations of
 * {@link FastVsReferenceTest} never reach. Each case asserts that it does take the path, then compares every impl
 * and GEMM with the reference: variable lengths, h0 (and c0), 1 and 2 threads, inference and training, and hidden
 * sizes that are not multiples of the lane count.
 *
 * <p>Tolerance: {@link FastVsReferenceTest}'s, as {@link InputFusionTest} argues it for dot products of up to 1412
 * terms; the longest here has 1105 (RNN, I = 5, H = 1100).
 */
class RecurrentProductIntoGatesTest {
    private static final int STEPS = 4;

    @Test
    void smallLayersGoThroughTheRecBlock() {
        // the control: the same cells at the random configurations' sizes take the other path
        for (RnnSpec spec : new RnnSpec[] {lstm(16).peepholes(true).build(), RnnSpec.builder(CellKind.RNN_TANH, 5, 33)
                .build()}) {
            assertTrue(ForwardPass.recurrentProductViaRec(spec, true, 17), spec.toString());
        }
    }

    @Test
    void lstmsMatchTheReference() {
        List<String> failures = new ArrayList<>();
        Random rnd = new Random(20261202L);
        check(lstm(260).peepholes(true).build(), true, 1, 64, rnd, failures);
        check(lstm(260).peepholes(true).build(), false, 2, 130, rnd, failures);
        check(lstm(260).build(), true, 2, 130, rnd, failures); // no InputFusion here (limit 0)
        check(lstm(260).projSize(7).build(), true, 1, 64, rnd, failures);
        assertEquals(List.of(), failures);
    }

    @Test
    void rnnsMatchTheReference() {
        List<String> failures = new ArrayList<>();
        Random rnd = new Random(20261203L);
        check(RnnSpec.builder(CellKind.RNN_TANH, 5, 1100).build(), false, 1, 64, rnd, failures);
        check(RnnSpec.builder(CellKind.RNN_RELU, 5, 1030).build(), true, 2, 130, rnd, failures);
        assertEquals(List.of(), failures);
    }

    private static RnnSpec.Builder lstm(int hidden) {
        return RnnSpec.builder(CellKind.LSTM, 5, hidden);
    }

    /**
     * Every engine on {@code spec} with {@code batch} rows split over {@code threads} (chunk 0 then has batch /
     * threads rows, which must take the gate-row path), InputFusion off.
     */
    private static void check(RnnSpec spec, boolean training, int threads, int batch, Random rnd,
                              List<String> failures) {
        assertEquals(0, batch % threads, "equal chunks");
        assertFalse(ForwardPass.recurrentProductViaRec(spec, training, batch / threads),
                spec + ": must add the recurrent product into the gate rows");
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            lengths[b] = 1 + rnd.nextInt(STEPS);
        }
        lengths[0] = STEPS;
        int out = spec.outputSize();
        RnnBatch in = new RnnBatch(batch, STEPS, RandomConfig.uniform(rnd, batch * STEPS * spec.inputSize()), lengths,
                RandomConfig.uniform(rnd, batch * out),
                spec.hasCellState() ? RandomConfig.uniform(rnd, batch * spec.hiddenSize()) : null);
        RnnGradOutput gradOut = new RnnGradOutput(RandomConfig.uniform(rnd, batch * STEPS * out),
                RandomConfig.uniform(rnd, batch * out), null);
        RandomConfig cfg = new RandomConfig(spec, rnd.nextLong(), in, gradOut, training, threads);
        for (String f : FastVsReferenceTest.compareEveryEngine(cfg, 0)) {
            failures.add((training ? "training " : "inference ") + f);
        }
    }
}
