package dev.recur4j.ref;

import dev.recur4j.RnnBatch;
import dev.recur4j.RnnSpec;

/**
 * {@link RnnBatch} in double precision.
 *
 * <pre>
 * input   [B, T, I]
 * lengths [B]             each in 1..T; null means every sequence has length T
 * h0      [L*D, B, Hout]  null means zeros
 * c0      [L*D, B, H]     LSTM only; null means zeros
 * </pre>
 */
public record DoubleBatch(int batch, int seqLen, double[] input, int[] lengths, double[] h0, double[] c0) {

    public static DoubleBatch of(RnnBatch in) {
        return new DoubleBatch(in.batch(), in.seqLen(), Precision.widen(in.input()), in.lengths(),
                Precision.widen(in.h0()), Precision.widen(in.c0()));
    }

    /** The length of sequence {@code b}. */
    public int length(int b) {
        return lengths == null ? seqLen : lengths[b];
    }

    /** Same checks and messages as {@link RnnBatch#check(RnnSpec)}. */
    public void check(RnnSpec spec) {
        if (batch <= 0) {
            throw new IllegalArgumentException("input: batch dimension (0) must be > 0, found " + batch);
        }
        if (seqLen <= 0) {
            throw new IllegalArgumentException("input: sequence dimension (1) must be > 0, found " + seqLen);
        }
        DoubleShapes.expect("input", input, batch, seqLen, spec.inputSize());
        if (lengths != null) {
            if (lengths.length != batch) {
                throw new IllegalArgumentException("lengths: dimension 0 expected " + batch + ", found " + lengths.length);
            }
            for (int b = 0; b < batch; b++) {
                if (lengths[b] < 1 || lengths[b] > seqLen) {
                    throw new IllegalArgumentException("lengths[" + b + "]: expected 1.." + seqLen + ", found " + lengths[b]);
                }
            }
        }
        if (h0 != null) {
            DoubleShapes.expect("h0", h0, spec.slots(), batch, spec.outputSize());
        }
        if (c0 != null) {
            if (!spec.hasCellState()) {
                throw new IllegalArgumentException("c0: only LSTM has a cell state, cell is " + spec.cell());
            }
            DoubleShapes.expect("c0", c0, spec.slots(), batch, spec.hiddenSize());
        }
    }
}
