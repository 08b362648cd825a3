package dev.recur4j.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.Rnn;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.ref.Agreement;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ReferenceCheck} on a fast engine's real results over several cells and layouts: they agree, and one
 * wrong element in a checked row (or in a parameter gradient when the whole batch is checked) makes the tensor
 * that holds it fail.
 */
class ReferenceCheckTest {
    private static final RnnSpec LSTM = RnnSpec.builder(CellKind.LSTM, 5, 7).numLayers(2).bidirectional(true).build();

    /** A call of {@code spec} on B rows, run once by a 2-thread SIMD engine; with lengths, h0 and c0 when asked. */
    private static BenchCall ranCall(RnnWeights w, int batch, int seqLen, BenchMode mode, boolean extras) {
        RnnSpec spec = w.spec();
        Random rnd = new Random(3);
        int ld = spec.directions() * spec.outputSize();
        int[] lengths = null;
        float[] h0 = null;
        float[] c0 = null;
        if (extras) {
            lengths = new int[batch];
            for (int b = 0; b < batch; b++) {
                lengths[b] = 1 + b % seqLen;
            }
            h0 = randoms(rnd, spec.slots() * batch * spec.outputSize());
            c0 = spec.hasCellState() ? randoms(rnd, spec.slots() * batch * spec.hiddenSize()) : null;
        }
        RnnBatch in = new RnnBatch(batch, seqLen, randoms(rnd, batch * seqLen * spec.inputSize()), lengths, h0, c0);
        RnnResult out = RnnResult.allocate(spec, batch, seqLen);
        RnnGradOutput go = new RnnGradOutput(randoms(rnd, batch * seqLen * ld),
                extras ? randoms(rnd, spec.slots() * batch * spec.outputSize()) : null, null);
        RnnGradients grads = RnnGradients.allocate(spec, batch, seqLen);
        try (RnnEngine e = Rnn.create(w, Impl.SIMD, GemmKind.JAVA, 2)) {
            BenchCall call = new BenchCall(e, in, out, go, grads, mode);
            call.run();
            return call;
        }
    }

    private static float[] randoms(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return a;
    }

    private static List<String> names(ReferenceCheck.Result r) {
        return r.tensors().stream().map(Agreement::name).toList();
    }

    private static List<String> failing(ReferenceCheck.Result r) {
        return r.tensors().stream().filter(a -> !a.agrees()).map(Agreement::name).toList();
    }

    @Test
    void theRowsAreBothEndsAndTheMiddle() {
        assertArrayEquals(new int[] {0}, ReferenceCheck.rows(1));
        assertArrayEquals(new int[] {0, 1}, ReferenceCheck.rows(2));
        assertArrayEquals(new int[] {0, 1, 2}, ReferenceCheck.rows(3));
        assertArrayEquals(new int[] {0, 1, 2, 3}, ReferenceCheck.rows(4));
        assertArrayEquals(new int[] {0, 3, 4, 8}, ReferenceCheck.rows(9));
        assertArrayEquals(new int[] {0, 31, 32, 63}, ReferenceCheck.rows(64));
    }

    /** Specs whose results have other layouts: projections (h is P wide), peepholes, a reset-before GRU, ReLU. */
    static Stream<RnnSpec> specs() {
        return Stream.of(LSTM,
                RnnSpec.builder(CellKind.LSTM, 4, 6).numLayers(2).bidirectional(true).projSize(3).build(),
                RnnSpec.builder(CellKind.LSTM, 3, 5).peepholes(true).projSize(2).build(),
                RnnSpec.builder(CellKind.GRU, 6, 5).bidirectional(true).linearBeforeReset(false).build(),
                RnnSpec.builder(CellKind.RNN_RELU, 5, 9).numLayers(3).bias(false).build());
    }

    @ParameterizedTest
    @MethodSource("specs")
    void inferenceAgrees(RnnSpec spec) {
        RnnWeights w = RnnWeights.random(spec, 1);
        ReferenceCheck.Result r = ReferenceCheck.check(w, ranCall(w, 9, 4, BenchMode.INFERENCE, false));
        assertArrayEquals(new int[] {0, 3, 4, 8}, r.rows());
        assertEquals(spec.hasCellState() ? List.of("output", "h_n", "c_n") : List.of("output", "h_n"), names(r));
        assertTrue(r.passed(), r.toString());
        // measured worst ratio over these specs 6.1e-4: 0.1 leaves a margin of about 160, while a wrong row picked
        // or compared (another row's values) would be near or above 1
        assertTrue(r.worstRatio() < 0.1, "fp32 against float64 on these small shapes is far inside the tolerance: " + r);
    }

