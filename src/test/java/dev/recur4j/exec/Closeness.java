package dev.recur4j.exec;

import dev.recur4j.ref.Agreement;

/**
 * The fast pipeline's accuracy contract against the float64 reference, per tensor: {@link Agreement}'s,
 * |got − want| ≤ scale · (1e-4 · max(1, max|want|) + 1e-3 · |want|), scale 1 for forward outputs and
 * 3 ({@link Agreement#GRADIENT_SCALE}) for gradients (which go through one more chain of fp32 products and sums).
 */
final class Closeness {
    private Closeness() {
    }

    /** The largest |got − want| / tolerance seen by {@link #check} on this thread: how much margin is left. */
    static final ThreadLocal<double[]> WORST = ThreadLocal.withInitial(() -> new double[1]);

    /** Null when {@code got} is within tolerance, else the tensor's agreement line and its first mismatch. */
    static String check(String name, float[] want, float[] got, double scale) {
        if (want == null && got == null) {
            return null;
        }
        if (want == null || got == null || want.length != got.length) {
            return name + ": shapes differ";
        }
        Agreement a = Agreement.of(name, got, want, scale * Agreement.ATOL, scale * Agreement.RTOL);
        WORST.get()[0] = Math.max(WORST.get()[0], a.worstRatio());
        if (a.agrees()) {
            return null;
        }
        int i = a.firstOutside();
        return a.line() + ": [" + i + "] want " + want[i] + " got " + got[i];
    }
}
