package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of op(A) and op(B) into the contiguous panel layout the {@link JavaGemm}
 * micro-kernel streams (GotoBLAS / BLIS packing), whatever the transpose, offset or leading dim.
 *
 * <pre>
 * A block op(A)[i0 : i0+mc, p0 : p0+kc] -> panels of h = JavaGemm.panelRows(mc, ip) rows from row ip:
 *                                          dst[ip * kc + p * h + (i - ip)]   (h = MR for all with 512-bit vectors)
 * B block op(B)[p0 : p0+kc, j0 : j0+nc] -> panels of nr columns: dst[dstOff + (j / nr) * nr * kc + p * nr + j % nr]
 * </pre>
 * A partial last panel is padded with zeros, so the kernel always runs on full panels and the
 * padding contributes exact zeros to rows/columns that are never stored. Part of JavaGemm (its
 * panel heights and NR); kept apart so the kernel file stays about the kernel.
 */
final class GemmPacking {
    // Unaligned: accepts heap segments of any array type and any native address; same code on x86.
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Rows of one packed A panel (MR with 512-bit vectors): the height of the vector paths' transposes. */
    private static final int PANEL_ROW_FLOATS = 8;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /**
     * 16 floats of one stored row, two packed A panel rows' worth: the unit of the vector packing. Only
     * JavaGemm's own 512-bit species. The 256-bit panel-row copies this class once made were, in about 1 of
     * 4 W6 runs, left by C2 as calls that box every vector (24 MB per weight-gradient product); with one
     * species none of 10 runs did. Our reading, not proven: the Vector API methods' type profiles are shared
     * by every caller in the JVM, and a second species made their calls bimorphic, so C2 did not inline them.
     */
    private static final VectorSpecies<Float> WIDE = FloatVector.SPECIES_512;
    /**
     * Vector packing of full A panels: only with MR = 8, i.e. when JavaGemm runs on 512-bit vectors (its
     * preferred species on AVX-512 hardware), so the 512-bit loads and two-vector permutes below are AVX-512
     * instructions there, not the Java fallback.
     */
    private static final boolean VECTOR_A = JavaGemm.MR == PANEL_ROW_FLOATS && JavaGemm.F.vectorBitSize() == 512;

    private GemmPacking() {
    }

