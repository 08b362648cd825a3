package dev.recur4j.kernel;

import static dev.recur4j.kernel.VectorKernels.F;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * tanh over a row, written out in Vector API arithmetic (no SVML call): the LSTM and GRU step kernels of
 * {@link VectorKernels} call it once per gate block (and the LSTM once more for tanh(c)), σ being
 * (1 + tanh(x/2)) / 2. In W2's LSTM (B=64, H=512, 1 thread) the five activations per element cost ≈ 17 ms
 * of a ≈ 200 ms call with the Vector API's TANH (an SVML call per vector, inside a loop that keeps a
 * dozen vectors live across the calls) and ≈ 8 ms as these passes (paired in-process timing, medians).
 * The array overload serves the small-batch cells of {@link VectorGemvKernels}; the constants also serve the LSTM
 * backward step, which writes the same arithmetic out in its loop.
 *
 * <p>e^y = 2^n · e^r with n = round(y / ln 2) and r = y - n ln 2 in [-ln2/2, ln2/2] (ln 2 split in two
 * parts, Cody and Waite, so r is exact to float precision); e^r - 1 = r + r² P(r), P the degree-5
 * minimax polynomial of Cephes' expf, evaluated by Estrin's scheme; 2^n is built in the exponent bits (n comes from adding 1.5 · 2^23,
 * which rounds y / ln 2 to an integer held in the low mantissa bits). tanh(x) = sign(x) · u / (u + 2)
 * with u = e^(2|x|) - 1, which keeps full relative accuracy near 0.
 *
 * <p>One vector's chain of dependent operations is long (about 80 cycles on Zen 1), and an out-of-order
 * core holds only a few vectors' worth of operations, so the chain length sets the speed: on Zen 1 a pass
 * took 21.5 ns per 8 floats with Horner's scheme and 19.7 with Estrin's, which shortens the chain by two FMAs,
 * and with 2 scale folded into one multiply (alternating JVMs, 512 floats per pass, in L1). Horner
 * and Estrin agree to the same worst relative error against Math.tanh, 1.7e-7 on [-10, 10].
 *
 * <p>Only Vector API calls in the loop, no helper methods of ours: C2 inlines the Vector API's methods
 * ({@code @ForceInline}) even past its node budget (NodeCountInliningCutoff), but refuses other
 * callees there, and a vector passed to a call that is not inlined is boxed, i.e. allocated. The
 * kernels may inline this method several times into one compilation unit.
 */
final class VectorActivations {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    static final float SHIFTER = 12582912f; // 1.5 * 2^23
    static final int SHIFTER_BITS = 0x4B400000;
    /** The clamp of y = 2|x|: |x| = 9, past which tanh is 1 in float (see the segment loop). */
    static final float Y_MAX = 18f;
    // P(r), Cephes' expf polynomial: e^r - 1 = r + r^2 (P0 + P1 r + ... + P5 r^5)
    static final float P0 = 5.0000001201e-1f;
    static final float P1 = 1.6666665459e-1f;
    static final float P2 = 4.1665795894e-2f;
    static final float P3 = 8.3334519073e-3f;
    static final float P4 = 1.3981999507e-3f;
    static final float P5 = 1.9875691500e-4f;

    private VectorActivations() {
    }

