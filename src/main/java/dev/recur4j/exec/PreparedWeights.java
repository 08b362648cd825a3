package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.DepthRangedB;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.PreparedB;
import dev.recur4j.gemm.Transpose;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The engine's copy of the weights in native memory (one 64-byte aligned segment), made once at
 * construction so every GEMM runs on native operands. Biases are pre-summed where the math allows:
 * {@code bias = b_ih + b_hh} for every gate except GRU linear-before-reset's n gate, whose
 * {@code b_hn} must stay inside {@code r⊙(W_hn h + b_hn)} and is kept apart as {@code bhn}.
 * Without bias the bias regions hold zeros, so the kernels need no branch for it.
 */
final class PreparedWeights implements AutoCloseable {

    /**
     * Float offsets of one (layer, direction)'s tensors in {@link #segment()}; -1 when absent.
     *
     * @param wIh  [G*H, In]
     * @param wHh  [G*H, Hout]
     * @param bias [G*H]
     * @param bhn  [H], GRU linear-before-reset only
     * @param wHr  [P, H]
     * @param peep [3H] (i, f, o)
     */
    record Slot(long wIh, long wHh, long bias, long bhn, long wHr, long peep) {
    }

    /**
     * One (layer, direction)'s weights as GEMM right-hand operands, prepared once by the engine's
     * back end (packed for the java gemm), so no step re-packs a weight matrix. Each is op(B) = W^T.
     *
     * @param wIh  W_ih^T [In, G*H] (the up-front input projection); null with {@link InputFusion}
     * @param wHh  W_hh^T [Hout, G*H] (the recurrent product); null with {@link InputFusion}
     * @param wHrz GRU reset-before-linear: the r, z rows of W_hh, transposed [Hout, 2H]; else null
     * @param wHn  GRU reset-before-linear: W_hn^T [H, H]; else null
     * @param wHr  LSTM projection: W_hr^T [H, P]; else null
     * @param step with {@link InputFusion}, the step's product over [x_t | h] into a [B, 4H] row; else null. An
     *             LSTM's is one part, [W_ih | W_hh]^T [In + H, 4H]; a GRU's three, the r, z rows of [W_ih | W_hh]^T
     *             [In + H, 2H] over all of it, W_in^T [In, H] over x_t and W_hn^T [H, H] over h, for the row
     *             [W_i{r,z} x + W_h{r,z} h, W_in x, W_hn h] ({@link dev.recur4j.kernel.Kernels#gruJoinedForwardStep})
     */
    record Operands(PreparedB wIh, PreparedB wHh, PreparedB wHrz, PreparedB wHn, PreparedB wHr, DepthRangedB step) {
    }

    private final RnnSpec spec;
    private final Arena arena;
    private final MemorySegment segment;
    private final Slot[] slots;
    private final Operands[] operands;

