package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.util.Random;

/**
 * Run by {@link TrainingAllocationTest} in a fresh JVM (see {@link ForwardAllocationProbe} for why).
 * Prints one line per case: {@code <case> <the least bytes a round of forwardBackward calls allocated>},
 * or {@code <case> skipped}.
 */
public final class TrainingAllocationProbe {

    /**
     * {@code args[0]}: lstm, lstm-proj, lstm-peep, gru, gru-rbl or rnn (one cell family per JVM); {@code args[1]},
     * optional: the kernel sets ({@link AllocationProbeCases#impls}).
     */
    public static void main(String[] args) {
        RnnSpec[] specs = switch (args[0]) {
            // Same LSTM specs as the forward probe.
            case "lstm" -> new RnnSpec[] {
                    RnnSpec.builder(CellKind.LSTM, 7, 19).numLayers(2).bidirectional(true).build()};
            // Its own JVM, as in the forward probe: after the stacked bidirectional LSTM had shaped the
            // profiles, the projection path with OpenBLAS sometimes (2 of 72 runs) kept boxing vectors
            // (750720 bytes per 20 calls) while lstmLoop called helpers; 0 of 40 runs since (README, Known gaps).
            case "lstm-proj" -> new RnnSpec[] {RnnSpec.builder(CellKind.LSTM, 7, 19).projSize(5).build()};
            // VectorKernels.lstmPeepholeLoop, which must allocate nothing whichever way C2 inlines it.
            case "lstm-peep" -> new RnnSpec[] {
                    RnnSpec.builder(CellKind.LSTM, 7, 19).numLayers(2).bidirectional(true).peepholes(true).build()};
            case "gru" -> new RnnSpec[] {RnnSpec.builder(CellKind.GRU, 7, 19).numLayers(2).build()};
            case "gru-rbl" -> new RnnSpec[] {RnnSpec.builder(CellKind.GRU, 7, 19).linearBeforeReset(false).build()};
            case "rnn" -> new RnnSpec[] {RnnSpec.builder(CellKind.RNN_TANH, 7, 19).bidirectional(true).build(),
                    RnnSpec.builder(CellKind.RNN_RELU, 7, 19).bidirectional(true).build()};
            default -> throw new IllegalArgumentException(args[0]);
        };
        AllocationProbeCases.printEach(specs, AllocationProbeCases.impls(args), TrainingAllocationProbe::probe);
    }

    /** The least bytes allocated by a round of calls over the rounds of warm-up (see {@link AllocationRounds}). */
    static long probe(RnnSpec spec, Impl impl, GemmKind gemm, int threads) {
        Random rnd = new Random(3);
        RnnBatch in = AllocationProbeCases.batch(rnd, spec);
        RnnResult out = RnnResult.allocate(spec, in.batch(), in.seqLen());
        RnnGradOutput go = new RnnGradOutput(RandomConfig.uniform(rnd, out.output().length), null, null);
        RnnGradients grads = RnnGradients.allocate(spec, in.batch(), in.seqLen());
        try (FastRnn e = new FastRnn(RnnWeights.random(spec, 5), impl, Gemms.get(gemm), threads)) {
            return AllocationRounds.leastBytesPerRound(() -> e.forwardBackward(in, go, out, grads));
        }
    }
}