    /**
     * ws[dst + j] = tanh(scale · (ws[src + j] + add[addOff + j])) for j in [0, len), len a multiple of the
     * lane count, scale > 0. dst may equal src. Within 2.5e-7 relative of tanh (VectorActivationsTest). For tanh(s · x) of
     * one row pass it as both terms with scale s / 2: x + x = 2x and the halving are exact in binary floating point.
     */
    static void tanhOfScaledSum(int len, MemorySegment ws, long src, MemorySegment add, long addOff, float scale,
                                long dst) {
        long srcB = src * Float.BYTES;
        long addB = addOff * Float.BYTES;
        long dstB = dst * Float.BYTES;
        long end = (long) len * Float.BYTES;
        float twoScale = 2f * scale;
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            // x = scale · sum, which has sum's sign (scale > 0); y = 2|x| = |sum| · 2 scale, bit for bit (2 scale
            // is exact), clamped at |x| = 9 so 2^n stays finite (tanh rounds to 1 in float from about 9.01; at 9
            // this gives 1, within 1 ulp). The clamp is a compare and a blend, not min(Y_MAX): Java's min must order
            // NaN and -0 and compiles to about six AVX-512 instructions; y >= 0 here, and a NaN compares false and
            // stays NaN. Zen 5, a 1024-float row in L1: 4.2 -> 3.8 ns per vector, the same bits for 2^20 random
            // bit patterns.
            FloatVector sum = FloatVector.fromMemorySegment(F, ws, srcB + q, ORDER)
                    .add(FloatVector.fromMemorySegment(F, add, addB + q, ORDER));
            FloatVector y = sum.abs().mul(twoScale);
            y = y.blend(Y_MAX, y.compare(VectorOperators.GT, Y_MAX));
            FloatVector shifted = y.fma(LOG2E, SHIFTER); // n + 1.5 · 2^23
            FloatVector n = shifted.sub(SHIFTER);
            FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), y);
            r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector pow2n = shifted.reinterpretAsInts().add(127 - SHIFTER_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            // P(r) by Estrin's scheme: (P5 r + P4) r^4 + ((P3 r + P2) r^2 + (P1 r + P0))
            FloatVector r2 = r.mul(r);
            FloatVector p10 = r.fma(P1, P0);
            FloatVector p32 = r.fma(P3, P2);
            FloatVector p54 = r.fma(P5, P4);
            FloatVector p = p54.fma(r2.mul(r2), p32.fma(r2, p10));
            FloatVector expm1r = p.fma(r2, r); // e^r - 1 = r + r^2 P(r)
            FloatVector u = expm1r.fma(pow2n, pow2n.sub(1f)); // e^y - 1 = 2^n (e^r - 1) + 2^n - 1
            FloatVector t = u.div(u.add(2f));
            sum.reinterpretAsInts().and(0x80000000).or(t.reinterpretAsInts()).reinterpretAsFloats()
                    .intoMemorySegment(ws, dstB + q, ORDER);
        }
    }

    /**
     * The same on arrays, for {@code count} vectors spaced {@code stride} floats apart (the gate rows of the
     * small-batch path, [nb][g][V], put one gate's vectors g·V apart; stride = the lane count is a contiguous
     * row): for s in [0, count) and lanes l, dst[dstOff + s·stride + l] = tanh(scale · (src[srcOff + s·stride + l]
     * + add[addOff + s·stride + l])). dst may be src (the same offsets).
     */
    static void tanhOfScaledSum(int count, int stride, float[] src, int srcOff, float[] add, int addOff, float scale,
                                float[] dst, int dstOff) {
        float twoScale = 2f * scale;
        for (int s = 0, o = 0; s < count; s++, o += stride) {
            FloatVector sum = FloatVector.fromArray(F, src, srcOff + o).add(FloatVector.fromArray(F, add, addOff + o));
            FloatVector y = sum.abs().mul(twoScale);
            y = y.blend(Y_MAX, y.compare(VectorOperators.GT, Y_MAX));
            FloatVector shifted = y.fma(LOG2E, SHIFTER);
            FloatVector n = shifted.sub(SHIFTER);
            FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), y);
            r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector pow2n = shifted.reinterpretAsInts().add(127 - SHIFTER_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector r2 = r.mul(r);
            FloatVector p10 = r.fma(P1, P0);
            FloatVector p32 = r.fma(P3, P2);
            FloatVector p54 = r.fma(P5, P4);
            FloatVector p = p54.fma(r2.mul(r2), p32.fma(r2, p10));
            FloatVector expm1r = p.fma(r2, r);
            FloatVector u = expm1r.fma(pow2n, pow2n.sub(1f));
            FloatVector t = u.div(u.add(2f));
            sum.reinterpretAsInts().and(0x80000000).or(t.reinterpretAsInts()).reinterpretAsFloats()
                    .intoArray(dst, dstOff + o);
        }
    }
}
