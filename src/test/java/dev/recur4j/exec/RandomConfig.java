package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import java.util.Arrays;
import java.util.Random;

/**
 * One randomized case for the equivalence tests: a spec (every cell and variant), a batch with
 * optional lengths, h0 and c0, output gradients, whether to run forwardBackward, and the
 * engine's thread count (1 to 3, so row splitting is covered too). Sizes are
 * drawn from small sets that include 1 and widths that are not multiples of any lane count.
 */
public record RandomConfig(RnnSpec spec, long weightSeed, RnnBatch batch, RnnGradOutput gradOut, boolean training,
                    int threads) {
    // 9 and 17: inference above SmallBatchForward.MAX_BATCH runs the GEMM path, below it the small-batch one
    private static final int[] BATCH = {1, 2, 3, 5, 9, 17};
    private static final int[] STEPS = {1, 2, 3, 6, 17};
    private static final int[] INPUT = {1, 3, 5, 17, 33};
    private static final int[] HIDDEN = {1, 3, 8, 16, 17, 33};

    static RandomConfig draw(Random rnd) {
        CellKind cell = CellKind.values()[rnd.nextInt(CellKind.values().length)];
        int h = pick(rnd, HIDDEN);
        RnnSpec.Builder sb = RnnSpec.builder(cell, pick(rnd, INPUT), h)
                .numLayers(1 + rnd.nextInt(3))
                .bidirectional(rnd.nextBoolean())
                .bias(rnd.nextInt(4) != 0);
        if (cell == CellKind.LSTM) {
            sb.peepholes(rnd.nextBoolean());
            if (h > 1 && rnd.nextBoolean()) {
                sb.projSize(1 + rnd.nextInt(h - 1));
            }
        }
        if (cell == CellKind.GRU) {
            sb.linearBeforeReset(rnd.nextBoolean());
        }
        RnnSpec spec = sb.build();
        int b = pick(rnd, BATCH);
        int t = pick(rnd, STEPS);
        RnnBatch batch = batch(rnd, spec, b, t);
        float[] gHn = rnd.nextBoolean() ? uniform(rnd, spec.slots() * b * spec.outputSize()) : null;
        float[] gCn = spec.hasCellState() && rnd.nextBoolean() ? uniform(rnd, spec.slots() * b * h) : null;
        RnnGradOutput go = new RnnGradOutput(uniform(rnd, b * t * spec.directions() * spec.outputSize()), gHn, gCn);
        return new RandomConfig(spec, rnd.nextLong(), batch, go, rnd.nextBoolean(), 1 + rnd.nextInt(3));
    }

    /** A batch of b sequences of t steps for spec: random inputs, and lengths, h0 and c0 each present or not. */
    static RnnBatch batch(Random rnd, RnnSpec spec, int b, int t) {
        int[] lengths = null;
        if (rnd.nextBoolean()) {
            lengths = new int[b];
            for (int i = 0; i < b; i++) {
                lengths[i] = 1 + rnd.nextInt(t);
            }
        }
        float[] h0 = rnd.nextBoolean() ? uniform(rnd, spec.slots() * b * spec.outputSize()) : null;
        float[] c0 = spec.hasCellState() && rnd.nextBoolean() ? uniform(rnd, spec.slots() * b * spec.hiddenSize())
                : null;
        return new RnnBatch(b, t, uniform(rnd, b * t * spec.inputSize()), lengths, h0, c0);
    }

    RnnWeights weights() {
        return RnnWeights.random(spec, weightSeed);
    }

    private static int pick(Random rnd, int[] from) {
        return from[rnd.nextInt(from.length)];
    }

    /** n values in [-1, 1). */
    public static float[] uniform(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return a;
    }

    @Override
    public String toString() {
        return spec + " B=" + batch.batch() + " T=" + batch.seqLen()
                + " lengths=" + Arrays.toString(batch.lengths())
                + " h0=" + (batch.h0() != null) + " c0=" + (batch.c0() != null)
                + " gradHn=" + (gradOut.gradHn() != null) + " gradCn=" + (gradOut.gradCn() != null)
                + " training=" + training + " threads=" + threads;
    }
}
