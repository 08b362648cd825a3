package dev.recur4j.exec;

import java.util.ArrayList;
import java.util.List;

/**
 * The fast pipeline's accuracy contract against the float64 reference, per tensor:
 * |got − want| ≤ scale · (1e-4 · max(1, max|want|) + 1e-3 · |want|), scale 1 for forward outputs and
 * 3 for gradients (which go through one more chain of fp32 products and sums).
 */
final class Closeness {
    private Closeness() {
    }

    /** The largest |got − want| / tolerance seen by {@link #check} on this thread: how much margin is left. */
    static final ThreadLocal<double[]> WORST = ThreadLocal.withInitial(() -> new double[1]);

    /** Null when {@code got} is within tolerance, else the max diff and the first five mismatches. */
    static String check(String name, float[] want, float[] got, double scale) {
        if (want == null && got == null) {
            return null;
        }
        if (want == null || got == null || want.length != got.length) {
            return name + ": shapes differ";
        }
        double maxWant = 1;
        for (float v : want) {
            maxWant = Math.max(maxWant, Math.abs(v));
        }
        double abs = scale * 1e-4 * maxWant;
        double rel = scale * 1e-3;
        double maxDiff = 0;
        List<String> bad = new ArrayList<>();
        int mismatches = 0;
        for (int i = 0; i < want.length; i++) {
            double diff = Math.abs((double) got[i] - want[i]);
            maxDiff = Math.max(maxDiff, diff);
            WORST.get()[0] = Math.max(WORST.get()[0], diff / (abs + rel * Math.abs(want[i])));
            if (!(diff <= abs + rel * Math.abs(want[i]))) {
                mismatches++;
                if (bad.size() < 5) {
                    bad.add("[" + i + "] want " + want[i] + " got " + got[i]);
                }
            }
        }
        if (mismatches == 0) {
            return null;
        }
        return name + ": " + mismatches + " of " + want.length + " outside tolerance (abs " + abs + ", rel " + rel
                + "), max |diff| " + maxDiff + ", first " + bad;
    }
}
