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
}
