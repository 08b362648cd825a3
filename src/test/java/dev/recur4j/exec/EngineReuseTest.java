package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.LayerParams;
import dev.recur4j.Rnn;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A service reuses one engine for requests of every shape: each call must give, to the bit, what a fresh engine gives
 * for it, whatever the calls before it were (inference and training, batches on the small-batch path and on the GEMM
 * path, new and repeated shapes, lengths, initial states, state gradients). On the Java GEMM only: with OpenBLAS and
 * 2 or more threads, rows handed between threads ({@link RowShare}) change how OpenBLAS cuts its products, so even
 * two fresh engines may differ in the last bit (README).
 */
class EngineReuseTest {
    private static final List<RnnSpec> SPECS = List.of(
            RnnSpec.builder(CellKind.LSTM, 11, 19).build(),
            RnnSpec.builder(CellKind.GRU, 5, 24).numLayers(2).bidirectional(true).build(),
            RnnSpec.builder(CellKind.GRU, 11, 19).linearBeforeReset(false).bias(false).build(),
            RnnSpec.builder(CellKind.RNN_RELU, 6, 17).numLayers(2).bidirectional(true).build(),
            RnnSpec.builder(CellKind.LSTM, 8, 26).projSize(9).numLayers(2).bidirectional(true).build(),
            RnnSpec.builder(CellKind.LSTM, 9, 21).peepholes(true).build());
    /** Batches of the small-batch path (inference up to 6 rows) and of the GEMM path, with sizes that repeat. */
    private static final int[] BATCHES = {1, 2, 3, 5, 6, 7, 9, 17, 33, 64, 2, 33};
    private static final int CALLS = 14;

    /** One call's arguments. */
    private record Call(boolean training, int batch, int seqLen, float[] x, int[] lengths, float[] h0, float[] c0,
                        float[] gradOutput, float[] gradHn, float[] gradCn) {
    }

    @Test
    void aReusedEngineGivesWhatAFreshOneGives() {
        Random rnd = new Random(20261203);
        for (RnnSpec spec : SPECS) {
            RnnWeights w = RnnWeights.random(spec, 1);
            for (Impl impl : new Impl[] {Impl.SIMD, Impl.SCALAR}) {
                for (int threads = 1; threads <= 2; threads++) {
                    try (RnnEngine reused = Rnn.create(w, impl, GemmKind.JAVA, threads)) {
                        List<String> history = new ArrayList<>();
                        for (int i = 0; i < CALLS; i++) {
                            Call c = randomCall(rnd, spec);
                            history.add((c.training ? "training" : "inference") + " B=" + c.batch + " T=" + c.seqLen
                                    + (c.lengths == null ? "" : " lengths") + (c.h0 == null ? "" : " h0"));
                            float[][] got = run(reused, spec, c);
                            float[][] want;
                            try (RnnEngine fresh = Rnn.create(w, impl, GemmKind.JAVA, threads)) {
                                want = run(fresh, spec, c);
                            }
                            for (int t = 0; t < want.length; t++) {
                                assertArrayEquals(want[t], got[t], spec + " " + impl + " threads " + threads
                                        + ", result " + t + " after " + history);
                            }
                        }
                    }
                }
            }
        }
    }

    private static Call randomCall(Random r, RnnSpec spec) {
        boolean training = r.nextInt(5) < 2;
        int b = BATCHES[r.nextInt(BATCHES.length)];
        int t = 1 + r.nextInt(9);
        int slots = spec.slots();
        int hout = spec.outputSize();
        int h = spec.hiddenSize();
        int[] lengths = null;
        if (r.nextBoolean()) {
            lengths = new int[b];
            for (int i = 0; i < b; i++) {
                lengths[i] = 1 + r.nextInt(t);
            }
        }
        float[] h0 = r.nextBoolean() ? RandomConfig.uniform(r, slots * b * hout) : null;
        float[] c0 = spec.hasCellState() && r.nextBoolean() ? RandomConfig.uniform(r, slots * b * h) : null;
        float[] gradOutput = training ? RandomConfig.uniform(r, b * t * spec.directions() * hout) : null;
        float[] gradHn = training && r.nextBoolean() ? RandomConfig.uniform(r, slots * b * hout) : null;
        float[] gradCn = training && spec.hasCellState() && r.nextBoolean()
                ? RandomConfig.uniform(r, slots * b * h) : null;
        float[] x = RandomConfig.uniform(r, b * t * spec.inputSize());
        return new Call(training, b, t, x, lengths, h0, c0, gradOutput, gradHn, gradCn);
    }

    /** Output, h_n, c_n, and when training the input and state gradients and every parameter gradient. */
    private static float[][] run(RnnEngine e, RnnSpec spec, Call c) {
        RnnBatch in = new RnnBatch(c.batch, c.seqLen, c.x, c.lengths, c.h0, c.c0);
        RnnResult out = RnnResult.allocate(spec, c.batch, c.seqLen);
        List<float[]> all = new ArrayList<>();
        if (c.training) {
            RnnGradients g = RnnGradients.allocate(spec, c.batch, c.seqLen);
            e.forwardBackward(in, new RnnGradOutput(c.gradOutput, c.gradHn, c.gradCn), out, g);
            all.add(g.gradInput());
            all.add(g.gradH0());
            all.add(g.gradC0());
            for (int l = 0; l < spec.numLayers(); l++) {
                for (int d = 0; d < spec.directions(); d++) {
                    LayerParams p = g.params().layer(l, d);
                    all.addAll(Arrays.asList(p.wIh(), p.wHh(), p.bIh(), p.bHh(), p.wHr(), p.wPeep()));
                }
            }
        } else {
            e.forward(in, out);
        }
        all.add(out.output());
        all.add(out.hN());
        all.add(out.cN());
        return all.toArray(float[][]::new);
    }
}
