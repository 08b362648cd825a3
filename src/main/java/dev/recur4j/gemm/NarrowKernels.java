package dev.recur4j.gemm;

import static dev.recur4j.gemm.JavaGemm.F;
import static dev.recur4j.gemm.JavaGemm.L;
import static dev.recur4j.gemm.JavaGemm.NR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * {@link JavaGemm}'s micro-kernels below 512-bit vectors (AVX2: 16 vector registers), one per panel
 * height: C[h x NR] (+)= A panel [kc x h] * B panel [kc x NR] with h = 6 (12 accumulators + 2 B
 * vectors + 1 broadcast = 15 registers) or h = 4 (8 accumulators). The 4-row kernel exists so that a
 * block of mc rows is cut into panels of 6 and 4 with no padded rows when mc is even
 * ({@link JavaGemm#panelRows}): a thread's share of a batch of 32 would otherwise be computed as 36.
 *
 * <p>The packed operands are read through heap {@link MemorySegment}s over the packing arrays, not
 * as {@code float[]}: on a Zen 1 core (AVX2, 256-bit ops issued as two halves) the 6-row kernel ran
 * 10-12 % faster that way, in C2's code for the same loop over the same data (64 x 2048 x 768,
 * alternating runs). The result goes straight into C: {@code add} false writes acc (beta 0, C is not
 * read), true adds acc to C (beta 1); other alpha and beta, and edge tiles, go through the spill tile,
 * which is itself a segment here, and {@link JavaGemm}'s storeTile.
 *
 * <p>The stores are written out row by row, not through a helper taking the vectors: a helper that
 * C2 compiled or inlined without knowing the vectors' concrete class made virtual calls, boxed every
 * accumulator and ran at a third of the speed (seen with PrintInlining).
 */
final class NarrowKernels {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final long VECTOR_BYTES = (long) L * Float.BYTES;

    private NarrowKernels() {
    }

    /**
     * 6-row tile. {@code ai}, {@code bi}: byte offsets of the A panel (6 floats per k step) and the B
     * panel (NR floats per k step); {@code c0}: byte offset of C's first element, row stride ldcBytes.
     */
    static void kernel6(int kc, MemorySegment pa, long ai, MemorySegment pb, long bi, MemorySegment c, long c0,
                        long ldcBytes, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++, ai += 6 * Float.BYTES, bi += NR * Float.BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, pb, bi, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(F, pb, bi + VECTOR_BYTES, ORDER);
            FloatVector a0 = FloatVector.broadcast(F, pa.get(FLOAT, ai));
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa.get(FLOAT, ai + 4));
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa.get(FLOAT, ai + 8));
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa.get(FLOAT, ai + 12));
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, pa.get(FLOAT, ai + 16));
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, pa.get(FLOAT, ai + 20));
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        long at;
        at = c0;
        if (add) {
            c00 = c00.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c01 = c01.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c00.intoMemorySegment(c, at, ORDER);
        c01.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
        at = c0 + ldcBytes;
        if (add) {
            c10 = c10.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c11 = c11.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c10.intoMemorySegment(c, at, ORDER);
        c11.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
        at = c0 + 2 * ldcBytes;
        if (add) {
            c20 = c20.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c21 = c21.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c20.intoMemorySegment(c, at, ORDER);
        c21.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
        at = c0 + 3 * ldcBytes;
        if (add) {
            c30 = c30.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c31 = c31.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c30.intoMemorySegment(c, at, ORDER);
        c31.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
        at = c0 + 4 * ldcBytes;
        if (add) {
            c40 = c40.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c41 = c41.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c40.intoMemorySegment(c, at, ORDER);
        c41.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
        at = c0 + 5 * ldcBytes;
        if (add) {
            c50 = c50.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c51 = c51.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c50.intoMemorySegment(c, at, ORDER);
        c51.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
    }

    /** 4-row tile, as {@link #kernel6} with an A panel of 4 floats per k step. */
    static void kernel4(int kc, MemorySegment pa, long ai, MemorySegment pb, long bi, MemorySegment c, long c0,
                        long ldcBytes, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++, ai += 4 * Float.BYTES, bi += NR * Float.BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, pb, bi, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(F, pb, bi + VECTOR_BYTES, ORDER);
            FloatVector a0 = FloatVector.broadcast(F, pa.get(FLOAT, ai));
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa.get(FLOAT, ai + 4));
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa.get(FLOAT, ai + 8));
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa.get(FLOAT, ai + 12));
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        long at;
        at = c0;
        if (add) {
            c00 = c00.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c01 = c01.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c00.intoMemorySegment(c, at, ORDER);
        c01.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
        at = c0 + ldcBytes;
        if (add) {
            c10 = c10.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c11 = c11.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c10.intoMemorySegment(c, at, ORDER);
        c11.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
        at = c0 + 2 * ldcBytes;
        if (add) {
            c20 = c20.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c21 = c21.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c20.intoMemorySegment(c, at, ORDER);
        c21.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
        at = c0 + 3 * ldcBytes;
        if (add) {
            c30 = c30.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c31 = c31.add(FloatVector.fromMemorySegment(F, c, at + VECTOR_BYTES, ORDER));
        }
        c30.intoMemorySegment(c, at, ORDER);
        c31.intoMemorySegment(c, at + VECTOR_BYTES, ORDER);
    }
}
