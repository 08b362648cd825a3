package dev.recur4j.ref;

import dev.recur4j.RnnGradients;

/**
 * {@link RnnGradients} in double precision.
 *
 * <pre>
 * gradInput [B, T, I]       zero at padded steps
 * gradH0    [L*D, B, Hout]  also when h0 was null: then it is the gradient at the zero initial state
 * gradC0    [L*D, B, H]     LSTM only, else null
 * params    same shapes as the weights
 * </pre>
 */
public record DoubleGradients(double[] gradInput, double[] gradH0, double[] gradC0, DoubleWeights params) {

    /** Overwrites every array of {@code dst} (same shapes) with these values rounded to float. */
    public void copyTo(RnnGradients dst) {
        Precision.narrowInto(gradInput, dst.gradInput());
        Precision.narrowInto(gradH0, dst.gradH0());
        if (gradC0 != null) {
            Precision.narrowInto(gradC0, dst.gradC0());
        }
        params.copyTo(dst.params());
    }
}
