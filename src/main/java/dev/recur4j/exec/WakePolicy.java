package dev.recur4j.exec;

/**
 * Whether a {@link SpinTeam} call that finds every worker parked wakes them or runs on the caller alone, learnt from
 * how late woken workers joined their calls, separately for each span of time the workers had been parked. Used by
 * the calling thread only.
 *
 * <p>Where waking a parked thread is quick (tens of microseconds on a machine of one's own), the team is worth the
 * wake-up, and every such call wakes it. On a VM whose host is slow to run a vCPU that has been idle for a while, a
 * woken worker joins some calls a millisecond or more late, and such a call then stalls at nearly every hand-off.
 * W1 (LSTM B=1, T=100, I=64, H=256) with 2 threads on a 2-vCPU Zen 4 VM, 1000 calls each, the worker (parked 200 µs
 * after each call) woken for every call:
 * <pre>
 * pause between calls       0.5 ms  1 ms   2 ms   5 ms   20 ms
 * joins later than 250 µs   0.2 %   1.9 %  4.8 %  28 %   96 %
 * mean call, ms             0.88    0.93   1.15   3.07   11.7
 * </pre>
 * against 1.5-1.7 ms for a call alone. A slow join costs about 10 ms, a call alone about 0.7 ms more than a quick
 * team call: waking pays while fewer than about 7 % of joins are slow. The limit, {@link #MAX_SLOW_SHARE}, sits a
 * little above that: the share is an average of few calls (one slow join moves it by 3 points), and a call alone is
 * never a stall; spans with 28 % or more slow joins still run alone. How late a worker joins depends on how long
 * it had been parked, so the record is kept per span ({@link #span}: under 0.5 ms, then doubling up to 16 ms and
 * more): a call alone leaves the workers parked, and the next woken call, after a long park, says nothing of the
 * short ones. Once the share of slow joins among a span's recent woken calls (an average weighted towards the
 * latest, {@link #WEIGHT}) passes that limit, that span's calls run alone, and after {@link #FIRST_PROBE} calls
 * alone the next one wakes the workers again to measure; each slow probe doubles that interval (up to {@link
 * #LAST_PROBE}), so that where nearly every wake-up is slow the probes do not make the tail.
 */
final class WakePolicy {
    /** A worker joining later than this after its call began counts as slow: above the quick wake-ups of that VM. */
    static final long SLOW_JOIN_NANOS = 250_000;
    /** Above this share of slow joins, calls that find the workers parked that long run alone. */
    static final double MAX_SLOW_SHARE = 0.10;
    /** The weight of the latest woken call in its span's share. */
    static final double WEIGHT = 1.0 / 32;
    /** Calls alone between two probes (which wake the workers), at first and at most. */
    static final int FIRST_PROBE = 64;
    static final int LAST_PROBE = 1024;
    /** The shortest span's end; each later span ends at twice the one before, the last has no end. */
    static final long FIRST_SPAN_NANOS = 500_000;
    static final int SPANS = 7;

    private final double[] slowShare = new double[SPANS];
    private final int[] aloneSinceProbe = new int[SPANS];
    private final int[] probeEvery = new int[SPANS];
    private final boolean[] probing = new boolean[SPANS];
    /** The span of the last call that woke the workers. */
    private int wokenSpan;

    WakePolicy() {
        java.util.Arrays.fill(probeEvery, FIRST_PROBE);
    }

    /** The span of a park of {@code parkedNanos}: 0 under 0.5 ms, 1 under 1 ms, ..., 6 from 16 ms on. */
    static int span(long parkedNanos) {
        int s = 0;
        for (long end = FIRST_SPAN_NANOS; s < SPANS - 1 && parkedNanos >= end; end *= 2) {
            s++;
        }
        return s;
    }

    /**
     * For a call that finds every worker parked, the longest for {@code parkedNanos}: true to wake them, false to run
     * it alone.
     */
    boolean wakes(long parkedNanos) {
        int s = span(parkedNanos);
        if (slowShare[s] <= MAX_SLOW_SHARE || aloneSinceProbe[s] >= probeEvery[s]) {
            probing[s] = slowShare[s] > MAX_SLOW_SHARE;
            aloneSinceProbe[s] = 0;
            wokenSpan = s;
            return true;
        }
        aloneSinceProbe[s]++;
        return false;
    }

    /** After a call that woke the workers: the last of them joined {@code lateNanos} after the call began. */
    void joined(long lateNanos) {
        int s = wokenSpan;
        boolean slow = lateNanos > SLOW_JOIN_NANOS;
        slowShare[s] += WEIGHT * ((slow ? 1 : 0) - slowShare[s]);
        if (probing[s]) {
            probeEvery[s] = slow ? Math.min(2 * probeEvery[s], LAST_PROBE) : FIRST_PROBE;
        }
    }
}
