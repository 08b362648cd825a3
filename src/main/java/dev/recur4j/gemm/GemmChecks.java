package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;

/**
 * Argument checks shared by the GEMM back ends, run once per call before any kernel (netlib's
 * {@code AbstractBLAS} style): dimensions, leading dimensions (the CBLAS row-major rules) and
 * that every operand's last element lies inside its segment. The native back end relies on them:
 * OpenBLAS would read or write out of bounds, or only print an xerbla message and return.
 */
final class GemmChecks {
    private GemmChecks() {
    }

    static void check(Transpose transA, Transpose transB, int m, int n, int k,
                      MemorySegment a, long aOff, int lda,
                      MemorySegment b, long bOff, int ldb,
                      MemorySegment c, long cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, true);
    }

    /** As above; {@code checkB == false} skips B (it was checked when it was pre-packed). */
    static void check(Transpose transA, Transpose transB, int m, int n, int k,
                      MemorySegment a, long aOff, int lda,
                      MemorySegment b, long bOff, int ldb,
                      MemorySegment c, long cOff, int ldc, boolean checkB) {
        if (transA == null || transB == null) {
            throw new NullPointerException("transA and transB must not be null");
        }
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative dimension: m=" + m + ", n=" + n + ", k=" + k);
        }
        // Stored shapes: A is [m, k] (or [k, m] when transposed), B is [k, n] (or [n, k]), C is [m, n].
        int aRows = transA == Transpose.NO ? m : k;
        int aCols = transA == Transpose.NO ? k : m;
        int bRows = transB == Transpose.NO ? k : n;
        int bCols = transB == Transpose.NO ? n : k;
        checkOperand("A", a, aOff, lda, aRows, aCols);
        if (checkB) {
            checkOperand("B", b, bOff, ldb, bRows, bCols);
        }
        checkOperand("C", c, cOff, ldc, m, n);
    }

    /** {@link Gemm#sgemmTransASplit}'s column split: in [0, n]. */
    static void checkSplit(int split, int n) {
        if (split < 0 || split > n) {
            throw new IllegalArgumentException("split=" + split + " must be in [0, n=" + n + "]");
        }
    }

    /** The segment holds a row-major [rows, cols] matrix at float offset {@code off} with leading dim {@code ld}. */
    private static void checkOperand(String name, MemorySegment s, long off, int ld, int rows, int cols) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("ld" + name.toLowerCase(java.util.Locale.ROOT) + "=" + ld
                    + " is smaller than max(1, " + cols + "), the row length of " + name);
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        if (s == null) {
            throw new NullPointerException(name + " must not be null");
        }
        if (off < 0) {
            throw new IllegalArgumentException(name + " offset is negative: " + off);
        }
        long extent = (long) (rows - 1) * ld + cols; // floats from off to one past the last touched; ints: exact
        long size = s.byteSize() / Float.BYTES;
        // compared without forming off + extent, which wraps for an offset near Long.MAX_VALUE: the wrapped end passed
        // this check and OpenBLAS then wrote before the segment
        if (off > size - extent) {
            throw new IndexOutOfBoundsException(name + " [" + rows + " x " + cols + "] at offset " + off
                    + " with ld " + ld + " needs " + (off <= Long.MAX_VALUE - extent ? Long.toString(off + extent)
                    : "more than 2^63") + " floats but the segment holds " + size);
        }
    }
}
