package dev.recur4j.gemm;

import java.util.Objects;

/**
 * The right-hand operand of a product whose column blocks each read their own range of A's columns (the depth):
 * <pre>
 * C[:, col_i : col_i + n_i] = A[:, depth_i : depth_i + k_i] · B_i      for each part i, cols in order
 * </pre>
 * with each B_i [k_i x n_i] {@link Gemm#prepareB prepared} and C [m x sum n_i]. It is the product of a weight matrix
 * whose blocks are zero outside their ranges, without the zeros' multiplications: a GRU step over [x_t | h] needs
 * W_i{r,z} x_t + W_h{r,z} h (depth In + H), W_in x_t (depth In) and W_hn h (depth H) apart, the n gate reading
 * r ⊙ (W_hn h + b_hn). Against x_t · W_ih^T and h · W_hh^T apart, r and z come out summed, in one row; against
 * one product per part, a back end may pack A once ({@link JavaGemm}). Multiplied by {@link Gemm#sgemm(int,
 * java.lang.foreign.MemorySegment, long, int, DepthRangedB, java.lang.foreign.MemorySegment, long, int)}.
 */
public final class DepthRangedB {
    final PreparedB[] parts;
    /** First column of A that part i reads. */
    final int[] depths;
    /** First column of C that part i writes. */
    final int[] cols;
    /** Columns of A the product reads: the furthest end of a part's range. */
    final int k;
    /** Columns of C. */
    final int n;

    private DepthRangedB(PreparedB[] parts, int[] depths) {
        if (parts.length == 0 || parts.length != depths.length) {
            throw new IllegalArgumentException("a depth-ranged operand needs one depth per part and at least one"
                    + " part; found " + parts.length + " parts and " + depths.length + " depths");
        }
        this.parts = parts.clone();
        this.depths = depths.clone();
        this.cols = new int[parts.length];
        int kEnd = 0;
        int col = 0;
        for (int i = 0; i < parts.length; i++) {
            PreparedB p = Objects.requireNonNull(this.parts[i], "part " + i);
            if (this.depths[i] < 0) {
                throw new IllegalArgumentException("part " + i + ": depth must be >= 0, found " + this.depths[i]);
            }
            cols[i] = col;
            col = Math.addExact(col, p.n);
            kEnd = Math.max(kEnd, Math.addExact(this.depths[i], p.k));
        }
        this.k = kEnd;
        this.n = col;
    }

    /** Part i reads A's columns [depths[i], depths[i] + parts[i].k()) and writes C's columns after part i - 1's. */
    public static DepthRangedB of(PreparedB[] parts, int[] depths) {
        return new DepthRangedB(parts, depths);
    }

    /** Columns of A the product reads (the furthest end of a part's depth range). */
    public int k() {
        return k;
    }

    /** Columns of C: the parts' columns side by side. */
    public int n() {
        return n;
    }

    /** How many parts. */
    public int parts() {
        return parts.length;
    }
}
