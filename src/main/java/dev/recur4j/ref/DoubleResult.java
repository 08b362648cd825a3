package dev.recur4j.ref;

import dev.recur4j.RnnResult;

/**
 * {@link RnnResult} in double precision.
 *
 * <pre>
 * output [B, T, D*Hout]  zero at padded steps
 * hN     [L*D, B, Hout]
 * cN     [L*D, B, H]     LSTM only, else null
 * </pre>
 */
public record DoubleResult(double[] output, double[] hN, double[] cN) {

    /** Overwrites {@code dst} (already checked to have the same shapes) with these values rounded to float. */
    public void copyTo(RnnResult dst) {
        Precision.narrowInto(output, dst.output());
        Precision.narrowInto(hN, dst.hN());
        if (cN != null) {
            Precision.narrowInto(cN, dst.cN());
        }
    }
}
