package dev.recur4j.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix-vector kernels of {@link VectorGemvKernels#gemvRows} for 2 to 4 batch rows: one pass over a
 * block's packed weights ([k][g][V] floats from p) feeds every row, so each weight load serves 2 to 4
 * FMAs. x0..x3 are the rows' h, c0..c3 at a0..a3 their gate rows (this block's columns). With
 * {@code accumulate} they add to the gate rows, otherwise they overwrite them.
 */
final class VectorGemvRows {
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int V = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorGemvRows() {
    }

    /**
     * One block of 4 gates for 4 rows (16 chains): per k the block's 4 weight vectors feed 16 FMAs,
     * as in the input projection's 4-row kernel of {@link VectorGemvKernels}; x0..x3 are the rows' h,
     * c0..c3 at a0..a3 their gate rows (this block's columns).
     */
    static void gemv4Rows4(int k, MemorySegment w, long p, float[] x0, float[] x1, float[] x2, float[] x3,
                           float[] c0, int a0, float[] c1, int a1, float[] c2, int a2, float[] c3, int a3,
                           boolean accumulate) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int kk = 0; kk < k; kk++, p += 4 * V) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER);
            FloatVector xa = FloatVector.broadcast(F, x0[kk]);
            s00 = w0.fma(xa, s00);
            s01 = w1.fma(xa, s01);
            s02 = w2.fma(xa, s02);
            s03 = w3.fma(xa, s03);
            FloatVector xb = FloatVector.broadcast(F, x1[kk]);
            s10 = w0.fma(xb, s10);
            s11 = w1.fma(xb, s11);
            s12 = w2.fma(xb, s12);
            s13 = w3.fma(xb, s13);
            FloatVector xc = FloatVector.broadcast(F, x2[kk]);
            s20 = w0.fma(xc, s20);
            s21 = w1.fma(xc, s21);
            s22 = w2.fma(xc, s22);
            s23 = w3.fma(xc, s23);
            FloatVector xd = FloatVector.broadcast(F, x3[kk]);
            s30 = w0.fma(xd, s30);
            s31 = w1.fma(xd, s31);
            s32 = w2.fma(xd, s32);
            s33 = w3.fma(xd, s33);
        }
        // Two separate paths per row: a vector merged from both branches may stay boxed.
        if (accumulate) {
            s00.add(FloatVector.fromArray(F, c0, a0)).intoArray(c0, a0);
            s01.add(FloatVector.fromArray(F, c0, a0 + V)).intoArray(c0, a0 + V);
            s02.add(FloatVector.fromArray(F, c0, a0 + 2 * V)).intoArray(c0, a0 + 2 * V);
            s03.add(FloatVector.fromArray(F, c0, a0 + 3 * V)).intoArray(c0, a0 + 3 * V);
            s10.add(FloatVector.fromArray(F, c1, a1)).intoArray(c1, a1);
            s11.add(FloatVector.fromArray(F, c1, a1 + V)).intoArray(c1, a1 + V);
            s12.add(FloatVector.fromArray(F, c1, a1 + 2 * V)).intoArray(c1, a1 + 2 * V);
            s13.add(FloatVector.fromArray(F, c1, a1 + 3 * V)).intoArray(c1, a1 + 3 * V);
            s20.add(FloatVector.fromArray(F, c2, a2)).intoArray(c2, a2);
            s21.add(FloatVector.fromArray(F, c2, a2 + V)).intoArray(c2, a2 + V);
            s22.add(FloatVector.fromArray(F, c2, a2 + 2 * V)).intoArray(c2, a2 + 2 * V);
            s23.add(FloatVector.fromArray(F, c2, a2 + 3 * V)).intoArray(c2, a2 + 3 * V);
            s30.add(FloatVector.fromArray(F, c3, a3)).intoArray(c3, a3);
            s31.add(FloatVector.fromArray(F, c3, a3 + V)).intoArray(c3, a3 + V);
            s32.add(FloatVector.fromArray(F, c3, a3 + 2 * V)).intoArray(c3, a3 + 2 * V);
            s33.add(FloatVector.fromArray(F, c3, a3 + 3 * V)).intoArray(c3, a3 + 3 * V);
        } else {
            s00.intoArray(c0, a0);
            s01.intoArray(c0, a0 + V);
            s02.intoArray(c0, a0 + 2 * V);
            s03.intoArray(c0, a0 + 3 * V);
            s10.intoArray(c1, a1);
            s11.intoArray(c1, a1 + V);
            s12.intoArray(c1, a1 + 2 * V);
            s13.intoArray(c1, a1 + 3 * V);
            s20.intoArray(c2, a2);
            s21.intoArray(c2, a2 + V);
            s22.intoArray(c2, a2 + 2 * V);
            s23.intoArray(c2, a2 + 3 * V);
            s30.intoArray(c3, a3);
            s31.intoArray(c3, a3 + V);
            s32.intoArray(c3, a3 + 2 * V);
            s33.intoArray(c3, a3 + 3 * V);
        }
    }

    /**
     * {@link #gemv4Rows4} for 3 rows (12 chains), k unrolled by 2 by hand: C2 unrolls the one-k loop
     * itself and its superword pass then turns it into code that ran at a third of the speed (W1's
     * shape with 3 rows: 22.0 µs per step against 9.5 with -XX:LoopUnrollLimit=0).
     */
    static void gemv4Rows3(int k, MemorySegment w, long p, float[] x0, float[] x1, float[] x2,
                           float[] c0, int a0, float[] c1, int a1, float[] c2, int a2, boolean accumulate) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        int kk = 0;
        for (; kk < k; kk++, p += 4 * V) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER);
            FloatVector xa = FloatVector.broadcast(F, x0[kk]);
            s00 = w0.fma(xa, s00);
            s01 = w1.fma(xa, s01);
            s02 = w2.fma(xa, s02);
            s03 = w3.fma(xa, s03);
            FloatVector xb = FloatVector.broadcast(F, x1[kk]);
            s10 = w0.fma(xb, s10);
            s11 = w1.fma(xb, s11);
            s12 = w2.fma(xb, s12);
            s13 = w3.fma(xb, s13);
            FloatVector xc = FloatVector.broadcast(F, x2[kk]);
            s20 = w0.fma(xc, s20);
            s21 = w1.fma(xc, s21);
            s22 = w2.fma(xc, s22);
            s23 = w3.fma(xc, s23);
            if (++kk == k) {
                break;
            }
            p += 4 * V;
            w0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            w1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER);
            w2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER);
            w3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER);
            xa = FloatVector.broadcast(F, x0[kk]);
            s00 = w0.fma(xa, s00);
            s01 = w1.fma(xa, s01);
            s02 = w2.fma(xa, s02);
            s03 = w3.fma(xa, s03);
            xb = FloatVector.broadcast(F, x1[kk]);
            s10 = w0.fma(xb, s10);
            s11 = w1.fma(xb, s11);
            s12 = w2.fma(xb, s12);
            s13 = w3.fma(xb, s13);
            xc = FloatVector.broadcast(F, x2[kk]);
            s20 = w0.fma(xc, s20);
            s21 = w1.fma(xc, s21);
            s22 = w2.fma(xc, s22);
            s23 = w3.fma(xc, s23);
        }
        if (accumulate) {
            s00.add(FloatVector.fromArray(F, c0, a0)).intoArray(c0, a0);
            s01.add(FloatVector.fromArray(F, c0, a0 + V)).intoArray(c0, a0 + V);
            s02.add(FloatVector.fromArray(F, c0, a0 + 2 * V)).intoArray(c0, a0 + 2 * V);
            s03.add(FloatVector.fromArray(F, c0, a0 + 3 * V)).intoArray(c0, a0 + 3 * V);
            s10.add(FloatVector.fromArray(F, c1, a1)).intoArray(c1, a1);
            s11.add(FloatVector.fromArray(F, c1, a1 + V)).intoArray(c1, a1 + V);
            s12.add(FloatVector.fromArray(F, c1, a1 + 2 * V)).intoArray(c1, a1 + 2 * V);
            s13.add(FloatVector.fromArray(F, c1, a1 + 3 * V)).intoArray(c1, a1 + 3 * V);
            s20.add(FloatVector.fromArray(F, c2, a2)).intoArray(c2, a2);
            s21.add(FloatVector.fromArray(F, c2, a2 + V)).intoArray(c2, a2 + V);
            s22.add(FloatVector.fromArray(F, c2, a2 + 2 * V)).intoArray(c2, a2 + 2 * V);
            s23.add(FloatVector.fromArray(F, c2, a2 + 3 * V)).intoArray(c2, a2 + 3 * V);
        } else {
            s00.intoArray(c0, a0);
            s01.intoArray(c0, a0 + V);
            s02.intoArray(c0, a0 + 2 * V);
            s03.intoArray(c0, a0 + 3 * V);
            s10.intoArray(c1, a1);
            s11.intoArray(c1, a1 + V);
            s12.intoArray(c1, a1 + 2 * V);
            s13.intoArray(c1, a1 + 3 * V);
            s20.intoArray(c2, a2);
            s21.intoArray(c2, a2 + V);
            s22.intoArray(c2, a2 + 2 * V);
            s23.intoArray(c2, a2 + 3 * V);
        }
    }

    /** {@link #gemv4Rows4} for 2 rows, k unrolled by 2 (16 chains). */
    static void gemv4Rows2(int k, MemorySegment w, long p, float[] x0, float[] x1, float[] c0, int a0,
                           float[] c1, int a1, boolean accumulate) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector t00 = s00, t01 = s00, t02 = s00, t03 = s00;
        FloatVector t10 = s00, t11 = s00, t12 = s00, t13 = s00;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 8 * V) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER);
            FloatVector xa = FloatVector.broadcast(F, x0[kk]);
            s00 = w0.fma(xa, s00);
            s01 = w1.fma(xa, s01);
            s02 = w2.fma(xa, s02);
            s03 = w3.fma(xa, s03);
            FloatVector xb = FloatVector.broadcast(F, x1[kk]);
            s10 = w0.fma(xb, s10);
            s11 = w1.fma(xb, s11);
            s12 = w2.fma(xb, s12);
            s13 = w3.fma(xb, s13);
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 4 * V), ORDER);
            FloatVector v1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 5 * V), ORDER);
            FloatVector v2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 6 * V), ORDER);
            FloatVector v3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 7 * V), ORDER);
            FloatVector ya = FloatVector.broadcast(F, x0[kk + 1]);
            t00 = v0.fma(ya, t00);
            t01 = v1.fma(ya, t01);
            t02 = v2.fma(ya, t02);
            t03 = v3.fma(ya, t03);
            FloatVector yb = FloatVector.broadcast(F, x1[kk + 1]);
            t10 = v0.fma(yb, t10);
            t11 = v1.fma(yb, t11);
            t12 = v2.fma(yb, t12);
            t13 = v3.fma(yb, t13);
        }
        if (kk < k) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER);
            FloatVector xa = FloatVector.broadcast(F, x0[kk]);
            s00 = w0.fma(xa, s00);
            s01 = w1.fma(xa, s01);
            s02 = w2.fma(xa, s02);
            s03 = w3.fma(xa, s03);
            FloatVector xb = FloatVector.broadcast(F, x1[kk]);
            s10 = w0.fma(xb, s10);
            s11 = w1.fma(xb, s11);
            s12 = w2.fma(xb, s12);
            s13 = w3.fma(xb, s13);
        }
        if (accumulate) {
            s00.add(t00).add(FloatVector.fromArray(F, c0, a0)).intoArray(c0, a0);
            s01.add(t01).add(FloatVector.fromArray(F, c0, a0 + V)).intoArray(c0, a0 + V);
            s02.add(t02).add(FloatVector.fromArray(F, c0, a0 + 2 * V)).intoArray(c0, a0 + 2 * V);
            s03.add(t03).add(FloatVector.fromArray(F, c0, a0 + 3 * V)).intoArray(c0, a0 + 3 * V);
            s10.add(t10).add(FloatVector.fromArray(F, c1, a1)).intoArray(c1, a1);
            s11.add(t11).add(FloatVector.fromArray(F, c1, a1 + V)).intoArray(c1, a1 + V);
            s12.add(t12).add(FloatVector.fromArray(F, c1, a1 + 2 * V)).intoArray(c1, a1 + 2 * V);
            s13.add(t13).add(FloatVector.fromArray(F, c1, a1 + 3 * V)).intoArray(c1, a1 + 3 * V);
        } else {
            s00.add(t00).intoArray(c0, a0);
            s01.add(t01).intoArray(c0, a0 + V);
            s02.add(t02).intoArray(c0, a0 + 2 * V);
            s03.add(t03).intoArray(c0, a0 + 3 * V);
            s10.add(t10).intoArray(c1, a1);
            s11.add(t11).intoArray(c1, a1 + V);
            s12.add(t12).intoArray(c1, a1 + 2 * V);
            s13.add(t13).intoArray(c1, a1 + 3 * V);
        }
    }

    /** {@link #gemv4Rows4} for 3 gates (GRU): 12 chains. */
    static void gemv3Rows4(int k, MemorySegment w, long p, float[] x0, float[] x1, float[] x2, float[] x3,
                           float[] c0, int a0, float[] c1, int a1, float[] c2, int a2, float[] c3, int a3,
                           boolean accumulate) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00;
        for (int kk = 0; kk < k; kk++, p += 3 * V) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER);
            FloatVector xa = FloatVector.broadcast(F, x0[kk]);
            s00 = w0.fma(xa, s00);
            s01 = w1.fma(xa, s01);
            s02 = w2.fma(xa, s02);
            FloatVector xb = FloatVector.broadcast(F, x1[kk]);
            s10 = w0.fma(xb, s10);
            s11 = w1.fma(xb, s11);
            s12 = w2.fma(xb, s12);
            FloatVector xc = FloatVector.broadcast(F, x2[kk]);
            s20 = w0.fma(xc, s20);
            s21 = w1.fma(xc, s21);
            s22 = w2.fma(xc, s22);
            FloatVector xd = FloatVector.broadcast(F, x3[kk]);
            s30 = w0.fma(xd, s30);
            s31 = w1.fma(xd, s31);
            s32 = w2.fma(xd, s32);
        }
        if (accumulate) {
            s00.add(FloatVector.fromArray(F, c0, a0)).intoArray(c0, a0);
            s01.add(FloatVector.fromArray(F, c0, a0 + V)).intoArray(c0, a0 + V);
            s02.add(FloatVector.fromArray(F, c0, a0 + 2 * V)).intoArray(c0, a0 + 2 * V);
            s10.add(FloatVector.fromArray(F, c1, a1)).intoArray(c1, a1);
            s11.add(FloatVector.fromArray(F, c1, a1 + V)).intoArray(c1, a1 + V);
            s12.add(FloatVector.fromArray(F, c1, a1 + 2 * V)).intoArray(c1, a1 + 2 * V);
            s20.add(FloatVector.fromArray(F, c2, a2)).intoArray(c2, a2);
            s21.add(FloatVector.fromArray(F, c2, a2 + V)).intoArray(c2, a2 + V);
            s22.add(FloatVector.fromArray(F, c2, a2 + 2 * V)).intoArray(c2, a2 + 2 * V);
            s30.add(FloatVector.fromArray(F, c3, a3)).intoArray(c3, a3);
            s31.add(FloatVector.fromArray(F, c3, a3 + V)).intoArray(c3, a3 + V);
            s32.add(FloatVector.fromArray(F, c3, a3 + 2 * V)).intoArray(c3, a3 + 2 * V);
        } else {
            s00.intoArray(c0, a0);
            s01.intoArray(c0, a0 + V);
            s02.intoArray(c0, a0 + 2 * V);
            s10.intoArray(c1, a1);
            s11.intoArray(c1, a1 + V);
            s12.intoArray(c1, a1 + 2 * V);
            s20.intoArray(c2, a2);
            s21.intoArray(c2, a2 + V);
            s22.intoArray(c2, a2 + 2 * V);
            s30.intoArray(c3, a3);
            s31.intoArray(c3, a3 + V);
            s32.intoArray(c3, a3 + 2 * V);
        }
    }

    /** {@link #gemv4Rows2} for 3 gates (GRU): k unrolled by 2, 12 chains. */
    static void gemv3Rows2(int k, MemorySegment w, long p, float[] x0, float[] x1, float[] c0, int a0,
                           float[] c1, int a1, boolean accumulate) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00;
        FloatVector t00 = s00, t01 = s00, t02 = s00;
        FloatVector t10 = s00, t11 = s00, t12 = s00;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 6 * V) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER);
            FloatVector xa = FloatVector.broadcast(F, x0[kk]);
            s00 = w0.fma(xa, s00);
            s01 = w1.fma(xa, s01);
            s02 = w2.fma(xa, s02);
            FloatVector xb = FloatVector.broadcast(F, x1[kk]);
            s10 = w0.fma(xb, s10);
            s11 = w1.fma(xb, s11);
            s12 = w2.fma(xb, s12);
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 3 * V), ORDER);
            FloatVector v1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 4 * V), ORDER);
            FloatVector v2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 5 * V), ORDER);
            FloatVector ya = FloatVector.broadcast(F, x0[kk + 1]);
            t00 = v0.fma(ya, t00);
            t01 = v1.fma(ya, t01);
            t02 = v2.fma(ya, t02);
            FloatVector yb = FloatVector.broadcast(F, x1[kk + 1]);
            t10 = v0.fma(yb, t10);
            t11 = v1.fma(yb, t11);
            t12 = v2.fma(yb, t12);
        }
        if (kk < k) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + V), ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + 2 * V), ORDER);
            FloatVector xa = FloatVector.broadcast(F, x0[kk]);
            s00 = w0.fma(xa, s00);
            s01 = w1.fma(xa, s01);
            s02 = w2.fma(xa, s02);
            FloatVector xb = FloatVector.broadcast(F, x1[kk]);
            s10 = w0.fma(xb, s10);
            s11 = w1.fma(xb, s11);
            s12 = w2.fma(xb, s12);
        }
        if (accumulate) {
            s00.add(t00).add(FloatVector.fromArray(F, c0, a0)).intoArray(c0, a0);
            s01.add(t01).add(FloatVector.fromArray(F, c0, a0 + V)).intoArray(c0, a0 + V);
            s02.add(t02).add(FloatVector.fromArray(F, c0, a0 + 2 * V)).intoArray(c0, a0 + 2 * V);
            s10.add(t10).add(FloatVector.fromArray(F, c1, a1)).intoArray(c1, a1);
            s11.add(t11).add(FloatVector.fromArray(F, c1, a1 + V)).intoArray(c1, a1 + V);
            s12.add(t12).add(FloatVector.fromArray(F, c1, a1 + 2 * V)).intoArray(c1, a1 + 2 * V);
        } else {
            s00.add(t00).intoArray(c0, a0);
            s01.add(t01).intoArray(c0, a0 + V);
            s02.add(t02).intoArray(c0, a0 + 2 * V);
            s10.add(t10).intoArray(c1, a1);
            s11.add(t11).intoArray(c1, a1 + V);
            s12.add(t12).intoArray(c1, a1 + 2 * V);
        }
    }

    /**
     * One gate of a block (weights at p, one vector every gv floats) for 4 rows, k unrolled by 2
     * (8 chains); a0..a3 are the rows' accumulators for this gate.
     */
    static void gateRows4(int k, int gv, MemorySegment w, long p, float[] x0, float[] x1, float[] x2,
                          float[] x3, float[] c0, int a0, float[] c1, int a1, float[] c2, int a2, float[] c3,
                          int a3, boolean accumulate) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        FloatVector t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 2 * gv) {
            FloatVector wa = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            FloatVector wb = FloatVector.fromMemorySegment(F, w, Float.BYTES * (p + gv), ORDER);
            s0 = wa.fma(FloatVector.broadcast(F, x0[kk]), s0);
            s1 = wa.fma(FloatVector.broadcast(F, x1[kk]), s1);
            s2 = wa.fma(FloatVector.broadcast(F, x2[kk]), s2);
            s3 = wa.fma(FloatVector.broadcast(F, x3[kk]), s3);
            t0 = wb.fma(FloatVector.broadcast(F, x0[kk + 1]), t0);
            t1 = wb.fma(FloatVector.broadcast(F, x1[kk + 1]), t1);
            t2 = wb.fma(FloatVector.broadcast(F, x2[kk + 1]), t2);
            t3 = wb.fma(FloatVector.broadcast(F, x3[kk + 1]), t3);
        }
        if (kk < k) {
            FloatVector wa = FloatVector.fromMemorySegment(F, w, Float.BYTES * p, ORDER);
            s0 = wa.fma(FloatVector.broadcast(F, x0[kk]), s0);
            s1 = wa.fma(FloatVector.broadcast(F, x1[kk]), s1);
            s2 = wa.fma(FloatVector.broadcast(F, x2[kk]), s2);
            s3 = wa.fma(FloatVector.broadcast(F, x3[kk]), s3);
        }
        if (accumulate) {
            s0.add(t0).add(FloatVector.fromArray(F, c0, a0)).intoArray(c0, a0);
            s1.add(t1).add(FloatVector.fromArray(F, c1, a1)).intoArray(c1, a1);
            s2.add(t2).add(FloatVector.fromArray(F, c2, a2)).intoArray(c2, a2);
            s3.add(t3).add(FloatVector.fromArray(F, c3, a3)).intoArray(c3, a3);
        } else {
            s0.add(t0).intoArray(c0, a0);
            s1.add(t1).intoArray(c1, a1);
            s2.add(t2).intoArray(c2, a2);
            s3.add(t3).intoArray(c3, a3);
        }
    }
}
