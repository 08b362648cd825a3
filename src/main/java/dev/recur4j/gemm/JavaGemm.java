package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Pure-Java GEMM. (Plain loops for now; to be replaced by a blocked Vector API kernel.) */
public final class JavaGemm implements Gemm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @Override
    public String name() {
        return "java";
    }

    @Override
    public void sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                      float beta, MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    long ai = transA == Transpose.NO ? aOff + (long) i * lda + p : aOff + (long) p * lda + i;
                    long bi = transB == Transpose.NO ? bOff + (long) p * ldb + j : bOff + (long) j * ldb + p;
                    acc += a.getAtIndex(F, ai) * b.getAtIndex(F, bi);
                }
                long ci = cOff + (long) i * ldc + j;
                float old = beta == 0f ? 0f : beta * c.getAtIndex(F, ci);
                c.setAtIndex(F, ci, alpha * acc + old);
            }
        }
    }
}
