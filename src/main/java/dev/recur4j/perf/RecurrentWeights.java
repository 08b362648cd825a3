package dev.recur4j.perf;

import dev.recur4j.RnnSpec;

/**
 * The bytes of recurrent weights a call must read at least, the memory side of a benchmark's roofline as
 * {@code RnnFlops} is the arithmetic side: each step of each (layer, direction) multiplies the previous h by all of
 * W_hh [G·H, Hout] (and an LSTM projection's h_full by W_hr [P, H]), and no step can start before the one before it
 * has ended, so those weights are read once a step whatever the batch. With few batch rows nothing else in the call
 * comes close (W1: 1 MiB a step against 2 KiB of h and gates per row), and the call's speed is bounded by how fast
 * the cores read them from the cache that holds them; with many rows each weight serves every row and the FMA peak
 * bounds it instead. A backward pass reads them once more a step (dh_prev = dG_t · W_hh, and dh · W_hr through the
 * projection). fp32: 4 bytes a weight.
 *
 * <p>A lower bound, not what every path reads: the input weights are not counted (an up-front input projection
 * reads them once for all steps, but a step that projects its own input, {@code InputFusion}, reads them every
 * step too), and where threads split a large batch by rows each thread reads all of W_hh every step. The
 * small-batch path (W1) projects inputs up front and splits W_hh between its threads, so it reads just this.
 */
public final class RecurrentWeights {
    private RecurrentWeights() {
    }

    /** Bytes of W_hh (and W_hr) over every layer and direction: what one step of the whole stack reads. */
    public static long bytesPerStep(RnnSpec spec) {
        long perDirection = (long) spec.gates() * spec.hiddenSize() * spec.outputSize();
        if (spec.projSize() > 0) {
            perDirection += (long) spec.projSize() * spec.hiddenSize();
        }
        return perDirection * spec.numLayers() * spec.directions() * Float.BYTES;
    }

    /** Bytes a call of {@code seqLen} steps reads: every step once forward, once more backward when training. */
    public static double bytesPerCall(RnnSpec spec, int seqLen, BenchMode mode) {
        return (double) bytesPerStep(spec) * seqLen * (mode == BenchMode.TRAINING ? 2 : 1);
    }
}
