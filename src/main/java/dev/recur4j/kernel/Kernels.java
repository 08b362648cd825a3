package dev.recur4j.kernel;

import dev.recur4j.Impl;
import java.lang.foreign.MemorySegment;

/**
 * The elementwise (post-GEMM) work of one batch row at one step, forward and backward, for every
 * cell, plus the few vector utilities the pipeline needs. The GEMMs that feed these kernels
 * ({@code X W_ih^T}, {@code h W_hh^T}, ...) are already done when they run.
 *
 * <p>Conventions: {@code ws} is the workspace, {@code w} the prepared weights; every offset is in
 * floats; {@code n} is H. An output offset of {@code -1} means "do not write". Rows never overlap
 * except where a parameter says it may alias another. Gate rows hold G blocks of n floats in
 * PyTorch order (LSTM i,f,g,o; GRU r,z,n). Forward kernels write the gate activations, which is what
 * the backward kernels read, over the gate row or, where a parameter ({@code aOff}) says so, to another
 * row ({@code aOff} may equal {@code gOff} but not partly overlap it); the {@code *InferenceStep} kernels,
 * used when no backward pass follows, only read the gate row.
 */
public interface Kernels {

    /** Impl.SCALAR gets {@link ScalarKernels}, Impl.SIMD {@link VectorKernels}. */
    static Kernels of(Impl impl) {
        return switch (impl) {
            case SCALAR -> new ScalarKernels();
            case SIMD -> new VectorKernels();
            case REFERENCE -> throw new IllegalArgumentException("the reference implementation has no fp32 kernels");
        };
    }

    /** Short name for logs: {@code scalar} or {@code vector(256 bits)}. */
    String name();

    // ---- forward ----

    /** RNN: v = act(g + b), act = relu or tanh; g = v, h = v, y = v. */
    void rnnForwardStep(boolean relu, int n, MemorySegment ws, long gOff, MemorySegment w, long bOff,
                        long hOff, long yOff);

    /**
     * LSTM: i,f,o = σ(g + b [+ p⊙c]), g = tanh(g + b), c = f⊙c + i⊙g (in place, o sees the new c),
     * h = o⊙tanh(c) written to hOff and yOff. {@code pOff = -1}: no peepholes; p is [3n] (i, f, o).
     * The pre-activations are read from {@code gOff}, the activations (i, f, g, o) written to
     * {@code aOff}: the same row, or (training with the input projection in the steps) the row kept
     * for BPTT, while {@code gOff} points into a one-step block in L2.
     */
    void lstmForwardStep(int n, MemorySegment ws, long gOff, long aOff, MemorySegment w, long bOff, long pOff,
                         long cOff, long hOff, long yOff);

    /**
     * LSTM inference step without peepholes: {@link #lstmForwardStep} on the pre-activations g + rec,
     * where {@code recOff} is this row's W_hh h [4n], or -1 when the GEMM already added it into g.
     * The rec row, or without one the gate row, is scratch: the vector kernels work in it (no backward
     * pass reads an inference step's activations) and its content afterwards is unspecified; with rec,
     * the gate row is only read (it is the cold [B, T, 4H] projection, rec a small block in L2). Without
     * rec the GEMM has just written the gate row, so working in it adds no traffic.
     */
    void lstmInferenceStep(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w, long bOff,
                           long cOff, long hOff, long yOff);

    /**
     * GRU linear-before-reset; {@code rec} is W_hh h [3n] without bias, b is [3n] with b_hh already
     * added to the r and z blocks, bhn is b_hn [n]: r,z = σ(g + b + rec), hn = rec_n + b_hn,
     * n = tanh(g_n + b_n + r⊙hn), h = (1-z)⊙n + z⊙h in place, also to yOff; hn kept at hnOff. The
     * activations r, z, n go to {@code aOff}, the gate row itself or another row
     * ({@link #gruJoinedForwardStep} is the one that writes from a one-step block to the row kept for BPTT).
     */
    void gruForwardStep(int n, MemorySegment ws, long gOff, long aOff, long recOff, MemorySegment w, long bOff,
                        long bhnOff, long hnOff, long hOff, long yOff);

    /**
     * GRU linear-before-reset inference step: the h of {@link #gruForwardStep} (same operands, same order
     * of additions) with the gate row only read and no hn kept: no backward pass reads an inference
     * step's activations, and not writing r, z, n back saves a 12n-byte store per row and step into a
     * buffer that is not in cache. The rec row is scratch (the vector kernels work in it, a small block
     * in L2); its content afterwards is unspecified.
     */
    void gruInferenceStep(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w, long bOff, long bhnOff,
                          long hOff, long yOff);

