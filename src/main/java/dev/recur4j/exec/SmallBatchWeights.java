package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One (layer, direction)'s parameters packed for {@link dev.recur4j.kernel.GemvKernels}: matrices as
 * [nb][K][g][V] (all gates of a V-unit block adjacent for each k), vectors as gate rows [nb][g][V]
 * (layouts on {@code GemvKernels}); units past H are zero. Biases that sit outside the recurrent
 * product are summed once into {@code bias}, which the input projection starts from.
 *
 * <pre>
 * wIh   [nb][In][G][V]   W_ih
 * bias  [nb][G][V]       b_ih + b_hh, except GRU linear-before-reset: b_in alone for n; null without bias
 * wHh   [nb][H][Gh][V]   W_hh; Gh = G, or 2 (W_hr, W_hz) for GRU reset-before-linear
 * wHhN  [nb][H][1][V]    W_hn for GRU reset-before-linear, else null
 * bhn   [nb][1][V]       b_hn for GRU linear-before-reset (zeros without bias), else null
 * peep  [nb][3][V]       LSTM peepholes (i, f, o), else null
 * </pre>
 *
 * <p>W_hh and W_hn, which every step streams whole, live in native memory aligned to 64 bytes, so
 * no 512-bit load straddles two cache lines. A heap array starts wherever the allocator puts it, a
 * different offset in each JVM. On W1 (Zen 5, calls of both builds in blocks of 40 in one JVM) this
 * copy ran 2–10 % faster with 1 thread than a heap W_hh at 8 to 56 bytes past a line (1 % faster
 * than one that happened to be aligned), 5–13 % faster with 2 threads. {@link #close()} frees them;
 * a closed instance fails on use. The other parameters are read once per sequence or are small,
 * and stay on the heap.
 */
final class SmallBatchWeights implements AutoCloseable {
    final float[] wIh;
    final float[] bias;
    final MemorySegment wHh;
    final MemorySegment wHhN;
    final float[] bhn;
    final float[] peep;

    private final Arena arena;

    SmallBatchWeights(RnnSpec spec, int layer, LayerParams p, int v) {
        int h = spec.hiddenSize();
        int g = spec.gates();
        boolean splitN = spec.cell() == CellKind.GRU && !spec.linearBeforeReset();
        boolean lbr = spec.cell() == CellKind.GRU && spec.linearBeforeReset();
        this.wIh = packMatrix(p.wIh(), h, spec.layerInputSize(layer), 0, g, v);
        float[] hh = packMatrix(p.wHh(), h, h, 0, splitN ? 2 : g, v);
        float[] hhN = splitN ? packMatrix(p.wHh(), h, h, 2, 1, v) : null;
        if (spec.bias()) {
            float[] sum = p.bIh().clone();
            int summed = lbr ? 2 * h : g * h; // b_hn stays inside r⊙(W_hn h + b_hn)
            for (int i = 0; i < summed; i++) {
                sum[i] += p.bHh()[i];
            }
            this.bias = packVector(sum, h, 0, g, v);
            this.bhn = lbr ? packVector(p.bHh(), h, 2, 1, v) : null;
        } else {
            this.bias = null;
            this.bhn = lbr ? new float[(h + v - 1) / v * v] : null;
        }
        this.peep = spec.peepholes() ? packVector(p.wPeep(), h, 0, 3, v) : null;
        // Native memory last, after every heap array, and freed if its second allocation fails: no instance results
        // to close it.
        Arena a = Arena.ofShared();
        try {
            this.wHh = aligned(a, hh);
            this.wHhN = hhN == null ? null : aligned(a, hhN);
        } catch (RuntimeException | Error e) {
            a.close();
            throw e;
        }
        this.arena = a;
    }

    private static MemorySegment aligned(Arena arena, float[] a) {
        MemorySegment m = arena.allocate((long) a.length * Float.BYTES, 64);
        MemorySegment.copy(a, 0, m, ValueLayout.JAVA_FLOAT, 0, a.length);
        return m;
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Gates [from, from+g) of a PyTorch [G*H, K] matrix as [nb][K][g][V]. */
    static float[] packMatrix(float[] w, int h, int k, int from, int g, int v) {
        int nb = (h + v - 1) / v;
        float[] out = new float[nb * k * g * v];
        for (int gi = 0; gi < g; gi++) {
            for (int j = 0; j < h; j++) {
                int src = ((from + gi) * h + j) * k;
                int jb = j / v;
                int l = j % v;
                for (int kk = 0; kk < k; kk++) {
                    out[((jb * k + kk) * g + gi) * v + l] = w[src + kk];
                }
            }
        }
        return out;
    }

    /** Gates [from, from+g) of a [G*H] vector as the gate row [nb][g][V]. */
    static float[] packVector(float[] a, int h, int from, int g, int v) {
        int nb = (h + v - 1) / v;
        float[] out = new float[nb * g * v];
        for (int gi = 0; gi < g; gi++) {
            for (int j = 0; j < h; j++) {
                out[((j / v) * g + gi) * v + j % v] = a[(from + gi) * h + j];
            }
        }
        return out;
    }
}
