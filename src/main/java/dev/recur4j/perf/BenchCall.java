package dev.recur4j.perf;

import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;

/**
 * One benchmarked call with all its buffers allocated up front, so that repeating it allocates
 * only what the engine itself allocates. {@code gradOut} and {@code grads} are needed only for
 * {@link BenchMode#TRAINING} (null otherwise).
 */
public record BenchCall(RnnEngine engine, RnnBatch batch, RnnResult result, RnnGradOutput gradOut,
                        RnnGradients grads, BenchMode mode) {

    public BenchCall {
        if (engine == null || batch == null || result == null || mode == null) {
            throw new IllegalArgumentException("engine, batch, result and mode must not be null");
        }
        if (mode == BenchMode.TRAINING && (gradOut == null || grads == null)) {
            throw new IllegalArgumentException("training needs gradOut and grads");
        }
    }

    /** Runs the call once. */
    public void run() {
        if (mode == BenchMode.TRAINING) {
            engine.forwardBackward(batch, gradOut, result, grads);
        } else {
            engine.forward(batch, result);
        }
    }

    /** The FLOPs of one call, as {@link dev.recur4j.RnnFlops} counts them. */
    public double flops() {
        return mode.flops(engine.spec(), batch.batch(), batch.seqLen());
    }
}
