package dev.recur4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorActivations} against double-precision Math. Bound 2.5e-7 relative (about 4 ulp): the
 * polynomial of e^r - 1 is good to about 1 ulp, the reduction, the scaling and the one division add at
 * most one rounding each. An error in a coefficient or in the reduction shows as 1e-4 or worse.
 */
class VectorActivationsTest {
    private static final double BOUND = 2.5e-7;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    /** Sweeps tanh(x) over [-range, range] in n points and returns the worst relative error. */
    private static double worstTanh(float range, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate((long) n * Float.BYTES);
            MemorySegment zeros = arena.allocate((long) n * Float.BYTES);
            for (int i = 0; i < n; i++) {
                ws.setAtIndex(FLOAT, i, -range + 2 * range * i / n);
            }
            MemorySegment x = arena.allocate(ws.byteSize());
            x.copyFrom(ws);
            VectorActivations.tanhOfScaledSum(n, ws, 0, zeros, 0, 1f, 0);
            double worst = 0;
            for (int i = 0; i < n; i++) {
                double want = Math.tanh(x.getAtIndex(FLOAT, i));
                if (want != 0) {
                    worst = Math.max(worst, Math.abs(ws.getAtIndex(FLOAT, i) - want) / Math.abs(want));
                }
            }
            return worst;
        }
    }

    @Test
    void tanhIsWithinAFewUlps() {
        int n = (1 << 18) / VectorKernels.F.length() * VectorKernels.F.length();
        for (float range : new float[] {20f, 4f, 0.01f, 1e-20f}) {
            double w = worstTanh(range, n);
            assertTrue(w <= BOUND, "tanh on [-" + range + ", " + range + "]: worst relative error " + w);
        }
    }

    /** The sum and the scale: dst = tanh(scale (src + add)), into another row, offsets not 0. */
    @Test
    void scaledSumGoesToTheDestinationRow() {
        int lanes = VectorKernels.F.length();
        int len = 5 * lanes;
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(4L * len * Float.BYTES);
            MemorySegment add = arena.allocate(2L * len * Float.BYTES);
            for (int i = 0; i < 4 * len; i++) {
                ws.setAtIndex(FLOAT, i, (float) rnd.nextGaussian() * 3);
            }
            for (int i = 0; i < 2 * len; i++) {
                add.setAtIndex(FLOAT, i, (float) rnd.nextGaussian());
            }
            long src = 1, addOff = 3, dst = 2L * len + 1;
            float scale = 0.5f;
            float after = ws.getAtIndex(FLOAT, dst + len);
            VectorActivations.tanhOfScaledSum(len, ws, src, add, addOff, scale, dst);
            for (int j = 0; j < len; j++) {
                float x = (ws.getAtIndex(FLOAT, src + j) + add.getAtIndex(FLOAT, addOff + j)) * scale;
                assertEquals(Math.tanh(x), ws.getAtIndex(FLOAT, dst + j), BOUND * Math.abs(Math.tanh(x)) + 1e-30,
                        "lane " + j);
            }
            assertEquals(after, ws.getAtIndex(FLOAT, dst + len), "past len: untouched");
        }
    }

    /**
     * The array overload is the same arithmetic: bit for bit the segment version's result, on vectors
     * {@code stride} floats apart; the floats between them stay untouched.
     */
    @Test
    void arrayVersionMatchesTheSegmentVersionOnStridedVectors() {
        int lanes = VectorKernels.F.length();
        int count = 5;
        int stride = 3 * lanes;
        Random rnd = new Random(4);
        float[] src = new float[2 + count * stride];
        float[] add = new float[1 + count * stride];
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) rnd.nextGaussian() * 4;
        }
        for (int i = 0; i < add.length; i++) {
            add[i] = (float) rnd.nextGaussian();
        }
        float[] dst = src.clone();
        VectorActivations.tanhOfScaledSum(count, stride, src, 2, add, 1, 0.75f, dst, 2);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate((long) lanes * Float.BYTES);
            MemorySegment addSeg = arena.allocate((long) lanes * Float.BYTES);
            for (int s = 0; s < count; s++) {
                for (int l = 0; l < lanes; l++) {
                    ws.setAtIndex(FLOAT, l, src[2 + s * stride + l]);
                    addSeg.setAtIndex(FLOAT, l, add[1 + s * stride + l]);
                }
                VectorActivations.tanhOfScaledSum(lanes, ws, 0, addSeg, 0, 0.75f, 0);
                for (int l = 0; l < lanes; l++) {
                    assertEquals(ws.getAtIndex(FLOAT, l), dst[2 + s * stride + l], "vector " + s + " lane " + l);
                }
                for (int k = lanes; k < stride; k++) {
                    assertEquals(src[2 + s * stride + k], dst[2 + s * stride + k], "between vectors: untouched");
                }
            }
        }
    }

    @Test
    void limitsAndSigns() {
        float[] probe = {0f, -0f, 1e4f, -1e4f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE};
        // -0 + 0 (the added row) is +0
        float[] want = {0f, 0f, 1f, -1f, 1f, -1f, 1f, -1f, Float.NaN, Float.MIN_VALUE};
        int lanes = VectorKernels.F.length();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate((long) lanes * Float.BYTES);
            MemorySegment zeros = arena.allocate((long) lanes * Float.BYTES);
            for (int i = 0; i < probe.length; i++) {
                ws.fill((byte) 0);
                for (int l = 0; l < lanes; l++) {
                    ws.setAtIndex(FLOAT, l, probe[i]);
                }
                VectorActivations.tanhOfScaledSum(lanes, ws, 0, zeros, 0, 1f, 0);
                assertEquals(want[i], ws.getAtIndex(FLOAT, 0), "tanh(" + probe[i] + ")");
            }
        }
    }
}
