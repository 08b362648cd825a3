package dev.recur4j.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix-vector kernels of {@link VectorGemvKernels#gemv} for one batch row: acc (a block's gate row,
 * g vectors of V units) = h[0 .. k) · W for one block of the packed weights ([k][g][V] floats from p),
 * or for 2 or 4 adjacent blocks at once. Each keeps its accumulators in registers over the whole k loop
 * and streams the weights once, sequentially: per k one broadcast of h[k] and g loads + FMAs per block.
 * With {@code accumulate} they add to acc, otherwise they overwrite it.
 */
final class VectorGemvOneRow {
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int V = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorGemvOneRow() {
    }

    /**
     * Four adjacent blocks of 4 gates (16 chains): per k one broadcast of h[k] and 16 loads + FMAs,
     * 4 from each block's [k][4][V] stream (blocks are k*4*V floats apart).
     */
    static void gemv4x4(int k, MemorySegment w, long p, float[] h, int hOff, float[] acc, int a,
                        boolean accumulate) {
        long s = (long) k * 4 * V;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector c2 = a0;
        FloatVector c3 = a0;
        FloatVector d0 = a0;
        FloatVector d1 = a0;
        FloatVector d2 = a0;
        FloatVector d3 = a0;
        long q = p + s;
        long r = p + 2 * s;
        long t = p + 3 * s;
        for (int kk = 0; kk < k; kk++, p += 4 * V, q += 4 * V, r += 4 * V, t += 4 * V) {
            FloatVector x = FloatVector.broadcast(F, h[hOff + kk]);
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER).fma(x, a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER).fma(x, a1);
            a2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER).fma(x, a2);
            a3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER).fma(x, a3);
            b0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * q, ORDER).fma(x, b0);
            b1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (q + V), ORDER).fma(x, b1);
            b2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (q + 2 * V), ORDER).fma(x, b2);
            b3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (q + 3 * V), ORDER).fma(x, b3);
            c0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * r, ORDER).fma(x, c0);
            c1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (r + V), ORDER).fma(x, c1);
            c2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (r + 2 * V), ORDER).fma(x, c2);
            c3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (r + 3 * V), ORDER).fma(x, c3);
            d0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * t, ORDER).fma(x, d0);
            d1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (t + V), ORDER).fma(x, d1);
            d2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (t + 2 * V), ORDER).fma(x, d2);
            d3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (t + 3 * V), ORDER).fma(x, d3);
        }
        // Two separate paths: a vector merged from both branches may stay boxed.
        if (accumulate) {
            a0.add(FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
            a1.add(FloatVector.fromArray(F, acc, a + V)).intoArray(acc, a + V);
            a2.add(FloatVector.fromArray(F, acc, a + 2 * V)).intoArray(acc, a + 2 * V);
            a3.add(FloatVector.fromArray(F, acc, a + 3 * V)).intoArray(acc, a + 3 * V);
            b0.add(FloatVector.fromArray(F, acc, a + 4 * V)).intoArray(acc, a + 4 * V);
            b1.add(FloatVector.fromArray(F, acc, a + 5 * V)).intoArray(acc, a + 5 * V);
            b2.add(FloatVector.fromArray(F, acc, a + 6 * V)).intoArray(acc, a + 6 * V);
            b3.add(FloatVector.fromArray(F, acc, a + 7 * V)).intoArray(acc, a + 7 * V);
            c0.add(FloatVector.fromArray(F, acc, a + 8 * V)).intoArray(acc, a + 8 * V);
            c1.add(FloatVector.fromArray(F, acc, a + 9 * V)).intoArray(acc, a + 9 * V);
            c2.add(FloatVector.fromArray(F, acc, a + 10 * V)).intoArray(acc, a + 10 * V);
            c3.add(FloatVector.fromArray(F, acc, a + 11 * V)).intoArray(acc, a + 11 * V);
            d0.add(FloatVector.fromArray(F, acc, a + 12 * V)).intoArray(acc, a + 12 * V);
            d1.add(FloatVector.fromArray(F, acc, a + 13 * V)).intoArray(acc, a + 13 * V);
            d2.add(FloatVector.fromArray(F, acc, a + 14 * V)).intoArray(acc, a + 14 * V);
            d3.add(FloatVector.fromArray(F, acc, a + 15 * V)).intoArray(acc, a + 15 * V);
        } else {
            a0.intoArray(acc, a);
            a1.intoArray(acc, a + V);
            a2.intoArray(acc, a + 2 * V);
            a3.intoArray(acc, a + 3 * V);
            b0.intoArray(acc, a + 4 * V);
            b1.intoArray(acc, a + 5 * V);
            b2.intoArray(acc, a + 6 * V);
            b3.intoArray(acc, a + 7 * V);
            c0.intoArray(acc, a + 8 * V);
            c1.intoArray(acc, a + 9 * V);
            c2.intoArray(acc, a + 10 * V);
            c3.intoArray(acc, a + 11 * V);
            d0.intoArray(acc, a + 12 * V);
            d1.intoArray(acc, a + 13 * V);
            d2.intoArray(acc, a + 14 * V);
            d3.intoArray(acc, a + 15 * V);
        }
    }

    /** Two adjacent blocks of 4 gates (8 chains), two weight streams; see {@link #gemv4x4}. */
    static void gemv4x2(int k, MemorySegment w, long p, float[] h, int hOff, float[] acc, int a,
                        boolean accumulate) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        long q = p + (long) k * 4 * V;
        for (int kk = 0; kk < k; kk++, p += 4 * V, q += 4 * V) {
            FloatVector x = FloatVector.broadcast(F, h[hOff + kk]);
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER).fma(x, a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER).fma(x, a1);
            a2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER).fma(x, a2);
            a3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER).fma(x, a3);
            b0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * q, ORDER).fma(x, b0);
            b1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (q + V), ORDER).fma(x, b1);
            b2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (q + 2 * V), ORDER).fma(x, b2);
            b3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (q + 3 * V), ORDER).fma(x, b3);
        }
        // Two separate paths: a vector merged from both branches may stay boxed.
        if (accumulate) {
            a0.add(FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
            a1.add(FloatVector.fromArray(F, acc, a + V)).intoArray(acc, a + V);
            a2.add(FloatVector.fromArray(F, acc, a + 2 * V)).intoArray(acc, a + 2 * V);
            a3.add(FloatVector.fromArray(F, acc, a + 3 * V)).intoArray(acc, a + 3 * V);
            b0.add(FloatVector.fromArray(F, acc, a + 4 * V)).intoArray(acc, a + 4 * V);
            b1.add(FloatVector.fromArray(F, acc, a + 5 * V)).intoArray(acc, a + 5 * V);
            b2.add(FloatVector.fromArray(F, acc, a + 6 * V)).intoArray(acc, a + 6 * V);
            b3.add(FloatVector.fromArray(F, acc, a + 7 * V)).intoArray(acc, a + 7 * V);
        } else {
            a0.intoArray(acc, a);
            a1.intoArray(acc, a + V);
            a2.intoArray(acc, a + 2 * V);
            a3.intoArray(acc, a + 3 * V);
            b0.intoArray(acc, a + 4 * V);
            b1.intoArray(acc, a + 5 * V);
            b2.intoArray(acc, a + 6 * V);
            b3.intoArray(acc, a + 7 * V);
        }
    }

    /** One block of 4 gates; k unrolled by 2 (8 chains). */
    static void gemv4(int k, MemorySegment w, long p, float[] h, int hOff, float[] acc, int a,
                      boolean accumulate) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = b0;
        FloatVector b2 = b0;
        FloatVector b3 = b0;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 8 * V) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            FloatVector x1 = FloatVector.broadcast(F, h[hOff + kk + 1]);
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER).fma(x0, a1);
            a2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER).fma(x0, a2);
            a3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER).fma(x0, a3);
            b0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 4 * V), ORDER).fma(x1, b0);
            b1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 5 * V), ORDER).fma(x1, b1);
            b2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 6 * V), ORDER).fma(x1, b2);
            b3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 7 * V), ORDER).fma(x1, b3);
        }
        if (kk < k) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER).fma(x0, a1);
            a2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER).fma(x0, a2);
            a3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER).fma(x0, a3);
        }
        if (accumulate) {
            a0.add(b0).add(FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
        } else {
            a0.add(b0).intoArray(acc, a);
        }
        if (accumulate) {
            a1.add(b1).add(FloatVector.fromArray(F, acc, a + V)).intoArray(acc, a + V);
        } else {
            a1.add(b1).intoArray(acc, a + V);
        }
        if (accumulate) {
            a2.add(b2).add(FloatVector.fromArray(F, acc, a + 2 * V)).intoArray(acc, a + 2 * V);
        } else {
            a2.add(b2).intoArray(acc, a + 2 * V);
        }
        if (accumulate) {
            a3.add(b3).add(FloatVector.fromArray(F, acc, a + 3 * V)).intoArray(acc, a + 3 * V);
        } else {
            a3.add(b3).intoArray(acc, a + 3 * V);
        }
    }

    /** One block of 3 gates; k unrolled by 2 (6 chains). */
    static void gemv3(int k, MemorySegment w, long p, float[] h, int hOff, float[] acc, int a,
                      boolean accumulate) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = b0;
        FloatVector b2 = b0;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 6 * V) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            FloatVector x1 = FloatVector.broadcast(F, h[hOff + kk + 1]);
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER).fma(x0, a1);
            a2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER).fma(x0, a2);
            b0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER).fma(x1, b0);
            b1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 4 * V), ORDER).fma(x1, b1);
            b2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 5 * V), ORDER).fma(x1, b2);
        }
        if (kk < k) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER).fma(x0, a1);
            a2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER).fma(x0, a2);
        }
        if (accumulate) {
            a0.add(b0).add(FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
        } else {
            a0.add(b0).intoArray(acc, a);
        }
        if (accumulate) {
            a1.add(b1).add(FloatVector.fromArray(F, acc, a + V)).intoArray(acc, a + V);
        } else {
            a1.add(b1).intoArray(acc, a + V);
        }
        if (accumulate) {
            a2.add(b2).add(FloatVector.fromArray(F, acc, a + 2 * V)).intoArray(acc, a + 2 * V);
        } else {
            a2.add(b2).intoArray(acc, a + 2 * V);
        }
    }

    /** One block of 2 gates; k unrolled by 2 (4 chains). */
    static void gemv2(int k, MemorySegment w, long p, float[] h, int hOff, float[] acc, int a,
                      boolean accumulate) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = b0;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 4 * V) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            FloatVector x1 = FloatVector.broadcast(F, h[hOff + kk + 1]);
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER).fma(x0, a1);
            b0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER).fma(x1, b0);
            b1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER).fma(x1, b1);
        }
        if (kk < k) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER).fma(x0, a1);
        }
        if (accumulate) {
            a0.add(b0).add(FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
        } else {
            a0.add(b0).intoArray(acc, a);
        }
        if (accumulate) {
            a1.add(b1).add(FloatVector.fromArray(F, acc, a + V)).intoArray(acc, a + V);
        } else {
            a1.add(b1).intoArray(acc, a + V);
        }
    }

    /** One block of 1 gate; k unrolled by 4 (4 chains). */
    static void gemv1(int k, MemorySegment w, long p, float[] h, int hOff, float[] acc, int a,
                      boolean accumulate) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = a1;
        FloatVector a3 = a1;
        int kk = 0;
        for (; kk + 3 < k; kk += 4, p += 4 * V) {
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER)
                    .fma(FloatVector.broadcast(F, h[hOff + kk]), a0);
            a1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER)
                    .fma(FloatVector.broadcast(F, h[hOff + kk + 1]), a1);
            a2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER)
                    .fma(FloatVector.broadcast(F, h[hOff + kk + 2]), a2);
            a3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER)
                    .fma(FloatVector.broadcast(F, h[hOff + kk + 3]), a3);
        }
        for (; kk < k; kk++, p += V) {
            a0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER)
                    .fma(FloatVector.broadcast(F, h[hOff + kk]), a0);
        }
        if (accumulate) {
            a0.add(a1).add(a2.add(a3)).add(FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
        } else {
            a0.add(a1).add(a2.add(a3)).intoArray(acc, a);
        }
    }
}
