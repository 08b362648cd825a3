package dev.recur4j.kernel;

import dev.recur4j.Impl;
import java.lang.foreign.MemorySegment;

/**
 * Kernels of the small-batch (matrix-vector) forward path: a GEMV over pre-packed weights and the
 * cell updates that consume its result, for hidden units grouped in blocks of V = {@link #blockWidth()}.
 *
 * <p>Layouts (nb = ceil(H / V) blocks, Hp = nb*V; unit j = jb*V + l; padding units are zero weights):
 * <pre>
 * packed matrix  [nb][K][g][V]   element (gate gi, unit j, column k) at ((jb*K + k)*g + gi)*V + l
 * gate row       [nb][g][V]      (gi, j) at (jb*g + gi)*V + l; all g gates of a block are adjacent
 * unit vector    [Hp]            h, c, r⊙h in plain unit order
 * </pre>
 * One pass over k of a block therefore yields all gates of V units, which the cell update then
 * consumes while they are in L1. Every method works on blocks [jb0, jb1) only, so threads that
 * own disjoint block ranges never write the same element.
 */
public interface GemvKernels {

    /** Impl.SCALAR gets {@link ScalarGemvKernels}, Impl.SIMD {@link VectorGemvKernels}. */
    static GemvKernels of(Impl impl) {
        return switch (impl) {
            case SCALAR -> new ScalarGemvKernels();
            case SIMD -> new VectorGemvKernels();
            case REFERENCE -> throw new IllegalArgumentException("the reference implementation has no fp32 kernels");
        };
    }

    String name();

    /** V, the units per block the packed layouts must use with these kernels. */
    int blockWidth();

    /**
     * acc[accOff + gate row] = (accumulate ? acc : 0) + W · h[hOff .. hOff+k), W packed [nb][k][g][V]
     * (float offsets from the start of w), g in 1..4.
     */
    void gemv(int g, int k, MemorySegment w, float[] h, int hOff, float[] acc, int accOff, boolean accumulate,
              int jb0, int jb1);

    /**
     * {@link #gemv} for several batch rows at once: row r (r &lt; rows) multiplies h[r][0 .. k) into the
     * gate row at acc[r][accOff[r]]. Each pass over a block's weights serves up to 4 rows, so a small
     * batch streams W_hh from L2 or L3 once per step rather than once per row. This default runs the
     * rows one by one.
     */
    default void gemvRows(int g, int k, MemorySegment w, float[][] h, float[][] acc, int[] accOff, int rows,
                          boolean accumulate, int jb0, int jb1) {
        for (int r = 0; r < rows; r++) {
            gemv(g, k, w, h[r], 0, acc[r], accOff[r], accumulate, jb0, jb1);
        }
    }

    /**
     * For rows r in [0, rows): out[outOff + r*ldo + gate row] = bias + W · x[xOff + r*ldx .. + k);
     * bias is a gate row [nb][g][V] or null for zero.
     */
    void project(int g, int k, float[] w, float[] bias, float[] x, int xOff, int ldx, int rows,
                 float[] out, int outOff, int ldo, int jb0, int jb1);

    /** RNN: hOut = act(a), a the gate row at gOff (g = 1), act = relu or tanh. */
    void rnnCells(boolean relu, float[] a, int gOff, float[] hOut, int jb0, int jb1);

    /**
     * LSTM on the pre-activation gate row a at gOff (i, f, g, o): i,f = σ(a + p⊙c), g = tanh(a),
     * c = f⊙c + i⊙g in place, o = σ(a + p⊙c), hOut = o⊙tanh(c). peep is [nb][3][V] (i, f, o) or null.
     * The blocks' part of a may be left overwritten (it is the step's scratch).
     */
    void lstmCells(float[] a, int gOff, float[] peep, float[] c, float[] hOut, int jb0, int jb1);

    /**
     * GRU linear-before-reset: x is the input gate row at xOff (r, z, n, biases b_ih + b_hh for r, z
     * and b_in for n), rec = W_hh h as a gate row [nb][3][V], bhn = b_hn as [nb][1][V] (zeros without bias):
     * r,z = σ(x + rec), n = tanh(x_n + r⊙(rec_n + b_hn)), hOut = (1-z)⊙n + z⊙h. The blocks' part of
     * rec may be left overwritten.
     */
    void gruCells(float[] x, int xOff, float[] rec, float[] bhn, float[] h, float[] hOut, int jb0, int jb1);

    /**
     * GRU reset-before-linear, first half: rec = W_hr,z h as [nb][2][V]; r = σ(x_r + rec_r),
     * z = σ(x_z + rec_z) stored over rec_z, rh = r⊙h.
     */
    void gruResetGates(float[] x, int xOff, float[] rec, float[] h, float[] rh, int jb0, int jb1);

    /**
     * GRU reset-before-linear, second half: recN = W_hn (r⊙h) as [nb][1][V], z in rec's z slot:
     * n = tanh(x_n + recN) (x_n carries b_in + b_hn), hOut = (1-z)⊙n + z⊙h.
     */
    void gruRbrCells(float[] x, int xOff, float[] rec, float[] recN, float[] h, float[] hOut, int jb0, int jb1);
}
