package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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

    private final Arena arena;
    private final MemorySegment segment;
    private final Slot[] slots;

    PreparedWeights(RnnWeights weights) {
        RnnSpec spec = weights.spec();
        int gh = spec.gates() * spec.hiddenSize();
        int h = spec.hiddenSize();
        boolean lbr = spec.cell() == CellKind.GRU && spec.linearBeforeReset();
        slots = new Slot[spec.slots()];
        long next = 0;
        long[][] offsets = new long[spec.slots()][6];
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                long[] o = offsets[spec.slot(l, d)];
                long[] sizes = {(long) gh * spec.layerInputSize(l), (long) gh * spec.outputSize(), gh,
                        lbr ? h : 0, (long) spec.projSize() * h, spec.peepholes() ? 3L * h : 0};
                for (int k = 0; k < 6; k++) {
                    o[k] = sizes[k] == 0 ? -1 : next;
                    next += (sizes[k] + 15) / 16 * 16; // keep every tensor on a 64-byte boundary
                }
            }
        }
        arena = Arena.ofShared();
        segment = arena.allocate(Math.max(next, 1) * Float.BYTES, 64);
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
                slots[s] = new Slot(o[0], o[1], o[2], o[3], o[4], o[5]);
            }
        }
    }

    private void put(float[] a, long off) {
        MemorySegment.copy(a, 0, segment, ValueLayout.JAVA_FLOAT, off * Float.BYTES, a.length);
    }

    MemorySegment segment() {
        return segment;
    }

    Slot slot(int s) {
        return slots[s];
    }

    @Override
    public void close() {
        arena.close();
    }
}
