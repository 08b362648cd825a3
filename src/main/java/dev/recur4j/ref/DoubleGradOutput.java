package dev.recur4j.ref;

import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnSpec;

/**
 * {@link RnnGradOutput} in double precision: gradients of the loss with respect to the outputs.
 *
 * <pre>
 * gradOutput [B, T, D*Hout]  entries at padded steps are ignored
 * gradHn     [L*D, B, Hout]  null means zeros
 * gradCn     [L*D, B, H]     LSTM only; null means zeros
 * </pre>
 */
public record DoubleGradOutput(double[] gradOutput, double[] gradHn, double[] gradCn) {

    public static DoubleGradOutput of(RnnGradOutput g) {
        return new DoubleGradOutput(Precision.widen(g.gradOutput()), Precision.widen(g.gradHn()),
                Precision.widen(g.gradCn()));
    }

    /** Same checks and messages as {@link RnnGradOutput#check(RnnSpec, int, int)}. */
    public void check(RnnSpec spec, int batch, int seqLen) {
        DoubleShapes.expect("grad_output", gradOutput, batch, seqLen, spec.directions() * spec.outputSize());
        if (gradHn != null) {
            DoubleShapes.expect("grad_h_n", gradHn, spec.slots(), batch, spec.outputSize());
        }
        if (gradCn != null) {
            if (!spec.hasCellState()) {
                throw new IllegalArgumentException("grad_c_n: only LSTM has a cell state, cell is " + spec.cell());
            }
            DoubleShapes.expect("grad_c_n", gradCn, spec.slots(), batch, spec.hiddenSize());
        }
    }
}
