package dev.recur4j;

/**
 * One call's outputs, exactly PyTorch's tensors with {@code batch_first=True}; allocate once
 * with {@link #allocate} and reuse across calls.
 *
 * <pre>
 * output [B, T, D*Hout]  zero at padded steps
 * hN     [L*D, B, Hout]
 * cN     [L*D, B, H]     LSTM only, else null
 * </pre>
 */
public record RnnResult(int batch, int seqLen, float[] output, float[] hN, float[] cN) {

    public static RnnResult allocate(RnnSpec spec, int batch, int seqLen) {
        return new RnnResult(batch, seqLen,
                new float[Shapes.arrayLength("output", batch, seqLen, spec.directions() * (long) spec.outputSize())],
                new float[Shapes.arrayLength("h_n", spec.slots(), batch, spec.outputSize())],
                spec.hasCellState() ? new float[Shapes.arrayLength("c_n", spec.slots(), batch, spec.hiddenSize())]
                        : null);
    }

    public void check(RnnSpec spec, int batch, int seqLen) {
        if (this.batch != batch || this.seqLen != seqLen) {
            throw new IllegalArgumentException("result: allocated for batch " + this.batch + ", seqLen " + this.seqLen
                    + "; call has batch " + batch + ", seqLen " + seqLen);
        }
        Shapes.expect("output", output, batch, seqLen, spec.directions() * spec.outputSize());
        Shapes.expect("h_n", hN, spec.slots(), batch, spec.outputSize());
        if (spec.hasCellState()) {
            Shapes.expect("c_n", cN, spec.slots(), batch, spec.hiddenSize());
        }
    }
}
