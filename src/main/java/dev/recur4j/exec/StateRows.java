package dev.recur4j.exec;

import dev.recur4j.kernel.Kernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Batch rows [b0, b1) of a running state [B, n] in the workspace (h, c, dh, dc) against a caller's
 * array [slots, B, n] (h0, c0, h_n, c_n, their gradients), one (layer, direction) slot at a time.
 * The forward pass and BPTT load their initial states and store their final ones through here.
 */
final class StateRows {
    private StateRows() {
    }

    /** ws rows [b0, b1) at off = init[slot] rows [b0, b1), or zeros when init is null. */
    static void load(Kernels k, MemorySegment ws, long off, float[] init, int slot, int bN, int n, int b0, int b1) {
        long dst = off + (long) b0 * n;
        int len = (b1 - b0) * n;
        if (init == null) {
            k.zero(len, ws, dst);
        } else {
            MemorySegment.copy(init, (slot * bN + b0) * n, ws, ValueLayout.JAVA_FLOAT, dst * Float.BYTES, len);
        }
    }

    /** dst[slot] rows [b0, b1) = ws rows [b0, b1) at off. */
    static void store(MemorySegment ws, long off, float[] dst, int slot, int bN, int n, int b0, int b1) {
        MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, (off + (long) b0 * n) * Float.BYTES, dst, (slot * bN + b0) * n,
                (b1 - b0) * n);
    }
}
