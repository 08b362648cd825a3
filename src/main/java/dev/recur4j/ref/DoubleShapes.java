package dev.recur4j.ref;

/** Shape checks of the double-precision API, with the same messages as {@link dev.recur4j.Shapes}. */
final class DoubleShapes {
    private DoubleShapes() {
    }

    /** Checks that {@code a} holds exactly d0*d1*d2 elements. */
    static void expect(String name, double[] a, int d0, int d1, int d2) {
        if (a == null) {
            throw new IllegalArgumentException(name + ": missing, expected [" + d0 + ", " + d1 + ", " + d2 + "]");
        }
        long n = (long) d0 * d1 * d2;
        if (a.length != n) {
            throw new IllegalArgumentException(name + ": expected [" + d0 + ", " + d1 + ", " + d2 + "] = " + n
                    + " elements, found " + a.length);
        }
    }
}
