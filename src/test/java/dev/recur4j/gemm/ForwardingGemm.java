package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;

/**
 * A {@link Gemm} that hands every call to another one, for tests that change one of its answers (a failing
 * {@code prepareB}, the rows a pass over B serves) or watch its calls, and leave the arithmetic to a real back end.
 */
public class ForwardingGemm implements Gemm {
    private final Gemm gemm;

    public ForwardingGemm(Gemm gemm) {
        this.gemm = gemm;
    }

    @Override
    public String name() {
        return gemm.name();
    }

    @Override
    public void sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, MemorySegment a, long aOff,
                      int lda, MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        gemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    @Override
    public PreparedB prepareB(Transpose transB, int k, int n, MemorySegment b, long bOff, int ldb) {
        return gemm.prepareB(transB, k, n, b, bOff, ldb);
    }

    @Override
    public void sgemmTransASplit(int m1, int m2, int n, int split, int k, MemorySegment s, long a1, int lda1,
                                 long a2, int lda2, long a3, int lda3, long b, int ldb, long c, int ldc) {
        gemm.sgemmTransASplit(m1, m2, n, split, k, s, a1, lda1, a2, lda2, a3, lda3, b, ldb, c, ldc);
    }

    @Override
    public int rowsPerPreparedBPass() {
        return gemm.rowsPerPreparedBPass();
    }

    @Override
    public void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda, PreparedB b,
                      float beta, MemorySegment c, long cOff, int ldc) {
        gemm.sgemm(transA, m, alpha, a, aOff, lda, b, beta, c, cOff, ldc);
    }

    @Override
    public void sgemm(int m, MemorySegment a, long aOff, int lda, DepthRangedB b, MemorySegment c, long cOff,
                      int ldc) {
        gemm.sgemm(m, a, aOff, lda, b, c, cOff, ldc);
    }
}
