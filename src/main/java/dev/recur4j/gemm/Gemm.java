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

    /** C [m x b.n] = alpha * op(A) * op(B) + beta * C with op(B) prepared by this back end's {@link #prepareB}. */
    default void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda,
                       PreparedB b, float beta, MemorySegment c, long cOff, int ldc) {
        sgemm(transA, b.trans, m, b.n, b.k, alpha, a, aOff, lda, b.b, b.bOff, b.ldb, beta, c, cOff, ldc);
    }
}
