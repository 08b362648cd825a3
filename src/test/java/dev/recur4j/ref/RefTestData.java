package dev.recur4j.ref;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded random tensors and a tolerance check that reports the worst and first mismatches. */
final class RefTestData {
    private RefTestData() {
    }

    /** n values from U(-scale, scale). */
    static double[] uniform(Random rnd, int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = (rnd.nextDouble() * 2 - 1) * scale;
        }
        return a;
    }

    /** Σ a ⊙ b; 0 when either is null (an absent gradient is zero). */
    static double dot(double[] a, double[] b) {
        if (a == null || b == null) {
            return 0.0;
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /**
     * Fails unless |actual - expected| &lt;= abs + rel * |expected| everywhere; the message gives the
     * largest difference and the first few mismatches.
     */
    static void assertClose(String name, double[] expected, double[] actual, double abs, double rel) {
        if (expected.length != actual.length) {
            throw new AssertionError(name + ": length " + actual.length + ", expected " + expected.length);
        }
        double maxDiff = 0;
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            maxDiff = Math.max(maxDiff, diff);
            if (!(diff <= abs + rel * Math.abs(expected[i]))) {
                if (bad.size() < 5) {
                    bad.add("[" + i + "] expected " + expected[i] + ", got " + actual[i]);
                }
                if (bad.size() == 5) {
                    bad.add("...");
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new AssertionError(name + ": max |diff| " + maxDiff + "; mismatches " + bad);
        }
    }
}
