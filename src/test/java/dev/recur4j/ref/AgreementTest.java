package dev.recur4j.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Agreement}'s tolerance atol·max(1, max|want|) + rtol·|want|, at its edges. */
class AgreementTest {
    @Test
    void theAbsolutePartScalesWithTheLargestExpectedValue() {
        // max|want| = 10: absolute part 1e-3, so 5 + 1e-3 + rtol·5 is the edge for the element 5
        double[] want = {10, 5, 0};
        double edge = 1e-3 + 1e-2 * 5;
        assertTrue(Agreement.of("t", new double[] {10, 5 + 0.99 * edge, 0}, want, 1e-4, 1e-2).agrees());
        Agreement off = Agreement.of("t", new double[] {10, 5 + 1.01 * edge, 0}, want, 1e-4, 1e-2);
        assertFalse(off.agrees());
        assertEquals(1, off.outside());
        assertEquals(1, off.firstOutside());
        assertEquals(1.01, off.worstRatio(), 1e-9);
        assertEquals(1.01 * edge, off.maxDiff(), 1e-12);
    }

    @Test
    void smallTensorsKeepAnAbsoluteFloorOfAtol() {
        float[] want = {1e-6f, 0f};
        assertTrue(Agreement.of("t", new float[] {5e-5f, 9e-5f}, want, 1e-4, 1e-3).agrees());
        assertFalse(Agreement.of("t", new float[] {1e-6f, 2e-4f}, want, 1e-4, 1e-3).agrees());
    }

    @Test
    void aNanIsOutsideAndShowsInTheLine() {
        Agreement a = Agreement.of("h_n", new float[] {1, Float.NaN}, new float[] {1, 1}, 1e-4, 1e-3);
        assertFalse(a.agrees());
        assertEquals(1, a.outside());
        assertTrue(a.line().startsWith("DIFFERS  h_n") && a.line().contains("NaN") && a.line().endsWith("the first at [1])"),
                a.line());
    }

    @Test
    void anInfiniteWantIsMatchedExactlyAndLeavesTheScaleAlone() {
        float inf = Float.POSITIVE_INFINITY;
        // once passed: an ∞ in want made every tolerance infinite, so 0 against ∞ and 1000 against 1 agreed
        Agreement a = Agreement.of("t", new float[] {0, 1000}, new float[] {inf, 1}, 1e-4, 1e-3);
        assertFalse(a.agrees());
        assertEquals(2, a.outside());
        assertEquals(0, a.firstOutside());
        assertTrue(Agreement.of("t", new float[] {inf, 1}, new float[] {inf, 1}, 1e-4, 1e-3).agrees());
        assertFalse(Agreement.of("t", new float[] {-inf, 1}, new float[] {inf, 1}, 1e-4, 1e-3).agrees());
        assertFalse(Agreement.of("t", new float[] {inf, 1}, new float[] {1, 1}, 1e-4, 1e-3).agrees());
    }

    @Test
    void aNanInWantIsMatchedByNanAndFailsNothingElse() {
        float nan = Float.NaN;
        // once failed: a NaN in want made every element fail, equal finite ones included
        Agreement same = Agreement.of("t", new float[] {nan, 7.65e28f, 2}, new float[] {nan, 7.65e28f, 2}, 1e-4, 1e-3);
        assertTrue(same.agrees(), same.line());
        assertEquals(0, same.maxDiff());
        assertTrue(same.line().endsWith("[1 expected non-finite]"), "an ok that matched a NaN says so: " + same.line());
        Agreement a = Agreement.of("t", new float[] {1, 2}, new float[] {nan, 2}, 1e-4, 1e-3);
        assertEquals(1, a.outside());
        assertEquals(0, a.firstOutside());
    }

    @Test
    void lengthsMustMatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Agreement.of("output", new float[3], new float[4], 1e-4, 1e-3));
        assertEquals("output: expected 4 elements, found 3", e.getMessage());
    }
}
