package dev.recur4j.ref;

import dev.recur4j.ShortText;
import java.util.Locale;
import java.util.function.IntToDoubleFunction;

/**
 * How closely one tensor agrees with its expected values (the reference's, or PyTorch's) under recur4j's
 * tolerance contract, |got − want| ≤ atol·max(1, max|want|) + rtol·|want| with max|want| taken over the
 * tensor: the absolute part scales with the tensor, so values that pass through zero are not held to a
 * relative bound. The fast path is held to {@link #ATOL} and {@link #RTOL} for outputs and states and to
 * {@link #GRADIENT_SCALE} times them for gradients, in the tests and by {@code recur4j bench --check};
 * {@code recur4j compare} takes them as its defaults.
 *
 * <p>Where want is not finite (±∞ or NaN) got must be the same value (NaN matching NaN), and such elements
 * stay out of max|want|: one ∞ would otherwise make every tolerance infinite, and one NaN make every
 * element fail. A finite want against a non-finite got is outside, with an infinite or NaN diff.
 *
 * @param name       the tensor
 * @param elements   how many elements were compared
 * @param maxDiff    the largest |got − want| (NaN if an element outside has a NaN; 0 for non-finite ones that match)
 * @param worstRatio the largest |got − want| / tolerance: below 1 passes, and how far below is the margin
 * @param outside    how many elements are outside the tolerance (a NaN counts)
 * @param firstOutside the index of the first element outside, or -1
 * @param nonFinite  how many elements of want are ±∞ or NaN (matched exactly, not within a tolerance); the line
 *                   says so, since a check whose both sides overflowed would otherwise read "ok" at diff 0
 */
public record Agreement(String name, int elements, double maxDiff, double worstRatio, int outside, int firstOutside,
                        int nonFinite) {
    /** The absolute tolerance of outputs and states, scaled by max(1, max|want|). */
    public static final double ATOL = 1e-4;
    /** The relative tolerance of outputs and states. */
    public static final double RTOL = 1e-3;
    /** Gradients go through one more chain of fp32 products and sums: this many times ATOL and RTOL. */
    public static final double GRADIENT_SCALE = 3;

    public static Agreement of(String name, double[] got, double[] want, double atol, double rtol) {
        requireSameLength(name, got.length, want.length);
        return of(name, want.length, i -> got[i], i -> want[i], atol, rtol);
    }

    public static Agreement of(String name, float[] got, float[] want, double atol, double rtol) {
        requireSameLength(name, got.length, want.length);
        return of(name, want.length, i -> got[i], i -> want[i], atol, rtol);
    }

    private static Agreement of(String name, int n, IntToDoubleFunction got, IntToDoubleFunction want, double atol,
                                double rtol) {
        double maxWant = 0;
        for (int i = 0; i < n; i++) {
            double w = want.applyAsDouble(i);
            if (Double.isFinite(w)) {
                maxWant = Math.max(maxWant, Math.abs(w));
            }
        }
        double scaledAtol = atol * Math.max(1, maxWant);
        double maxDiff = 0;
        double worstRatio = 0;
        int outside = 0;
        int firstOutside = -1;
        int nonFinite = 0;
        for (int i = 0; i < n; i++) {
            double w = want.applyAsDouble(i);
            double g = got.applyAsDouble(i);
            if (!Double.isFinite(w)) {
                nonFinite++;
                if (Double.compare(g, w) == 0) { // the same ∞, or NaN and NaN
                    continue;
                }
                outside++;
                firstOutside = firstOutside < 0 ? i : firstOutside;
                double diff = Double.isNaN(g) || Double.isNaN(w) ? Double.NaN : Double.POSITIVE_INFINITY;
                maxDiff = Math.max(maxDiff, diff);
                worstRatio = Math.max(worstRatio, diff);
                continue;
            }
            double diff = Math.abs(g - w);
            double tol = scaledAtol + rtol * Math.abs(w);
            if (!(diff <= tol)) {
                outside++; // a NaN too, which then also makes maxDiff and worstRatio NaN
                firstOutside = firstOutside < 0 ? i : firstOutside;
            }
            maxDiff = Math.max(maxDiff, diff);
            worstRatio = Math.max(worstRatio, diff == 0 ? 0 : diff / tol); // equal values are 0 even at tolerance 0
        }
        return new Agreement(name, n, maxDiff, worstRatio, outside, firstOutside, nonFinite);
    }

    private static void requireSameLength(String name, int got, int want) {
        if (got != want) {
            throw new IllegalArgumentException(name + ": expected " + want + " elements, found " + got);
        }
    }

    public boolean agrees() {
        return outside == 0;
    }

    /** Longest tensor name {@link #line} prints whole: a file's header may hold names of megabytes. */
    static final int MAX_NAME = 200;

    /** One line: verdict, name, size, max |diff| and the worst diff / tolerance, and how many expected ±∞ or NaN. */
    public String line() {
        return String.format(Locale.ROOT, "%-8s %-32s %8d elements  max|diff| %.3e  worst diff/tol %.3g%s%s",
                agrees() ? "ok" : "DIFFERS", ShortText.cut(name, MAX_NAME), elements, maxDiff, worstRatio,
                agrees() ? "" : "  (" + outside + " outside tolerance, the first at [" + firstOutside + "])",
                nonFinite == 0 ? "" : "  [" + nonFinite + " expected non-finite]");
    }
}
