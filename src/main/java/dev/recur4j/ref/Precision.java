package dev.recur4j.ref;

/** Widening float arrays to double and narrowing back, for the float API adapter. Null stays null. */
final class Precision {
    private Precision() {
    }

    static double[] widen(float[] a) {
        if (a == null) {
            return null;
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** dst[i] = (float) src[i]; both must have the same length. */
    static void narrowInto(double[] src, float[] dst) {
        if (src.length != dst.length) {
            throw new IllegalArgumentException("length mismatch: " + src.length + " vs " + dst.length);
        }
        for (int i = 0; i < src.length; i++) {
            dst[i] = (float) src[i];
        }
    }
}
