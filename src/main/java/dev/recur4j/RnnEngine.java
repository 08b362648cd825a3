package dev.recur4j;

/**
 * Runs one {@link RnnSpec} with one set of {@link RnnWeights}. The three implementations
 * ({@link Impl}) all implement this and compute the same math.
 *
 * <p>An engine holds prepared weights (shared, read-only) and a workspace that it reuses across
 * calls, so one engine serves one thread at a time; create one engine per thread over the same
 * weights. A fast engine called while another thread's call runs throws {@link IllegalStateException}
 * rather than share its workspace. Closing releases native memory; a closed engine throws
 * {@link IllegalStateException}. A close while a call runs lets that call finish, then releases.
 *
 * <p>The arrays of {@code out} (and {@code grads}) must not be those of {@code in} (or {@code gradOut}):
 * an engine may write results while it still reads its inputs (the fast path writes the output step by
 * step while later steps' inputs are still to be read). Nor may two arrays a call writes be one, nor the parameter
 * gradients be the engine's weights. A call that finds such an array throws {@link IllegalArgumentException} naming
 * both, before it writes anything; so h_n is fed back as the next call's h0 by copying it, or through two results
 * used in turn.
 */
public interface RnnEngine extends AutoCloseable {

    RnnSpec spec();

    /** Which implementation this is. */
    Impl impl();

    /** Inference: fills {@code out}; keeps nothing for backward. */
    void forward(RnnBatch in, RnnResult out);

    /**
     * Training: runs the forward pass (filling {@code out}) and BPTT over the whole sequence,
     * overwriting every array of {@code grads} with the gradients of the loss whose output
     * gradients are {@code gradOut}.
     */
    void forwardBackward(RnnBatch in, RnnGradOutput gradOut, RnnResult out, RnnGradients grads);

    @Override
    void close();
}
