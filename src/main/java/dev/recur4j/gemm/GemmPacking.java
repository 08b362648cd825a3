package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Copies blocks of op(A) and op(B) into the contiguous panel layout the {@link JavaGemm}
 * micro-kernel streams (GotoBLAS / BLIS packing), whatever the transpose, offset or leading dim.
 *
 * <pre>
 * A block op(A)[i0 : i0+mc, p0 : p0+kc] -> panels of mr rows:   dst[(i / mr) * mr * kc + p * mr + i % mr]
 * B block op(B)[p0 : p0+kc, j0 : j0+nc] -> panels of nr columns: dst[dstOff + (j / nr) * nr * kc + p * nr + j % nr]
 * </pre>
 * A partial last panel is padded with zeros, so the kernel always runs on full panels and the
 * padding contributes exact zeros to rows/columns that are never stored. Part of JavaGemm (same
 * MR and NR); kept apart so the kernel file stays about the kernel.
 */
final class GemmPacking {
    // Unaligned: accepts heap segments of any array type and any native address; same code on x86.
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Floats of one packed A panel row copied at once (MR with 512-bit vectors); a constant, so C2 expands the copy. */
    private static final int PANEL_ROW_FLOATS = 8;

    private GemmPacking() {
    }

    /** Packs op(A)[i0 : i0+mc, p0 : p0+kc]; A is stored [m, k] (NO) or [k, m] (YES) at {@code aOff}, row stride lda. */
    static void packA(Transpose transA, MemorySegment a, long aOff, int lda, int i0, int mc, int p0, int kc,
                      float[] dst, int mr, float[] stage) {
        int vectorRows = 0;
        if (transA == Transpose.YES && mr == PANEL_ROW_FLOATS) {
            vectorRows = mc / mr * mr;
            packAColumns(a, aOff, lda, i0, vectorRows, p0, kc, dst, stage);
        }
        for (int ip = vectorRows; ip < mc; ip += mr) {
            int rows = Math.min(mr, mc - ip);
            int panel = ip * kc;
            if (transA == Transpose.NO) {
                // Row i of op(A) is contiguous in memory: read it along p, write with stride mr.
                for (int r = 0; r < rows; r++) {
                    long src = aOff + (long) (i0 + ip + r) * lda + p0;
                    for (int p = 0, d = panel + r; p < kc; p++, d += mr) {
                        dst[d] = a.getAtIndex(F, src + p);
                    }
                }
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
     * The full panels of a transposed A (rows [0, rows) of the block, rows a multiple of mr = 8): stored
     * row p0+p holds op(A)[i0 : i0+rows, p0+p] contiguously, and each 8 floats of it are one packed
     * panel row. The row is first copied whole into {@code stage} (one bulk copy), then each panel row
     * is one 8-float array copy; p runs outside so the stored rows (lda apart) are read once, front to
     * back (the training weight gradients: 8.8% of W6 in per-element segment reads before). No Vector
     * API here: vector copies (fromMemorySegment or fromArray, then intoArray) were, in some JVM runs,
     * left by C2 as calls to the Java fallback, which allocates every vector (24 MB per
     * 2048 x 768 x 6400 product); array copies cannot allocate.
     */
    private static void packAColumns(MemorySegment a, long aOff, int lda, int i0, int rows, int p0, int kc,
                                              float[] dst, float[] stage) {
        for (int p = 0; p < kc; p++) {
            MemorySegment.copy(a, F, (aOff + (long) (p0 + p) * lda + i0) * Float.BYTES, stage, 0, rows);
            for (int ip = 0, d = p * PANEL_ROW_FLOATS; ip < rows; ip += PANEL_ROW_FLOATS, d += PANEL_ROW_FLOATS * kc) {
                System.arraycopy(stage, ip, dst, d, PANEL_ROW_FLOATS);
            }
        }
    }

    /**
     * The full panels of a non-transposed B (columns [0, cols) of the block, cols a multiple of nr):
     * stored row p0+p holds op(B)[p0+p, j0 : j0+cols] contiguously and each nr floats of it are one
     * packed panel row. As in {@link #packAColumns}: one bulk copy of the row into {@code stage}, then
     * one nr-float array copy per panel row.
     */
    private static void packBRows(MemorySegment b, long bOff, int ldb, int p0, int kc, int j0, int cols,
                                           float[] dst, int dstOff, int nr, float[] stage) {
        for (int p = 0; p < kc; p++) {
            MemorySegment.copy(b, F, (bOff + (long) (p0 + p) * ldb + j0) * Float.BYTES, stage, 0, cols);
            for (int jp = 0, d = dstOff + p * nr; jp < cols; jp += nr, d += nr * kc) {
                System.arraycopy(stage, jp, dst, d, nr);
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
