package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;

/**
 * A right-hand operand op(B) [k x n] that will be multiplied many times unchanged (an RNN's
 * weights), prepared once by {@link Gemm#prepareB} so each product skips the per-call work a back
 * end would otherwise redo: {@link JavaGemm} packs it into its panel layout ({@link GemmPackedB}),
 * OpenBLAS has no packed-operand API and keeps the plain view. The source segment must stay
 * alive (and, for the plain view, unchanged) while this is used.
 */
public final class PreparedB {
    final Transpose trans;
    final int k;
    final int n;
    final MemorySegment b;
    final long bOff;
    final int ldb;
    /** The packed copy, or null when the back end multiplies from the plain view. */
    final GemmPackedB packed;

    PreparedB(Transpose trans, int k, int n, MemorySegment b, long bOff, int ldb, GemmPackedB packed) {
        this.trans = trans;
        this.k = k;
        this.n = n;
        this.b = b;
        this.bOff = bOff;
        this.ldb = ldb;
        this.packed = packed;
    }

    /** The plain view after checking B's extent: B stored [k, n] (NO) or [n, k] (YES) at bOff, row stride ldb. */
    static PreparedB plain(Transpose trans, int k, int n, MemorySegment b, long bOff, int ldb) {
        GemmChecks.check(Transpose.NO, trans, 0, n, k, null, 0, Math.max(1, k), b, bOff, ldb, null, 0,
                Math.max(1, n));
        return new PreparedB(trans, k, n, b, bOff, ldb, null);
    }

    /** Depth: rows of op(B). */
    public int k() {
        return k;
    }

    /** Columns of op(B). */
    public int n() {
        return n;
    }

    /** Whether a packed copy is held (JavaGemm) rather than only the plain view (OpenBLAS). */
    public boolean isPacked() {
        return packed != null;
    }
}
