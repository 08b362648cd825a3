package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import dev.recur4j.gemm.JavaGemm;
import dev.recur4j.mem.WorkspacePlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Workspace reuse across calls and shapes, threads, and use after close. */
class FastRnnLifecycleTest {
    private static final RnnSpec SPEC = RnnSpec.builder(CellKind.LSTM, 5, 17).numLayers(2).bidirectional(true).build();

    private static RnnBatch batch(int b, int t, long seed) {
        Random rnd = new Random(seed);
        return RnnBatch.of(b, t, RandomConfig.uniform(rnd, b * t * 5));
    }

    /**
     * Batches above {@link SmallBatchForward#MAX_BATCH}, so the calls take the GEMM path and its workspace (a
     * batch of 6 or fewer rows takes the small-batch path, which has buffers of its own, tested in
     * SmallBatchForwardTest).
     */
    @Test
    void reusedWorkspaceGivesTheSameResultsAsAFreshEngine() {
        RnnWeights w = RnnWeights.random(SPEC, 7);
        int small = SmallBatchForward.MAX_BATCH + 1;
        int large = SmallBatchForward.MAX_BATCH + 3;
        RnnBatch smallBatch = batch(small, 3, 1);
        RnnBatch largeBatch = batch(large, 9, 2);
        RnnResult fresh = RnnResult.allocate(SPEC, small, 3);
        try (FastRnn e = new FastRnn(w, Impl.SIMD, new JavaGemm(), 1)) {
            e.forward(smallBatch, fresh);
        }
        try (FastRnn e = new FastRnn(w, Impl.SIMD, new JavaGemm(), 1)) {
            RnnResult first = RnnResult.allocate(SPEC, small, 3);
            e.forward(smallBatch, first);
            WorkspacePlan smallPlan = e.lastPlan();
            assertNotNull(smallPlan, "the GEMM path planned a workspace");
            e.forward(largeBatch, RnnResult.allocate(SPEC, large, 9)); // grows the workspace, leaves stale data in it
            assertTrue(e.lastPlan().totalElements() > smallPlan.totalElements(), "the larger call grew the workspace");
            RnnResult again = RnnResult.allocate(SPEC, small, 3);
            e.forward(smallBatch, again);
            assertArrayEquals(fresh.output(), first.output());
            assertArrayEquals(fresh.output(), again.output());
            assertArrayEquals(fresh.hN(), again.hN());
            assertArrayEquals(fresh.cN(), again.cN());
        }
    }

    private static final String GUARD_BUSY = "this FastRnn engine is already in a call";
    private static final String GUARD_CLOSED = "this FastRnn engine is closed";

    /**
     * One engine called from two threads at once, and closed while a call runs, on every GEMM back end with 1 and 2
     * threads (2: the release a close defers also stops the team's worker): every call either gives the result of
     * an engine used by one thread or is refused by the guard, and nothing frees native memory under a running call
     * (OpenBLAS reading a freed or reallocated workspace crashed the JVM before {@link CallGuard}). The second
     * thread's calls grow the workspace (longer sequences), the way the crash was found.
     */
    @Test
    void concurrentCallsAndACloseDuringACallFailCleanly() throws Exception {
        RnnSpec spec = RnnSpec.builder(CellKind.RNN_TANH, 64, 48).build();
        RnnWeights w = RnnWeights.random(spec, 3);
        int b = SmallBatchForward.MAX_BATCH + 10;
        RnnBatch in = RnnBatch.of(b, 40, RandomConfig.uniform(new Random(4), b * 40 * 64));
        for (GemmKind g : GemmKind.values()) {
            for (int threads = 1; threads <= 2 && Gemms.available(g); threads++) {
                RnnResult want = RnnResult.allocate(spec, b, 40); // this back end's result, to the bit
                try (FastRnn one = new FastRnn(w, Impl.SIMD, Gemms.get(g), threads)) {
                    one.forward(in, want);
                }
                List<String> wrong = useFromTwoThreadsThenClose(new FastRnn(w, Impl.SIMD, Gemms.get(g), threads),
                        spec, in, want);
                assertTrue(wrong.isEmpty(), g + " threads " + threads + ": " + wrong);
            }
        }
    }

    /** What went wrong while one thread repeats {@code in} and another grows the workspace, then close, then a call. */
    private static List<String> useFromTwoThreadsThenClose(FastRnn e, RnnSpec spec, RnnBatch in, RnnResult want)
            throws InterruptedException {
        int b = in.batch();
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        Thread other = Thread.ofPlatform().start(() -> {
            for (int t = in.seqLen() + 1; t < 100; t++) {
                try {
                    e.forward(RnnBatch.of(b, t, new float[b * t * spec.inputSize()]), RnnResult.allocate(spec, b, t));
                } catch (IllegalStateException ex) {
                    // the guard's own refusals only: a use of freed memory that the foreign-memory API caught
                    // ("Already closed") is an IllegalStateException too
                    String m = String.valueOf(ex.getMessage()); // a null message must be reported, not an NPE here
                    if (!m.startsWith(GUARD_BUSY) && !m.equals(GUARD_CLOSED)) {
                        wrong.add("other thread: " + ex);
                    }
                } catch (Throwable ex) {
                    wrong.add("other thread: " + ex);
                }
            }
        });
        for (int call = 0; call < 200 && other.isAlive(); call++) {
            RnnResult got = RnnResult.allocate(spec, b, in.seqLen());
            try {
                e.forward(in, got);
                if (!Arrays.equals(want.output(), got.output())) {
                    wrong.add("call " + call + ": a completed call gave another result");
                }
            } catch (IllegalStateException ex) {
                if (!ex.getMessage().startsWith(GUARD_BUSY)) {
                    wrong.add("call " + call + ": " + ex);
                }
            }
        }
        e.close(); // perhaps while the other thread's call runs: it finishes, then the memory goes
        other.join();
        IllegalStateException after = assertThrows(IllegalStateException.class,
                () -> e.forward(in, RnnResult.allocate(spec, b, in.seqLen())));
        if (!after.getMessage().equals(GUARD_CLOSED)) {
            wrong.add("after close: " + after);
        }
        return wrong;
    }