    @ParameterizedTest
    @MethodSource("specs")
    void trainingWithLengthsAndInitialStatesAgrees(RnnSpec spec) {
        RnnWeights w = RnnWeights.random(spec, 2);
        ReferenceCheck.Result r = ReferenceCheck.check(w, ranCall(w, 7, 5, BenchMode.TRAINING, true));
        assertTrue(names(r).containsAll(List.of("output", "h_n", "grad.input", "grad.h0")), names(r).toString());
        assertTrue(names(r).stream().noneMatch(n -> n.startsWith("grad.weight")),
                "no parameter gradients: they sum over all 7 rows, of which 4 are checked");
        assertTrue(r.passed(), r.toString());
    }

    /** One wrong element in each of several checked rows and tensors fails exactly the tensors that hold them. */
    @Test
    void oneWrongElementFailsTheTensorThatHoldsIt() {
        RnnSpec proj = RnnSpec.builder(CellKind.LSTM, 4, 6).numLayers(2).bidirectional(true).projSize(3).build();
        RnnWeights w = RnnWeights.random(proj, 3);
        BenchCall call = ranCall(w, 9, 4, BenchMode.TRAINING, true);
        float[] out = call.result().output();
        out[out.length - 1] += 0.01f; // the last row's last output
        float[] hN = call.result().hN(); // [4 slots, 9 rows, 3]
        hN[(2 * 9 + 4) * 3 + 2] -= 0.01f; // slot 2, row 4 (the middle), last unit
        float[] gradIn = call.grads().gradInput();
        gradIn[3 * 4 * 4 + 1] -= 0.02f; // row 3
        ReferenceCheck.Result r = ReferenceCheck.check(w, call);
        assertFalse(r.passed());
        assertEquals(List.of("output", "h_n", "grad.input"), failing(r));
        assertEquals(1, r.tensors().get(1).outside(), r.toString());
        assertTrue(r.worstRatio() > 1, r.toString());
    }

    @Test
    void otherRowsAreNotChecked() {
        RnnWeights w = RnnWeights.random(LSTM, 4);
        BenchCall call = ranCall(w, 9, 4, BenchMode.INFERENCE, false);
        int row = call.result().output().length / 9;
        call.result().output()[2 * row] += 1f; // row 2 of 9
        assertTrue(ReferenceCheck.check(w, call).passed(), "only rows 0, 3, 4 and 8 are compared");
    }

    @Test
    void wholeBatchAlsoChecksTheParameterGradients() {
        RnnWeights w = RnnWeights.random(LSTM, 5);
        BenchCall call = ranCall(w, 4, 3, BenchMode.TRAINING, true);
        ReferenceCheck.Result r = ReferenceCheck.check(w, call);
        assertTrue(r.passed(), r.toString());
        assertTrue(names(r).containsAll(List.of("grad.weight_ih_l0", "grad.bias_hh_l1_reverse", "grad.c0")),
                names(r).toString());
        call.grads().params().layer(1, 1).wHh()[0] += 0.05f;
        assertEquals(List.of("grad.weight_hh_l1_reverse"), failing(ReferenceCheck.check(w, call)));
    }

    /** checkEveryRow: a row that check skips fails it, and 9 rows still get their parameter gradients compared. */
    @Test
    void everyRowChecksAllRowsAndTheParameterGradients() {
        RnnWeights w = RnnWeights.random(LSTM, 7);
        BenchCall call = ranCall(w, 9, 4, BenchMode.TRAINING, true);
        ReferenceCheck.Result r = ReferenceCheck.checkEveryRow(w, call);
        assertTrue(r.passed(), r.toString());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, r.rows());
        assertTrue(names(r).contains("grad.weight_ih_l0"), names(r).toString());
        int row = call.result().output().length / 9;
        call.result().output()[2 * row] += 1f; // row 2 of 9, which check does not compare
        call.grads().params().layer(0, 0).bIh()[1] += 0.05f;
        assertEquals(List.of("output", "grad.bias_ih_l0"), failing(ReferenceCheck.checkEveryRow(w, call)));
    }

    @Test
    void batchOfOneChecksItsOnlyRow() {
        RnnSpec rnn = RnnSpec.builder(CellKind.RNN_TANH, 3, 17).build();
        RnnWeights w = RnnWeights.random(rnn, 6);
        ReferenceCheck.Result r = ReferenceCheck.check(w, ranCall(w, 1, 6, BenchMode.INFERENCE, false));
        assertArrayEquals(new int[] {0}, r.rows());
        assertTrue(r.passed(), r.toString());
    }
}
