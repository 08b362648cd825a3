package dev.recur4j.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Gemm#sgemm(int, MemorySegment, long, int, DepthRangedB, MemorySegment, long, int)}: each part's columns of
 * C must be the bits of that part's own product (the Java GEMM packs A once for all parts, but runs every tile over
 * the same depth with the same kernel; the default is those products), match a naive double loop, and leave C's
 * padding alone. Shapes: a GRU step's three parts (r, z over [x | h], n's x and h parts apart) with rows and
 * columns that are not multiples of the tile, a part wider than NC = 1024 reading all of A or a shallower range of it,
 * A deeper than KC = 1024 (the Java GEMM falls back to one product per part, with the scratch it was given), more
 * rows than MC, an empty depth range, one part alone, overlapping ranges.
 */
class DepthRangedProductTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** m, then (depth, k, n) per part. */
    private static final int[][] CASES = {
        {7, 0, 30, 34, 0, 13, 17, 13, 17, 17},
        {43, 0, 88, 96, 0, 40, 48, 40, 48, 48},
        {9, 0, 20, 1100, 5, 10, 33},
        {9, 0, 20, 33, 5, 10, 1100},
        {5, 0, 1030, 40, 1000, 30, 20},
        {200, 0, 64, 64, 32, 32, 40},
        {8, 3, 0, 16, 0, 8, 32},
        {16, 0, 50, 70},
        {33, 10, 5, 1, 0, 15, 31, 2, 3, 32},
    };

    /** One case laid out in a segment: A [m, k] (ld k + 3), each B_i stored [n_i, k_i] (ld k_i + 1), C (ld n + 4). */
    private static final class Layout {
        final int m;
        final int[] depth;
        final int[] kk;
        final int[] nn;
        final int k;
        final int n;
        final int lda;
        final int ldc;
        final long aOff = 5;
        final long[] bOff;
        final long cOff;
        final long size;

        Layout(int[] c) {
            m = c[0];
            int parts = (c.length - 1) / 3;
            depth = new int[parts];
            kk = new int[parts];
            nn = new int[parts];
            int kEnd = 0;
            int cols = 0;
            for (int i = 0; i < parts; i++) {
                depth[i] = c[1 + 3 * i];
                kk[i] = c[2 + 3 * i];
                nn[i] = c[3 + 3 * i];
                kEnd = Math.max(kEnd, depth[i] + kk[i]);
                cols += nn[i];
            }
            k = kEnd;
            n = cols;
            lda = k + 3;
            ldc = n + 4;
            bOff = new long[parts];
            long next = aOff + (long) m * lda + 2;
            for (int i = 0; i < parts; i++) {
                bOff[i] = next;
                next += (long) nn[i] * (kk[i] + 1) + 1;
            }
            cOff = next + 3;
            size = cOff + (long) m * ldc + 2;
        }

        DepthRangedB prepare(Gemm gemm, MemorySegment s) {
            PreparedB[] parts = new PreparedB[depth.length];
            for (int i = 0; i < parts.length; i++) {
                parts[i] = gemm.prepareB(Transpose.YES, kk[i], nn[i], s, bOff[i], kk[i] + 1);
            }
            return DepthRangedB.of(parts, depth);
        }

        /** A and the B_i random in [-1, 1), C and everything after it NaN (beta 0 must not read C). */
        MemorySegment fill(Arena arena, SplittableRandom rnd) {
            MemorySegment s = arena.allocate(size * Float.BYTES, 64);
            for (long i = 0; i < size; i++) {
                s.setAtIndex(F, i, i < cOff ? (float) rnd.nextDouble(-1, 1) : Float.NaN);
            }
            return s;
        }

        String describe() {
            return "m=" + m + " depths=" + java.util.Arrays.toString(depth) + " k=" + java.util.Arrays.toString(kk)
                    + " n=" + java.util.Arrays.toString(nn);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.recur4j.gemm.GemmTest#backEnds")
    void eachPartIsItsOwnProduct(GemmKind kind) {
        Gemm gemm = GemmTest.load(kind);
        SplittableRandom rnd = new SplittableRandom(41);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] c : CASES) {
                Layout l = new Layout(c);
                MemorySegment s = l.fill(arena, rnd);
                MemorySegment perPart = arena.allocate(l.size * Float.BYTES, 64).copyFrom(s);
                DepthRangedB b = l.prepare(gemm, s);
                assertEquals(l.k, b.k(), "A's columns read");
                assertEquals(l.n, b.n(), "C's columns");
                int col = 0;
                for (int i = 0; i < l.depth.length; i++) {
                    gemm.sgemm(Transpose.NO, l.m, 1f, perPart, l.aOff + l.depth[i], l.lda, b.parts[i], 0f, perPart,
                            l.cOff + col, l.ldc);
                    col += l.nn[i];
                }
                gemm.sgemm(l.m, s, l.aOff, l.lda, b, s, l.cOff, l.ldc);
                check(kind.cliName(), l, s, perPart);
                if (gemm instanceof JavaGemm java && JavaGemm.MR == 8) {
                    for (GemmTileOrder order : GemmTileOrder.values()) {
                        MemorySegment again = arena.allocate(l.size * Float.BYTES, 64).copyFrom(perPart);
                        for (long i = l.cOff; i < l.size; i++) {
                            again.setAtIndex(F, i, Float.NaN);
                        }
                        java.sgemm(l.m, again, l.aOff, l.lda, l.prepare(gemm, again), again, l.cOff, l.ldc,
                                new GemmScratch(order));
                        check("java/" + order, l, again, perPart);
                    }
                }
            }
        }
    }

    /** C's bits against the per-part products, its values against a naive double loop, its padding untouched. */
    private static void check(String who, Layout l, MemorySegment got, MemorySegment perPart) {
        for (int r = 0; r < l.m; r++) {
            for (int j = 0; j < l.ldc; j++) {
                long at = l.cOff + (long) r * l.ldc + j;
                float v = got.getAtIndex(F, at);
                String where = who + " " + l.describe() + ": C[" + r + "," + j + "]";
                if (j >= l.n) {
                    assertTrue(Float.isNaN(v), where + " is padding and was written");
                    continue;
                }
                if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(perPart.getAtIndex(F, at))) {
                    fail(where + " = " + v + ", the part's own product gives " + perPart.getAtIndex(F, at));
                }
                int part = 0;
                int col = j;
                while (col >= l.nn[part]) {
                    col -= l.nn[part++];
                }
                double want = 0;
                double abs = 0;
                for (int p = 0; p < l.kk[part]; p++) {
                    double t = (double) got.getAtIndex(F, l.aOff + (long) r * l.lda + l.depth[part] + p)
                            * got.getAtIndex(F, l.bOff[part] + (long) col * (l.kk[part] + 1) + p);
                    want += t;
                    abs += Math.abs(t);
                }
                // fp32 dot product of length k in any order: off by at most about k * 2^-24 * sum |a_p b_p|
                // (Higham 3.1); a missing, doubled or misplaced term is off by about sum / k, far above it
                double tol = (l.kk[part] + 2) * 0x1p-24 * abs + Float.MIN_NORMAL;
                assertTrue(Math.abs(v - want) <= tol, where + " = " + v + ", want " + want + " (tol " + tol + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.recur4j.gemm.GemmTest#backEnds")
    void refusesAShortRowOfABeforeWritingC(GemmKind kind) {
        Gemm gemm = GemmTest.load(kind);
        try (Arena arena = Arena.ofConfined()) {
            Layout l = new Layout(CASES[0]);
            MemorySegment s = l.fill(arena, new SplittableRandom(3));
            DepthRangedB b = l.prepare(gemm, s);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gemm.sgemm(l.m, s, l.aOff, l.k - 1, b, s, l.cOff, l.ldc));
            assertTrue(e.getMessage().contains("lda"), e.getMessage());
            for (long i = l.cOff; i < l.size; i++) {
                assertTrue(Float.isNaN(s.getAtIndex(F, i)), "C written before the refusal at " + i);
            }
        }
    }

    @Test
    void refusesPartsWithoutDepths() {
        PreparedB p = PreparedB.plain(Transpose.NO, 2, 3, MemorySegment.ofArray(new float[6]), 0, 3);
        assertThrows(IllegalArgumentException.class, () -> DepthRangedB.of(new PreparedB[] {p}, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> DepthRangedB.of(new PreparedB[] {p}, new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> DepthRangedB.of(new PreparedB[0], new int[0]));
    }
}