    /**
     * With {@code fused} ({@link InputFusion#applies}) also the step's product over [x_t | h] per layer and direction
     * ({@link Operands#step}), for which the rows of [W_ih | W_hh] it multiplies by whole are copied side by side.
     */
    PreparedWeights(RnnWeights weights, Gemm gemm, boolean fused) {
        RnnSpec spec = weights.spec();
        this.spec = spec;
        int gh = spec.gates() * spec.hiddenSize();
        int h = spec.hiddenSize();
        boolean lbr = spec.cell() == CellKind.GRU && spec.linearBeforeReset();
        // rows of [W_ih | W_hh] side by side for the fused step: all of an LSTM's, a GRU's r and z
        int sideBySideRows = !fused ? 0 : lbr ? 2 * h : gh;
        slots = new Slot[spec.slots()];
        long[] xhOffsets = new long[spec.slots()];
        long next = 0;
        long[][] offsets = new long[spec.slots()][7];
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                long[] o = offsets[spec.slot(l, d)];
                long[] sizes = {(long) gh * spec.layerInputSize(l), (long) gh * spec.outputSize(), gh,
                        lbr ? h : 0, (long) spec.projSize() * h, spec.peepholes() ? 3L * h : 0,
                        (long) sideBySideRows * (spec.layerInputSize(l) + spec.outputSize())};
                for (int k = 0; k < 7; k++) {
                    o[k] = sizes[k] == 0 ? -1 : next;
                    next += (sizes[k] + 15) / 16 * 16; // keep every tensor on a 64-byte boundary
                }
            }
        }
        arena = Arena.ofShared();
        // Everything after the allocation can fail (the java gemm packs each matrix into a heap array: out of memory
        // with a large model); no instance then results to close, so the native copy is freed here, not leaked.
        try {
            long bytes = Math.max(next, 1) * Float.BYTES;
            try {
                segment = arena.allocate(bytes, 64);
            } catch (OutOfMemoryError e) {
                OutOfMemoryError named = new OutOfMemoryError("the engine's native copy of the weights of " + spec
                        + ", " + bytes + " bytes, could not be allocated: " + e.getMessage());
                named.initCause(e);
                throw named;
            }
            for (int l = 0; l < spec.numLayers(); l++) {
                for (int d = 0; d < spec.directions(); d++) {
                    int s = spec.slot(l, d);
                    long[] o = offsets[s];
                    LayerParams p = weights.layer(l, d);
                    put(p.wIh(), o[0]);
                    put(p.wHh(), o[1]);
                    if (p.bIh() != null) {
                        float[] sum = p.bIh().clone();
                        int summed = lbr ? 2 * h : gh; // b_hn stays apart for linear-before-reset
                        for (int j = 0; j < summed; j++) {
                            sum[j] += p.bHh()[j];
                        }
                        put(sum, o[2]);
                        if (lbr) {
                            MemorySegment.copy(p.bHh(), 2 * h, segment, ValueLayout.JAVA_FLOAT, o[3] * Float.BYTES, h);
                        }
                    }
                    if (p.wHr() != null) {
                        put(p.wHr(), o[4]);
                    }
                    if (p.wPeep() != null) {
                        put(p.wPeep(), o[5]);
                    }
                    if (sideBySideRows > 0) {
                        putSideBySide(p.wIh(), spec.layerInputSize(l), p.wHh(), spec.outputSize(), sideBySideRows,
                                o[6]);
                    }
                    slots[s] = new Slot(o[0], o[1], o[2], o[3], o[4], o[5]);
                    xhOffsets[s] = o[6];
                }
            }
            operands = new Operands[spec.slots()];
            int hout = spec.outputSize();
            boolean rbl = spec.cell() == CellKind.GRU && !spec.linearBeforeReset();
            for (int l = 0; l < spec.numLayers(); l++) {
                for (int d = 0; d < spec.directions(); d++) {
                    int s = spec.slot(l, d);
                    Slot w = slots[s];
                    int in = spec.layerInputSize(l);
                    // a fused layer's steps multiply by the step product alone: no packed W_ih^T, W_hh^T for them
                    operands[s] = new Operands(
                            fused ? null : gemm.prepareB(Transpose.YES, in, gh, segment, w.wIh(), in),
                            fused ? null : gemm.prepareB(Transpose.YES, hout, gh, segment, w.wHh(), hout),
                            rbl ? gemm.prepareB(Transpose.YES, hout, 2 * h, segment, w.wHh(), hout) : null,
                            rbl ? gemm.prepareB(Transpose.YES, h, h, segment, w.wHh() + 2L * h * h, h) : null,
                            spec.projSize() > 0 ? gemm.prepareB(Transpose.YES, h, spec.projSize(), segment, w.wHr(), h)
                                    : null,
                            !fused ? null : lbr ? gruStep(gemm, in, h, xhOffsets[s], w)
                                    : DepthRangedB.of(new PreparedB[] {gemm.prepareB(Transpose.YES, in + hout, gh,
                                            segment, xhOffsets[s], in + hout)}, new int[] {0}));
                }
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A GRU step's product over [x_t | h] (In + H wide): the r, z rows of [W_ih | W_hh] (side by side at xhOff) over
     * all of it, W_in over x_t, W_hn over h.
     */
    private DepthRangedB gruStep(Gemm gemm, int in, int h, long xhOff, Slot w) {
        return DepthRangedB.of(new PreparedB[] {
            gemm.prepareB(Transpose.YES, in + h, 2 * h, segment, xhOff, in + h),
            gemm.prepareB(Transpose.YES, in, h, segment, w.wIh() + 2L * h * in, in),
            gemm.prepareB(Transpose.YES, h, h, segment, w.wHh() + 2L * h * h, h)}, new int[] {0, 0, in});
    }

    /** The first {@code rows} rows of [a | b] ([rows, na] and [rows, nb] side by side) at off: row stride na + nb. */
    private void putSideBySide(float[] a, int na, float[] b, int nb, int rows, long off) {
        for (int r = 0; r < rows; r++) {
            long row = off + (long) r * (na + nb);
            MemorySegment.copy(a, r * na, segment, ValueLayout.JAVA_FLOAT, row * Float.BYTES, na);
            MemorySegment.copy(b, r * nb, segment, ValueLayout.JAVA_FLOAT, (row + na) * Float.BYTES, nb);
        }
    }

    private void put(float[] a, long off) {
        MemorySegment.copy(a, 0, segment, ValueLayout.JAVA_FLOAT, off * Float.BYTES, a.length);
    }

    MemorySegment segment() {
        return segment;
    }

    /**
     * The weights as this copy holds them, in PyTorch's layouts: the small-batch path packs its own copy at its first
     * call, and made from this one rather than from the caller's arrays, both paths compute with the weights as they
     * were when the engine was built. bias_ih comes back summed with bias_hh (except b_in of GRU linear-before-reset)
     * and bias_hh holds -0.0 there (b_hn for that GRU): -0.0 + x is x to the bit, so the small-batch path's sums are
     * this copy's.
     */
    RnnWeights snapshot() {
        int h = spec.hiddenSize();
        int gh = spec.gates() * h;
        LayerParams[] ps = new LayerParams[spec.slots()];
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                int s = spec.slot(l, d);
                Slot w = slots[s];
                float[] bIh = null;
                float[] bHh = null;
                if (spec.bias()) {
                    bIh = get(w.bias(), gh);
                    bHh = new float[gh];
                    Arrays.fill(bHh, -0.0f);
                    if (w.bhn() >= 0) {
                        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, w.bhn() * Float.BYTES, bHh, 2 * h, h);
                    }
                }
                ps[s] = new LayerParams(get(w.wIh(), (long) gh * spec.layerInputSize(l)),
                        get(w.wHh(), (long) gh * spec.outputSize()), bIh, bHh,
                        spec.projSize() > 0 ? get(w.wHr(), (long) spec.projSize() * h) : null,
                        spec.peepholes() ? get(w.peep(), 3L * h) : null);
            }
        }
        return new RnnWeights(spec, ps);
    }

    private float[] get(long off, long n) {
        float[] a = new float[Math.toIntExact(n)];
        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, off * Float.BYTES, a, 0, a.length);
        return a;
    }

    Slot slot(int s) {
        return slots[s];
    }

    Operands operands(int s) {
        return operands[s];
    }

    @Override
    public void close() {
        arena.close();
    }
}
