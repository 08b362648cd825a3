package dev.recur4j.ref;

import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.Shapes;

/**
 * The naive double-precision reference behind the float {@link RnnEngine} API
 * ({@link Impl#REFERENCE}, {@code --impl reference}): widens the float inputs to double, runs
 * {@link ReferenceModel}, and rounds the outputs and gradients back to float.
 *
 * <p>Equations (PyTorch's, gate order i,f,g,o for LSTM and r,z,n for GRU):
 * <pre>
 * RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu
 * LSTM  i = σ(W_ii x + b_ii + W_hi h + b_hi + p_i⊙c),  f = σ(W_if x + b_if + W_hf h + b_hf + p_f⊙c)
 *       g = tanh(W_ig x + b_ig + W_hg h + b_hg),  c' = f⊙c + i⊙g
 *       o = σ(W_io x + b_io + W_ho h + b_ho + p_o⊙c'),  h' = W_hr (o⊙tanh(c'))  (W_hr only with projection)
 * GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *       n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))   linear-before-reset
 *       n = tanh(W_in x + b_in + W_hn (r⊙h) + b_hn)   reset-before-linear
 *       h' = (1-z)⊙n + z⊙h
 * </pre>
 * Each cell's class ({@link RnnCellNaive}, {@link LstmCellNaive}, {@link GruCellNaive}) gives its
 * forward and backward step line by line.
 *
 * <p>Slow by design (one matrix-vector product per sequence, step and gate); it holds no
 * workspace, so unlike the fast engines it may be shared between threads.
 */
public final class ReferenceRnn implements RnnEngine {
    private final RnnSpec spec;
    /** Kept to refuse parameter gradients that are these weights' arrays ({@link Shapes#checkDistinct}). */
    private final RnnWeights weights;
    private final ReferenceModel model;
    private volatile boolean closed;

    public ReferenceRnn(RnnWeights weights) {
        this.spec = weights.spec();
        this.weights = weights;
        this.model = new ReferenceModel(DoubleWeights.of(weights));
    }

    @Override
    public RnnSpec spec() {
        return spec;
    }

    @Override
    public Impl impl() {
        return Impl.REFERENCE;
    }

    @Override
    public void forward(RnnBatch in, RnnResult out) {
        ensureOpen();
        in.check(spec);
        out.check(spec, in.batch(), in.seqLen());
        Shapes.checkDistinct(spec, in, out);
        model.forward(DoubleBatch.of(in)).copyTo(out);
    }

    @Override
    public void forwardBackward(RnnBatch in, RnnGradOutput gradOut, RnnResult out, RnnGradients grads) {
        ensureOpen();
        in.check(spec);
        out.check(spec, in.batch(), in.seqLen());
        gradOut.check(spec, in.batch(), in.seqLen());
        grads.check(spec, in.batch(), in.seqLen());
        Shapes.checkDistinct(spec, in, gradOut, out, grads, weights);
        ReferenceModel.Backprop bp = model.forwardBackward(DoubleBatch.of(in), DoubleGradOutput.of(gradOut));
        bp.result().copyTo(out);
        bp.gradients().copyTo(grads);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("engine is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
