package dev.recur4j;

/**
 * The gradients a backward pass produces. Every array is overwritten (not accumulated) by
 * {@link RnnEngine#backward}.
 *
 * <pre>
 * gradInput [B, T, I]       zero at padded steps
 * gradH0    [L*D, B, Hout]
 * gradC0    [L*D, B, H]     LSTM only, else null
 * params    same shapes as the weights (gradient of weight_ih_l0 is params.layer(0, 0).wIh(), ...)
 * </pre>
 */
public record RnnGradients(float[] gradInput, float[] gradH0, float[] gradC0, RnnWeights params) {

    public static RnnGradients allocate(RnnSpec spec, int batch, int seqLen) {
        return new RnnGradients(
                new float[Shapes.arrayLength("grad_input", batch, seqLen, spec.inputSize())],
                new float[Shapes.arrayLength("grad_h0", spec.slots(), batch, spec.outputSize())],
                spec.hasCellState() ? new float[Shapes.arrayLength("grad_c0", spec.slots(), batch, spec.hiddenSize())]
                        : null,
                RnnWeights.zeros(spec));
    }

    /** Throws naming the array, expected and found, unless these are gradients of {@code spec} for this call's shape. */
    public void check(RnnSpec spec, int batch, int seqLen) {
        Shapes.expect("grad_input", gradInput, batch, seqLen, spec.inputSize());
        Shapes.expect("grad_h0", gradH0, spec.slots(), batch, spec.outputSize());
        if (spec.hasCellState()) {
            Shapes.expect("grad_c0", gradC0, spec.slots(), batch, spec.hiddenSize());
        }
        if (params == null) {
            throw new IllegalArgumentException("gradients: params must be allocated for spec " + spec);
        }
        // identity first: the usual case, and it skips the record's equals (an invokedynamic whose method handle the
        // JVM re-spins, allocating, once it has run often enough); every call checks its gradients
        if (params.spec() != spec && !params.spec().equals(spec)) {
            throw new IllegalArgumentException("gradients: parameter gradients are for " + params.spec()
                    + ", engine spec is " + spec);
        }
    }
}
