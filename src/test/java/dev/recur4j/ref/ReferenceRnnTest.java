package dev.recur4j.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The float adapter: it must give exactly the double model's results rounded to float (the float
 * inputs widen to double exactly, so both see the same numbers), overwrite rather than accumulate
 * gradients, and validate shapes.
 */
class ReferenceRnnTest {
    private static final RnnSpec SPEC = RnnSpec.builder(CellKind.LSTM, 3, 4).projSize(2).peepholes(true)
            .numLayers(2).bidirectional(true).build();
    private static final int B = 2;
    private static final int T = 3;

    private static float[] randomFloats(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return a;
    }

    private static float[] narrow(double[] a) {
        float[] f = new float[a.length];
        Precision.narrowInto(a, f);
        return f;
    }

    @Test
    void forwardBackwardIsTheDoubleModelRoundedToFloat() {
        Random rnd = new Random(5);
        RnnWeights w = RnnWeights.random(SPEC, 1);
        RnnBatch in = new RnnBatch(B, T, randomFloats(rnd, B * T * 3), new int[] {3, 2},
                randomFloats(rnd, SPEC.slots() * B * 2), null);
        RnnGradOutput g = new RnnGradOutput(randomFloats(rnd, B * T * 4), null, randomFloats(rnd, SPEC.slots() * B * 4));
        ReferenceModel.Backprop expected = new ReferenceModel(DoubleWeights.of(w))
                .forwardBackward(DoubleBatch.of(in), DoubleGradOutput.of(g));

        RnnResult out = RnnResult.allocate(SPEC, B, T);
        RnnGradients grads = RnnGradients.allocate(SPEC, B, T);
        try (ReferenceRnn rnn = new ReferenceRnn(w)) {
            assertEquals(Impl.REFERENCE, rnn.impl());
            // Run twice with garbage in between: the second call must overwrite, not add to, the first.
            rnn.forwardBackward(in, g, out, grads);
            Arrays.fill(grads.gradInput(), Float.NaN);
            Arrays.fill(grads.params().layer(1, 1).wPeep(), 7f);
            rnn.forwardBackward(in, g, out, grads);
        }

        assertArrayEquals(narrow(expected.result().output()), out.output());
        assertArrayEquals(narrow(expected.result().hN()), out.hN());
        assertArrayEquals(narrow(expected.result().cN()), out.cN());
        assertArrayEquals(narrow(expected.gradients().gradInput()), grads.gradInput());
        assertArrayEquals(narrow(expected.gradients().gradH0()), grads.gradH0());
        assertArrayEquals(narrow(expected.gradients().gradC0()), grads.gradC0());
        for (int l = 0; l < SPEC.numLayers(); l++) {
            for (int d = 0; d < SPEC.directions(); d++) {
                DoubleLayerParams e = expected.gradients().params().layer(l, d);
                LayerParams a = grads.params().layer(l, d);
                String sfx = RnnWeights.suffix(l, d);
                assertArrayEquals(narrow(e.wIh()), a.wIh(), "weight_ih" + sfx);
                assertArrayEquals(narrow(e.wHh()), a.wHh(), "weight_hh" + sfx);
                assertArrayEquals(narrow(e.bIh()), a.bIh(), "bias_ih" + sfx);
                assertArrayEquals(narrow(e.bHh()), a.bHh(), "bias_hh" + sfx);
                assertArrayEquals(narrow(e.wHr()), a.wHr(), "weight_hr" + sfx);
                assertArrayEquals(narrow(e.wPeep()), a.wPeep(), "weight_peephole" + sfx);
            }
        }
    }

    @Test
    void forwardMatchesForwardBackwardOutputs() {
        Random rnd = new Random(6);
        RnnWeights w = RnnWeights.random(SPEC, 2);
        RnnBatch in = RnnBatch.of(B, T, randomFloats(rnd, B * T * 3));
        RnnResult inference = RnnResult.allocate(SPEC, B, T);
        RnnResult training = RnnResult.allocate(SPEC, B, T);
        try (ReferenceRnn rnn = new ReferenceRnn(w)) {
            rnn.forward(in, inference);
            rnn.forwardBackward(in, new RnnGradOutput(new float[B * T * 4], null, null), training,
                    RnnGradients.allocate(SPEC, B, T));
        }
        assertArrayEquals(training.output(), inference.output());
        assertArrayEquals(training.hN(), inference.hN());
        assertArrayEquals(training.cN(), inference.cN());
    }

    @Test
    void rejectsWrongShapesNamingTheTensor() {
        try (ReferenceRnn rnn = new ReferenceRnn(RnnWeights.random(SPEC, 3))) {
            RnnResult out = RnnResult.allocate(SPEC, B, T);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> rnn.forward(RnnBatch.of(B, T, new float[B * T * 3 + 1]), out));
            assertTrue(e.getMessage().startsWith("input"), e.getMessage());

            RnnBatch in = RnnBatch.of(B, T, new float[B * T * 3]);
            RnnGradients small = RnnGradients.allocate(SPEC, B, T - 1);
            e = assertThrows(IllegalArgumentException.class,
                    () -> rnn.forwardBackward(in, new RnnGradOutput(new float[B * T * 4], null, null), out, small));
            assertTrue(e.getMessage().startsWith("grad_input"), e.getMessage());

            e = assertThrows(IllegalArgumentException.class,
                    () -> rnn.forwardBackward(in, new RnnGradOutput(new float[B * T * 3], null, null), out,
                            RnnGradients.allocate(SPEC, B, T)));
            assertTrue(e.getMessage().startsWith("grad_output"), e.getMessage());
        }
    }

    @Test
    void closedEngineThrows() {
        ReferenceRnn rnn = new ReferenceRnn(RnnWeights.random(SPEC, 4));
        rnn.close();
        assertThrows(IllegalStateException.class,
                () -> rnn.forward(RnnBatch.of(B, T, new float[B * T * 3]), RnnResult.allocate(SPEC, B, T)));
    }
}