    /** Packs op(A)[i0 : i0+mc, p0 : p0+kc]; A is stored [m, k] (NO) or [k, m] (YES) at {@code aOff}, row stride lda. */
    static void packA(Transpose transA, MemorySegment a, long aOff, int lda, int i0, int mc, int p0, int kc,
                      float[] dst) {
        int vectorRows = 0;
        if (VECTOR_A) {
            if (transA == Transpose.NO) {
                vectorRows = mc / PANEL_ROW_FLOATS * PANEL_ROW_FLOATS;
                packARows(a, aOff, lda, i0, vectorRows, p0, kc, dst);
            } else {
                vectorRows = mc / WIDE.length() * WIDE.length();
                packAColumns(a, aOff, lda, i0, vectorRows, p0, kc, dst);
            }
        }
        for (int ip = vectorRows, mr; ip < mc; ip += mr) {
            mr = JavaGemm.panelRows(mc, ip);
            int rows = Math.min(mr, mc - ip);
            int panel = ip * kc;
            if (transA == Transpose.NO) {
                packARowScalars(a, aOff, lda, i0 + ip, rows, p0, 0, kc, dst, panel, mr);
            } else {
                // Column i of op(A) is a row of the stored [k, m]: the rows of one panel are contiguous.
                for (int p = 0; p < kc; p++) {
                    long src = aOff + (long) (p0 + p) * lda + i0 + ip;
                    int d = panel + p * mr;
                    for (int r = 0; r < rows; r++) {
                        dst[d + r] = a.getAtIndex(F, src + r);
                    }
                }
            }
            if (rows < mr) {
                for (int p = 0; p < kc; p++) {
                    for (int r = rows; r < mr; r++) {
                        dst[panel + p * mr + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Rows [r0, r0+rows) of op(A) = stored rows, columns [p0+pFrom, p0+kc) into the panel at {@code panel}: each
     * row read along p, written with stride mr (every panel below 512 bits; with 512, the partial last panel
     * and the columns left over by {@link #packARows}).
     */
    private static void packARowScalars(MemorySegment a, long aOff, int lda, int r0, int rows, int p0, int pFrom,
                                        int kc, float[] dst, int panel, int mr) {
        for (int r = 0; r < rows; r++) {
            long src = aOff + (long) (r0 + r) * lda + p0;
            for (int p = pFrom, d = panel + pFrom * mr + r; p < kc; p++, d += mr) {
                dst[d] = a.getAtIndex(F, src + p);
            }
        }
    }

    // Two-vector permutes of the 8 x 16 transpose in packARows: lane i takes lane idx of (v1, v2), idx >= 16 from v2.
    /** Pairs of rows, single lanes interleaved: {@code [v1[0], v2[0], v1[1], v2[1], ...]}, low / high half. */
    private static final FloatVector ZIP1_LO = zipIndexes(1, 0), ZIP1_HI = zipIndexes(1, 8);
    /** Lane pairs interleaved: {@code [v1[0:2], v2[0:2], v1[2:4], v2[2:4], ...]}. */
    private static final FloatVector ZIP2_LO = zipIndexes(2, 0), ZIP2_HI = zipIndexes(2, 8);
    /** Lane quads interleaved: {@code [v1[0:4], v2[0:4], v1[4:8], v2[4:8]]}. */
    private static final FloatVector ZIP4_LO = zipIndexes(4, 0), ZIP4_HI = zipIndexes(4, 8);

    /** selectFrom indexes interleaving groups of {@code group} lanes of v1 and v2, from lane {@code from} of each. */
    private static FloatVector zipIndexes(int group, int from) {
        float[] idx = new float[WIDE.length()];
        for (int i = 0; i < idx.length; i++) {
            int source = (i / group) % 2; // 0: v1, 1: v2
            idx[i] = source * WIDE.length() + from + (i / (2 * group)) * group + i % group;
        }
        return FloatVector.fromArray(WIDE, idx, 0);
    }

    /**
     * The full panels of a non-transposed A (rows [0, rows) of the block, rows a multiple of 8): per
     * panel, 8 stored rows x 16 columns are loaded as 8 vectors and transposed by 3 rounds of 8
     * two-vector permutes (interleaving single lanes, pairs, then quads: AVX-512 vpermt2ps) into 8
     * vectors of 2 packed panel rows each, stored contiguously; the kc % 16 columns left go by scalars.
     * 3x the scalar copy (strided writes of one float at a time): dX's 6400 x 2048 A 5 -> 15 GB/s,
     * the recurrent 64 x 512 one 12 -> 33 GB/s. A method of its own whose loop runs on every call, so
     * C2 sees its vector calls hot: not inlined, each would return a boxed vector (an allocation).
     */
    private static void packARows(MemorySegment a, long aOff, int lda, int i0, int rows, int p0, int kc,
                                  float[] dst) {
        long rowBytes = (long) lda * Float.BYTES;
        int wide = kc / 16 * 16;
        for (int ip = 0; ip < rows; ip += PANEL_ROW_FLOATS) {
            int panel = ip * kc;
            long row0 = (aOff + (long) (i0 + ip) * lda + p0) * Float.BYTES;
            for (int p = 0, d = panel; p < wide; p += 16, d += 16 * PANEL_ROW_FLOATS) {
                long at = row0 + (long) p * Float.BYTES;
                FloatVector a0 = FloatVector.fromMemorySegment(WIDE, a, at, ORDER);
                FloatVector a1 = FloatVector.fromMemorySegment(WIDE, a, at + rowBytes, ORDER);
                FloatVector a2 = FloatVector.fromMemorySegment(WIDE, a, at + 2 * rowBytes, ORDER);
                FloatVector a3 = FloatVector.fromMemorySegment(WIDE, a, at + 3 * rowBytes, ORDER);
                FloatVector a4 = FloatVector.fromMemorySegment(WIDE, a, at + 4 * rowBytes, ORDER);
                FloatVector a5 = FloatVector.fromMemorySegment(WIDE, a, at + 5 * rowBytes, ORDER);
                FloatVector a6 = FloatVector.fromMemorySegment(WIDE, a, at + 6 * rowBytes, ORDER);
                FloatVector a7 = FloatVector.fromMemorySegment(WIDE, a, at + 7 * rowBytes, ORDER);
                // Rows r, r+1 lane by lane: t0 = columns 0..7 of rows 0, 1; t1 = columns 8..15.
                FloatVector t0 = ZIP1_LO.selectFrom(a0, a1), t1 = ZIP1_HI.selectFrom(a0, a1);
                FloatVector t2 = ZIP1_LO.selectFrom(a2, a3), t3 = ZIP1_HI.selectFrom(a2, a3);
                FloatVector t4 = ZIP1_LO.selectFrom(a4, a5), t5 = ZIP1_HI.selectFrom(a4, a5);
                FloatVector t6 = ZIP1_LO.selectFrom(a6, a7), t7 = ZIP1_HI.selectFrom(a6, a7);
                // Rows 0..3 (u0..u3) and 4..7 (u4..u7), 4 columns each: u0 = columns 0..3, u1 = 4..7, ...
                FloatVector u0 = ZIP2_LO.selectFrom(t0, t2), u1 = ZIP2_HI.selectFrom(t0, t2);
                FloatVector u2 = ZIP2_LO.selectFrom(t1, t3), u3 = ZIP2_HI.selectFrom(t1, t3);
                FloatVector u4 = ZIP2_LO.selectFrom(t4, t6), u5 = ZIP2_HI.selectFrom(t4, t6);
                FloatVector u6 = ZIP2_LO.selectFrom(t5, t7), u7 = ZIP2_HI.selectFrom(t5, t7);
                // Rows 0..7 of 2 columns: packed panel rows p, p+1, then p+2, p+3, ...
                ZIP4_LO.selectFrom(u0, u4).intoArray(dst, d);
                ZIP4_HI.selectFrom(u0, u4).intoArray(dst, d + 16);
                ZIP4_LO.selectFrom(u1, u5).intoArray(dst, d + 32);
                ZIP4_HI.selectFrom(u1, u5).intoArray(dst, d + 48);
                ZIP4_LO.selectFrom(u2, u6).intoArray(dst, d + 64);
                ZIP4_HI.selectFrom(u2, u6).intoArray(dst, d + 80);
                ZIP4_LO.selectFrom(u3, u7).intoArray(dst, d + 96);
                ZIP4_HI.selectFrom(u3, u7).intoArray(dst, d + 112);
            }
            packARowScalars(a, aOff, lda, i0 + ip, PANEL_ROW_FLOATS, p0, wide, kc, dst, panel, PANEL_ROW_FLOATS);
        }
    }

    /** selectFrom indexes taking 8 lanes of v1, then 8 of v2, from lane {@code from} of each (a packed panel row). */
    private static final FloatVector HALVES_LO = halvesIndexes(0), HALVES_HI = halvesIndexes(PANEL_ROW_FLOATS);

    private static FloatVector halvesIndexes(int from) {
        float[] idx = new float[WIDE.length()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = (i / PANEL_ROW_FLOATS) * WIDE.length() + from + i % PANEL_ROW_FLOATS;
        }
        return FloatVector.fromArray(WIDE, idx, 0);
    }

    /**
     * Pairs of full panels of a transposed A (rows [0, rows) of the block, rows a multiple of 16): stored
     * row p0+p holds op(A)[i0 : i0+rows, p0+p] contiguously, each 8 floats of it one packed panel row.
     * Two stored rows p, p+1 x 16 columns are loaded as 2 vectors; one permute takes the first 8 lanes
     * of each (panel j, rows p and p+1: 16 contiguous packed floats), another the last 8 (panel j+1).
     * Four rows go at once (two such pairs, 32 contiguous floats per panel); the kc % 4 rows left go by
     * scalars. p runs outside so the stored rows (lda apart) are read once, front to back.
     * The training weight gradients' A (dG [6400, 2048] transposed), on the Zen 5 machine of 2026-11-23:
     * 3.1 GB/s with a bulk copy of the row then an 8-float System.arraycopy per panel row (a stub call per 32
     * bytes), 7 GB/s with the 512-bit pairs. Four rows at once instead of two, on the Zen 4 of 2026-11-30:
     * 16 -> 29 GB/s with the block in L1, 8.1 -> 8.6 GB/s from memory (W7's dG, 1024 of its columns), W7
     * (1 thread) paired -2.0 and -2.3 ms a call.
     * A method of its own whose loop runs on every call, as {@link #packARows}.
     */
    private static void packAColumns(MemorySegment a, long aOff, int lda, int i0, int rows, int p0, int kc,
                                     float[] dst) {
        long rowBytes = (long) lda * Float.BYTES;
        int panelFloats = PANEL_ROW_FLOATS * kc;
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            long src = (aOff + (long) (p0 + p) * lda + i0) * Float.BYTES;
            for (int ip = 0, d = p * PANEL_ROW_FLOATS; ip < rows; ip += 16, d += 2 * panelFloats) {
                long at = src + (long) ip * Float.BYTES;
                FloatVector r0 = FloatVector.fromMemorySegment(WIDE, a, at, ORDER);
                FloatVector r1 = FloatVector.fromMemorySegment(WIDE, a, at + rowBytes, ORDER);
                FloatVector r2 = FloatVector.fromMemorySegment(WIDE, a, at + 2 * rowBytes, ORDER);
                FloatVector r3 = FloatVector.fromMemorySegment(WIDE, a, at + 3 * rowBytes, ORDER);
                HALVES_LO.selectFrom(r0, r1).intoArray(dst, d);
                HALVES_LO.selectFrom(r2, r3).intoArray(dst, d + 16);
                HALVES_HI.selectFrom(r0, r1).intoArray(dst, d + panelFloats);
                HALVES_HI.selectFrom(r2, r3).intoArray(dst, d + panelFloats + 16);
            }
        }
        for (; p < kc; p++) { // the kc % 4 rows left, by scalars
            long src = aOff + (long) (p0 + p) * lda + i0;
            for (int i = 0; i < rows; i++) {
                dst[(i / PANEL_ROW_FLOATS) * panelFloats + p * PANEL_ROW_FLOATS + i % PANEL_ROW_FLOATS] =
                        a.getAtIndex(F, src + i);
            }
        }
    }

    /**
     * Vector packing of full B panels: only with NR = 2 x 16, i.e. when JavaGemm runs on 512-bit vectors (as
     * for {@link #VECTOR_A}), so a packed panel row is two 512-bit vectors, AVX-512 loads and stores.
     */
    private static final boolean VECTOR_B = JavaGemm.NR == 2 * WIDE.length() && JavaGemm.F.vectorBitSize() == 512;

    /**
     * The full panels of a non-transposed B (columns [0, cols) of the block, cols a multiple of nr):
     * stored row p0+p holds op(B)[p0+p, j0 : j0+cols] contiguously and each nr floats of it are one
     * packed panel row. With {@link #VECTOR_B}, each panel row is two vector loads and stores
     * ({@link #packBRowVectors}); otherwise one bulk copy of the row into {@code stage}, then one
     * nr-float array copy per panel row.
     */
    private static void packBRows(MemorySegment b, long bOff, int ldb, int p0, int kc, int j0, int cols,
                                           float[] dst, int dstOff, int nr, float[] stage) {
        if (VECTOR_B && nr == JavaGemm.NR) {
            packBRowVectors(b, bOff, ldb, p0, kc, j0, cols, dst, dstOff);
            return;
        }
        for (int p = 0; p < kc; p++) {
            MemorySegment.copy(b, F, (bOff + (long) (p0 + p) * ldb + j0) * Float.BYTES, stage, 0, cols);
            for (int jp = 0, d = dstOff + p * nr; jp < cols; jp += nr, d += nr * kc) {
                System.arraycopy(stage, jp, dst, d, nr);
            }
        }
    }

    /**
     * {@link #packBRows} with 512-bit vectors: each stored row is read front to back, its 32-float panel rows
     * written as two vectors each (kc * nr floats apart from one panel to the next). The training weight
     * gradients' B ([X | H_prev], 6400 x 768): 1.6 % of a W7 call with the staged copies (an array-copy
     * stub call per 128 bytes), 0.6 % with these. A method of its own whose loop runs on every call, as
     * {@link #packARows}.
     */
    private static void packBRowVectors(MemorySegment b, long bOff, int ldb, int p0, int kc, int j0, int cols,
                                        float[] dst, int dstOff) {
        final int nr = JavaGemm.NR;
        final int half = WIDE.length();
        long rowBytes = (long) ldb * Float.BYTES;
        long src = (bOff + (long) p0 * ldb + j0) * Float.BYTES;
        int panelFloats = nr * kc;
        for (int p = 0; p < kc; p++, src += rowBytes) {
            for (int jp = 0, d = dstOff + p * nr; jp < cols; jp += nr, d += panelFloats) {
                long at = src + (long) jp * Float.BYTES;
                FloatVector.fromMemorySegment(WIDE, b, at, ORDER).intoArray(dst, d);
                FloatVector.fromMemorySegment(WIDE, b, at + (long) half * Float.BYTES, ORDER).intoArray(dst, d + half);
            }
        }
    }

    /** Packs op(B)[p0 : p0+kc, j0 : j0+nc]; B is stored [k, n] (NO) or [n, k] (YES) at {@code bOff}, row stride ldb. */
    static void packB(Transpose transB, MemorySegment b, long bOff, int ldb, int p0, int kc, int j0, int nc,
                      float[] dst, int dstOff, int nr, float[] stage) {
        int vectorCols = 0;
        if (transB == Transpose.NO) {
            vectorCols = nc / nr * nr;
            packBRows(b, bOff, ldb, p0, kc, j0, vectorCols, dst, dstOff, nr, stage);
        }
        for (int jp = vectorCols; jp < nc; jp += nr) {
            int cols = Math.min(nr, nc - jp);
            int panel = dstOff + jp * kc;
            if (transB == Transpose.NO) {
                // The partial last panel: scalar copies of the cols valid floats per p.
                for (int p = 0; p < kc; p++) {
                    long src = bOff + (long) (p0 + p) * ldb + j0 + jp;
                    int d = panel + p * nr;
                    for (int j = 0; j < cols; j++) {
                        dst[d + j] = b.getAtIndex(F, src + j);
                    }
                }
            } else {
                // Column j of op(B) is row j of the stored [n, k]: read it along p, write with stride nr.
                for (int j = 0; j < cols; j++) {
                    long src = bOff + (long) (j0 + jp + j) * ldb + p0;
                    for (int p = 0, d = panel + j; p < kc; p++, d += nr) {
                        dst[d] = b.getAtIndex(F, src + p);
                    }
                }
            }
            if (cols < nr) {
                for (int p = 0; p < kc; p++) {
                    for (int j = cols; j < nr; j++) {
                        dst[panel + p * nr + j] = 0f;
                    }
                }
            }
        }
    }
}
