package dev.recur4j;

import dev.recur4j.exec.FastRnn;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.ref.ReferenceRnn;

/**
 * Entry point: builds an {@link RnnEngine} for some weights.
 *
 * <pre>{@code
 * RnnWeights w = PyTorchWeights.load(Path.of("lstm.safetensors"), CellKind.LSTM, "", true);
 * try (RnnEngine rnn = Rnn.create(w)) {
 *     RnnResult out = RnnResult.allocate(w.spec(), batch, seqLen);
 *     rnn.forward(RnnBatch.of(batch, seqLen, x), out);
 * }
 * }</pre>
 *
 * <p>The implementation and GEMM back end are chosen by {@link Backends}: the fastest that
 * loads, unless forced by {@code -Drecur4j.impl=reference|scalar|simd} and
 * {@code -Drecur4j.gemm=openblas|java} or by the arguments of {@link #create(RnnWeights, Impl, GemmKind, int)}.
 */
public final class Rnn {
    private Rnn() {
    }

    /** An engine with the automatically chosen (or property-forced) implementation, one thread. */
    public static RnnEngine create(RnnWeights weights) {
        return create(weights, null, null, 1);
    }

    /**
     * @param impl    null for automatic choice
     * @param gemm    null for automatic choice (ignored by {@link Impl#REFERENCE})
     * @param threads threads for the fast pipeline (and its GEMM), 1..{@link FastRnn#MAX_THREADS}
     */
    public static RnnEngine create(RnnWeights weights, Impl impl, GemmKind gemm, int threads) {
        FastRnn.checkThreads(threads);
        Impl chosenImpl = Backends.impl(impl);
        if (chosenImpl == Impl.REFERENCE) {
            return new ReferenceRnn(weights);
        }
        Gemm g = Gemms.get(Backends.gemm(gemm));
        return new FastRnn(weights, chosenImpl, g, threads);
    }
}
