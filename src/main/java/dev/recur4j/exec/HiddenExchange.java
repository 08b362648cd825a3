package dev.recur4j.exec;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * How the members of a small-batch team hand each other the hidden units they computed, without a
 * barrier per step. Member m owns units [unitFrom[m], unitFrom[m+1]); it publishes them (of every
 * batch row) into its own buffer and then raises its stamp with a release write; a partner waits for
 * the stamp with acquire reads and copies the units into its private h. Against a barrier after each
 * step (an atomic arrival count, then a phase flag, then the data), a member waits only for the data
 * it is about to read, and the members never write a shared line.
 *
 * <p>Sequence: every member publishes the same hand-offs in the same order, numbered 1, 2, 3, … per
 * member ({@link #publish}); a fetch waits for the partner's hand-off with the fetching member's
 * own latest number. Hand-off s goes to buffer s &amp; 1. What the caller must do so that a buffer
 * is never overwritten while a partner reads it: between two hand-offs, fetch every partner's latest
 * one, or meet the partners at a barrier. Then a member publishes s + 2 only after it has fetched
 * every partner's s + 1, which each partner published after fetching s (or after the barrier).
 * {@link SmallBatchForward} fetches at the start of each step and meets at the barrier at the end
 * of each (layer, direction), before whose first step nothing is fetched (h comes from h0); before a member stops
 * publishing (the barrier), it calls {@link #wakeSleepers}.
 * Numbers run on across calls.
 *
 * <p>A fetch spins for {@link SpinBarrier#SPIN_NANOS}, then parks (so that on an oversubscribed machine a
 * descheduled partner can have the core), and the partner unparks it. Right after its stamp the partner reads the
 * sleepers' slots without a fence, which wakes a waiter at once in nearly every case but may miss one that registers
 * at that moment; at its next hand-off (or before the barrier) it reads them again after a full fence that follows
 * the stamp, which cannot miss (Dekker: the waiter writes its slot, then reads the stamp, both volatile; the publisher
 * writes the stamp, fences, then reads the slots; so one of them sees the other). A fence right after the stamp
 * would wait for the stores of the copy just made, to lines the partners last read. Timed naps instead (20 µs asked
 * for, about 130 µs taken on a 2-vCPU VM, whose idle vCPU the host must wake) fed on themselves: a member back from
 * a nap found its partner napping in turn, having waited past its spin window, and so on for the rest of the call.
 * W1 (LSTM B=1, T=100, I=64, H=256) with 2 threads called every 5 ms took 5.8-9.0 ms a call by the median (about 18
 * naps a member and call), 0.97-3.1 now; back to back, 2 naps a call cost 0.3-0.4 ms of the members' time.
 *
 * <p>Buffers grow (between calls, from the calling thread) when a call has more rows than any before.
 * If a member fails, the team's barrier is broken and a waiting fetch throws instead of waiting for a
 * hand-off that will not come (a parked one notices within {@link #PARK_NANOS}).
 */
final class HiddenExchange {
    /** Longs between two members' stamps: 128 bytes, so no two stamps share a cache line (or its pair). */
    private static final int STRIDE = 16;
    /** References between two members' sleeper slots: 128 bytes with 4-byte (compressed) references, 256 without. */
    private static final int SLEEPER_STRIDE = 32;
    /** A parked fetch's safety net: it is unparked by the hand-off, and looks at the barrier at least this often. */
    private static final long PARK_NANOS = 1_000_000;

    private final int[] unitFrom;
    private final long parkNanos;
    private final SpinBarrier barrier;
    private final AtomicLongArray stamps;
    /** Member m's thread at m * SLEEPER_STRIDE while it is parked in a fetch, else null. */
    private final AtomicReferenceArray<Thread> sleepers;
    /** Per member, its hand-offs so far (only that member reads or writes its slot). */
    private final long[] count;
    /** [member][buffer][row][unit]: only the member's own units are written and read. */
    private float[][][][] buffers;

    HiddenExchange(int[] unitFrom, SpinBarrier barrier) {
        this(unitFrom, barrier, PARK_NANOS);
    }

    /** With the park timeout given (tests: one long enough that a lost wake-up shows as a hang). */
    HiddenExchange(int[] unitFrom, SpinBarrier barrier, long parkNanos) {
        this.parkNanos = parkNanos;
        this.unitFrom = unitFrom.clone();
        this.barrier = barrier;
        int members = unitFrom.length - 1;
        this.stamps = new AtomicLongArray(members * STRIDE);
        this.sleepers = new AtomicReferenceArray<>(members * SLEEPER_STRIDE);
        this.count = new long[members * STRIDE];
        this.buffers = new float[members][2][0][];
    }

    /** Room for {@code rows} rows; call only between calls (no member running). */
    void ensureRows(int rows) {
        if (buffers[0][0].length >= rows) {
            return;
        }
        int units = unitFrom[unitFrom.length - 1];
        for (float[][][] member : buffers) {
            for (int b = 0; b < 2; b++) {
                member[b] = new float[rows][];
                for (int r = 0; r < rows; r++) {
                    member[b][r] = new float[units + 16]; // + 16: no cache line shared with the next array
                }
            }
        }
    }

    /**
     * Hands the member's units of h[0 .. rows) to the partners, and wakes those parked for it (see the class). First
     * it surely wakes any partner parked for its previous hand-off ({@link #wakeSleepers}).
     */
    void publish(int member, float[][] h, int rows) {
        wakeSleepers(member);
        long s = ++count[member * STRIDE];
        float[][] to = buffers[member][(int) (s & 1)];
        int u0 = unitFrom[member];
        int n = unitFrom[member + 1] - u0;
        for (int r = 0; r < rows; r++) {
            System.arraycopy(h[r], u0, to[r], u0, n);
        }
        stamps.setRelease(member * STRIDE, s);
        unparkSleepers(member); // may miss a waiter registering now: the next wakeSleepers cannot
    }

    /**
     * Unparks every partner parked in a fetch, which may wait for the member's latest hand-off: a full fence first, so
     * that the member's stamp is visible before it reads their slots, and none is missed (see the class). The member's
     * next {@link #publish} calls it; a member that publishes no more must call it itself.
     */
    void wakeSleepers(int member) {
        VarHandle.fullFence();
        unparkSleepers(member);
    }

    private void unparkSleepers(int member) {
        int members = unitFrom.length - 1;
        for (int q = 1; q < members; q++) {
            Thread sleeper = sleepers.get((member + q) % members * SLEEPER_STRIDE);
            if (sleeper != null) {
                LockSupport.unpark(sleeper); // it may wait for another partner: it looks and parks again
            }
        }
    }

    /** Copies {@code partner}'s units of its hand-off numbered as the member's latest into h[0 .. rows). */
    void fetch(int member, int partner, float[][] h, int rows) {
        long s = count[member * STRIDE];
        if (stamps.getAcquire(partner * STRIDE) < s) {
            await(member, partner * STRIDE, s);
        }
        float[][] from = buffers[partner][(int) (s & 1)];
        int u0 = unitFrom[partner];
        int n = unitFrom[partner + 1] - u0;
        for (int r = 0; r < rows; r++) {
            System.arraycopy(from[r], u0, h[r], u0, n);
        }
    }

    private void await(int member, int slot, long s) {
        int spins = 0;
        long spinUntil = 0;
        while (stamps.getAcquire(slot) < s) {
            if ((++spins & 255) != 0) {
                Thread.onSpinWait();
            } else {
                barrier.checkNotBroken();
                if (spinUntil == 0) {
                    spinUntil = System.nanoTime() + SpinBarrier.SPIN_NANOS;
                } else if (System.nanoTime() > spinUntil) {
                    sleep(member, slot, s); // the partner has lost its core: stop taking the one it needs
                    return;
                }
            }
        }
    }

    /** Parks until the stamp at {@code slot} reaches s; the partner's hand-off unparks it (see the class). */
    private void sleep(int member, int slot, long s) {
        Thread me = Thread.currentThread();
        int mine = member * SLEEPER_STRIDE;
        sleepers.set(mine, me);
        boolean interrupted = false;
        try {
            while (stamps.get(slot) < s) {
                barrier.checkNotBroken();
                interrupted |= Parking.parkNanos(this, parkNanos);
            }
        } finally {
            sleepers.set(mine, null);
            Parking.restore(interrupted);
        }
    }
}
