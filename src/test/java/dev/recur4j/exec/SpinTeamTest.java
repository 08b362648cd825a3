package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link SpinTeam} when a member's task throws: the call fails with the cause, no member is still inside the task
 * when it does, and later calls are refused naming that cause.
 */
class SpinTeamTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    /** A team whose task, given to the constructor, can reach the team (for its barrier). */
    static final class Holder {
        SpinTeam team;
    }

    /** -Drecur4j.smallBatchIdleSpinMicros: whole microseconds from 0 to a minute, else an error naming it. */
    @Test
    void idleSpinComesFromItsProperty() {
        assertEquals(200_000, SpinTeam.idleSpinNanos(null), "the default: 200 µs");
        assertEquals(20_000_000, SpinTeam.idleSpinNanos("20000"));
        assertEquals(0, SpinTeam.idleSpinNanos(" 0 "));
        assertEquals(60_000_000_000L, SpinTeam.idleSpinNanos("60000000"));
        for (String bad : new String[] {"-1", "1.5", "20ms", "", "60000001", "99999999999999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SpinTeam.idleSpinNanos(bad), bad);
            assertTrue(e.getMessage().contains("-Drecur4j.smallBatchIdleSpinMicros must be 0..60000000 microseconds,"
                    + " found '" + bad + "'"), e.getMessage());
        }
    }

    private static boolean inChain(Throwable t, Throwable wanted) {
        if (t == null) {
            return false;
        }
        if (t == wanted) {
            return true;
        }
        return inChain(t.getCause(), wanted)
                || Arrays.stream(t.getSuppressed()).anyMatch(s -> inChain(s, wanted));
    }

    /**
     * Member 1 fails; member 2, waiting at the barrier, then throws the barrier's "a thread failed"; member 0 (the
     * caller) arrives late and throws that too. The root cause must reach the caller and name the refusal of the
     * next call: member 2's consequence must not replace it.
     */
    @Test
    void theFirstFailureReachesTheCallerAndTheNextCall() {
        RuntimeException root = new RuntimeException("member 1's root cause");
        Holder h = new Holder();
        h.team = new SpinTeam(3, m -> {
            if (m == 1) {
                throw root;
            }
            if (m == 0) {
                FullSleep.nanos(100_000_000); // member 2 meets the broken barrier first
            }
            h.team.barrier().await();
        });
        try (SpinTeam team = h.team) {
            assertTimeoutPreemptively(LIMIT, () -> {
                IllegalStateException e = assertThrows(IllegalStateException.class, team::run);
                assertTrue(inChain(e, root), "the call's exception does not carry the root cause: " + e
                        + " suppressed " + Arrays.toString(e.getSuppressed()));
                IllegalStateException next = assertThrows(IllegalStateException.class, team::run);
                assertSame(root, next.getCause(), "the refusal of the next call names " + next.getCause());
            });
        }
    }

    /** The caller's own task fails: the next call's refusal names that failure, not a member's consequence of it. */
    @Test
    void theCallersFailureIsTheCauseOfTheRefusals() {
        RuntimeException root = new RuntimeException("member 0's root cause");
        Holder h = new Holder();
        AtomicInteger member1Left = new AtomicInteger();
        h.team = new SpinTeam(2, m -> {
            if (m == 0) {
                throw root;
            }
            try {
                h.team.barrier().await();
            } finally {
                member1Left.incrementAndGet();
            }
        });
        try (SpinTeam team = h.team) {
            assertTimeoutPreemptively(LIMIT, () -> {
                assertSame(root, assertThrows(RuntimeException.class, team::run));
                // member 1 has met the broken barrier and recorded its own exception
                SpinUntil.holds(() -> member1Left.get() != 0, "member 1 has left");
                IllegalStateException next = assertThrows(IllegalStateException.class, team::run);
                assertSame(root, next.getCause(), "the refusal of the next call names " + next.getCause());
            });
        }
    }

    /**
     * The caller fails while member 1 is still busy in its part (as a member of {@link SmallBatchForward} in an input
     * projection): run() must not return before member 1 has left the task, or member 1 goes on writing into the
     * call's arrays (its output, its workspace) after the caller has been told the call is over.
     */
    @Test
    void aFailedCallReturnsOnlyWhenNoMemberIsInTheTask() {
        RuntimeException root = new RuntimeException("member 0 fails");
        Holder h = new Holder();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger output = new AtomicInteger();
        h.team = new SpinTeam(2, m -> {
            inside.incrementAndGet();
            try {
                if (m == 0) {
                    SpinUntil.holds(() -> inside.get() >= 2, "member 1 is in its part");
                    throw root;
                }
                FullSleep.nanos(300_000_000); // a long part of member 1's work
                output.set(1); // ... which writes the call's output
                h.team.barrier().await();
            } finally {
                inside.decrementAndGet();
            }
        });
        try (SpinTeam team = h.team) {
            assertTimeoutPreemptively(LIMIT, () -> {
                assertSame(root, assertThrows(RuntimeException.class, team::run));
                int membersInside = inside.get();
                int outputThen = output.get();
                FullSleep.nanos(500_000_000);
                assertEquals(0, membersInside, "members still in the task when the failed call returned");
                assertEquals(output.get(), outputThen, "a member wrote the call's output after the call had failed");
            });
        }
    }

    /**
     * A close() on another thread while a failing call is on its way out (outside the contract: FastRnn's guard
     * defers a close until the call's end) bumps the generation the failed call waits for its workers to leave; the
     * call must still return once they have ended.
     */
    @Test
    void aFailedCallDoesNotWaitForWorkersThatAConcurrentCloseEnded() {
        RuntimeException root = new RuntimeException("member 0 fails");
        Holder h = new Holder();
        AtomicBoolean member1Inside = new AtomicBoolean();
        h.team = new SpinTeam(2, m -> {
            if (m == 0) {
                // Member 1 must be in the task before the close: a worker that saw the close's bump of the generation
                // first would end without running it, the closer's join would return, and the wait below never end.
                SpinUntil.holds(member1Inside::get, "member 1 is in the task");
                Thread closer = new Thread(h.team::close);
                closer.start();
                // close has bumped the generation and joins member 1, at the barrier
                SpinUntil.holds(() -> closer.getState() == Thread.State.WAITING, "the closer joins member 1");
                throw root;
            }
            member1Inside.set(true);
            h.team.barrier().await();
        });
        assertTimeoutPreemptively(LIMIT, () -> {
            assertSame(root, assertThrows(RuntimeException.class, h.team::run));
        });
    }

    /** A team that failed is closed normally, twice, and its workers end. */
    @Test
    void aFailedTeamClosesAndItsWorkersEnd() {
        long before = gemvThreads();
        Holder h = new Holder();
        h.team = new SpinTeam(2, m -> {
            if (m == 1) {
                throw new IllegalArgumentException("member 1 fails");
            }
            h.team.barrier().await();
        });
        assertTimeoutPreemptively(LIMIT, () -> {
            assertThrows(IllegalStateException.class, h.team::run);
            h.team.close();
            h.team.close();
            assertEquals(before, gemvThreads());
        });
    }

    /** A call after close is refused at once: the workers have ended, so the task's barriers would wait forever. */
    @Test
    void aClosedTeamRefusesCalls() {
        for (int size : new int[] {1, 2}) {
            Holder h = new Holder();
            AtomicInteger calls = new AtomicInteger();
            h.team = new SpinTeam(size, m -> {
                calls.incrementAndGet();
                h.team.barrier().await();
            });
            assertTimeoutPreemptively(LIMIT, () -> {
                h.team.run();
                assertEquals(size, calls.get());
                h.team.close();
                IllegalStateException e = assertThrows(IllegalStateException.class, h.team::run);
                assertTrue(e.getMessage().contains("closed"), e.getMessage());
                assertEquals(size, calls.get(), "a member ran the task after close");
            });
        }
    }

    /** A policy that has seen slow joins after parks of every length: calls that find the workers parked run alone. */
    static WakePolicy slowJoinsSeen() {
        WakePolicy p = new WakePolicy();
        for (long parked = 0; parked < 40_000_000; parked = 2 * parked + 250_000) {
            while (p.wakes(parked)) {
                p.joined(1_200_000);
            }
        }
        return p;
    }

    /** Counts of a team's runs: member 0's calls alone and on the team, and the worker's (1 worker). */
    static final class Runs {
        final AtomicInteger alone = new AtomicInteger();
        final AtomicInteger team = new AtomicInteger();
        final AtomicInteger worker = new AtomicInteger();

        /** A task that counts its runs and meets at the barrier, except member 0 in a call alone. */
        SpinTeam.Member task(Holder h) {
            return m -> {
                if (m == 0) {
                    if (h.team.runsAlone()) {
                        alone.incrementAndGet();
                        return; // no barrier: nobody else is in the call
                    }
                    team.incrementAndGet();
                } else {
                    worker.incrementAndGet();
                }
                h.team.barrier().await();
            };
        }
    }

    /** A fresh policy: a call that finds the worker parked wakes it, and both members run the task. */
    @Test
    void aCallWakesTheParkedWorkerWhileJoinsAreQuick() {
        Holder h = new Holder();
        Runs runs = new Runs();
        h.team = new SpinTeam(2, runs.task(h));
        assertTimeoutPreemptively(LIMIT, () -> {
            try (SpinTeam team = h.team) {
                SpinUntil.holds(team::workersParked, "the worker has parked");
                team.run();
                assertEquals(1, runs.team.get(), "member 0's calls on the team");
                assertEquals(1, runs.worker.get(), "the worker's calls");
            }
        });
    }

    /**
     * Once joins were slow, a call that finds the worker parked runs on the caller alone and leaves it parked; a
     * call alone that comes within the idle spin of the last one's end wakes it as it ends, and the next call, which
     * finds it spinning, runs on both.
     */
    @Test
    void aCallRunsAloneOnceJoinsWereSlowAndCloseCallsBringTheWorkerBack() {
        Holder h = new Holder();
        Runs runs = new Runs();
        long idleSpin = 10_000_000_000L; // "within the idle spin" whatever this machine's speed
        h.team = new SpinTeam(2, runs.task(h), slowJoinsSeen(), idleSpin);
        assertTimeoutPreemptively(LIMIT, () -> { // close() included: a worker stuck in a call would hang it
            try (SpinTeam team = h.team) {
                SpinUntil.holds(team::workersParked, "the worker has parked"); // it starts as after a long pause
                team.run();
                assertEquals(1, runs.alone.get(), "the first call ran alone");
                FullSleep.nanos(100_000_000);
                assertTrue(team.workersParked(), "the call alone woke the worker");
                assertEquals(0, runs.worker.get());
                team.run(); // finds it parked, but comes right after the first: it wakes the worker as it ends
                assertEquals(2, runs.alone.get(), "the second call ran alone");
                SpinUntil.holds(() -> !team.workersParked(), "the worker is spinning");
                team.run();
                assertEquals(2, runs.alone.get(), "the third call, which found the worker spinning, ran alone");
                FullSleep.nanos(100_000_000);
                assertEquals(1, runs.worker.get(), "the worker's calls");
            }
        });
    }

    /**
     * Calls at random pauses against a worker that parks as soon as it may, the policy set to run parked calls alone
     * but probing now and then: each call runs either on both members or on the caller alone, never with a worker
     * in a call the caller took for itself (the claim decides when the worker sees the call while parking).
     */
    @Test
    void everyCallRunsAloneOrOnTheWholeTeam() {
        Holder h = new Holder();
        Runs runs = new Runs();
        WakePolicy wakes = new WakePolicy();
        h.team = new SpinTeam(2, runs.task(h), wakes, 20_000);
        java.util.Random rnd = new java.util.Random(7);
        assertTimeoutPreemptively(LIMIT, () -> {
            try (SpinTeam team = h.team) {
                for (int i = 0; i < 3000; i++) {
                    if (rnd.nextInt(3) > 0) {
                        wakes.joined(1_200_000); // most woken calls joined late: parked calls run alone
                    } else {
                        wakes.joined(1_000);
                    }
                    long until = System.nanoTime() + rnd.nextInt(60_000);
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    int before = runs.worker.get();
                    int teamBefore = runs.team.get();
                    team.run();
                    int worker = runs.worker.get() - before;
                    int asTeam = runs.team.get() - teamBefore;
                    assertEquals(asTeam, worker, "call " + i + ": the worker's runs against the caller's");
                }
            }
            assertEquals(runs.team.get(), runs.worker.get(), "after close: a worker ran a call its caller ran alone");
            assertTrue(runs.team.get() > 0 && runs.team.get() < 3000, "calls on both members: " + runs.team.get());
        });
    }

    private static long gemvThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("recur4j-gemv-") && t.isAlive()).count();
    }
}
