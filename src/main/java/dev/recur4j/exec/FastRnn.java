package dev.recur4j.exec;

import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.Gemm;

/** PLACEHOLDER, being written: the fast fp32 pipeline (scalar or SIMD kernels, over a Gemm). */
public final class FastRnn implements RnnEngine {
    private final RnnWeights weights;
    private final Impl impl;

    public FastRnn(RnnWeights weights, Impl impl, Gemm gemm, int threads) {
        this.weights = weights;
        this.impl = impl;
    }

    @Override public RnnSpec spec() { return weights.spec(); }
    @Override public Impl impl() { return impl; }
    @Override public void forward(RnnBatch in, RnnResult out) { throw new UnsupportedOperationException("not yet"); }
    @Override public void forwardBackward(RnnBatch in, RnnGradOutput g, RnnResult out, RnnGradients grads) {
        throw new UnsupportedOperationException("not yet");
    }
    @Override public void close() { }
}
