package dev.recur4j.exec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Lets a thread of a {@link RowTeam} that has finished its rows take over part of another thread's
 * rows for the rest of a time loop. A {@link RowTeam} splits a layer's batch rows evenly and each
 * thread keeps its chunk for all steps, so when the host slows one vCPU (for minutes at a time on
 * the Zen 5, 2-9 % on one chunk) the other waits at the join. Rows are independent and all their
 * state is indexed by row in the shared workspace, so rows can change hands at any step boundary
 * with nothing copied.
 *
 * <p>The protocol, per chunk slot (each thread of a run owns the slot of its chunk):
 * <ol>
 *   <li>A slot is {@link #open} for the whole loop: {@code ForwardPass} opens every chunk's before
 *       {@link RowTeam#run} starts the threads, so a thread that finishes before another has even begun
 *       can ask it. The owner calls {@link #keep} at every step boundary, the first one after it has set
 *       its rows up (input projection, state): one volatile read while nobody asks.</li>
 *   <li>A thread that has run out of rows ({@link #take}) moves another slot from RUNNING to ASKED
 *       (a CAS, so one taker at a time) and waits for the answer.</li>
 *   <li>At its next boundary the owner answers: the upper part of its rows, a multiple of
 *       {@link #GRAIN} and at most half, from that step on; it keeps the rest.</li>
 *   <li>When its loop ends, also by an exception, the owner {@link #close}s the slot, answering a
 *       pending ask with no rows, so no taker waits for a loop that has left.</li>
 * </ol>
 * The taker runs the rows it got in a loop of its own, with its slot open, so the first owner can
 * take part of them back if it finishes first. The owner's writes to the rows it hands over
 * happen-before the taker's reads: the owner publishes the answer with a volatile write after its
 * last step on them, and the taker reads that state before its first. Nothing allocates.
 *
 * <p>Whether rows change hands depends on timing; where they go does not change what is computed
 * for a row (the Java GEMM sums each element in the same order whatever the rows around it, and
 * {@code ForwardPass} picks a layer's path once, not per loop). {@link #keep} is the one method
 * tests override (to slow a chunk down).
 */
class RowShare {
    /**
     * Rows handed over are a multiple of this, and a slot with fewer than twice as many keeps them
     * all: the Java GEMM's micro-tile height with 512-bit vectors, so a chunk whose rows are a multiple
     * of it (W2: 32, W5: 64) splits into parts without padded tiles, and below it the GEMM's work per row
     * (the weights streamed once per step whatever the rows) would grow faster than the wait it saves
     * shrinks.
     */
    static final int GRAIN = 8;

    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int ASKED = 2;
    private static final int ANSWERED = 3;

    /**
     * A taker spins {@link RowTeam#WAIT_SPIN_NANOS} for its answer, then sleeps this long at a time (the owner
     * may be descheduled).
     */
    private static final long SLEEP_NANOS = 20_000;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Slot.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One chunk's state; padded so that a taker spinning on one slot does not share a line with another. */
    @SuppressWarnings("unused")
    private static final class Slot {
        private long p0, p1, p2, p3, p4, p5, p6;
        volatile int state;
        /** The answer (owner to taker), then in the taker's own slot the rows it took. */
        int from;
        int to;
        int step;
        private long q0, q1, q2, q3, q4, q5, q6;
    }

    private final Slot[] slots;

    RowShare(int threads) {
        slots = new Slot[threads];
        for (int i = 0; i < threads; i++) {
            slots[i] = new Slot();
        }
    }

    /** The owner of {@code chunk}'s slot lets other threads ask for its rows from now on. */
    final void open(int chunk) {
        slots[chunk].state = RUNNING;
    }

    /**
     * The owner of {@code chunk}, at the boundary before {@code step} of its loop over rows [from, to):
     * the end of the rows it runs from this step on. If a taker asked, rows [returned, to) are its.
     */
    int keep(int chunk, int step, int from, int to) {
        Slot s = slots[chunk];
        if (s.state != ASKED) {
            return to;
        }
        int give = (to - from) / 2 / GRAIN * GRAIN;
        s.from = to - give;
        s.to = to;
        s.step = step;
        s.state = ANSWERED;
        return to - give;
    }

    /** The owner of {@code chunk} ends its loop: no rows to take from it any more. Call in a finally. */
    final void close(int chunk) {
        Slot s = slots[chunk];
        while (true) {
            int st = s.state;
            if (st == IDLE || st == RUNNING && STATE.compareAndSet(s, RUNNING, IDLE)) {
                return;
            }
            if (st == ASKED) {
                s.from = 0;
                s.to = 0;
                s.state = ANSWERED;
            } else {
                Thread.onSpinWait(); // ANSWERED: the taker reads the answer and sets RUNNING
            }
        }
    }

    /**
     * The thread of {@code chunk}, out of rows: asks each other running slot in turn for part of its rows.
     * True when it got some: they are {@link #from}({@code chunk}) to {@link #to} from step {@link #step} on.
     */
    final boolean take(int chunk) {
        for (int i = 1; i < slots.length; i++) {
            Slot v = slots[(chunk + i) % slots.length];
            if (v.state != RUNNING || !STATE.compareAndSet(v, RUNNING, ASKED)) {
                continue;
            }
            long sleepAfter = System.nanoTime() + RowTeam.WAIT_SPIN_NANOS;
            boolean interrupted = false;
            while (v.state == ASKED) {
                if (System.nanoTime() < sleepAfter) {
                    Thread.onSpinWait();
                } else {
                    interrupted |= Parking.parkNanos(this, SLEEP_NANOS);
                }
            }
            Parking.restore(interrupted);
            int from = v.from;
            int to = v.to;
            int step = v.step;
            v.state = RUNNING; // the owner goes on (or closes); it may be asked again
            if (from < to) {
                Slot mine = slots[chunk];
                mine.from = from;
                mine.to = to;
                mine.step = step;
                return true;
            }
        }
        return false;
    }

    /** Whether a taker waits for the answer of {@code chunk}'s owner (tests hold a loop until one does). */
    final boolean asked(int chunk) {
        return slots[chunk].state == ASKED;
    }

    /** First row of what {@link #take} got for {@code chunk}. */
    final int from(int chunk) {
        return slots[chunk].from;
    }

    /** End (exclusive) of what {@link #take} got for {@code chunk}. */
    final int to(int chunk) {
        return slots[chunk].to;
    }

    /** First step (of the loop's step order) of what {@link #take} got for {@code chunk}. */
    final int step(int chunk) {
        return slots[chunk].step;
    }
}
