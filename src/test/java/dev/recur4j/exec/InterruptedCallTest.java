package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.JavaGemm;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A call made by an interrupted thread (a service that cancelled it with {@code Future.cancel(true)}) runs to its
 * end, keeps the interrupt flag set for the caller, and waits for its partners parked, not spinning: the teams'
 * parks return at once for an interrupted thread unless the flag is cleared around them ({@link Parking}).
 *
 * <p>"Not spinning" is checked on the caller's CPU time while a partner sleeps {@link #PARTNER_NANOS}: a spinning
 * wait burns about all of it (296-300 ms of the 300 before the teams parked through {@link Parking}), a parked one
 * a few ms (the waits spin for {@link SpinBarrier#SPIN_NANOS} first). The bound, half the sleep, leaves a wide
 * margin on both sides; a loaded machine can only make a spinning caller look better, never a parked one worse.
 */
class InterruptedCallTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final long PARTNER_NANOS = 300_000_000L;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** The calling thread's CPU time while {@code call} runs, with its interrupt flag set; the flag must stay set. */
    private static long cpuNanosInterrupted(Runnable call) {
        // without it the CPU time reads -1 before and after, and a spinning wait would pass as parked
        assertTrue(THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled(),
                "this JVM measures no thread CPU time");
        Thread.currentThread().interrupt();
        long before = THREADS.getCurrentThreadCpuTime();
        call.run();
        long spent = THREADS.getCurrentThreadCpuTime() - before;
        assertTrue(Thread.interrupted(), "the call cleared the caller's interrupt flag"); // and clears it
        return spent;
    }

    private static void assertParked(long cpuNanos, String what) {
        assertTrue(cpuNanos < PARTNER_NANOS / 2, what + ": the interrupted caller used " + cpuNanos / 1_000_000
                + " ms of CPU while its partner slept " + PARTNER_NANOS / 1_000_000 + " ms (it spun)");
    }

    @Test
    void anInterruptedCallerParksAtTheSmallBatchBarrier() {
        SpinTeamTest.Holder h = new SpinTeamTest.Holder();
        h.team = new SpinTeam(2, m -> {
            if (m == 1) {
                FullSleep.nanos(PARTNER_NANOS); // the whole of it, or the caller has no partner to wait for
            }
            h.team.barrier().await();
        });
        try (SpinTeam team = h.team) {
            team.run(); // warm: threads started, code loaded
            assertTimeoutPreemptively(LIMIT, () -> assertParked(cpuNanosInterrupted(team::run), "SpinTeam"));
        }
    }

    @Test
    void anInterruptedCallerParksWhileRowTeamWorkersFinish() {
        try (RowTeam team = new RowTeam(2)) {
            RowTeam.Task slowWorker = (chunk, from, to) -> {
                if (chunk == 1) {
                    FullSleep.nanos(PARTNER_NANOS); // the whole of it, or the caller has no partner to wait for
                }
            };
            team.run(2, (chunk, from, to) -> { });
            assertTimeoutPreemptively(LIMIT,
                    () -> assertParked(cpuNanosInterrupted(() -> team.run(2, slowWorker)), "RowTeam"));
        }
    }

    /** Through the engine, both paths (small batch and GEMM): the same results as an uninterrupted call. */
    @Test
    void anInterruptedForwardGivesTheSameResultsAndKeepsTheFlag() {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 7, 33).build();
        RnnWeights w = RnnWeights.random(spec, 3);
        Random rnd = new Random(5);
        for (int b : new int[] {1, SmallBatchForward.MAX_BATCH + 2}) {
            RnnBatch in = RnnBatch.of(b, 9, RandomConfig.uniform(rnd, b * 9 * 7));
            try (FastRnn e = new FastRnn(w, Impl.SIMD, new JavaGemm(), 2)) {
                RnnResult plain = RnnResult.allocate(spec, b, 9);
                e.forward(in, plain);
                RnnResult interrupted = RnnResult.allocate(spec, b, 9);
                assertTimeoutPreemptively(LIMIT, () -> cpuNanosInterrupted(() -> e.forward(in, interrupted)));
                assertArrayEquals(plain.output(), interrupted.output(), "batch " + b);
                assertArrayEquals(plain.hN(), interrupted.hN(), "batch " + b);
            }
        }
    }

    /**
     * close() made by an interrupted thread returns only once every worker has ended (what they used is freed next:
     * FastRnn's workspace, the small-batch weight copies) and keeps the flag. Before, the interrupt cut the join short
     * and close returned with its workers still alive. Twenty rounds: the old code would have to lose the race to
     * every worker's exit twenty times to pass.
     */
    @Test
    void anInterruptedCloseWaitsForItsWorkersAndKeepsTheFlag() {
        assertTimeoutPreemptively(LIMIT, () -> {
            for (int round = 0; round < 20; round++) {
                Set<Thread> before = teamThreads();
                SpinTeamTest.Holder h = new SpinTeamTest.Holder();
                h.team = new SpinTeam(2, m -> h.team.barrier().await());
                RowTeam rows = new RowTeam(2);
                h.team.run();
                rows.run(2, (chunk, from, to) -> { });
                Set<Thread> workers = teamThreads();
                workers.removeAll(before);
                assertEquals(2, workers.size(), "one worker per team: " + workers);
                Thread.currentThread().interrupt();
                h.team.close();
                rows.close();
                assertTrue(Thread.interrupted(), "close cleared the caller's interrupt flag"); // and clears it
                for (Thread w : workers) {
                    assertFalse(w.isAlive(), "round " + round + ": close returned while " + w.getName() + " ran");
                }
            }
        });
    }

    private static Set<Thread> teamThreads() {
        Set<Thread> team = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("recur4j-gemv-") || t.getName().startsWith("recur4j-rows-")) {
                team.add(t);
            }
        }
        return team;
    }
}
