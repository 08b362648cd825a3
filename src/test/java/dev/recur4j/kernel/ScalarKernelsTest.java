package dev.recur4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * Hand-checked single elements of the scalar kernels (n = 1), independent of the reference:
 * the values follow directly from the equations on {@link Kernels}. Tolerance 1e-6: float
 * rounding of a handful of operations on values of order 1.
 */
class ScalarKernelsTest {
    private static final Kernels K = new ScalarKernels();

    private static float at(MemorySegment s, long i) {
        return s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
    }

    private static void put(MemorySegment s, long i, float... v) {
        for (int j = 0; j < v.length; j++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i + j, v[j]);
        }
    }

    private static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** zero copies from a 1024-float block: lengths below, at and across block boundaries, odd offsets. */
    @Test
    void zeroClearsExactlyTheRange() {
        int[] lengths = {0, 1, 15, 1023, 1024, 1025, 3000};
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(4000 * 4);
            for (int n : lengths) {
                for (long off : new long[] {0, 7}) {
                    for (int i = 0; i < 4000; i++) {
                        put(ws, i, i + 1f);
                    }
                    K.zero(n, ws, off);
                    for (int i = 0; i < 4000; i++) {
                        float expected = i >= off && i < off + n ? 0f : i + 1f;
                        assertEquals(expected, at(ws, i), "n=" + n + " off=" + off + " i=" + i);
                    }
                }
            }
        }
    }

    @Test
    void lstmForwardWithPeepholes() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(64 * 4);
            MemorySegment w = a.allocate(64 * 4);
            put(ws, 0, 0.5f, -0.25f, 0.75f, 0.1f); // pre-activations i, f, g, o
            put(ws, 10, 0.4f);                     // c
            put(w, 0, 0.1f, 0.2f, -0.3f, 0.05f);   // bias
            put(w, 10, 0.3f, -0.6f, 0.9f);         // peepholes i, f, o
            K.lstmForwardStep(1, ws, 0, 0, w, 0, 10, 10, 20, 30);
            double i = sig(0.6 + 0.3 * 0.4);
            double f = sig(-0.05 - 0.6 * 0.4);
            double g = Math.tanh(0.45);
            double c = f * 0.4 + i * g;
            double o = sig(0.15 + 0.9 * c);
            double h = o * Math.tanh(c);
            assertEquals(c, at(ws, 10), 1e-6);
            assertEquals(h, at(ws, 20), 1e-6);
            assertEquals(h, at(ws, 30), 1e-6);
            assertEquals(o, at(ws, 3), 1e-6);
        }
    }

    /** The inference step adds rec to the pre-activations and leaves the gate row as it found it. */
    @Test
    void lstmInferenceAddsRecAndKeepsTheGates() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(64 * 4);
            MemorySegment w = a.allocate(64 * 4);
            put(ws, 0, 0.5f, -0.25f, 0.75f, 0.1f); // pre-activations i, f, g, o
            put(ws, 4, 0.2f, 0.3f, -0.5f, 0.4f);   // rec
            put(ws, 10, 0.4f);                     // c
            put(w, 0, 0.1f, 0.2f, -0.3f, 0.05f);   // bias
            K.lstmInferenceStep(1, ws, 0, 4, w, 0, 10, 20, 30);
            double i = sig(0.8);
            double f = sig(0.25);
            double g = Math.tanh(-0.05);
            double c = f * 0.4 + i * g;
            double h = sig(0.55) * Math.tanh(c);
            assertEquals(c, at(ws, 10), 1e-6);
            assertEquals(h, at(ws, 20), 1e-6);
            assertEquals(h, at(ws, 30), 1e-6);
            assertEquals(0.5f, at(ws, 0));
            assertEquals(0.1f, at(ws, 3));
            K.lstmInferenceStep(1, ws, 0, -1, w, 0, 10, 40, -1); // no rec: g + b only, c carries on
            double c2 = sig(-0.05) * c + sig(0.6) * Math.tanh(0.45);
            assertEquals(c2, at(ws, 10), 1e-6);
            assertEquals(sig(0.15) * Math.tanh(c2), at(ws, 40), 1e-6);
        }
    }

    @Test
    void gruLinearBeforeResetForward() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(64 * 4);
            MemorySegment w = a.allocate(64 * 4);
            put(ws, 0, 0.2f, -0.4f, 0.3f);  // W_i{r,z,n} x
            put(ws, 10, 0.1f, 0.5f, -0.7f); // W_h{r,z,n} h
            put(ws, 20, 0.6f);              // h
            put(w, 0, 0.05f, 0.1f, -0.2f);  // b_ih (+ b_hh for r, z)
            put(w, 10, 0.3f);               // b_hn
            K.gruForwardStep(1, ws, 0, 0, 10, w, 0, 10, 30, 20, 40);
            double r = sig(0.35);
            double z = sig(0.2);
            double n = Math.tanh(0.1 + r * (-0.4));
            double h = (1 - z) * n + z * 0.6;
            assertEquals(-0.4, at(ws, 30), 1e-6);
            assertEquals(h, at(ws, 20), 1e-6);
            assertEquals(h, at(ws, 40), 1e-6);
        }
    }

    /** The inference kernel gives gruForwardStep's h from the same inputs and writes nothing but h and y. */
    @Test
    void gruLinearBeforeResetInference() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(64 * 4);
            MemorySegment w = a.allocate(64 * 4);
            put(ws, 0, 0.2f, -0.4f, 0.3f);  // W_i{r,z,n} x
            put(ws, 10, 0.1f, 0.5f, -0.7f); // W_h{r,z,n} h
            put(ws, 20, 0.6f);              // h
            put(ws, 30, 9f);                // where gruForwardStep would keep hn: must stay
            put(w, 0, 0.05f, 0.1f, -0.2f);  // b_ih (+ b_hh for r, z)
            put(w, 10, 0.3f);               // b_hn
            K.gruInferenceStep(1, ws, 0, 10, w, 0, 10, 20, 40);
            double r = sig(0.2 + 0.05 + 0.1);
            double z = sig(-0.4 + 0.1 + 0.5);
            double n = Math.tanh(0.3 - 0.2 + r * (-0.7 + 0.3));
            double h = (1 - z) * n + z * 0.6;
            assertEquals(h, at(ws, 20), 1e-6);
            assertEquals(h, at(ws, 40), 1e-6);
            assertEquals(0.2f, at(ws, 0));  // the gate row is only read
            assertEquals(-0.4f, at(ws, 1));
            assertEquals(0.3f, at(ws, 2));
            assertEquals(9f, at(ws, 30));
            K.gruInferenceStep(1, ws, 0, 10, w, 0, 10, 50, -1); // yOff -1: h alone, from h in 50 (0 here)
            assertEquals((1 - z) * n, at(ws, 50), 1e-6);
            assertEquals(h, at(ws, 40), 1e-6);
        }
    }

    /**
     * The joined row [W_ir x + W_hr h, W_iz x + W_hz h, W_in x, W_hn h] gives the h of the gruLinearBeforeReset tests'
     * inputs; training keeps r, z, n and hn, inference writes nothing but h and y.
     */
    @Test
    void gruLinearBeforeResetJoinedRow() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(64 * 4);
            MemorySegment w = a.allocate(64 * 4);
            put(ws, 0, 0.2f + 0.1f, -0.4f + 0.5f, 0.3f, -0.7f); // W_i{r,z} x + W_h{r,z} h, W_in x, W_hn h
            put(ws, 20, 0.6f);              // h
            put(w, 0, 0.05f, 0.1f, -0.2f);  // b_ih (+ b_hh for r, z)
            put(w, 10, 0.3f);               // b_hn
            double r = sig(0.2 + 0.1 + 0.05);
            double z = sig(-0.4 + 0.5 + 0.1);
            double n = Math.tanh(0.3 - 0.2 + r * (-0.7 + 0.3));
            double h = (1 - z) * n + z * 0.6;
            K.gruJoinedForwardStep(1, ws, 0, 50, w, 0, 10, 30, 20, 40);
            assertEquals(h, at(ws, 20), 1e-6);
            assertEquals(h, at(ws, 40), 1e-6);
            assertEquals(r, at(ws, 50), 1e-6);
            assertEquals(z, at(ws, 51), 1e-6);
            assertEquals(n, at(ws, 52), 1e-6);
            assertEquals(-0.4, at(ws, 30), 1e-6); // hn = W_hn h + b_hn
            assertEquals(0.3f, at(ws, 0), 0f);    // the joined row is only read
            put(ws, 20, 0.6f);
            put(ws, 30, 9f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f); // hn, y: inference keeps no hn
            K.gruJoinedInferenceStep(1, ws, 0, w, 0, 10, 20, 40);
            assertEquals(h, at(ws, 20), 1e-6);
            assertEquals(h, at(ws, 40), 1e-6);
            assertEquals(9f, at(ws, 30));
            K.gruJoinedInferenceStep(1, ws, 4, w, 0, 10, 60, -1); // a zero row and h; yOff -1: y stays
            double r0 = sig(0.05);
            assertEquals((1 - sig(0.1)) * Math.tanh(-0.2 + r0 * 0.3), at(ws, 60), 1e-6);
            assertEquals(h, at(ws, 40), 1e-6);
        }
    }

    @Test
    void gruResetBeforeLinearInference() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(64 * 4);
            MemorySegment w = a.allocate(64 * 4);
            put(ws, 0, 0.7f, 0.3f, 0.4f); // r, z (already σ'd), W_in x + W_hn (r⊙h)
            put(ws, 20, 0.6f);            // h
            put(w, 0, 9f, 9f, -0.1f);     // b (r, z blocks unused here), b_in + b_hn
            K.gruRbrInferenceStep(1, ws, 0, w, 0, 20, 40);
            double n = Math.tanh(0.4 - 0.1);
            double h = (1 - 0.3) * n + 0.3 * 0.6;
            assertEquals(h, at(ws, 20), 1e-6);
            assertEquals(h, at(ws, 40), 1e-6);
            assertEquals(0.4f, at(ws, 2)); // n is not written back
            assertEquals(0.7f, at(ws, 0));
        }
    }

    @Test
    void reluBackwardIsZeroAtZero() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(64 * 4);
            put(ws, 0, 0f, 2f);   // activations
            put(ws, 10, 5f, 7f);  // dh
            K.rnnBackwardStep(true, 2, ws, 0, 10, 20, 10);
            assertEquals(0f, at(ws, 20));
            assertEquals(7f, at(ws, 21));
            assertEquals(0f, at(ws, 10));
        }
    }
}
