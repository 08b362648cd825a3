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
}
