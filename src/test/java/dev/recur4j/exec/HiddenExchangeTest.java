package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * {@link HiddenExchange}: every fetch sees exactly the partner's hand-off of the same number, on the spin path and
 * the park path, and a parked fetch is woken by its partner's hand-offs.
 */
class HiddenExchangeTest {
    /** A parked fetch's timeout here: a minute, so that a fetch nobody unparks (a lost wake-up) hangs the test. */
    private static final long PARK_NANOS = 60_000_000_000L;

    /**
     * 3 members own 7, 16 and 9 units of 2 rows. Hand-off s carries value s*1000 + row*100 + unit in
     * every unit; each member fetches its partners' units after each hand-off and checks them, as the
     * small-batch path does from one step to the next (one buffer of two is overwritten every step, so
     * a fetch that read the wrong buffer or raced the writer would see another number). Every 50th
     * hand-off one member comes late (2 ms past the spin window), so the others park and must be unparked by its
     * hand-offs: a lost wake-up would leave a member parked past the join's 30 s.
     */
    @Test
    void fetchesSeeTheHandOffOfTheirNumber() throws InterruptedException {
        handOffsOfMembers(new int[] {0, 7, 23, 32});
    }

    /**
     * The same with 2 members, the small-batch path's usual team: with 3, a member that failed to wake one partner
     * could still get it woken through the third's hand-offs.
     */
    @Test
    void twoMembersSeeTheHandOffOfTheirNumber() throws InterruptedException {
        handOffsOfMembers(new int[] {0, 16, 25});
    }

    private static void handOffsOfMembers(int[] unitFrom) throws InterruptedException {
        int members = unitFrom.length - 1;
        int rows = 2;
        int handOffs = 600;
        SpinBarrier team = new SpinBarrier(members);
        HiddenExchange exchange = new HiddenExchange(unitFrom, team, PARK_NANOS);
        exchange.ensureRows(rows);
        AtomicReference<String> error = new AtomicReference<>();
        Thread[] threads = new Thread[members];
        for (int m = 0; m < members; m++) {
            int me = m;
            threads[m] = new Thread(() -> {
                try {
                    handOffs(exchange, unitFrom, me, rows, handOffs, error);
                } catch (Throwable e) {
                    error.compareAndSet(null, "member " + me + " failed: " + e);
                    team.breakBarrier(); // the others' waiting fetches fail instead of waiting for it
                }
            });
            threads[m].setDaemon(true); // a member that hangs must not keep the test JVM alive after the join gives up
            threads[m].start();
        }
        for (Thread t : threads) {
            t.join(30_000);
            assertFalse(t.isAlive(), "a member is still waiting");
        }
        assertNull(error.get());
    }

    /** Member {@code me}'s side of {@link #fetchesSeeTheHandOffOfTheirNumber}; mismatches go to {@code error}. */
    private static void handOffs(HiddenExchange exchange, int[] unitFrom, int me, int rows, int handOffs,
                                 AtomicReference<String> error) {
        int members = unitFrom.length - 1;
        float[][] h = new float[rows][unitFrom[members]];
        for (int s = 1; s <= handOffs; s++) {
            if (me == s % members && s % 50 == 0) {
                LockSupport.parkNanos(SpinBarrier.SPIN_NANOS + 2_000_000);
            }
            for (int r = 0; r < rows; r++) {
                for (int u = unitFrom[me]; u < unitFrom[me + 1]; u++) {
                    h[r][u] = s * 1000 + r * 100 + u;
                }
            }
            exchange.publish(me, h, rows);
            for (int q = 1; q < members; q++) {
                exchange.fetch(me, (me + q) % members, h, rows);
            }
            for (int r = 0; r < rows; r++) {
                for (int u = 0; u < unitFrom[members]; u++) {
                    if (h[r][u] != s * 1000 + r * 100 + u) {
                        error.compareAndSet(null, "member " + me + ", hand-off " + s + ": row " + r + " unit "
                                + u + " = " + h[r][u]);
                    }
                }
            }
        }
        exchange.wakeSleepers(me); // as SmallBatchForward before its barrier: the last hand-off wakes no one else
    }

    @Test
    void brokenTeamFailsAWaitingFetch() throws InterruptedException {
        SpinBarrier barrier = new SpinBarrier(2);
        HiddenExchange exchange = new HiddenExchange(new int[] {0, 4, 8}, barrier);
        exchange.ensureRows(1);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                float[][] h = new float[1][8];
                exchange.publish(0, h, 1);
                exchange.fetch(0, 1, h, 1); // member 1 never hands anything over
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        waiter.setDaemon(true);
        waiter.start();
        Thread.sleep(20); // past the spin window: the waiter is in its sleep loop
        barrier.breakBarrier();
        waiter.join(10_000);
        assertFalse(waiter.isAlive(), "the waiting fetch did not notice the failure");
        assertInstanceOf(IllegalStateException.class, seen.get());
    }
}
