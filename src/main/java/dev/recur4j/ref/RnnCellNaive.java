package dev.recur4j.ref;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;

/**
 * The Elman RNN cell, one step:
 * <pre>
 * a  = W_ih x + b_ih + W_hh h + b_hh      [H]
 * h' = act(a)                             act = tanh or relu
 * </pre>
 * Backward: da = dh' ⊙ act'(a), with tanh'(a) = 1 - h'² and relu'(a) = (a > 0 ? 1 : 0)
 * (0 at exactly a = 0, PyTorch's convention); then dW_ih += da xᵀ, dW_hh += da hᵀ,
 * db_ih = db_hh += da, dx = W_ihᵀ da, dh = W_hhᵀ da.
 */
final class RnnCellNaive implements CellNaive {
    private final boolean relu;
    private final int hidden;
    private final DoubleLayerParams p;

    RnnCellNaive(RnnSpec spec, DoubleLayerParams p) {
        this.relu = spec.cell() == CellKind.RNN_RELU;
        this.hidden = spec.hiddenSize();
        this.p = p;
    }

    @Override
    public State forwardStep(double[] x, State prev) {
        double[] a = preActivation(x, prev.h());
        double[] h = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            h[j] = relu ? Math.max(a[j], 0.0) : Math.tanh(a[j]);
        }
        return new State(h, null);
    }

    @Override
    public StepGrads backwardStep(double[] x, State prev, State dNext, DoubleLayerParams grads) {
        double[] a = preActivation(x, prev.h());
        double[] da = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            if (relu) {
                // selected, not multiplied by a 0/1 derivative, as PyTorch's threshold_backward does: a clipped
                // unit passes no gradient, not even a NaN or ∞ one (0 · NaN would be NaN)
                da[j] = a[j] > 0 ? dNext.h()[j] : 0.0;
            } else {
                double t = Math.tanh(a[j]);
                da[j] = dNext.h()[j] * (1.0 - t * t);
            }
        }
        double[] dx = new double[x.length];
        double[] dh = new double[prev.h().length];
        NaiveOps.affineBackward(p.wIh(), grads.wIh(), grads.bIh(), 0, da, x, dx);
        NaiveOps.affineBackward(p.wHh(), grads.wHh(), grads.bHh(), 0, da, prev.h(), dh);
        return new StepGrads(dx, dh, null);
    }

    /** a = W_ih x + b_ih + W_hh h + b_hh. */
    private double[] preActivation(double[] x, double[] h) {
        return NaiveOps.plus(NaiveOps.affine(p.wIh(), p.bIh(), 0, hidden, x),
                NaiveOps.affine(p.wHh(), p.bHh(), 0, hidden, h));
    }
}
