package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * BPTT with enough rows (B*T = 1920) that each thread's chunk holds several dX blocks
 * (BackwardPass.DX_BLOCK_ROWS), so a thread that finishes its time loop first takes blocks of the
 * other chunks; the random configs of {@link FastVsReferenceTest} stay below one block. Against the
 * reference through {@link FastVsReferenceTest#compareEveryEngine} (its tolerances; both impls, every GEMM back end),
 * at 2 and 3 threads. Those tolerances
 * were argued for at most 17 steps; here T = 30 and the weight gradients sum over B*T = 1920 rows (fp32 rounding
 * of such a sum ≈ √1920 · 6e-8 ≈ 3e-6 of its terms' magnitude typically), and the measured worst |diff| / tolerance
 * is 0.0018: still far inside, while a row taken twice or skipped changes a gradient by a whole row's share. The
 * engines count the blocks taken over, and the test requires some in the calls it checked, so that it cannot pass
 * without testing the take-over.
 */
class TrainingChunksTest {
    /**
     * Rounds of every config at most, until some engine has taken a dX block from another chunk. Whether one does
     * depends on timing (a thread must finish its own blocks while another chunk still has some left), so a round
     * can miss by chance; a false failure needs every row task of every round to miss. A round has 64 or more
     * (l, d) row tasks with 2 or 3 threads each (5 specs, one of them 2 layers bidirectional, × 2 thread counts × 2
     * impls × 2 calls, on the Java GEMM alone); on a busy 2-core machine 34 of a round's 40 engines (2 calls each)
     * took blocks. With the take-over turned off the test fails here, after 3 rounds.
     */
    private static final int MAX_ROUNDS = 3;

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
        AtomicLong taken = new AtomicLong(); // dX blocks taken from another chunk, in calls checked against the reference
        int rounds = 0;
        while (rounds < MAX_ROUNDS && taken.get() == 0 && failures.isEmpty()) {
            rounds++;
            for (RnnSpec spec : specs) {
                for (int threads = 2; threads <= 3; threads++) {
                    int b = 64;
                    int t = 30;
                    RnnBatch batch = RandomConfig.batch(rnd, spec, b, t);
                    int hn = spec.slots() * b * spec.outputSize();
                    RnnGradOutput go = new RnnGradOutput(
                            RandomConfig.uniform(rnd, b * t * spec.directions() * spec.outputSize()),
                            RandomConfig.uniform(rnd, hn),
                            spec.hasCellState() ? RandomConfig.uniform(rnd, spec.slots() * b * spec.hiddenSize()) : null);
                    RandomConfig cfg = new RandomConfig(spec, rnd.nextLong(), batch, go, true, threads);
                    failures.addAll(FastVsReferenceTest.compareEveryEngine(cfg, InputFusion.MAX_WEIGHT_BYTES,
                            taken::addAndGet));
                }
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(taken.get() > 0, "no thread took a dX block from another chunk in " + rounds + " round(s)");
    }
}
