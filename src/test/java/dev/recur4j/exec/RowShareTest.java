package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.ref.ReferenceRnn;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * Rows handed from one thread's time loop to another's ({@link RowShare}): the protocol on its own
 * (every (row, step) run exactly once, in step order per row, by 2 to 4 threads with random delays, one
 * team and share reused for every run; a loop that throws while another thread waits for its answer),
 * and the forward pass with one chunk slowed down so that the others take its rows, against the same
 * engine with one thread. The Java GEMM sums every element in the same order whatever rows share a call,
 * so the outputs must be equal to the bit: a row run twice, skipped at a step or continued from stale
 * state would not be. On OpenBLAS, which promises no order, the same runs are checked against the float64
 * reference instead. A deadlock fails by the timeouts instead of hanging the build.
 */
@Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD) // a hang fails here, with every stack printed
class RowShareTest {

    /**
     * A RowShare whose chunk 0 sleeps at every step boundary, and that counts the rows it hands over. Its first
     * loop also holds at step {@code holdStep} until another thread asks (up to 10 s), so that each layer hands
     * rows over however slowly the others run (the Vector API before C2 compiles it is slower than any sleep);
     * at step 0 the rows change hands before the owner has run a step on them.
     */
    private static final class SlowChunkZero extends RowShare {
        final AtomicInteger handedOver = new AtomicInteger();
        private final long sleepNanos;
        private final int holdStep;

        SlowChunkZero(int threads, long sleepNanos, int holdStep) {
            super(threads);
            this.sleepNanos = sleepNanos;
            this.holdStep = holdStep;
        }

        @Override
        int keep(int chunk, int step, int from, int to) {
            if (chunk == 0 && from == 0 && step == holdStep) {
                askedWithin10s(this, 0); // without an ask in 10 s it goes on: a hold, not a check
            } else if (chunk == 0) {
                LockSupport.parkNanos(sleepNanos);
            }
            int end = super.keep(chunk, step, from, to);
            handedOver.addAndGet(to - end);
            return end;
        }
    }

