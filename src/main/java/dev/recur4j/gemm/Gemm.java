package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;

/**
 * Single-precision GEMM in CBLAS row-major convention over float-typed memory segments:
 * {@code C = alpha * op(A) * op(B) + beta * C}, with op(A) [m, k], op(B) [k, n], C [m, n].
 * Offsets and leading dimensions are in floats. When {@code beta == 0}, C is not read.
 *
 * <p>Implementations are thread-safe and allocate nothing per call.
 */
public interface Gemm {

    /** Short name for logs and results: {@code java} or {@code openblas}. */
    String name();

    void sgemm(Transpose transA, Transpose transB, int m, int n, int k,
               float alpha, MemorySegment a, long aOff, int lda,
               MemorySegment b, long bOff, int ldb,
               float beta, MemorySegment c, long cOff, int ldc);

    /**
     * Prepares op(B) [k x n] (B stored [k, n] if NO, [n, k] if YES) for many {@link #sgemm(Transpose, int,
     * float, MemorySegment, long, int, PreparedB, float, MemorySegment, long, int) products}. Allocates;
     * call it once per weight matrix, not per product. The default keeps the plain view.
     */
    default PreparedB prepareB(Transpose transB, int k, int n, MemorySegment b, long bOff, int ldb) {
        return PreparedB.plain(transB, k, n, b, bOff, ldb);
    }

    /**
     * Three products over one B [k, n] whose rows of C split its columns, all operands in {@code s}:
     * <pre>
     * C[0 : m1, 0 : n]                = A1^T · B
     * C[m1 : m1+m2, 0 : split]        = A2^T · B[:, 0 : split]
     * C[m1 : m1+m2, split : n]        = A3^T · B[:, split : n]
     * </pre>
     * with A_i stored [k, m_i] (transposed operands) and beta 0. This is the shape of a GRU's weight gradients, whose
     * n gate rows take another left operand for W_hh's columns than for W_ih's. The default makes three products; a
     * back end that packs B per call may pack it once for all three.
     */
    default void sgemmTransASplit(int m1, int m2, int n, int split, int k, MemorySegment s, long a1, int lda1,
                                  long a2, int lda2, long a3, int lda3, long b, int ldb, long c, int ldc) {
        GemmChecks.checkSplit(split, n); // before the first product writes C
        sgemm(Transpose.YES, Transpose.NO, m1, n, k, 1f, s, a1, lda1, s, b, ldb, 0f, s, c, ldc);
        sgemm(Transpose.YES, Transpose.NO, m2, split, k, 1f, s, a2, lda2, s, b, ldb, 0f, s, c + (long) m1 * ldc, ldc);
        sgemm(Transpose.YES, Transpose.NO, m2, n - split, k, 1f, s, a3, lda3, s, b + split, ldb, 0f, s,
                c + (long) m1 * ldc + split, ldc);
    }

    /**
     * Rows of A that one pass over a {@link #prepareB prepared} B serves: a product of m rows streams B
     * ceil(m / this) times, so a caller may cut m into blocks of a multiple of it without streaming B more often.
     * 0 (the default, and any back end that packs B per call): B is read once per call, whatever m, and every
     * block would read it again.
     */
    default int rowsPerPreparedBPass() {
        return 0;
    }

    /** C [m x b.n] = alpha * op(A) * op(B) + beta * C with op(B) prepared by this back end's {@link #prepareB}. */
    default void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda,
                       PreparedB b, float beta, MemorySegment c, long cOff, int ldc) {
        sgemm(transA, b.trans, m, b.n, b.k, alpha, a, aOff, lda, b.b, b.bOff, b.ldb, beta, c, cOff, ldc);
    }

    /**
     * C [m x b.n] = the parts of b side by side, each part i A[:, depth_i : depth_i + k_i] · B_i (A [m, b.k] row-major,
     * ld lda; beta 0: C is not read). The default makes one product per part; a back end may pack A once for all.
     */
    default void sgemm(int m, MemorySegment a, long aOff, int lda, DepthRangedB b, MemorySegment c, long cOff,
                       int ldc) {
        // every operand checked before the first product writes C
        GemmChecks.check(Transpose.NO, Transpose.NO, m, b.n, b.k, a, aOff, lda, null, 0, Math.max(1, b.n), c, cOff,
                ldc, false);
        for (int i = 0; i < b.parts.length; i++) {
            sgemm(Transpose.NO, m, 1f, a, aOff + b.depths[i], lda, b.parts[i], 0f, c, cOff + b.cols[i], ldc);
        }
    }
}
