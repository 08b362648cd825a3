package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.NanFill;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.ref.ReferenceRnn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The small-batch (GEMV) path against the double-precision {@link ReferenceRnn}: every supported
 * cell and variant (LSTM with and without peepholes, both GRU variants, RNN tanh/relu), 1–3
 * layers, both directions, bias or not, h0/c0 or not, variable lengths, B from 1 to
 * {@link SmallBatchForward#MAX_BATCH}, T including 1, H including sizes that are not multiples of
 * any block width and smaller than one block, 1 and 2 threads. Half the cases go through
 * {@link FastRnn#forward} (checking the dispatch), half construct the path directly.
 *
 * <p>Tolerance: the {@link Closeness} contract of the fast pipeline (1e-4·max(1, max|want|) +
 * 1e-3·|want|); the GEMV sums the same fp32 products as the GEMM path in another order, so the
 * same argument bounds its rounding (dot products of length ≤ 40 + 80, ≤ 17 steps, contracting cells).
 */
class SmallBatchForwardTest {
    private static final long SEED = Long.getLong("recur4j.test.seed", 20261123L);
    private static final int CONFIGS = Integer.getInteger("recur4j.test.configs", 150);
    private static final int[] HIDDEN = {1, 3, 8, 16, 17, 33, 40};
    private static final int[] STEPS = {1, 2, 3, 6, 17};
    private static final int[] INPUT = {1, 3, 5, 17, 33};

    @ParameterizedTest
    @EnumSource(value = Impl.class, names = {"SCALAR", "SIMD"})
    void matchesReference(Impl impl) {
        Random rnd = new Random(SEED + impl.ordinal());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < CONFIGS && failures.size() < 5; i++) {
            RnnSpec spec = drawSpec(rnd);
            RnnBatch batch = drawBatch(rnd, spec, 1 + rnd.nextInt(Math.max(1, SmallBatchForward.MAX_BATCH)));
            int threads = 1 + rnd.nextInt(2);
            boolean viaFastRnn = rnd.nextBoolean();
            RnnWeights w = RnnWeights.random(spec, rnd.nextLong());
            RnnResult want = RnnResult.allocate(spec, batch.batch(), batch.seqLen());
            RnnResult got = RnnResult.allocate(spec, batch.batch(), batch.seqLen());
            try (ReferenceRnn ref = new ReferenceRnn(w)) {
                ref.forward(batch, want);
            }
            // Garbage in the results: the path must overwrite every element, padding included.
            NanFill.result(got);
            run(w, impl, threads, viaFastRnn, batch, got);
            List<String> diffs = new ArrayList<>();
            add(diffs, Closeness.check("output", want.output(), got.output(), 1));
            add(diffs, Closeness.check("h_n", want.hN(), got.hN(), 1));
            add(diffs, Closeness.check("c_n", want.cN(), got.cN(), 1));
            if (!diffs.isEmpty()) {
                failures.add("config #" + i + " " + spec + " B=" + batch.batch() + " T=" + batch.seqLen()
                        + " lengths=" + java.util.Arrays.toString(batch.lengths()) + " h0=" + (batch.h0() != null)
                        + " c0=" + (batch.c0() != null) + " threads=" + threads + " viaFastRnn=" + viaFastRnn
                        + "\n    " + String.join("\n    ", diffs));
            }
        }
        if (!failures.isEmpty()) {
            fail("seed " + SEED + ": " + failures.size() + " failing configuration(s) (stopped at 5)\n"
                    + String.join("\n", failures));
        }
    }

    /**
     * LSTM (with and without peepholes), GRU (both variants) and RNN (tanh, relu) with H large enough for the
     * multi-block GEMV and cell groups (4 and 2 blocks side by side, then single blocks: H = 64, 100, 130,
     * 200 give 4, 7, 9, 13 blocks of 16, walked up and down on alternate steps) and for the private h copy
     * of 2+ members; threads 1–3 (capped at the machine's cores), B 1–MAX_BATCH (chunks of 4, 3, 2
     * and 1 rows in the GEMV), T including 1, variable
     * lengths. Tolerance: the {@link Closeness} contract as above; dot products here have length
     * ≤ 200 + 33 and T ≤ 12, and the fp32 rounding of such sums stays orders of magnitude below it.
     */
    @ParameterizedTest
    @EnumSource(value = Impl.class, names = {"SCALAR", "SIMD"})
    void wideLayersMatchReference(Impl impl) {
        int[] hidden = {64, 100, 130, 200};
        int[] steps = {1, 5, 12};
        Random rnd = new Random(SEED + 10 + impl.ordinal());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < 48 && failures.size() < 5; i++) {
            // the cell by i % 8 (LSTM, GRU linear-before-reset, RNN tanh, GRU reset-before-linear, then with RNN
            // relu for tanh), H by i / 8: every cell and variant meets every H
            CellKind ck = switch (i % 4) {
                case 0 -> CellKind.LSTM;
                case 2 -> i % 8 == 2 ? CellKind.RNN_TANH : CellKind.RNN_RELU;
                default -> CellKind.GRU;
            };
            RnnSpec spec = RnnSpec.builder(ck, rnd.nextBoolean() ? 3 : 33, hidden[(i / 8) % hidden.length])
                    .bias(rnd.nextInt(4) != 0).peepholes(ck == CellKind.LSTM && rnd.nextBoolean())
                    .linearBeforeReset(i % 4 != 3).bidirectional(i % 5 == 0).build();
            int b = 1 + rnd.nextInt(Math.max(1, SmallBatchForward.MAX_BATCH));
            int t = steps[rnd.nextInt(steps.length)];
            int[] lengths = new int[b];
            for (int r = 0; r < b; r++) {
                lengths[r] = rnd.nextBoolean() ? t : 1 + rnd.nextInt(t);
            }
            float[] h0 = rnd.nextBoolean() ? uniform(rnd, spec.slots() * b * spec.hiddenSize()) : null;
            float[] c0 = rnd.nextBoolean() && spec.hasCellState() ? uniform(rnd, spec.slots() * b * spec.hiddenSize()) : null;
            RnnBatch batch = new RnnBatch(b, t, uniform(rnd, b * t * spec.inputSize()), lengths, h0, c0);
            int threads = 1 + i % 3;
            RnnWeights w = RnnWeights.random(spec, rnd.nextLong());
            RnnResult want = RnnResult.allocate(spec, b, t);
            RnnResult got = RnnResult.allocate(spec, b, t);
            try (ReferenceRnn ref = new ReferenceRnn(w)) {
                ref.forward(batch, want);
            }
            NanFill.result(got);
            run(w, impl, threads, false, batch, got);
            List<String> diffs = new ArrayList<>();
            add(diffs, Closeness.check("output", want.output(), got.output(), 1));
            add(diffs, Closeness.check("h_n", want.hN(), got.hN(), 1));
            add(diffs, Closeness.check("c_n", want.cN(), got.cN(), 1));
            if (!diffs.isEmpty()) {
                failures.add("case #" + i + " " + spec + " B=" + b + " T=" + t + " lengths="
                        + java.util.Arrays.toString(lengths) + " threads=" + threads + "\n    "
                        + String.join("\n    ", diffs));
            }
        }
        if (!failures.isEmpty()) {
            fail("seed " + SEED + ": " + failures.size() + " failing case(s)\n" + String.join("\n", failures));
        }
    }

    /**
     * A call whose caller runs it alone (its worker parked, and the team's policy having seen slow joins) computes
     * every block in member 0, with no hand-off: the same bits as one thread's call and as the team's, for every cell
     * kind, two bidirectional layers (four (layer, direction)s, so no barrier may be left waiting), H = 100 (7 blocks
     * of 16 or 13 of 8, split 3 / 4 or 6 / 7 in the team), 3 rows of lengths 9, 1 and 5.
     */
    @ParameterizedTest
    @EnumSource(value = Impl.class, names = {"SCALAR", "SIMD"})
    void aCallAloneGivesTheTeamsBits(Impl impl) {
        Random rnd = new Random(SEED + 20 + impl.ordinal());
        for (CellKind ck : CellKind.values()) {
            for (boolean lbr : ck == CellKind.GRU ? new boolean[] {true, false} : new boolean[] {true}) {
                RnnSpec spec = RnnSpec.builder(ck, 17, 100).numLayers(2).bidirectional(true).linearBeforeReset(lbr)
                        .build();
                RnnWeights w = RnnWeights.random(spec, rnd.nextLong());
                RnnBatch batch = new RnnBatch(3, 9, uniform(rnd, 3 * 9 * 17), new int[] {9, 1, 5},
                        uniform(rnd, spec.slots() * 3 * 100), spec.hasCellState()
                        ? uniform(rnd, spec.slots() * 3 * 100) : null);
                RnnResult one = RnnResult.allocate(spec, 3, 9);
                run(w, impl, 1, false, batch, one);
                RnnResult team = RnnResult.allocate(spec, 3, 9);
                run(w, impl, 2, false, batch, team);
                RnnResult alone = RnnResult.allocate(spec, 3, 9);
                NanFill.result(alone);
                try (SmallBatchForward path = new SmallBatchForward(w, impl, 2, SpinTeamTest.slowJoinsSeen())) {
                    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                        SpinUntil.holds(path::workersParked, "the worker has parked");
                        path.forward(batch, alone);
                        // a call alone wakes nobody (and this one came long after the last): a worker that took part
                        // would be spinning now
                        assertTrue(path.workersParked(), "the call woke the worker: it did not run alone");
                    });
                }
                String what = spec + " " + impl;
                assertArrayEquals(one.output(), team.output(), "team output " + what);
                assertArrayEquals(one.output(), alone.output(), "output alone " + what);
                assertArrayEquals(one.hN(), alone.hN(), "h_n alone " + what);
                if (spec.hasCellState()) {
                    assertArrayEquals(one.cN(), alone.cN(), "c_n alone " + what);
                }
            }
        }
    }

    /** Two calls on one engine, the second with other lengths and h0, match two fresh engines. */
    @ParameterizedTest
    @EnumSource(value = Impl.class, names = {"SCALAR", "SIMD"})
    void repeatedCallsReuseStateCorrectly(Impl impl) {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 5, 37).numLayers(2).bidirectional(true).peepholes(true).build();
        RnnWeights w = RnnWeights.random(spec, 7);
        Random rnd = new Random(3);
        RnnBatch first = drawBatch(rnd, spec, 2);
        // The second call is longer and has more rows: every per-row buffer (and the threads' hand-off buffers)
        // grows between the calls.
        int t = first.seqLen() + 3;
        RnnBatch second = new RnnBatch(5, t, uniform(rnd, 5 * t * 5), new int[] {1, t, 2, t, t - 1},
                uniform(rnd, spec.slots() * 5 * 37), null);
        RnnResult a1 = RnnResult.allocate(spec, 2, first.seqLen());
        RnnResult a2 = RnnResult.allocate(spec, 5, t);
        RnnResult b2 = RnnResult.allocate(spec, 5, t);
        try (SmallBatchForward one = new SmallBatchForward(w, impl, 2)) {
            one.forward(first, a1);
            one.forward(second, a2);
        }
        try (SmallBatchForward fresh = new SmallBatchForward(w, impl, 2)) {
            fresh.forward(second, b2);
        }
        assertArrayEquals(b2.output(), a2.output());
        assertArrayEquals(b2.hN(), a2.hN());
        assertArrayEquals(b2.cN(), a2.cN());
    }

    @org.junit.jupiter.api.Test
    void closeStopsItsThreads() throws InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2,
                "one core: the team has one member and starts no thread");
        org.junit.jupiter.api.Assumptions.assumeTrue(SmallBatchForward.MAX_BATCH >= 1,
                "recur4j.smallBatchMax=0: every batch takes the GEMM path");
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 4, 64).build();
        RnnWeights w = RnnWeights.random(spec, 1);
        RnnBatch batch = RnnBatch.of(1, 3, uniform(new Random(1), 12));
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        FastRnn fast = new FastRnn(w, Impl.SIMD, Gemms.get(GemmKind.JAVA), 2);
        fast.forward(batch, RnnResult.allocate(spec, 1, 3));
        // this engine's workers: other tests' engines may still be open in this JVM
        List<Thread> workers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("recur4j-gemv-") && t.isAlive() && !before.contains(t)).toList();
        assertFalse(workers.isEmpty(), "the 2-thread team started no worker");
        fast.close();
        for (Thread t : workers) {
            t.join(5000);
            assertFalse(t.isAlive(), "thread " + t.getName() + " still running after close");
        }
    }

    static RnnSpec drawSpec(Random rnd) {
        CellKind cell = CellKind.values()[rnd.nextInt(CellKind.values().length)];
        RnnSpec.Builder sb = RnnSpec.builder(cell, INPUT[rnd.nextInt(INPUT.length)], HIDDEN[rnd.nextInt(HIDDEN.length)])
                .numLayers(1 + rnd.nextInt(3))
                .bidirectional(rnd.nextBoolean())
                .bias(rnd.nextInt(4) != 0);
        if (cell == CellKind.LSTM) {
            sb.peepholes(rnd.nextBoolean());
        }
        if (cell == CellKind.GRU) {
            sb.linearBeforeReset(rnd.nextBoolean());
        }
        return sb.build();
    }

    static RnnBatch drawBatch(Random rnd, RnnSpec spec, int b) {
        return RandomConfig.batch(rnd, spec, b, STEPS[rnd.nextInt(STEPS.length)]);
    }

    private static void run(RnnWeights w, Impl impl, int threads, boolean viaFastRnn, RnnBatch batch, RnnResult out) {
        if (viaFastRnn) {
            try (FastRnn fast = new FastRnn(w, impl, Gemms.get(GemmKind.JAVA), threads)) {
                fast.forward(batch, out);
            }
        } else {
            try (SmallBatchForward path = new SmallBatchForward(w, impl, threads)) {
                path.forward(batch, out);
            }
        }
    }

    private static float[] uniform(Random rnd, int n) {
        return RandomConfig.uniform(rnd, n);
    }

    private static void add(List<String> diffs, String d) {
        if (d != null) {
            diffs.add(d);
        }
    }
}
