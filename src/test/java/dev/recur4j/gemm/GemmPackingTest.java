package dev.recur4j.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link GemmPacking#packA} against the packed layout written out element by element, for both
 * transposes, on native and heap segments: block sizes around the vector units of the full-panel
 * paths (8 rows per panel; 16 columns per transpose with 512-bit vectors), i.e. partial panels,
 * kc below, at and above multiples of 16, padded leading dims, offsets and a block that starts
 * inside the matrix. Every float of the block must be in place, the padding rows zero, and nothing
 * past the block written.
 */
class GemmPackingTest {
    private static final int[] BLOCK_ROWS = {1, 7, 8, 13, 16, 24, 192};
    private static final int[] BLOCK_DEPTHS = {1, 2, 15, 16, 17, 33, 64, 100};

    @Test
    void packAMatchesTheLayoutOnNativeSegments() {
        try (Arena arena = Arena.ofConfined()) {
            check(bytes -> arena.allocate(bytes, 64));
        }
    }

    @Test
    void packAMatchesTheLayoutOnHeapSegments() {
        check(bytes -> MemorySegment.ofArray(new float[(int) (bytes / Float.BYTES)]));
    }

    private static void check(LongFunction<MemorySegment> alloc) {
        SplittableRandom rnd = new SplittableRandom(5);
        int mr = JavaGemm.MR;
        for (Transpose trans : Transpose.values()) {
            for (int mc : BLOCK_ROWS) {
                for (int kc : BLOCK_DEPTHS) {
                    int i0 = rnd.nextInt(3), p0 = rnd.nextInt(3);
                    int m = i0 + mc + rnd.nextInt(2), k = p0 + kc + rnd.nextInt(2);
                    int storedRows = trans == Transpose.NO ? m : k, storedCols = trans == Transpose.NO ? k : m;
                    int lda = storedCols + rnd.nextInt(5);
                    int aOff = rnd.nextInt(9);
                    long floats = aOff + (long) storedRows * lda;
                    MemorySegment a = alloc.apply(floats * Float.BYTES);
                    for (long i = 0; i < floats; i++) {
                        a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
                    }
                    int panels = (mc + mr - 1) / mr;
                    float[] dst = new float[panels * mr * kc + 5];
                    Arrays.fill(dst, Float.NaN);
                    GemmPacking.packA(trans, a, aOff, lda, i0, mc, p0, kc, dst, mr);

                    float[] want = new float[dst.length];
                    Arrays.fill(want, Float.NaN);
                    for (int i = 0; i < panels * mr; i++) {
                        for (int p = 0; p < kc; p++) {
                            long at = trans == Transpose.NO
                                    ? aOff + (long) (i0 + i) * lda + p0 + p
                                    : aOff + (long) (p0 + p) * lda + i0 + i;
                            float v = i < mc ? a.getAtIndex(ValueLayout.JAVA_FLOAT, at) : 0f;
                            want[(i / mr) * mr * kc + p * mr + i % mr] = v;
                        }
                    }
                    String what = "packA " + trans + " mc=" + mc + " kc=" + kc + " i0=" + i0 + " p0=" + p0
                            + " lda=" + lda + " aOff=" + aOff + " (" + a.getClass().getSimpleName() + ")";
                    assertEquals(Arrays.toString(want), Arrays.toString(dst), what);
                }
            }
        }
    }
}
