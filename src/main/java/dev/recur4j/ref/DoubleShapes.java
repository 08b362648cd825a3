package dev.recur4j.ref;

import dev.recur4j.Shapes;

/** Shape checks of the double-precision API, with the same messages as {@link dev.recur4j.Shapes}. */
final class DoubleShapes {
    private DoubleShapes() {
    }

    /** Checks that {@code a} holds exactly d0*d1*d2 elements. */
    static void expect(String name, double[] a, int d0, int d1, int d2) {
        Shapes.expectLength(name, a == null ? Shapes.ABSENT : a.length, d0, d1, d2);
    }
}
