package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.exec.FastRnn;
import dev.recur4j.exec.RandomConfig;
import dev.recur4j.gemm.GemmKind;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Numbers and sizes at the edges a careless or hostile caller reaches, each computed as the equations say. */
class HostileNumbersTest {

    /** Every cell family and variant, bidirectional and 2 layers, so every copy into BPTT's kept rows is met. */
    private static final List<RnnSpec> SPECS = List.of(
            RnnSpec.builder(CellKind.LSTM, 5, 7).numLayers(2).bidirectional(true).build(),
            RnnSpec.builder(CellKind.LSTM, 5, 7).projSize(3).bidirectional(true).build(),
            RnnSpec.builder(CellKind.LSTM, 5, 7).peepholes(true).build(),
            RnnSpec.builder(CellKind.GRU, 5, 7).numLayers(2).bidirectional(true).build(),
            RnnSpec.builder(CellKind.GRU, 5, 7).linearBeforeReset(false).build(),
            RnnSpec.builder(CellKind.RNN_TANH, 5, 7).bidirectional(true).build(),
            RnnSpec.builder(CellKind.RNN_RELU, 5, 7).numLayers(2).build());

    /**
     * A row's steps past its length are not part of its sequence, so what the caller leaves there must not matter.
     * NaN or ∞ in the input's padding made every weight-gradient element NaN on the fast paths: the kept [X | H_prev]
     * held the padding and the carried state, and the weight gradients multiplied them by dG, 0 there (0 · NaN = NaN).
     * Each engine's results with such padding must equal, to the bit, its results with zeros there.
     */
    @Test
    void whatThePaddingHoldsChangesNoResult() {
        int b = 3;
        int t = 6;
        int[] lengths = {6, 2, 4};
        for (RnnSpec spec : SPECS) {
            RnnWeights w = RnnWeights.random(spec, 1);
            Random r = new Random(2);
            float[] clean = RandomConfig.uniform(r, b * t * spec.inputSize());
            for (int row = 0; row < b; row++) {
                Arrays.fill(clean, (row * t + lengths[row]) * spec.inputSize(), (row + 1) * t * spec.inputSize(), 0f);
            }
            float[] gradOut = RandomConfig.uniform(r, b * t * spec.directions() * spec.outputSize());
            for (float junk : new float[] {Float.NaN, Float.POSITIVE_INFINITY, -3e38f}) {
                float[] dirty = clean.clone();
                for (int row = 0; row < b; row++) {
                    Arrays.fill(dirty, (row * t + lengths[row]) * spec.inputSize(), (row + 1) * t * spec.inputSize(),
                            junk);
                }
                for (Impl impl : Impl.values()) {
                    for (GemmKind gemm : impl == Impl.REFERENCE ? new GemmKind[] {null} : GemmKind.values()) {
                        for (int threads : impl == Impl.REFERENCE ? new int[] {1} : new int[] {1, 2}) {
                            String what = spec + " " + impl + " " + gemm + " threads " + threads + " padding " + junk;
                            try (RnnEngine e = Rnn.create(w, impl, gemm, threads)) {
                                float[][] want = trained(e, spec, b, t, clean, lengths, gradOut);
                                float[][] got = trained(e, spec, b, t, dirty, lengths, gradOut);
                                for (int i = 0; i < want.length; i++) {
                                    assertArrayEquals(want[i], got[i], what + ", result " + i);
                                }
                                for (float v : got[got.length - 1]) {
                                    assertTrue(Float.isFinite(v), what + ": a weight gradient of " + v);
                                }
                                // inference takes other paths (small-batch, per-step operands, directions at once)
                                assertArrayEquals(inferred(e, spec, b, t, clean, lengths),
                                        inferred(e, spec, b, t, dirty, lengths), what + ", inference");
                            }
                        }
                    }
                }
            }
        }
    }

    /** Output then h_n of an inference call. */
    private static float[] inferred(RnnEngine e, RnnSpec spec, int b, int t, float[] x, int[] lengths) {
        RnnResult out = RnnResult.allocate(spec, b, t);
        e.forward(new RnnBatch(b, t, x, lengths, null, null), out);
        return concat(out.output(), out.hN());
    }

