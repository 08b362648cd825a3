package dev.recur4j.ref;

import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;

/** PLACEHOLDER, being written: the naive double-precision reference. */
public final class ReferenceRnn implements RnnEngine {
    private final RnnWeights weights;

    public ReferenceRnn(RnnWeights weights) {
        this.weights = weights;
    }

    @Override public RnnSpec spec() { return weights.spec(); }
    @Override public Impl impl() { return Impl.REFERENCE; }
    @Override public void forward(RnnBatch in, RnnResult out) { throw new UnsupportedOperationException("not yet"); }
    @Override public void forwardBackward(RnnBatch in, RnnGradOutput g, RnnResult out, RnnGradients grads) {
        throw new UnsupportedOperationException("not yet");
    }
    @Override public void close() { }
}
