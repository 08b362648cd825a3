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
 * A block op(A)[i0 : i0+mc, p0 : p0+kc] -> panels of mr rows:   dst[(i / mr) * mr * kc + p * mr + i % mr]
 * B block op(B)[p0 : p0+kc, j0 : j0+nc] -> panels of nr columns: dst[dstOff + (j / nr) * nr * kc + p * nr + j % nr]
 * </pre>
 * A partial last panel is padded with zeros, so the kernel always runs on full panels and the
 * padding contributes exact zeros to rows/columns that are never stored. Part of JavaGemm (it uses
 * JavaGemm's species for the contiguous B copy); kept apart so the kernel file stays about the kernel.
 */
final class GemmPacking {
    // Unaligned: accepts heap segments of any array type and any native address; same code on x86.
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** One packed A panel row (MR = 8 floats) as a vector; 256 bits is a shape every AVX-512 unit has. */
    private static final VectorSpecies<Float> PANEL_ROW = FloatVector.SPECIES_256;
    private static final int PANEL_ROW_FLOATS = PANEL_ROW.length();

    private GemmPacking() {
    }

    /** Packs op(A)[i0 : i0+mc, p0 : p0+kc]; A is stored [m, k] (NO) or [k, m] (YES) at {@code aOff}, row stride lda. */
    static void packA(Transpose transA, MemorySegment a, long aOff, int lda, int i0, int mc, int p0, int kc,
                      float[] dst, int mr) {
        int vectorRows = 0;
        if (transA == Transpose.YES && mr == PANEL_ROW_FLOATS) {
            vectorRows = mc / mr * mr;
            packAColumnsByVectors(a, aOff, lda, i0, vectorRows, p0, kc, dst);
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
     * panel row, so the copy is one 256-bit vector per (p, panel). p runs outside so that the stored
     * rows (lda apart) are read once, front to back (the training weight gradients, kc up to 1024:
     * 8.8% of W6 in scalar copies).
     */
    private static void packAColumnsByVectors(MemorySegment a, long aOff, int lda, int i0, int rows, int p0, int kc,
                                              float[] dst) {
        for (int p = 0; p < kc; p++) {
            long src = (aOff + (long) (p0 + p) * lda + i0) * Float.BYTES;
            for (int ip = 0, d = p * PANEL_ROW_FLOATS; ip < rows; ip += PANEL_ROW_FLOATS, d += PANEL_ROW_FLOATS * kc) {
                FloatVector.fromMemorySegment(PANEL_ROW, a, src + (long) ip * Float.BYTES, ORDER).intoArray(dst, d);
            }
        }
    }

    /**
     * One full B panel of a non-transposed B, whose stored row p holds the panel row p contiguously
     * (nr floats from float index src + p * ldb): nr / L vector copies per row. A method of its own
     * (as {@link #packAColumnsByVectors}), its loop always hot for C2 whatever packB's profile says
     * (prepareB runs packB's scalar transposed branch first): with the copy inline in packB, some
     * JVM runs of a 2048 x 768 x 6400 product kept calling the Vector API's Java fallback for it, which
     * allocates every vector (24 MB per call); none did in repeated runs since.
     */
    private static void packBRowsByVectors(MemorySegment b, long src, int ldb, int kc, float[] dst, int panel, int nr) {
        for (int p = 0; p < kc; p++) {
            long at = (src + (long) p * ldb) * Float.BYTES;
            int d = panel + p * nr;
            for (int j = 0; j < nr; j += JavaGemm.L) {
                FloatVector.fromMemorySegment(JavaGemm.F, b, at + (long) j * Float.BYTES, ORDER).intoArray(dst, d + j);
            }
        }
    }

    /** Packs op(B)[p0 : p0+kc, j0 : j0+nc]; B is stored [k, n] (NO) or [n, k] (YES) at {@code bOff}, row stride ldb. */
    static void packB(Transpose transB, MemorySegment b, long bOff, int ldb, int p0, int kc, int j0, int nc,
                      float[] dst, int dstOff, int nr) {
        for (int jp = 0; jp < nc; jp += nr) {
            int cols = Math.min(nr, nc - jp);
            int panel = dstOff + jp * kc;
            if (transB == Transpose.NO && cols == nr && nr % JavaGemm.L == 0) {
                packBRowsByVectors(b, bOff + (long) p0 * ldb + j0 + jp, ldb, kc, dst, panel, nr);
            } else if (transB == Transpose.NO) {
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
