package dev.recur4j.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A padded batch with lengths [T, 1, k] gives, for each sequence, exactly what running that
 * sequence alone (seqLen = its length) gives, in both directions and every layer: outputs, h_n,
 * c_n, and the input / h0 / c0 gradients; outputs and input gradients are zero past the length;
 * the parameter gradients are the sum of the per-sequence ones. The padded inputs and the
 * gradOutput entries at padded steps are filled with large values, so reading them would show.
 */
class VariableLengthTest {
    private static final int T = 5;
    private static final int[] LENGTHS = {T, 1, 3};

    static Stream<Named<RnnSpec>> specs() {
        return Stream.of(
                Named.of("rnn_tanh", RnnSpec.builder(CellKind.RNN_TANH, 2, 3).numLayers(2).bidirectional(true).build()),
                Named.of("lstm peepholes + projection", RnnSpec.builder(CellKind.LSTM, 2, 3).projSize(2)
                        .peepholes(true).numLayers(2).bidirectional(true).build()),
                Named.of("gru reset-before-linear", RnnSpec.builder(CellKind.GRU, 2, 3).linearBeforeReset(false)
                        .numLayers(2).bidirectional(true).build()),
                Named.of("gru linear-before-reset", RnnSpec.builder(CellKind.GRU, 2, 3)
                        .numLayers(2).bidirectional(true).build()));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void eachSequenceMatchesRunningItAlone(RnnSpec spec) {
        Random rnd = new Random(3);
        int batch = LENGTHS.length;
        int in = spec.inputSize();
        int hout = spec.outputSize();
        int hidden = spec.hiddenSize();
        int outWidth = spec.directions() * hout;
        int slots = spec.slots();
        ReferenceModel model = new ReferenceModel(DoubleWeights.random(spec, 0.7, 11));

        double[] x = RefTestData.uniform(rnd, batch * T * in, 1.0);
        double[] gradOutput = RefTestData.uniform(rnd, batch * T * outWidth, 1.0);
        for (int b = 0; b < batch; b++) {
            for (int t = LENGTHS[b]; t < T; t++) {
                Arrays.fill(x, (b * T + t) * in, (b * T + t + 1) * in, 1e3);
                Arrays.fill(gradOutput, (b * T + t) * outWidth, (b * T + t + 1) * outWidth, 1e3);
            }
        }
        double[] h0 = RefTestData.uniform(rnd, slots * batch * hout, 0.5);
        double[] c0 = spec.hasCellState() ? RefTestData.uniform(rnd, slots * batch * hidden, 0.5) : null;
        double[] gradHn = RefTestData.uniform(rnd, slots * batch * hout, 1.0);
        double[] gradCn = spec.hasCellState() ? RefTestData.uniform(rnd, slots * batch * hidden, 1.0) : null;

        ReferenceModel.Backprop all = model.forwardBackward(new DoubleBatch(batch, T, x, LENGTHS, h0, c0),
                new DoubleGradOutput(gradOutput, gradHn, gradCn));

        DoubleWeights paramGradSum = DoubleWeights.zeros(spec);
        for (int b = 0; b < batch; b++) {
            int len = LENGTHS[b];
            ReferenceModel.Backprop one = model.forwardBackward(
                    new DoubleBatch(1, len, Arrays.copyOfRange(x, b * T * in, (b * T + len) * in), null,
                            stateRows(h0, b, batch, slots), stateRows(c0, b, batch, slots)),
                    new DoubleGradOutput(Arrays.copyOfRange(gradOutput, b * T * outWidth, (b * T + len) * outWidth),
                            stateRows(gradHn, b, batch, slots), stateRows(gradCn, b, batch, slots)));
            String seq = "sequence " + b + " (length " + len + ")";
            // Same arithmetic in the same order per sequence, so the forward results are bitwise equal.
            assertArrayEquals(padded(one.result().output(), outWidth), sequence(all.result().output(), b, outWidth),
                    seq + ": output");
            assertArrayEquals(one.result().hN(), stateRows(all.result().hN(), b, batch, slots), seq + ": h_n");
            if (spec.hasCellState()) {
                assertArrayEquals(one.result().cN(), stateRows(all.result().cN(), b, batch, slots), seq + ": c_n");
            }
            // Per-sequence gradients flow only within the sequence, so they are bitwise equal too.
            assertArrayEquals(padded(one.gradients().gradInput(), in), sequence(all.gradients().gradInput(), b, in),
                    seq + ": grad_input");
            assertArrayEquals(one.gradients().gradH0(), stateRows(all.gradients().gradH0(), b, batch, slots),
                    seq + ": grad_h0");
            if (spec.hasCellState()) {
                assertArrayEquals(one.gradients().gradC0(), stateRows(all.gradients().gradC0(), b, batch, slots),
                        seq + ": grad_c0");
            }
            Map<String, double[]> sum = paramGradSum.named();
            one.gradients().params().named().forEach((name, g) -> NaiveOps.addInto(sum.get(name), g));
        }
        // The batch accumulates parameter gradients interleaved across sequences, the sum here sequence by
        // sequence: the same terms in another order, so equal to ~1e-15 relative; 1e-12 absolute is ample
        // for gradients of magnitude <= ~10.
        Map<String, double[]> sum = paramGradSum.named();
        all.gradients().params().named().forEach((name, g) ->
                RefTestData.assertClose(name, sum.get(name), g, 1e-12, 1e-12));
        assertEquals(sum.keySet(), all.gradients().params().named().keySet());
    }

    /** Rows b of a [L*D, B, n] tensor as a [L*D, 1, n] tensor; null stays null. */
    private static double[] stateRows(double[] a, int b, int batch, int slots) {
        if (a == null) {
            return null;
        }
        int n = a.length / (slots * batch);
        double[] r = new double[slots * n];
        for (int s = 0; s < slots; s++) {
            System.arraycopy(a, (s * batch + b) * n, r, s * n, n);
        }
        return r;
    }

    /** Sequence b of a [B, T, width] tensor, [T, width]. */
    private static double[] sequence(double[] a, int b, int width) {
        return Arrays.copyOfRange(a, b * T * width, (b + 1) * T * width);
    }

    /** A [len, width] tensor padded with zeros to [T, width]. */
    private static double[] padded(double[] a, int width) {
        return Arrays.copyOf(a, T * width);
    }
}
