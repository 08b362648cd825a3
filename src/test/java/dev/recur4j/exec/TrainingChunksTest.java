package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recur4j.CellKind;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * BPTT with enough rows (B*T = 1920) that each thread's chunk holds several dX blocks
 * (BackwardPass.DX_BLOCK_ROWS), so a thread that finishes its time loop first takes blocks of the
 * other chunks; the random configs of {@link FastVsReferenceTest} stay below one block. Against the
 * reference through {@link FastVsReferenceTest#compareEveryEngine} (its tolerances; both impls, every GEMM back end),
 * at 2 and 3 threads. Those tolerances
 * were argued for at most 17 steps; here T = 30 and the weight gradients sum over B*T = 1920 rows (fp32 rounding
 * of such a sum ≈ √1920 · 6e-8 ≈ 3e-6 of its terms' magnitude typically), and the measured worst |diff| / tolerance
 * is 0.0018: still far inside, while a row taken twice or skipped changes a gradient by a whole row's share.
 */
class TrainingChunksTest {

    @Test
    void manyRowsSplitOverThreadsMatchTheReference() {
        Random rnd = new Random(64);
        RnnSpec[] specs = {
            RnnSpec.builder(CellKind.LSTM, 5, 9).build(),
            RnnSpec.builder(CellKind.LSTM, 5, 9).numLayers(2).bidirectional(true).build(),
            RnnSpec.builder(CellKind.GRU, 5, 9).build(),
            RnnSpec.builder(CellKind.GRU, 5, 9).linearBeforeReset(false).build(),
            RnnSpec.builder(CellKind.RNN_TANH, 5, 9).build(),
        };
        List<String> failures = new ArrayList<>();
        for (RnnSpec spec : specs) {
            for (int threads = 2; threads <= 3; threads++) {
                int b = 64;
                int t = 30;
                RnnBatch batch = RandomConfig.batch(rnd, spec, b, t);
                int hn = spec.slots() * b * spec.outputSize();
                RnnGradOutput go = new RnnGradOutput(RandomConfig.uniform(rnd, b * t * spec.directions() * spec.outputSize()),
                        RandomConfig.uniform(rnd, hn),
                        spec.hasCellState() ? RandomConfig.uniform(rnd, spec.slots() * b * spec.hiddenSize()) : null);
                RandomConfig cfg = new RandomConfig(spec, rnd.nextLong(), batch, go, true, threads);
                failures.addAll(FastVsReferenceTest.compareEveryEngine(cfg, InputFusion.MAX_WEIGHT_BYTES));
            }
        }
        assertEquals(List.of(), failures);
    }
}
