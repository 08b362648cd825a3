package dev.recur4j.gemm;

import static dev.recur4j.gemm.JavaGemm.F;
import static dev.recur4j.gemm.JavaGemm.L;
import static dev.recur4j.gemm.JavaGemm.NR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * {@link JavaGemm}'s micro-kernels below 512-bit vectors (AVX2: 16 vector registers), one per panel
 * height: tile[h x NR] = A panel [kc x h] * B panel [kc x NR] with h = 6 (12 accumulators + 2 B
 * vectors + 1 broadcast = 15 registers) or h = 4 (8 accumulators). The 4-row kernel exists so that a
 * block of mc rows is cut into panels of 6 and 4 with no padded rows when mc is even
 * ({@link JavaGemm#panelRows}): a thread's share of a batch of 32 was computed as 36 rows before.
 *
 * <p>The 6-row kernel reads its A values with {@code MemorySegment.get} from a heap segment over the packing
 * array, the B vectors with {@code fromArray}: on a Zen 1 core (AVX2, 256-bit operations issued as two halves)
 * it ran 35.9 / 33.9 GFLOP/s that way against 28.8 / 29.0 with {@code pa[i]} broadcasts (64 x 2048 x 768,
 * alternating JVMs). With array reads C2 loads several broadcasts ahead, which with 12 accumulators needs a
 * 17th register, and it keeps one accumulator on the stack (a load and a store per k step, in the FMA
 * chain); {@code get}'s bounds checks keep each broadcast next to its FMAs. The 4-row kernel has registers
 * to spare and reads the array: there {@code get} cost a third of the speed. The segment is the receiver of
 * {@code get} at kernel6's call site, so C2 binds it by this site's own type profile. Not kept: reading B (or A) through the Vector API's
 * {@code fromMemorySegment}, where the segment is an argument and C2 relies on type profiles shared by
 * every caller in the JVM: alone it was as fast, but in the LSTM pipeline, whose kernels pass native and
 * {@code byte[]} segments through the same methods, C2 compiled the loads as virtual calls and W2 ran
 * twice as slow; and storing the accumulators straight into C through such calls boxed them. The tile
 * goes to a heap array and {@link JavaGemm}'s storeTile merges it into C. The loop indexes both panels
 * from p, which C2 compiles a little better than bumped offsets.
 */
final class NarrowKernels {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private NarrowKernels() {
    }

    /**
     * 6-row tile from the A panel at byte offset {@code ai} of pa (6 floats per k step) and the B panel at
     * pb[bi] (NR floats per k step).
     */
    static void kernel6(int kc, MemorySegment pa, long ai, float[] pb, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            long a = ai + 6 * Float.BYTES * (long) p;
            int b = bi + NR * p;
            FloatVector b0 = FloatVector.fromArray(F, pb, b);
            FloatVector b1 = FloatVector.fromArray(F, pb, b + L);
            FloatVector a0 = FloatVector.broadcast(F, pa.get(FLOAT, a));
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa.get(FLOAT, a + 4));
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa.get(FLOAT, a + 8));
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa.get(FLOAT, a + 12));
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, pa.get(FLOAT, a + 16));
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, pa.get(FLOAT, a + 20));
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
    }

    /**
     * 4-row tile, as {@link #kernel6} with 4 floats of A per k step, read from the packing array itself: with 8
     * accumulators the broadcasts C2 hoists still fit the 16 registers, and this kernel ran 35-37 GFLOP/s that
     * way against 23-26 with {@code MemorySegment.get} (Zen 1, 64 x 2048 x 256 and x 768, alternating JVMs).
     */
    static void kernel4(int kc, float[] pa, int ai, float[] pb, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            int a = ai + 4 * p;
            int b = bi + NR * p;
            FloatVector b0 = FloatVector.fromArray(F, pb, b);
            FloatVector b1 = FloatVector.fromArray(F, pb, b + L);
            FloatVector a0 = FloatVector.broadcast(F, pa[a]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa[a + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa[a + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa[a + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
    }
}
