package dev.recur4j;

/**
 * The gradients flowing into a backward pass: of the loss with respect to the forward outputs.
 *
 * <pre>
 * gradOutput [B, T, D*Hout]  entries at padded steps are ignored (those outputs are constant zero)
 * gradHn     [L*D, B, Hout]  null means zeros
 * gradCn     [L*D, B, H]     LSTM only; null means zeros
 * </pre>
 */
public record RnnGradOutput(float[] gradOutput, float[] gradHn, float[] gradCn) {

    public void check(RnnSpec spec, int batch, int seqLen) {
        Shapes.expect("grad_output", gradOutput, batch, seqLen, spec.directions() * spec.outputSize());
        if (gradHn != null) {
            Shapes.expect("grad_h_n", gradHn, spec.slots(), batch, spec.outputSize());
        }
        if (gradCn != null) {
            if (!spec.hasCellState()) {
                throw new IllegalArgumentException("grad_c_n: only LSTM has a cell state, cell is " + spec.cell());
            }
            Shapes.expect("grad_c_n", gradCn, spec.slots(), batch, spec.hiddenSize());
        }
    }
}
