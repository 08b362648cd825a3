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

    /**
     * Throws naming both arrays when {@code out} shares an array with {@code in}, or two of its own arrays are one: an
     * engine may write a result while it still reads its inputs (the small-batch path with 2 threads stored one row's
     * h_n while another thread still copied that row's h0, so an h0 that was the result's h_n gave wrong bits).
     * Identity comparisons only: no allocation.
     */
    public static void checkDistinct(RnnSpec spec, RnnBatch in, RnnResult out) {
        boolean c = spec.hasCellState();
        notRead("output", out.output(), in, null);
        notRead("h_n", out.hN(), in, null);
        if (c) {
            notRead("c_n", out.cN(), in, null);
            same("output", out.output(), "c_n", out.cN());
            same("h_n", out.hN(), "c_n", out.cN());
        }
        same("output", out.output(), "h_n", out.hN());
    }

    /**
     * As {@link #checkDistinct(RnnSpec, RnnBatch, RnnResult)} for a training call: no array written ({@code out}'s,
     * {@code grads}') is one read ({@code in}'s, {@code gradOut}'s) or another written, and the parameter gradients are
     * not {@code weights}' arrays, which the call would overwrite with gradients.
     */
    public static void checkDistinct(RnnSpec spec, RnnBatch in, RnnGradOutput gradOut, RnnResult out,
                                     RnnGradients grads, RnnWeights weights) {
        checkDistinct(spec, in, out);
        boolean c = spec.hasCellState();
        notRead("output", out.output(), null, gradOut);
        notRead("h_n", out.hN(), null, gradOut);
        notRead("grad_input", grads.gradInput(), in, gradOut);
        notRead("grad_h0", grads.gradH0(), in, gradOut);
        notWritten("grad_input", grads.gradInput(), out, c);
        notWritten("grad_h0", grads.gradH0(), out, c);
        same("grad_input", grads.gradInput(), "grad_h0", grads.gradH0());
        if (c) {
            notRead("c_n", out.cN(), null, gradOut);
            notRead("grad_c0", grads.gradC0(), in, gradOut);
            notWritten("grad_c0", grads.gradC0(), out, true);
            same("grad_input", grads.gradInput(), "grad_c0", grads.gradC0());
            same("grad_h0", grads.gradH0(), "grad_c0", grads.gradC0());
        }
        RnnWeights p = grads.params();
        if (p == weights) {
            throw new IllegalArgumentException("gradients: params are the engine's weights, which the call would"
                    + " overwrite with their gradients; allocate them apart (RnnGradients.allocate)");
        }
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                LayerParams g = p.layer(l, d);
                LayerParams w = weights.layer(l, d);
                notWeight(g.wIh(), w.wIh(), "weight_ih", l, d);
                notWeight(g.wHh(), w.wHh(), "weight_hh", l, d);
                notWeight(g.bIh(), w.bIh(), "bias_ih", l, d);
                notWeight(g.bHh(), w.bHh(), "bias_hh", l, d);
                notWeight(g.wHr(), w.wHr(), "weight_hr", l, d);
                notWeight(g.wPeep(), w.wPeep(), "weight_peephole", l, d);
            }
        }
    }

    /** Throws if {@code a} is one of the arrays {@code in} or {@code gradOut} (either may be null) holds. */
    private static void notRead(String name, float[] a, RnnBatch in, RnnGradOutput gradOut) {
        if (in != null) {
            same(name, a, "input", in.input());
            same(name, a, "h0", in.h0());
            same(name, a, "c0", in.c0());
        }
        if (gradOut != null) {
            same(name, a, "grad_output", gradOut.gradOutput());
            same(name, a, "grad_h_n", gradOut.gradHn());
            same(name, a, "grad_c_n", gradOut.gradCn());
        }
    }

    private static void notWritten(String name, float[] a, RnnResult out, boolean cellState) {
        same(name, a, "output", out.output());
        same(name, a, "h_n", out.hN());
        if (cellState) {
            same(name, a, "c_n", out.cN());
        }
    }

    private static void same(String name, float[] a, String other, float[] b) {
        if (a != null && a == b) {
            throw new IllegalArgumentException(name + " and " + other + " are the same array: the arrays a call writes"
                    + " must be distinct from each other and from those it reads (see RnnEngine); pass a copy");
        }
    }

    private static void notWeight(float[] g, float[] w, String tensor, int layer, int direction) {
        if (g != null && g == w) {
            throw new IllegalArgumentException("gradients: the gradient of " + tensor
                    + RnnWeights.suffix(layer, direction) + " is the engine's " + tensor
                    + RnnWeights.suffix(layer, direction) + " weight array, which the call would overwrite");
        }
    }
}