    /** Output, h_n, the input gradient, then every parameter gradient of layer 0's first direction (last). */
    private static float[][] trained(RnnEngine e, RnnSpec spec, int b, int t, float[] x, int[] lengths,
                                     float[] gradOut) {
        RnnResult out = RnnResult.allocate(spec, b, t);
        RnnGradients g = RnnGradients.allocate(spec, b, t);
        e.forwardBackward(new RnnBatch(b, t, x, lengths, null, null), new RnnGradOutput(gradOut, null, null), out, g);
        LayerParams p = g.params().layer(0, 0);
        float[] params = concat(p.wIh(), p.wHh(), p.bIh(), p.bHh(), p.wHr(), p.wPeep());
        return new float[][] {out.output(), out.hN(), g.gradInput(), params};
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] a : parts) {
            n += a == null ? 0 : a.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] a : parts) {
            if (a != null) {
                System.arraycopy(a, 0, all, at, a.length);
                at += a.length;
            }
        }
        return all;
    }

    /**
     * A ReLU unit clipped to 0 passes no gradient, whatever arrives: PyTorch's threshold_backward selects 0 there.
     * The reference multiplied the incoming gradient by a 0/1 derivative, so a NaN one gave NaN where the fast
     * kernels (which select) gave 0, and the oracle disagreed with them and with PyTorch.
     */
    @Test
    void aClippedReluUnitPassesNoGradientInEveryImpl() {
        RnnSpec spec = RnnSpec.builder(CellKind.RNN_RELU, 1, 1).bias(false).build();
        RnnWeights w = new RnnWeights(spec, new LayerParams[] {
            new LayerParams(new float[] {-1f}, new float[] {0.5f}, null, null, null, null)});
        for (Impl impl : Impl.values()) {
            try (RnnEngine e = Rnn.create(w, impl, impl == Impl.REFERENCE ? null : GemmKind.JAVA, 1)) {
                RnnResult out = RnnResult.allocate(spec, 1, 1);
                RnnGradients g = RnnGradients.allocate(spec, 1, 1);
                e.forwardBackward(RnnBatch.of(1, 1, new float[] {1f}),
                        new RnnGradOutput(new float[] {Float.NaN}, null, null), out, g);
                assertEquals(0f, out.output()[0], impl.cliName());
                assertEquals(0f, g.gradInput()[0], impl.cliName());
                assertEquals(0f, g.params().layer(0, 0).wIh()[0], impl.cliName());
                assertEquals(0f, g.params().layer(0, 0).wHh()[0], impl.cliName());
            }
        }
    }

    /**
     * Inference of 6 rows of 6 million steps (LSTM, H = 1): the small-batch path sized its input projection as the int
     * rows·T·G·Hp (6 · 6e6 · 4 · 16 > 2^31), which wrapped; the call failed with an IndexOutOfBoundsException from
     * the Vector API, and every later small-batch call of the engine was refused. Such a call now goes to the GEMM
     * path (native workspace), and the engine's small-batch path stays usable.
     */
    @Test
    void aSequenceTooLongForTheSmallBatchArraysIsComputed() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 1, 1).build();
        int b = 6;
        int t = 6_000_000;
        assertFalse(FastRnn.forwardTakesSmallBatchPath(spec, b, t)); // and 1000 steps take it, unless it is turned off
        assertEquals(Integer.getInteger("recur4j.smallBatchMax", 6) >= b,
                FastRnn.forwardTakesSmallBatchPath(spec, b, 1000));
        RnnWeights w = RnnWeights.random(spec, 1);
        float[] x = new float[b * t];
        Arrays.fill(x, 0.5f);
        try (RnnEngine e = Rnn.create(w, Impl.SIMD, GemmKind.JAVA, 1)) {
            RnnResult out = RnnResult.allocate(spec, b, t);
            e.forward(RnnBatch.of(b, t, x), out);
            // a constant input drives the state to its fixed point: the last step equals the first 1000 steps' end
            RnnResult shortRun = RnnResult.allocate(spec, b, 1000);
            e.forward(RnnBatch.of(b, 1000, Arrays.copyOf(x, b * 1000)), shortRun); // the small-batch path, still usable
            assertEquals(shortRun.hN()[0], out.hN()[0], 1e-6f);
            assertEquals(out.hN()[0], out.output()[t - 1]);
        }
    }
}
