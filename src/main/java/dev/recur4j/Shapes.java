package dev.recur4j;

/** Shape checks with messages that name the tensor, expected and found. */
public final class Shapes {
    private Shapes() {
    }

    /** Checks that {@code a} holds exactly d0*d1*d2 elements. */
    public static void expect(String name, float[] a, int d0, int d1, int d2) {
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
