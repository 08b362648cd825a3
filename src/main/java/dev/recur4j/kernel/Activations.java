package dev.recur4j.kernel;

/**
 * Scalar activations in float, computed through double-precision {@link Math#exp} / {@link Math#tanh}
 * and rounded once, so each is within 1 ulp of the exact value. The vector kernels compute theirs in
 * Vector API arithmetic instead ({@link VectorActivations}, within 2.5e-7 relative of tanh), and the scalar
 * tails of their rows with these.
 */
public final class Activations {
    private Activations() {
    }

    /** σ(x) = 1 / (1 + e^-x); 0 for large negative x, 1 for large positive x, never NaN for finite x. */
    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    public static float tanh(float x) {
        return (float) Math.tanh(x);
    }
}