    @Test
    void everyRowAndStepRunsOnceAndInOrder() {
        Random rnd = new Random(11);
        SlowChunkZero[] shares = new SlowChunkZero[5];
        RowTeam[] teams = new RowTeam[5];
        try {
            for (int threads = 2; threads <= 4; threads++) { // one team and share per size, reused by every round
                shares[threads] = new SlowChunkZero(threads, 0, -1);
                teams[threads] = new RowTeam(threads, shares[threads]);
            }
            for (int round = 0; round < 60; round++) {
                int threads = 2 + round % 3;
                int rows = 1 + rnd.nextInt(90);
                int steps = 1 + rnd.nextInt(12);
                long[] delays = new long[threads]; // per step of a thread: one thread slow, the others not
                delays[rnd.nextInt(threads)] = 20_000 + rnd.nextInt(200_000);
                AtomicIntegerArray done = new AtomicIntegerArray(rows * steps); // how often (row, step) ran
                List<String> errors = new ArrayList<>();
                runLoops(teams[threads], shares[threads], rows, steps, delays, done, errors, -1);
                synchronized (errors) {
                    assertEquals(List.of(), errors, "round " + round);
                }
                for (int i = 0; i < rows * steps; i++) {
                    assertEquals(1, done.get(i), "round " + round + ": row " + i / steps + " step " + i % steps);
                }
            }
            for (int threads = 2; threads <= 4; threads++) {
                assertTrue(shares[threads].handedOver.get() > 0, threads + " threads: no rows handed over");
            }
        } finally {
            for (RowTeam t : teams) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    @Test
    void aLoopThatThrowsWhileAskedLetsTheTakerGoAndTheTeamRunAgain() {
        SlowChunkZero share = new SlowChunkZero(2, 0, -1);
        try (RowTeam team = new RowTeam(2, share)) {
            int rows = 40;
            int steps = 6;
            long[] delays = {0, 0};
            AtomicIntegerArray done = new AtomicIntegerArray(rows * steps);
            List<String> errors = new ArrayList<>();
            // chunk 0 waits at step 0 until the other thread asks, then throws instead of answering. At step 0,
            // before chunk 0's first keep, the ask is sure to come; at a later step keep may already have answered
            // every ask the taker makes (CI hung with step 2: a descheduled chunk 0 answered at steps 0 and 1)
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> runLoops(team, share, rows, steps, delays, done, errors, 0));
            assertEquals("chunk 0 failed at step 0", e.getMessage());
            // the same team and share again: every slot was left closed
            AtomicIntegerArray again = new AtomicIntegerArray(rows * steps);
            delays[0] = 100_000;
            runLoops(team, share, rows, steps, delays, again, errors, -1);
            synchronized (errors) {
                assertEquals(List.of(), errors);
            }
            for (int i = 0; i < rows * steps; i++) {
                assertEquals(1, again.get(i), "row " + i / steps + " step " + i % steps);
            }
        }
    }

    /**
     * One run of {@link #loop}s as ForwardPass runs its layer: every chunk's slot opened first, then each thread
     * its own rows and whatever it can take. With {@code failAt} >= 0 chunk 0 waits at that step for an ask and
     * throws.
     */
    private static void runLoops(RowTeam team, RowShare share, int rows, int steps, long[] delays,
                                 AtomicIntegerArray done, List<String> errors, int failAt) {
        team.openShares(rows);
        team.run(rows, (chunk, from, to) -> {
            try {
                loop(share, chunk, from, to, 0, steps, delays[chunk], done, errors, chunk == 0 ? failAt : -1);
            } finally {
                share.close(chunk);
            }
            while (share.take(chunk)) {
                share.open(chunk);
                try {
                    loop(share, chunk, share.from(chunk), share.to(chunk), share.step(chunk), steps, delays[chunk],
                            done, errors, -1);
                } finally {
                    share.close(chunk);
                }
            }
        });
    }

    /**
     * Waits until a taker asks for {@code chunk}'s rows, at most 10 s; whether one did. Bounded: a schedule in which
     * no ask comes must fail the test, not hang it.
     */
    private static boolean askedWithin10s(RowShare share, int chunk) {
        long giveUp = System.nanoTime() + 10_000_000_000L;
        while (!share.asked(chunk)) {
            if (System.nanoTime() > giveUp) {
                return false;
            }
            LockSupport.parkNanos(50_000);
        }
        return true;
    }

    /** A time loop as ForwardPass runs one: rows [from, to) from firstStep on, asking share at each step. */
    private static void loop(RowShare share, int chunk, int from, int to, int firstStep, int steps, long delay,
                             AtomicIntegerArray done, List<String> errors, int failAt) {
        for (int step = firstStep; step < steps; step++) {
            if (step == failAt) {
                if (!askedWithin10s(share, chunk)) {
                    throw new AssertionError("chunk " + chunk + ": no ask at step " + step + " within 10 s");
                }
                throw new IllegalStateException("chunk " + chunk + " failed at step " + step);
            }
            int kept = share.keep(chunk, step, from, to);
            if (kept <= from || (to - kept) % RowShare.GRAIN != 0 || to - kept > (to - from) / 2) {
                record(errors, "rows [" + from + ", " + to + ") kept [" + from + ", " + kept + ")");
            }
            to = kept;
            for (int r = from; r < to; r++) {
                if (step > 0 && done.get(r * steps + step - 1) != 1) {
                    record(errors, "row " + r + " step " + step + " before step " + (step - 1));
                }
                done.incrementAndGet(r * steps + step);
            }
            if (delay > 0) {
                LockSupport.parkNanos(delay);
            }
        }
    }

    private static void record(List<String> errors, String e) {
        synchronized (errors) {
            errors.add(e);
        }
    }

    @Test
    void aSlowChunksRowsTakenOverGiveTheOneThreadResult() {
        forEachSplit(new Random(5), RowShareTest::check);
    }

    /**
     * The same hand-overs on the OpenBLAS back end, against the float64 reference within
     * {@link FastVsReferenceTest}'s tolerance: OpenBLAS promises no summation order, so rows that change GEMM calls
     * need not give the one-thread result to the bit.
     */
    @Test
    void aSlowChunksRowsTakenOverOnOpenBlasMatchTheReference() {
        Assumptions.assumeTrue(Gemms.available(GemmKind.OPENBLAS), "OpenBLAS does not load here");
        forEachSplit(new Random(6), RowShareTest::checkAgainstReference);
    }

    private interface SplitCheck {
        void run(RnnSpec spec, int threads, long fusedMax, int b, int t, Random rnd);
    }

    /** Every cell family, split over 2 and 3 threads by rows, with and without InputFusion. */
    private static void forEachSplit(Random rnd, SplitCheck check) {
        List<RnnSpec> specs = new ArrayList<>();
        specs.add(RnnSpec.builder(CellKind.LSTM, 19, 33).build()); // fused input (InputFusion)
        specs.add(RnnSpec.builder(CellKind.LSTM, 19, 33).numLayers(2).projSize(7).peepholes(true).build());
        specs.add(RnnSpec.builder(CellKind.GRU, 19, 33).build()); // linear-before-reset
        specs.add(RnnSpec.builder(CellKind.GRU, 19, 33).linearBeforeReset(false).numLayers(2).build());
        specs.add(RnnSpec.builder(CellKind.RNN_TANH, 19, 17).build());
        // bidirectional: 3 threads split rows (2 would run one direction per thread)
        specs.add(RnnSpec.builder(CellKind.LSTM, 19, 17).bidirectional(true).build());
        for (RnnSpec spec : specs) {
            for (int threads : new int[] {2, 3}) {
                if (ForwardPass.splitsDirections(spec, threads)) {
                    continue; // one direction per thread, no rows split
                }
                for (long fusedMax : new long[] {InputFusion.MAX_WEIGHT_BYTES, 0}) {
                    // chunks of 18 and 19 rows (17, 18 and 18 with 3 threads): none a multiple of GRAIN, each
                    // at least 2 GRAIN so that chunk 0 has rows to hand over
                    check.run(spec, threads, fusedMax, threads == 2 ? 37 : 53, 9, rnd);
                }
            }
        }
    }

    private static void checkAgainstReference(RnnSpec spec, int threads, long fusedMax, int b, int t, Random rnd) {
        RnnBatch in = RandomConfig.batch(rnd, spec, b, t);
        RnnWeights w = RnnWeights.random(spec, rnd.nextLong());
        RnnResult want = RnnResult.allocate(spec, b, t);
        try (ReferenceRnn ref = new ReferenceRnn(w)) {
            ref.forward(in, want);
        }
        for (Impl impl : new Impl[] {Impl.SCALAR, Impl.SIMD}) {
            SlowChunkZero share = new SlowChunkZero(threads, 300_000, 1);
            try (FastRnn team = new FastRnn(w, impl, Gemms.get(GemmKind.OPENBLAS), threads, fusedMax, share)) {
                RnnResult got = RnnResult.allocate(spec, b, t);
                team.forward(in, got);
                String what = spec + " " + impl + " openblas threads " + threads + " fusedMax " + fusedMax;
                assertTrue(share.handedOver.get() > 0, what + ": no rows handed over");
                List<String> diffs = new ArrayList<>();
                for (String d : new String[] {Closeness.check("output", want.output(), got.output(), 1),
                        Closeness.check("h_n", want.hN(), got.hN(), 1),
                        Closeness.check("c_n", want.cN(), got.cN(), 1)}) {
                    if (d != null) {
                        diffs.add(d);
                    }
                }
                assertEquals(List.of(), diffs, what);
            }
        }
    }

    private static void check(RnnSpec spec, int threads, long fusedMax, int b, int t, Random rnd) {
        RnnBatch in = RandomConfig.batch(rnd, spec, b, t);
        RnnWeights w = RnnWeights.random(spec, rnd.nextLong());
        for (Impl impl : new Impl[] {Impl.SCALAR, Impl.SIMD}) {
            RnnResult want = RnnResult.allocate(spec, b, t);
            try (FastRnn one = new FastRnn(w, impl, Gemms.get(GemmKind.JAVA), 1, fusedMax)) {
                one.forward(in, want);
            }
            for (int holdStep : new int[] {0, 1}) {
                // 300 µs a step on chunk 0 besides the hold: the others may take rows more than once
                SlowChunkZero share = new SlowChunkZero(threads, 300_000, holdStep);
                try (FastRnn team = new FastRnn(w, impl, Gemms.get(GemmKind.JAVA), threads, fusedMax, share)) {
                    for (int call = 0; call < 2; call++) { // the second call reuses the slots the first closed
                        RnnResult got = RnnResult.allocate(spec, b, t);
                        int before = share.handedOver.get();
                        team.forward(in, got);
                        String what = spec + " " + impl + " threads " + threads + " fusedMax " + fusedMax
                                + " hold at step " + holdStep + " call " + call;
                        assertTrue(share.handedOver.get() > before, what + ": no rows handed over");
                        assertArrayEquals(want.output(), got.output(), what + ": output");
                        assertArrayEquals(want.hN(), got.hN(), what + ": h_n");
                        assertArrayEquals(want.cN(), got.cN(), what + ": c_n");
                    }
                }
            }
        }
    }
}
