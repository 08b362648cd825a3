package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * {@link SpinBarrier}: every phase separates writes from reads, on the spin path and the park path. The barriers
 * here park for up to a minute instead of 1 ms, so that a waiter nobody unparks (a lost wake-up) hangs the test
 * instead of passing after its timeout.
 */
class SpinBarrierTest {
    private static final long PARK_NANOS = 60_000_000_000L;

    /**
     * Each of 3 threads writes its phase number into its cell, meets the others, checks every cell
     * holds that phase, and meets again before the next write. Every 50th phase one thread arrives
     * late (2 ms past the spin window), so the others park and must be woken (the arrival after a late one
     * is where a waiter of the next phase could lose its registration to a delayed one of this phase).
     */
    @Test
    void phasesSeparateWritesFromReads() throws InterruptedException {
        int parties = 3;
        int phases = 2000;
        SpinBarrier barrier = new SpinBarrier(parties, PARK_NANOS);
        int[] cells = new int[parties];
        AtomicReference<String> error = new AtomicReference<>();
        Thread[] threads = new Thread[parties];
        for (int m = 0; m < parties; m++) {
            int me = m;
            threads[m] = new Thread(() -> {
                for (int p = 1; p <= phases; p++) {
                    if (me == p % parties && p % 50 == 0) {
                        LockSupport.parkNanos(SpinBarrier.SPIN_NANOS + 2_000_000);
                    }
                    cells[me] = p;
                    barrier.await();
                    for (int o = 0; o < parties; o++) {
                        if (cells[o] != p) {
                            error.compareAndSet(null, "phase " + p + ": thread " + me + " saw cell " + o + " = " + cells[o]);
                        }
                    }
                    barrier.await();
                }
            });
            threads[m].setDaemon(true); // a hung one must not keep the test JVM alive
            threads[m].start();
        }
        for (Thread t : threads) {
            t.join(30_000);
            assertTrue(!t.isAlive(), "a thread is still waiting");
        }
        assertEquals(null, error.get());
    }

    @Test
    void breakingWakesAndFailsWaiters() throws InterruptedException {
        SpinBarrier barrier = new SpinBarrier(2, PARK_NANOS);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                barrier.await();
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        waiter.setDaemon(true);
        waiter.start();
        Thread.sleep(20); // past the spin window: the waiter is parked
        barrier.breakBarrier();
        waiter.join(10_000);
        assertTrue(!waiter.isAlive(), "the waiter did not wake");
        assertInstanceOf(IllegalStateException.class, seen.get());
    }
}
