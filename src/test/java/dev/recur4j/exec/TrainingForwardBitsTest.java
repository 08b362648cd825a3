package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.JavaGemm;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A training call's forward gives the bits of an inference call: outputs, h_n and c_n. The kernels promise it
 * (training and inference run the same passes in the same order, {@code VectorKernels}), and the pipeline keeps it
 * by giving both the same products: with the input projection in the steps, one product over [x_t | h] whose rows
 * the Java GEMM computes the same whichever rows share its call (inference in blocks of rows, training in chunks);
 * without it (limit 0), the same up-front projection and recurrent product. A kernel that summed in another order
 * in one of the two, or a product of another shape, would pass the tolerance of the reference tests and fail here.
 * LSTM and GRU linear-before-reset, SIMD and scalar, 1 and 2 threads, two bidirectional layers, more rows than
 * {@link SmallBatchForward#MAX_BATCH} (the small-batch path computes otherwise), lengths, h0, c0 drawn at random.
 */
class TrainingForwardBitsTest {
    @ParameterizedTest
    @CsvSource({"LSTM, SIMD, 1", "LSTM, SCALAR, 2", "GRU, SIMD, 1", "GRU, SIMD, 2", "GRU, SCALAR, 1"})
    void trainingForwardGivesTheBitsOfInference(CellKind cell, Impl impl, int threads) {
        RnnSpec spec = RnnSpec.builder(cell, 11, 21).numLayers(2).bidirectional(true).build();
        RnnWeights w = RnnWeights.random(spec, 5);
        Random rnd = new Random(20261204L + threads);
        int rows = SmallBatchForward.MAX_BATCH + 11;
        for (long limit : new long[] {InputFusion.MAX_WEIGHT_BYTES, 0}) {
            assertEquals(limit > 0, InputFusion.applies(spec, limit));
            RnnBatch in = RandomConfig.batch(rnd, spec, rows, 5);
            RnnResult inference = RnnResult.allocate(spec, rows, in.seqLen());
            RnnResult training = RnnResult.allocate(spec, rows, in.seqLen());
            int outputs = rows * in.seqLen() * spec.directions() * spec.outputSize();
            try (FastRnn e = new FastRnn(w, impl, new JavaGemm(), threads, limit)) {
                assertTrue(rows > SmallBatchForward.MAX_BATCH, "the batch must take the GEMM path");
                e.forward(in, inference);
                e.forwardBackward(in, new RnnGradOutput(RandomConfig.uniform(rnd, outputs), null, null), training,
                        RnnGradients.allocate(spec, rows, in.seqLen()));
            }
            String what = cell + " " + impl + " " + threads + " threads, limit " + limit;
            assertArrayEquals(inference.output(), training.output(), what + ": output");
            assertArrayEquals(inference.hN(), training.hN(), what + ": h_n");
            if (spec.hasCellState()) {
                assertArrayEquals(inference.cN(), training.cN(), what + ": c_n");
            }
        }
    }
}
