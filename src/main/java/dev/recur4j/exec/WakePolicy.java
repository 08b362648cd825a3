package dev.recur4j.exec;

/**
 * Whether a {@link SpinTeam} call that finds every worker parked wakes them or runs on the caller alone, learnt from
 * how late woken workers joined their calls. Used by the calling thread only.
 *
 * <p>Where waking a parked thread is quick (tens of microseconds on a machine of one's own), the team is worth the
 * wake-up, and every such call wakes it. On a VM whose host is slow to run an idle vCPU again, a woken worker joins
 * some calls a millisecond or more late, and such a call then stalls at nearly every hand-off. W1 (LSTM B=1, T=100,
 * I=64, H=256) with 2 threads on a 2-vCPU Zen 4 VM, 1000 calls each, the worker woken for every call:
 * <pre>
 * pause between calls       0.5 ms  1 ms   2 ms   5 ms   20 ms
 * joins later than 250 µs   0.2 %   1.9 %  4.8 %  28 %   96 %
 * mean call, ms             0.88    0.93   1.15   3.07   11.7
 * </pre>
 * against 1.5-1.7 ms for a call alone. A slow join costs about 10 ms, a call alone about 0.7 ms more than a quick
 * team call: waking pays while fewer than about 7 % of joins are slow. So once the share of slow joins among recent
 * woken calls (an average weighted towards the latest, {@link #WEIGHT}) passes {@link #MAX_SLOW_SHARE}, calls run
 * alone, and one in {@link #FIRST_PROBE} wakes the workers again to measure; each slow probe doubles that interval
 * (up to {@link #LAST_PROBE}), so that where nearly every wake-up is slow the probes do not make the tail.
 */
final class WakePolicy {
    /** A worker joining later than this after its call began counts as slow: above the quick wake-ups of that VM. */
    static final long SLOW_JOIN_NANOS = 250_000;
    /** Above this share of slow joins, calls that find the workers parked run alone. */
    static final double MAX_SLOW_SHARE = 0.10;
    /** The weight of the latest woken call in the share. */
    static final double WEIGHT = 1.0 / 32;
    /** Calls alone between two probes, at first and at most. */
    static final int FIRST_PROBE = 64;
    static final int LAST_PROBE = 1024;

    private double slowShare;
    private int aloneSinceProbe;
    private int probeEvery = FIRST_PROBE;
    private boolean probing;

    /** For a call that finds every worker parked: true to wake them, false to run it alone. */
    boolean wakes() {
        if (slowShare <= MAX_SLOW_SHARE || aloneSinceProbe >= probeEvery) {
            probing = slowShare > MAX_SLOW_SHARE;
            aloneSinceProbe = 0;
            return true;
        }
        aloneSinceProbe++;
        return false;
    }

    /** After a call that woke the workers: the last of them joined {@code lateNanos} after the call began. */
    void joined(long lateNanos) {
        boolean slow = lateNanos > SLOW_JOIN_NANOS;
        slowShare += WEIGHT * ((slow ? 1 : 0) - slowShare);
        if (probing) {
            probeEvery = slow ? Math.min(2 * probeEvery, LAST_PROBE) : FIRST_PROBE;
        }
    }
}
