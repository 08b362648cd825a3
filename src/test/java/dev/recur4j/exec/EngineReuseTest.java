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

    /** One call's arguments: a training call has the gradients, an inference call none. */
    private record Call(RnnBatch in, RnnGradOutput grad) {
        boolean training() {
            return grad != null;
        }
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
                            history.add((c.training() ? "training" : "inference") + " B=" + c.in.batch() + " T="
                                    + c.in.seqLen() + (c.in.lengths() == null ? "" : " lengths")
                                    + (c.in.h0() == null ? "" : " h0"));
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

    /** A batch from {@link RandomConfig#batch} (lengths, h0 and c0 each present or not), and gradients to train on. */
    private static Call randomCall(Random r, RnnSpec spec) {
        boolean training = r.nextInt(5) < 2;
        int b = BATCHES[r.nextInt(BATCHES.length)];
        int t = 1 + r.nextInt(9);
        RnnBatch in = RandomConfig.batch(r, spec, b, t);
        if (!training) {
            return new Call(in, null);
        }
        int slots = spec.slots();
        float[] gradOutput = RandomConfig.uniform(r, b * t * spec.directions() * spec.outputSize());
        float[] gradHn = r.nextBoolean() ? RandomConfig.uniform(r, slots * b * spec.outputSize()) : null;
        float[] gradCn = spec.hasCellState() && r.nextBoolean()
                ? RandomConfig.uniform(r, slots * b * spec.hiddenSize()) : null;
        return new Call(in, new RnnGradOutput(gradOutput, gradHn, gradCn));
    }

    /** Output, h_n, c_n, and when training the input and state gradients and every parameter gradient. */
    private static float[][] run(RnnEngine e, RnnSpec spec, Call c) {
        RnnResult out = RnnResult.allocate(spec, c.in.batch(), c.in.seqLen());
        List<float[]> all = new ArrayList<>();
        if (c.training()) {
            RnnGradients g = RnnGradients.allocate(spec, c.in.batch(), c.in.seqLen());
            e.forwardBackward(c.in, c.grad, out, g);
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
            e.forward(c.in, out);
        }
        all.add(out.output());
        all.add(out.hN());
        all.add(out.cN());
        return all.toArray(float[][]::new);
    }
}
