package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link WakePolicy}: when calls that find the workers parked wake them, and how it probes once they do not. */
class WakePolicyTest {
    private static final long QUICK = 50_000;
    private static final long SLOW = 1_200_000;
    /** How long the workers had been parked in these calls: 5 ms, as between calls 5 ms apart. */
    private static final long PARKED = 5_000_000;

    /** Calls until the next that wakes the workers, that one included. */
    private static int callsToNextWake(WakePolicy p) {
        int n = 1;
        while (!p.wakes(PARKED)) {
            n++;
        }
        return n;
    }

    @Test
    void quickJoinsKeepWaking() {
        WakePolicy p = new WakePolicy();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(p.wakes(PARKED), "call " + i);
            p.joined(QUICK);
        }
    }

    /** Spans of a park: under 0.5 ms, then doubling, the last from 16 ms on. */
    @Test
    void spansDouble() {
        assertEquals(0, WakePolicy.span(0));
        assertEquals(0, WakePolicy.span(499_999));
        assertEquals(1, WakePolicy.span(500_000));
        assertEquals(1, WakePolicy.span(999_999));
        assertEquals(2, WakePolicy.span(1_000_000));
        assertEquals(4, WakePolicy.span(PARKED));
        assertEquals(5, WakePolicy.span(15_999_999));
        assertEquals(6, WakePolicy.span(16_000_000));
        assertEquals(6, WakePolicy.span(Long.MAX_VALUE));
    }

    /**
     * Slow joins after long parks stop the wake-ups after long parks only: calls after short ones (as when calls
     * come 1 ms apart) keep waking the workers.
     */
    @Test
    void eachSpanHasItsOwnRecord() {
        WakePolicy p = new WakePolicy();
        int slowJoins = 0;
        while (p.wakes(20_000_000)) {
            p.joined(SLOW);
            assertTrue(++slowJoins < 10, "still waking after " + slowJoins + " slow joins");
        }
        for (int i = 0; i < 1000; i++) {
            assertTrue(p.wakes(800_000), "call " + i + " after a 0.8 ms park");
            p.joined(QUICK);
        }
        assertFalse(p.wakes(20_000_000), "quick joins after short parks");
    }

    /** One slow join in 50 (2 %, as with calls 1 ms apart on the VM of the class comment) is worth the wake-ups. */
    @Test
    void rareSlowJoinsKeepWaking() {
        WakePolicy p = new WakePolicy();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(p.wakes(PARKED), "call " + i);
            p.joined(i % 50 == 49 ? SLOW : QUICK);
        }
    }

    /**
     * Slow joins in a row stop the wake-ups; then one call in {@link WakePolicy#FIRST_PROBE} wakes the workers, each
     * slow probe doubling that up to {@link WakePolicy#LAST_PROBE}, a quick one going back to the first interval,
     * and enough quick ones bring the share of slow joins back under the limit: every call wakes them again.
     */
    @Test
    void slowJoinsStopTheWakeUpsAndProbesBackOff() {
        WakePolicy p = new WakePolicy();
        int calls = 0;
        while (p.wakes(PARKED)) {
            p.joined(SLOW);
            calls++;
            assertTrue(calls < 10, "still waking after " + calls + " slow joins");
        }
        assertFalse(calls < 2, "a single slow join stopped the wake-ups");
        // FIRST_PROBE calls alone (the one just refused among them), then the probe
        assertEquals(WakePolicy.FIRST_PROBE, callsToNextWake(p), "the first probe");
        int interval = WakePolicy.FIRST_PROBE;
        for (int i = 0; i < 6; i++) {
            p.joined(SLOW);
            interval = Math.min(2 * interval, WakePolicy.LAST_PROBE);
            assertEquals(interval + 1, callsToNextWake(p), "after slow probe " + (i + 1));
        }
        assertEquals(WakePolicy.LAST_PROBE, interval, "the test reaches the largest interval");
        p.joined(QUICK);
        assertEquals(WakePolicy.FIRST_PROBE + 1, callsToNextWake(p), "after a quick probe");
        int probes = 1;
        while (true) {
            p.joined(QUICK);
            if (p.wakes(PARKED)) {
                break; // under the limit again: no longer a probe
            }
            assertEquals(WakePolicy.FIRST_PROBE + 1, 1 + callsToNextWake(p), "quick probe " + probes);
            probes++;
            assertTrue(probes < 200, "quick probes never brought the wake-ups back");
        }
        for (int i = 0; i < 100; i++) {
            p.joined(QUICK);
            assertTrue(p.wakes(PARKED), "call " + i + " after the share fell under the limit");
        }
    }
}
