package dev.recur4j.ref;

import dev.recur4j.RnnBatch;
import dev.recur4j.RnnSpec;
import dev.recur4j.Shapes;

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
        Shapes.checkBatch(spec, batch, seqLen, input == null ? Shapes.ABSENT : input.length, lengths,
                h0 == null ? Shapes.ABSENT : h0.length, c0 == null ? Shapes.ABSENT : c0.length);
    }
}