    /**
     * A close() made while a call is held inside its time loop returns, the call then finishes with the right result,
     * and only later calls are refused: the release waits for the call (a close that freed the workspace at once would
     * make the held call fail on its freed memory, "Already closed"). Deterministic where the test above depends on
     * timing: the call is held at its first step boundary, through the row share (1 thread: on the calling thread).
     */
    @Test
    void aCloseDuringACallFreesNothingUnderIt() throws Exception {
        RnnSpec spec = RnnSpec.builder(CellKind.RNN_TANH, 8, 16).build();
        RnnWeights w = RnnWeights.random(spec, 3);
        int b = SmallBatchForward.MAX_BATCH + 2; // the GEMM path: its workspace is what a close frees
        RnnBatch in = RnnBatch.of(b, 5, RandomConfig.uniform(new Random(4), b * 5 * 8));
        RnnResult want = RnnResult.allocate(spec, b, 5);
        try (FastRnn one = new FastRnn(w, Impl.SIMD, new JavaGemm(), 1)) {
            one.forward(in, want);
        }
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        RowShare hold = new RowShare(1) {
            @Override
            int keep(int chunk, int step, int from, int to) {
                if (inCall.getCount() > 0) {
                    inCall.countDown();
                    try {
                        closed.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.keep(chunk, step, from, to);
            }
        };
        FastRnn e = new FastRnn(w, Impl.SIMD, new JavaGemm(), 1, InputFusion.MAX_WEIGHT_BYTES, hold);
        RnnResult got = RnnResult.allocate(spec, b, 5);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread call = Thread.ofPlatform().start(() -> {
            try {
                e.forward(in, got);
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        assertTrue(inCall.await(30, TimeUnit.SECONDS), "the call never reached its time loop");
        e.close(); // while the call is held inside it
        closed.countDown();
        call.join(30_000);
        assertFalse(call.isAlive(), "the call did not end after the close");
        assertNull(failed.get(), "the call failed after a close during it (memory freed under it?)");
        assertArrayEquals(want.output(), got.output());
        assertEquals(GUARD_CLOSED, assertThrows(IllegalStateException.class,
                () -> e.forward(in, RnnResult.allocate(spec, b, 5))).getMessage());
    }

    @Test
    void callsAfterCloseThrow() {
        FastRnn e = new FastRnn(RnnWeights.random(SPEC, 7), Impl.SCALAR, new JavaGemm(), 1);
        e.forward(batch(1, 2, 3), RnnResult.allocate(SPEC, 1, 2));
        e.close();
        e.close(); // idempotent
        // the engine's own check, not a failure deeper down on its freed memory
        IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> e.forward(batch(1, 2, 3), RnnResult.allocate(SPEC, 1, 2)));
        assertEquals("this FastRnn engine is closed", ex.getMessage());
        ex = assertThrows(IllegalStateException.class,
                () -> e.forward(batch(8, 2, 3), RnnResult.allocate(SPEC, 8, 2)));
        assertEquals("this FastRnn engine is closed", ex.getMessage());
    }

    private static long rowThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("recur4j-rows") && t.isAlive()).count();
    }

    @Test
    void threadsAreCreatedOnlyWhenAskedAndStoppedByClose() {
        long before = rowThreads();
        try (FastRnn one = new FastRnn(RnnWeights.random(SPEC, 7), Impl.SCALAR, new JavaGemm(), 1)) {
            one.forward(batch(3, 2, 3), RnnResult.allocate(SPEC, 3, 2));
            assertEquals(before, rowThreads(), "threads=1 must not create threads");
        }
        FastRnn three = new FastRnn(RnnWeights.random(SPEC, 7), Impl.SCALAR, new JavaGemm(), 3);
        three.forward(batch(3, 2, 3), RnnResult.allocate(SPEC, 3, 2));
        assertEquals(before + 2, rowThreads(), "threads=3: two workers plus the caller");
        three.close();
        assertEquals(before, rowThreads(), "close() stops the workers");
    }

    @Test
    void rejectsTheReferenceImpl() {
        assertThrows(IllegalArgumentException.class,
                () -> new FastRnn(RnnWeights.random(SPEC, 7), Impl.REFERENCE, new JavaGemm(), 1));
    }
}
