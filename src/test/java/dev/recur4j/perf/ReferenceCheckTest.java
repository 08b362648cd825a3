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
import org.junit.jupiter.api.Test;

/**
 * {@link ReferenceCheck} on a fast engine's real results: they agree, and a single wrong element in a checked
 * row (the last, or a parameter gradient when the whole batch is checked) makes the tensor that holds it fail.
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
    void inferenceAgreesOnTheFirstAndLastRow() {
        RnnWeights w = RnnWeights.random(LSTM, 1);
        ReferenceCheck.Result r = ReferenceCheck.check(w, ranCall(w, 9, 4, BenchMode.INFERENCE, false));
        assertArrayEquals(new int[] {0, 8}, r.rows());
        assertEquals(List.of("output", "h_n", "c_n"), names(r));
        assertTrue(r.passed(), r.toString());
        assertTrue(r.worstRatio() < 0.1, "fp32 against float64 on this small shape is far inside the tolerance: " + r);
    }

    @Test
    void trainingWithLengthsAndInitialStatesAgrees() {
        RnnSpec gru = RnnSpec.builder(CellKind.GRU, 6, 5).bidirectional(true).build();
        RnnWeights w = RnnWeights.random(gru, 2);
        ReferenceCheck.Result r = ReferenceCheck.check(w, ranCall(w, 7, 5, BenchMode.TRAINING, true));
        assertEquals(List.of("output", "h_n", "grad_input", "grad_h0"), names(r),
                "no parameter gradients: they sum over all 7 rows, of which 2 are checked");
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void oneWrongElementInTheLastRowFails() {
        RnnWeights w = RnnWeights.random(LSTM, 3);
        BenchCall call = ranCall(w, 9, 4, BenchMode.TRAINING, false);
        float[] out = call.result().output();
        out[out.length - 1] += 0.01f; // the last row's last output
        float[] gradIn = call.grads().gradInput();
        gradIn[gradIn.length - 3] -= 0.02f;
        ReferenceCheck.Result r = ReferenceCheck.check(w, call);
        assertFalse(r.passed());
        assertEquals(List.of("output", "grad_input"), failing(r));
        assertTrue(r.tensors().get(0).outside() == 1 && r.worstRatio() > 1, r.toString());
    }

    @Test
    void aRowInBetweenIsNotChecked() {
        RnnWeights w = RnnWeights.random(LSTM, 4);
        BenchCall call = ranCall(w, 9, 4, BenchMode.INFERENCE, false);
        call.result().output()[call.result().output().length / 2] += 1f; // row 4 of 9
        assertTrue(ReferenceCheck.check(w, call).passed(), "only rows 0 and B-1 are compared");
    }

    @Test
    void wholeBatchAlsoChecksTheParameterGradients() {
        RnnWeights w = RnnWeights.random(LSTM, 5);
        BenchCall call = ranCall(w, 2, 3, BenchMode.TRAINING, true);
        ReferenceCheck.Result r = ReferenceCheck.check(w, call);
        assertTrue(r.passed(), r.toString());
        assertTrue(names(r).containsAll(List.of("grad.weight_ih_l0", "grad.bias_hh_l1_reverse", "grad_c0")),
                names(r).toString());
        call.grads().params().layer(1, 1).wHh()[0] += 0.05f;
        assertEquals(List.of("grad.weight_hh_l1_reverse"), failing(ReferenceCheck.check(w, call)));
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
