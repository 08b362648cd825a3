package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

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

    private GemmPacking() {
    }

    /** Packs op(A)[i0 : i0+mc, p0 : p0+kc]; A is stored [m, k] (NO) or [k, m] (YES) at {@code aOff}, row stride lda. */
    static void packA(Transpose transA, MemorySegment a, long aOff, int lda, int i0, int mc, int p0, int kc,
                      float[] dst, int mr) {
        for (int ip = 0; ip < mc; ip += mr) {
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

    /** Packs op(B)[p0 : p0+kc, j0 : j0+nc]; B is stored [k, n] (NO) or [n, k] (YES) at {@code bOff}, row stride ldb. */
    static void packB(Transpose transB, MemorySegment b, long bOff, int ldb, int p0, int kc, int j0, int nc,
                      float[] dst, int dstOff, int nr) {
        for (int jp = 0; jp < nc; jp += nr) {
            int cols = Math.min(nr, nc - jp);
            int panel = dstOff + jp * kc;
            if (transB == Transpose.NO && cols == nr && nr % JavaGemm.L == 0) {
                // Row p of op(B) is contiguous: a full panel row is nr / L vector copies.
                for (int p = 0; p < kc; p++) {
                    long src = (bOff + (long) (p0 + p) * ldb + j0 + jp) * Float.BYTES;
                    int d = panel + p * nr;
                    for (int j = 0; j < nr; j += JavaGemm.L) {
                        FloatVector.fromMemorySegment(JavaGemm.F, b, src + (long) j * Float.BYTES, ORDER)
                                .intoArray(dst, d + j);
                    }
                }
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
