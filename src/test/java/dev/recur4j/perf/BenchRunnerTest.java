package dev.recur4j.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.RnnFlops;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class BenchRunnerTest {
    /** Short enough to keep the test fast; the fake engines need no JIT warm-up. */
    private static final BenchSettings QUICK = new BenchSettings(0.02, 3, 0.05, 10, 20);
    /** Floats each call of the allocating engine allocates: 1 MiB, far above any measuring noise. */
    private static final int FLOATS = 1 << 18;

    /** Where allocated arrays escape to, so the JIT cannot remove the allocation. */
    static volatile Object sink;

    @Test
    void statisticsOfKnownTimes() {
        long[] nanos = {5_000_000, 1_000_000, 3_000_000, 2_000_000, 4_000_000, 99};
        BenchResult odd = BenchResult.of(nanos, 5, 7, 6e6, 0);
        assertEquals(5, odd.runs());
        assertEquals(7, odd.warmupCalls());
        assertEquals(3.0, odd.medianMs(), 1e-12);
        assertEquals(1.0, odd.minMs(), 1e-12);
        assertEquals(5.0, odd.maxMs(), 1e-12);
        assertEquals(2.0, odd.gflops(), 1e-12); // 6e6 FLOP in 3 ms
        BenchResult even = BenchResult.of(new long[] {4_000_000, 1_000_000, 2_000_000, 3_000_000}, 4, 0, 1, 0);
        assertEquals(2.5, even.medianMs(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> BenchResult.of(nanos, 0, 0, 1, 0));
    }

    @Test
    void percentilesAreNearestRankCalls() {
        // 5 runs: p90 and p99 are both the 5th fastest (ceil(4.5) = ceil(4.95) = 5), i.e. the slowest
        BenchResult five = BenchResult.of(new long[] {5_000_000, 1_000_000, 3_000_000, 2_000_000, 4_000_000}, 5, 0, 1, 0);
        assertEquals(5.0, five.p90Ms(), 1e-12);
        assertEquals(5.0, five.p99Ms(), 1e-12);
        // 200 runs of i ms (i = 1..200, shuffled): p90 the 180th fastest, p99 the 198th; one slow call changes only max
        long[] nanos = new long[200];
        for (int i = 0; i < nanos.length; i++) {
            nanos[(i * 7) % 200] = (i + 1) * 1_000_000L;
        }
        nanos[0] = 10_000_000_000L; // replaces the 1 ms call at index 0 (i = 0) by a 10 s one
        BenchResult r = BenchResult.of(nanos, 200, 0, 1, 0);
        assertEquals(181.0, r.p90Ms(), 1e-12); // values 2..200 and 10000: the 180th is 181
        assertEquals(199.0, r.p99Ms(), 1e-12);
        assertEquals(10_000.0, r.maxMs(), 1e-12);
        assertEquals(2.0, r.minMs(), 1e-12);
        // 1 run: every statistic is that call
        BenchResult one = BenchResult.of(new long[] {7_000_000}, 1, 0, 1, 0);
        assertEquals(7.0, one.p90Ms(), 1e-12);
        assertEquals(7.0, one.p99Ms(), 1e-12);
    }

    @Test
    void sleepingEngineTimesEveryCallAndHonoursTheBounds() {
        FakeEngine engine = new FakeEngine(() -> sleepMillis(2));
        BenchCall call = FakeEngine.call(engine, BenchMode.INFERENCE);
        BenchResult r = new BenchRunner(QUICK, false).run(call);

        assertTrue(r.runs() >= 10, "at least minRuns timed calls: " + r.runs());
        assertTrue(r.warmupCalls() >= 3, "at least minWarmupCalls: " + r.warmupCalls());
        assertEquals(r.warmupCalls() + r.runs() + QUICK.allocCalls(), engine.forwards, "every call went to forward");
        assertEquals(0, engine.forwardBackwards);
        // Thread.sleep(2) sleeps at least 2 ms, so no call can be timed shorter.
        assertTrue(r.minMs() >= 2.0, "min " + r.minMs());
        assertTrue(r.minMs() <= r.medianMs() && r.medianMs() <= r.p90Ms() && r.p90Ms() <= r.p99Ms()
                && r.p99Ms() <= r.maxMs(), r.toString());
        double flops = RnnFlops.forward(FakeEngine.SPEC, 2, 5);
        assertEquals(flops, r.flopsPerCall());
        assertEquals(flops / (r.medianMs() * 1e6), r.gflops(), 1e-9 * r.gflops());
    }

    /**
     * The warm-up's decisions on a clock that each call advances by exactly 1 ms, so they are the same however busy
     * the machine is. QUICK: warm-up 20 ms (quiet after 10 ms of no compilation, cap 5 x 20 = 100 ms).
     */
    @Test
    @Timeout(10)
    void warmUpGoesOnWhileTheJitCompilesAndStopsOnceItIsQuiet() {
        long[] clock = {0};
        FakeEngine engine = new FakeEngine(() -> clock[0] += 1_000_000);
        // A JIT that reports compilation after each of the first 40 calls (until 40 ms, twice the warm-up time)...
        long[] jit = {0};
        int[] seen = {0};
        BenchRunner runner = new BenchRunner(QUICK, false, () -> seen[0]++ <= 40 ? ++jit[0] : jit[0], () -> clock[0]);
        BenchResult r = runner.run(FakeEngine.call(engine, BenchMode.INFERENCE));
        // ...and then quiet: the warm-up ends 10 ms after the last compilation, at 50 calls (not the cap's 100)
        assertEquals(50, r.warmupCalls());
        // timed: 50 ms of 1 ms calls
        assertEquals(50, r.runs());
        assertEquals(1.0, r.medianMs(), 1e-12);
        assertEquals(1.0, r.maxMs(), 1e-12);
    }

    @Test
    @Timeout(10)
    void warmUpStopsAtItsCapWhenTheJitNeverSettles() {
        long[] clock = {0};
        FakeEngine engine = new FakeEngine(() -> clock[0] += 1_000_000);
        long[] jit = {0};
        BenchResult r = new BenchRunner(QUICK, false, () -> ++jit[0], () -> clock[0])
                .run(FakeEngine.call(engine, BenchMode.INFERENCE));
        assertEquals(100, r.warmupCalls()); // the cap, 5 x 20 ms
    }

    /** The same on the real clock: the warm-up ends, and not before its minimum time. */
    @Test
    @Timeout(30)
    void warmUpOnTheRealClockEnds() {
        FakeEngine engine = new FakeEngine(() -> sleepMillis(1));
        long[] jit = {0};
        long t0 = System.nanoTime();
        BenchResult r = new BenchRunner(QUICK, false, () -> ++jit[0]).run(FakeEngine.call(engine, BenchMode.INFERENCE));
        double warmupMs = (System.nanoTime() - t0) / 1e6 - r.runs() * r.medianMs();
        assertTrue(r.warmupCalls() >= QUICK.minWarmupCalls(), "warm-up calls " + r.warmupCalls());
        assertTrue(warmupMs >= 20, "warm-up took about " + warmupMs + " ms");
    }

    @Test
    void trainingCallsForwardBackwardAndCountsTrainingFlops() {
        FakeEngine engine = new FakeEngine(() -> { });
        BenchResult r = new BenchRunner(QUICK, false).run(FakeEngine.call(engine, BenchMode.TRAINING));
        assertEquals(0, engine.forwards);
        assertEquals(r.warmupCalls() + r.runs() + QUICK.allocCalls(), engine.forwardBackwards);
        assertEquals(RnnFlops.training(FakeEngine.SPEC, 2, 5), r.flopsPerCall());
    }

    @Test
    void nonAllocatingEngineReadsZero() {
        float[] state = new float[64];
        FakeEngine engine = new FakeEngine(() -> {
            for (int i = 0; i < state.length; i++) {
                state[i] = state[i] * 0.5f + i;
            }
        });
        assertEquals(0, new BenchRunner(QUICK, false).run(FakeEngine.call(engine, BenchMode.INFERENCE))
                .allocBytesPerCall());
        // Summed over all threads, the counter's own arrays (about 80 bytes an interval) must come off too; the least
        // of the calls, so another thread's allocation in some of them cannot make this fail
        assertEquals(0, new BenchRunner(QUICK, true).run(FakeEngine.call(engine, BenchMode.INFERENCE))
                .allocBytesPerCall());
    }

    @Test
    void allocatingEngineReadsTheArraySize() {
        FakeEngine engine = new FakeEngine(() -> sink = new float[FLOATS]);
        long bytes = new BenchRunner(QUICK, false).run(FakeEngine.call(engine, BenchMode.INFERENCE))
                .allocBytesPerCall();
        // The array's payload plus its header (12-16 bytes, padded to 8).
        assertTrue(bytes >= 4L * FLOATS && bytes <= 4L * FLOATS + 32, "bytes per call " + bytes);
    }

    @Test
    void allocationInSomeCallsOnlyIsNotCountedPerCallButShowsInTheMean() {
        // Like the JIT's one-off allocations on the calling thread while a method is being compiled.
        int[] calls = {0};
        FakeEngine engine = new FakeEngine(() -> {
            if (calls[0]++ % 4 == 0) {
                sink = new float[FLOATS];
            }
        });
        BenchResult r = new BenchRunner(QUICK, false).run(FakeEngine.call(engine, BenchMode.INFERENCE));
        assertEquals(0, r.allocBytesPerCall());
        // Some of the measured calls allocated 1 MiB each (every fourth call): the mean is far above 0 whatever the phase.
        assertTrue(r.allocBytesMeanPerCall() >= (long) FLOATS * Float.BYTES / QUICK.allocCalls(),
                "mean " + r.allocBytesMeanPerCall());
    }

    @Test
    void allocationOnAWorkerThreadIsCountedOnlyWhenSummingAllThreads() throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            worker.submit(() -> { }).get(); // start the worker thread before measuring
            FakeEngine engine = new FakeEngine(() -> await(worker.submit(() -> sink = new float[FLOATS])));
            BenchCall call = FakeEngine.call(engine, BenchMode.INFERENCE);

            long all = new BenchRunner(QUICK, true).run(call).allocBytesPerCall();
            // Slack: the task, future and queue node of each hand-off (about 100 bytes on the calling thread),
            // and whatever other JVM threads allocate meanwhile.
            assertTrue(all >= 4L * FLOATS && all <= 4L * FLOATS + 4096, "all threads, bytes per call " + all);

            long current = new BenchRunner(QUICK, false).run(call).allocBytesPerCall();
            assertTrue(current < 4096, "calling thread only, bytes per call " + current);
        } finally {
            worker.shutdownNow();
        }
    }

    @Test
    void theBytesAreTracedToTheThreadThatAllocatedThem() throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-test-worker"));
        try {
            worker.submit(() -> { }).get(); // start the worker thread before measuring
            FakeEngine engine = new FakeEngine(() -> await(worker.submit(() -> sink = new float[FLOATS])));
            BenchResult r = new BenchRunner(QUICK, true).run(FakeEngine.call(engine, BenchMode.INFERENCE));
            Map<String, Long> byThread = r.allocBytesByThread();
            long calls = QUICK.allocCalls();
            long onWorker = byThread.getOrDefault("bench-test-worker", 0L);
            // Slack as in the test above: the hand-offs' small objects and other JVM threads' allocations.
            assertTrue(onWorker >= 4L * FLOATS * calls && onWorker <= (4L * FLOATS + 4096) * calls,
                    "worker " + byThread);
            long onCaller = byThread.getOrDefault(Thread.currentThread().getName(), 0L);
            assertTrue(onCaller < 4096 * calls, "calling thread " + byThread);
        } finally {
            worker.shutdownNow();
        }
    }

    @Test
    void aThreadEndingDuringACallDoesNotTakeItsBytesOutOfTheCount() throws Exception {
        // A thread that has allocated 4 MiB ends inside one call (as a test framework's thread of the previous
        // test may): summing every live thread at each end of the call would lose its 4 MiB and read that call
        // as 0 (the least is reported), or, ending in an empty interval, make every call read too high.
        AtomicBoolean released = new AtomicBoolean();
        Thread leaving = new Thread(() -> {
            sink = new float[4 * FLOATS];
            while (!released.get()) {
                LockSupport.park(); // alive until released inside call 3 (park may also return spuriously)
            }
        });
        leaving.start();
        while (leaving.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        int[] calls = {0};
        AllocationCount n = AllocationCounter.create(true).bytesPerCall(() -> {
            sink = new float[FLOATS];
            if (calls[0]++ == 3) {
                released.set(true);
                LockSupport.unpark(leaving);
                try {
                    leaving.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }, 8);
        // Slack: the join's and the other JVM threads' allocations meanwhile.
        assertTrue(n.least() >= 4L * FLOATS && n.least() <= 4L * FLOATS + 4096, "least bytes per call " + n.least());
    }

    /**
     * With an interval, the timed calls start that far apart and each is timed alone: 10 calls of about nothing 5 ms
     * apart take at least 45 ms of wall time, of which the calls themselves are a small part.
     */
    @Test
    @Timeout(30)
    void intervalSpacesTheTimedCallsAndTimesOnlyTheCalls() {
        FakeEngine engine = new FakeEngine(() -> { });
        BenchSettings spaced = new BenchSettings(0, 0, 0, 10, 1, 0.005);
        long t0 = System.nanoTime();
        BenchResult r = new BenchRunner(spaced, false).run(FakeEngine.call(engine, BenchMode.INFERENCE));
        double wallMs = (System.nanoTime() - t0) / 1e6;
        assertEquals(10, r.runs());
        assertEquals(5.0, r.intervalMs(), 1e-9);
        assertTrue(wallMs >= 9 * 5.0, "10 calls 5 ms apart in " + wallMs + " ms");
        assertTrue(r.medianMs() < 5.0, "the idle time between calls is not timed: median " + r.medianMs() + " ms");
        assertEquals(0.0, new BenchRunner(QUICK, false).run(FakeEngine.call(engine, BenchMode.INFERENCE))
                .intervalMs(), "back to back");
    }

    @Test
    void settingsRejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new BenchSettings(1, 1, 1, 1, 1, -0.001));
        assertThrows(IllegalArgumentException.class, () -> new BenchSettings(1, 1, 1, 1, 1, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new BenchSettings(1, 1, 1, 1, 1, 1e300));
        assertThrows(IllegalArgumentException.class, () -> new BenchSettings(-1, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new BenchSettings(1, 1, Double.NaN, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new BenchSettings(1, 1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BenchSettings(1, 1, 1, 1, 0));
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
