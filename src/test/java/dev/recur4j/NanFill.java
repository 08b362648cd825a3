package dev.recur4j;

import java.util.Arrays;

/**
 * Fills a call's output arrays with NaN before the call, so an element the call should write and does not shows
 * up as NaN in the comparison (fresh arrays are zeros, which a wrong-but-small result can match). Public for the
 * tests of every package.
 */
public final class NanFill {
    private NanFill() {
    }

    /** output, h_n and (LSTM) c_n. */
    public static void result(RnnResult result) {
        fill(result.output(), result.hN(), result.cN());
    }

    /** Every gradient, input and parameters: a call overwrites them, it does not add to them. */
    public static void gradients(RnnGradients grads) {
        fill(grads.gradInput(), grads.gradH0(), grads.gradC0());
        RnnSpec spec = grads.params().spec();
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                LayerParams p = grads.params().layer(l, d);
                fill(p.wIh(), p.wHh(), p.bIh(), p.bHh(), p.wHr(), p.wPeep());
            }
        }
    }

    private static void fill(float[]... arrays) {
        for (float[] a : arrays) {
            if (a != null) {
                Arrays.fill(a, Float.NaN);
            }
        }
    }
}
