package dev.recur4j;

/** Shape checks with messages that name the tensor, expected and found. */
public final class Shapes {
    /** The length passed for an absent (null) array. */
    public static final int ABSENT = -1;
    /** The most elements a Java array holds (what the JVMs in use allow: a few below Integer.MAX_VALUE). */
    public static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private Shapes() {
    }

    /** Checks that {@code a} holds exactly d0*d1*d2 elements. */
    public static void expect(String name, float[] a, int d0, int d1, int d2) {
        expectLength(name, a == null ? ABSENT : a.length, d0, d1, d2);
    }

    /** Checks that an array of {@code length} elements ({@link #ABSENT} if missing) has shape [d0, d1, d2]. */
    public static void expectLength(String name, int length, int d0, int d1, int d2) {
        if (length == ABSENT) {
            throw new IllegalArgumentException(name + ": missing, expected [" + d0 + ", " + d1 + ", " + d2 + "]");
        }
        long n = elements3(d0, d1, d2); // not the varargs form: every call checks its arrays, and must not allocate
        if (length != n) {
            throw new IllegalArgumentException(name + ": expected [" + d0 + ", " + d1 + ", " + d2 + "] = "
                    + count(n) + " elements, found " + length);
        }
    }

    /**
     * The length of an array of shape {@code dims}, for allocating it: throws naming the tensor when a dimension is
     * negative or the product does not fit a Java array, where int arithmetic would wrap to a wrong (even 0 or
     * negative) length.
     */
    public static int arrayLength(String name, long... dims) {
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException(name + ": dimension " + d + " of " + java.util.Arrays.toString(dims)
                        + " is negative");
            }
        }
        long n = elements(dims);
        if (n > MAX_ARRAY) {
            throw new IllegalArgumentException(name + ": " + java.util.Arrays.toString(dims) + " = " + count(n)
                    + " elements, more than a Java array holds (" + MAX_ARRAY + ")");
        }
        return (int) n;
    }

    /** d0 · d1 · d2, Long.MAX_VALUE when it overflows a long. */
    private static long elements3(int d0, int d1, int d2) {
        long d01 = (long) d0 * d1; // two ints: exact in a long
        try {
            return Math.multiplyExact(d01, d2);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The product, Long.MAX_VALUE when it overflows a long. */
    private static long elements(long... dims) {
        long n = 1;
        for (long d : dims) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    private static String count(long n) {
        return n == Long.MAX_VALUE ? "more than 2^63" : Long.toString(n);
    }

    /**
     * The checks of one call's inputs (see {@link RnnBatch}), on array lengths so that the float API and the
     * reference's double API give the same messages. Lengths of absent optional arrays are {@link #ABSENT}.
     */
    public static void checkBatch(RnnSpec spec, int batch, int seqLen, int inputLength, int[] lengths,
                                  int h0Length, int c0Length) {
        if (batch <= 0) {
            throw new IllegalArgumentException("input: batch dimension (0) must be > 0, found " + batch);
        }
        if (seqLen <= 0) {
            throw new IllegalArgumentException("input: sequence dimension (1) must be > 0, found " + seqLen);
        }
        expectLength("input", inputLength, batch, seqLen, spec.inputSize());
        if (lengths != null) {
            if (lengths.length != batch) {
                throw new IllegalArgumentException("lengths: dimension 0 expected " + batch + ", found " + lengths.length);
            }
            for (int b = 0; b < batch; b++) {
                if (lengths[b] < 1 || lengths[b] > seqLen) {
                    throw new IllegalArgumentException("lengths[" + b + "]: expected 1.." + seqLen + ", found " + lengths[b]);
                }
            }
        }
        if (h0Length != ABSENT) {
            expectLength("h0", h0Length, spec.slots(), batch, spec.outputSize());
        }
        if (c0Length != ABSENT) {
            if (!spec.hasCellState()) {
                throw new IllegalArgumentException("c0: only LSTM has a cell state, cell is " + spec.cell());
            }
            expectLength("c0", c0Length, spec.slots(), batch, spec.hiddenSize());
        }
    }
}
