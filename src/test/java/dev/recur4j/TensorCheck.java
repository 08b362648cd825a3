package dev.recur4j;

import java.util.Locale;

/**
 * Compares an fp32 result against a float64 expectation with a combined absolute and relative
 * tolerance, and on failure describes the max diff and the first mismatches (like llm.c's
 * {@code check_tensor}).
 *
 * <p>Element i passes when |got[i] - want[i]| <= scale * (1e-4 * max(1, max|want|) + 1e-3 * |want[i]|), or
 * within the {@link Tolerance} given.
 */
final class TensorCheck {
    private static final int SHOWN = 5;

    private TensorCheck() {
    }

    /** The tolerance of element {@code w} in a tensor whose largest magnitude is {@code maxAbs}. */
    static double tolerance(double w, double maxAbs, double scale) {
        return scale * (1e-4 * Math.max(1.0, maxAbs) + 1e-3 * Math.abs(w));
    }

    /** An element's tolerance from its expected value and the tensor's largest magnitude. */
    interface Tolerance {
        double of(double want, double maxAbs);
    }

    /** Null when {@code got} matches {@code want}, else a description naming {@code label}. */
    static String mismatch(String label, float[] got, double[] want, double scale) {
        return mismatch(label, got, want, (w, maxAbs) -> tolerance(w, maxAbs, scale));
    }

    /** The same with another tolerance. */
    static String mismatch(String label, float[] got, double[] want, Tolerance tolerance) {
        if (got == null) {
            return label + ": missing (null), expected " + want.length + " elements";
        }
        if (got.length != want.length) {
            return label + ": expected " + want.length + " elements, found " + got.length;
        }
        double maxAbs = 0;
        for (double w : want) {
            maxAbs = Math.max(maxAbs, Math.abs(w));
        }
        double maxDiff = 0;
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < want.length; i++) {
            double diff = Math.abs(got[i] - want[i]);
            double tol = tolerance.of(want[i], maxAbs);
            // NaN never passes: written as !(diff <= tol).
            if (!(diff <= tol)) {
                if (bad < SHOWN) {
                    first.append(String.format(Locale.ROOT, "%n    [%d] got %.8g want %.8g diff %.3g tol %.3g",
                            i, got[i], want[i], diff, tol));
                }
                bad++;
            }
            maxDiff = Math.max(maxDiff, diff); // stays NaN once a NaN is seen
        }
        if (bad == 0) {
            return null;
        }
        return String.format(Locale.ROOT, "%s: %d of %d elements differ, max diff %.3g (max|want| %.3g), first:%s",
                label, bad, want.length, maxDiff, maxAbs, first);
    }
}