    /**
     * {@link #gruForwardStep} on a joined row {@code j} [4n], one product over [x_t | h] (the engine's step with the
     * input projection in it): j = [W_ir x + W_hr h, W_iz x + W_hz h, W_in x, W_hn h], without bias. r,z = σ(j + b),
     * hn = j_hn + b_hn, n = tanh(j_n + b_n + r⊙hn), h = (1-z)⊙n + z⊙h in place, also to yOff; hn kept at hnOff
     * (unless -1); the activations r, z, n to aOff.
     */
    void gruJoinedForwardStep(int n, MemorySegment ws, long jOff, long aOff, MemorySegment w, long bOff, long bhnOff,
                              long hnOff, long hOff, long yOff);

    /**
     * The h of {@link #gruJoinedForwardStep} (same operands, same order of additions) keeping nothing; the joined row
     * is scratch (its content afterwards is unspecified).
     */
    void gruJoinedInferenceStep(int n, MemorySegment ws, long jOff, MemorySegment w, long bOff, long bhnOff, long hOff,
                                long yOff);

    /** GRU reset-before-linear, first half: r,z = σ(g + b) (stored in g), rh = r⊙h. */
    void gruResetStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff, long rhOff);

    /**
     * GRU reset-before-linear, second half (g_n already holds W_in x + W_hn (r⊙h); b = b_ih + b_hh):
     * n = tanh(g_n + b_n), h = (1-z)⊙n + z⊙h in place, also to yOff.
     */
    void gruRbrForwardStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff, long yOff);

    /**
     * GRU reset-before-linear inference, second half: the h of {@link #gruRbrForwardStep}. The gate row's n
     * block is scratch (the vector kernel works in it; its content afterwards is unspecified); the z block,
     * written by {@link #gruResetStep}, is only read.
     */
    void gruRbrInferenceStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff, long yOff);

    // ---- backward (g holds activations; dg receives pre-activation gradients and may be g itself:
    //      every element of g is read before the same element of dg is written) ----

    /** RNN: dg = dh ⊙ act'(v); then dhPrev = 0 (the recurrent GEMM adds the rest). dh may alias dhPrev. */
    void rnnBackwardStep(boolean relu, int n, MemorySegment ws, long gOff, long dhOff, long dgOff, long dhPrevOff);

    /**
     * LSTM, dh is the gradient of o⊙tanh(c), dc (in/out) arrives as the gradient of c and leaves as that
     * of c_prev, cp is c_prev. c = f⊙cp + i⊙g is recomputed. Peephole gradients (when pOff >= 0) are added
     * to dpOff [3n]. Then dhPrev = 0 (skipped when -1, as with a projection, where h_prev has P < n
     * entries); dh may alias dhPrev.
     */
    void lstmBackwardStep(int n, MemorySegment ws, long gOff, long cpOff, long dhOff, long dcOff, long dgOff,
                          long dhPrevOff, MemorySegment w, long pOff, long dpOff);

    /**
     * GRU linear-before-reset: dg = input-side gradients [r,z,n], dgn = the recurrent side's n block
     * dG_n⊙r (its r, z blocks are dg's), dhPrev = dh⊙z (dh may alias dhPrev); hn = W_hn h + b_hn,
     * hp = h_prev. dgn may be hn itself (each element is read before it is written).
     */
    void gruBackwardStep(int n, MemorySegment ws, long gOff, long hnOff, long hpOff, long dhOff, long dgOff,
                         long dgnOff, long dhPrevOff);

    /** GRU reset-before-linear, part 1: dg z and n blocks, dhPrev = dh⊙z (dh may alias dhPrev). */
    void gruRbrBackwardStep(int n, MemorySegment ws, long gOff, long hpOff, long dhOff, long dgOff, long dhPrevOff);

    /** GRU reset-before-linear, part 2, given drh = d(r⊙h): dg r block, dhPrev += drh⊙r. */
    void gruResetBackwardStep(int n, MemorySegment ws, long gOff, long hpOff, long drhOff, long dgOff,
                              long dhPrevOff);

    // ---- utilities ----

    /** dst += src. */
    void add(int n, MemorySegment ws, long srcOff, long dstOff);

    /** dst = 0. */
    void zero(int n, MemorySegment ws, long off);

    /** dst[j] = Σ_r src[r*ld + j] for r < rows, j < n. */
    void columnSums(int rows, int n, MemorySegment ws, long srcOff, int ld, long dstOff);
}
