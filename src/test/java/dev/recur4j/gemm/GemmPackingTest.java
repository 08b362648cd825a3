package dev.recur4j.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link GemmPacking#packA} and {@link GemmPacking#packB} against the packed layout written out element by
 * element, for both transposes, on native and heap segments: block sizes around the vector units of the
 * full-panel paths (with 512-bit vectors: 8 x 16 blocks for A, 16 x 2 for transposed A, rows of NR = 32
 * columns for B), i.e. partial panels,
 * kc below, at and above multiples of 16, padded leading dims, offsets and a block that starts
 * inside the matrix. Every float of the block must be in place, the padding rows zero, and nothing
 * past the block written.
 */
class GemmPackingTest {
    private static final int[] BLOCK_ROWS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 24, 32, 64, 144, 192};
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

    /**
     * The panel heights: only a block's last panel may be padded (so panel ip starts at ip * kc), the padding
     * fits the scratch block, and below 512 bits even row counts of 4 or more need none (32 = 6+6+6+6+4+4).
     */
    @Test
    void panelHeightsPadOnlyTheLastPanelAndFitTheScratch() {
        for (int mc = 1; mc <= JavaGemm.MC; mc++) {
            int ip = 0;
            while (ip < mc) {
                int h = JavaGemm.panelRows(mc, ip);
                assertTrue(h >= 1 && h <= JavaGemm.MR, "mc=" + mc + " ip=" + ip + " h=" + h);
                if (ip + h > mc) {
                    assertTrue(mc - ip < h, "a padded panel must be the last: mc=" + mc + " ip=" + ip);
                }
                ip += h;
            }
            assertEquals(ip, JavaGemm.packedRows(mc), "mc=" + mc);
            assertTrue(ip <= JavaGemm.MC, "mc=" + mc + " packs " + ip + " rows, scratch holds " + JavaGemm.MC);
            if (JavaGemm.MR == 6) {
                int want = mc < 4 ? 4 : mc % 2 == 0 ? mc : mc + 1;
                assertEquals(want, ip, "padded rows of mc=" + mc);
            } else {
                assertEquals((mc + JavaGemm.MR - 1) / JavaGemm.MR * JavaGemm.MR, ip, "mc=" + mc);
            }
        }
        if (JavaGemm.MR == 6) {
            int[] heights = new int[6];
            for (int i = 0, ip = 0; ip < 32; i++) {
                heights[i] = JavaGemm.panelRows(32, ip);
                ip += heights[i];
            }
            assertEquals("[6, 6, 6, 6, 4, 4]", Arrays.toString(heights));
        }
    }

    private static void check(LongFunction<MemorySegment> alloc) {
        SplittableRandom rnd = new SplittableRandom(5);
        for (Transpose trans : Transpose.values()) {
            for (int mc : BLOCK_ROWS) {
                for (int kc : BLOCK_DEPTHS) {
                    // op(A) is [m, k]: stored with m along rows when not transposed
                    Stored sa = randomStored(alloc, rnd, trans == Transpose.NO, mc, kc);
                    int i0 = sa.first(), p0 = sa.p0(), lda = sa.ld(), aOff = sa.off();
                    MemorySegment a = sa.data();
                    float[] dst = new float[JavaGemm.packedRows(mc) * kc + 5];
                    Arrays.fill(dst, Float.NaN);
                    GemmPacking.packA(trans, a, aOff, lda, i0, mc, p0, kc, dst);

                    float[] want = expected(trans, a, aOff, lda, i0, mc, p0, kc, dst.length, Float.NaN);
                    String what = "packA " + trans + " mc=" + mc + " kc=" + kc + " i0=" + i0 + " p0=" + p0
                            + " lda=" + lda + " aOff=" + aOff + " (" + a.getClass().getSimpleName() + ")";
                    assertEquals(Arrays.toString(want), Arrays.toString(dst), what);
                }
            }
        }
    }

    /**
     * Blocks that end exactly where their segment ends (the last row and column of the matrix, no padding,
     * an unaligned native slice of the exact size and a heap array): no vector load may reach past the block,
     * or packing the bottom-right block of a matrix at the end of its memory would throw.
     */
    @Test
    void packABlocksThatEndWithTheirSegment() {
        try (Arena arena = Arena.ofConfined()) {
            for (Transpose trans : Transpose.values()) {
                for (int mc : new int[] {8, 15, 16, 17, 31, 32, 48}) {
                    for (int kc : new int[] {1, 2, 3, 15, 16, 17, 31, 32, 33}) {
                        for (int before : new int[] {0, 1, 5}) {
                            for (boolean heap : new boolean[] {false, true}) {
                                int m = mc + before;
                                int k = kc + before;
                                int storedRows = trans == Transpose.NO ? m : k;
                                int lda = trans == Transpose.NO ? k : m;
                                MemorySegment a = exactSegment(arena, heap, before + storedRows * lda);
                                float[] dst = new float[JavaGemm.packedRows(mc) * kc];
                                GemmPacking.packA(trans, a, before, lda, m - mc, mc, k - kc, kc, dst);
                                assertEquals(Arrays.toString(expected(trans, a, before, lda, m - mc, mc, k - kc, kc,
                                        dst.length, 0f)), Arrays.toString(dst),
                                        trans + " mc=" + mc + " kc=" + kc + " before=" + before + " heap=" + heap);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void packBMatchesTheLayoutOnNativeSegments() {
        try (Arena arena = Arena.ofConfined()) {
            // an unaligned slice that ends with the matrix: no vector read may pass it
            checkB(bytes -> arena.allocate(bytes + 64, 64).asSlice(4, bytes));
        }
    }

    @Test
    void packBMatchesTheLayoutOnHeapSegments() {
        checkB(bytes -> MemorySegment.ofArray(new float[(int) (bytes / Float.BYTES)]));
    }

    /** packB for widths around NR (partial and full panels, 24 panels = NC) and the depths of packA's test. */
    private static void checkB(LongFunction<MemorySegment> alloc) {
        int nr = JavaGemm.NR;
        SplittableRandom rnd = new SplittableRandom(7);
        for (Transpose trans : Transpose.values()) {
            for (int nc : new int[] {1, nr - 1, nr, nr + 1, 2 * nr, 3 * nr + 5, 24 * nr}) {
                for (int kc : BLOCK_DEPTHS) {
                    // op(B) is [k, n]: stored with n along rows when transposed
                    Stored sb = randomStored(alloc, rnd, trans == Transpose.YES, nc, kc);
                    int j0 = sb.first(), p0 = sb.p0(), ldb = sb.ld(), bOff = sb.off();
                    MemorySegment b = sb.data();
                    int panels = (nc + nr - 1) / nr;
                    int dstOff = rnd.nextInt(4);
                    float[] dst = new float[dstOff + panels * nr * kc + 5];
                    Arrays.fill(dst, Float.NaN);
                    GemmPacking.packB(trans, b, bOff, ldb, p0, kc, j0, nc, dst, dstOff, nr, new float[JavaGemm.NC]);

                    float[] want = expectedB(trans, b, bOff, ldb, p0, kc, j0, nc, nr, dstOff, dst.length);
                    assertEquals(Arrays.toString(want), Arrays.toString(dst), "packB " + trans + " nc=" + nc + " kc=" + kc
                            + " j0=" + j0 + " p0=" + p0 + " ldb=" + ldb + " bOff=" + bOff + " dstOff=" + dstOff
                            + " (" + b.getClass().getSimpleName() + ")");
                }
            }
        }
    }

    /**
     * packB's counterpart of {@link #packABlocksThatEndWithTheirSegment}: the bottom-right block of B, no padded
     * ldb and no row or column after the block, on an unaligned native slice of the exact size and on a heap
     * array, into a dst just long enough for dstOff + the panels: a read past the block's last float throws.
     */
    @Test
    void packBBlocksThatEndWithTheirSegment() {
        int nr = JavaGemm.NR;
        try (Arena arena = Arena.ofConfined()) {
            for (Transpose trans : Transpose.values()) {
                for (int nc : new int[] {1, nr - 1, nr, nr + 1, 2 * nr, 3 * nr + 5}) {
                    for (int kc : new int[] {1, 2, 3, 4, 16, 17}) {
                        for (int before : new int[] {0, 1, 5}) {
                            for (boolean heap : new boolean[] {false, true}) {
                                int n = nc + before, k = kc + before;
                                int storedRows = trans == Transpose.NO ? k : n;
                                int ldb = trans == Transpose.NO ? n : k;
                                MemorySegment b = exactSegment(arena, heap, before + storedRows * ldb);
                                int dstOff = before;
                                float[] dst = new float[dstOff + (nc + nr - 1) / nr * nr * kc];
                                Arrays.fill(dst, Float.NaN);
                                GemmPacking.packB(trans, b, before, ldb, k - kc, kc, n - nc, nc, dst, dstOff, nr,
                                        new float[JavaGemm.NC]);
                                assertEquals(Arrays.toString(expectedB(trans, b, before, ldb, k - kc, kc, n - nc, nc,
                                        nr, dstOff, dst.length)), Arrays.toString(dst),
                                        trans + " nc=" + nc + " kc=" + kc + " before=" + before + " heap=" + heap);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The packed layout of op(B)[p0 : p0+kc, j0 : j0+nc] at dstOff: padding columns 0, every other float NaN. */
    private static float[] expectedB(Transpose trans, MemorySegment b, long bOff, int ldb, int p0, int kc, int j0,
                                     int nc, int nr, int dstOff, int length) {
        float[] want = new float[length];
        Arrays.fill(want, Float.NaN);
        for (int j = 0; j < (nc + nr - 1) / nr * nr; j++) {
            for (int p = 0; p < kc; p++) {
                long at = trans == Transpose.NO
                        ? bOff + (long) (p0 + p) * ldb + j0 + j
                        : bOff + (long) (j0 + j) * ldb + p0 + p;
                float v = j < nc ? b.getAtIndex(ValueLayout.JAVA_FLOAT, at) : 0f;
                want[dstOff + (j / nr) * nr * kc + p * nr + j % nr] = v;
            }
        }
        return want;
    }

    /**
     * {@code floats} floats holding 1, 2, 3, ...: a heap array of exactly that size, or an unaligned native slice
     * of exactly that size (so a read past its last float throws).
     */
    private static MemorySegment exactSegment(Arena arena, boolean heap, int floats) {
        MemorySegment s = heap ? MemorySegment.ofArray(new float[floats])
                : arena.allocate(floats * 4L + 64, 64).asSlice(4, floats * 4L);
        for (int i = 0; i < floats; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 1);
        }
        return s;
    }

    /**
     * A stored operand around a block of {@code dim} (the block's own dimension: A's rows, B's columns) by
     * {@code kc} (depth): the block starts at {@code first} and {@code p0}, the matrix may have one more of each,
     * ld is padded by up to 4 floats, the data starts {@code off} floats into the segment.
     */
    private record Stored(int first, int p0, int ld, int off, MemorySegment data) {
    }

    /** A random {@link Stored}; {@code dimAlongRows}: the block's own dimension runs along the stored rows. */
    private static Stored randomStored(LongFunction<MemorySegment> alloc, SplittableRandom rnd, boolean dimAlongRows,
                                       int dim, int kc) {
        int first = rnd.nextInt(3), p0 = rnd.nextInt(3);
        int full = first + dim + rnd.nextInt(2), depth = p0 + kc + rnd.nextInt(2);
        int storedRows = dimAlongRows ? full : depth, storedCols = dimAlongRows ? depth : full;
        int ld = storedCols + rnd.nextInt(5);
        int off = rnd.nextInt(9);
        long floats = off + (long) storedRows * ld;
        MemorySegment data = alloc.apply(floats * Float.BYTES);
        for (long i = 0; i < floats; i++) {
            data.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
        }
        return new Stored(first, p0, ld, off, data);
    }

    /**
     * The packed layout of op(A)[i0 : i0+mc, p0 : p0+kc] written out: panels of {@link JavaGemm#panelRows} rows
     * from row 0, panel ip at float ip * kc, element (row r of the panel, depth p) at p * h + r, padded rows 0,
     * floats past the panels {@code fill}.
     */
    private static float[] expected(Transpose trans, MemorySegment a, long aOff, int lda, int i0, int mc, int p0,
                                    int kc, int length, float fill) {
        float[] want = new float[length];
        Arrays.fill(want, fill);
        for (int ip = 0, h; ip < mc; ip += h) {
            h = JavaGemm.panelRows(mc, ip);
            for (int r = 0; r < h; r++) {
                int i = ip + r;
                for (int p = 0; p < kc; p++) {
                    long at = trans == Transpose.NO
                            ? aOff + (long) (i0 + i) * lda + p0 + p
                            : aOff + (long) (p0 + p) * lda + i0 + i;
                    float v = i < mc ? a.getAtIndex(ValueLayout.JAVA_FLOAT, at) : 0f;
                    want[ip * kc + p * h + r] = v;
                }
            }
        }
        return want;
    }
}
