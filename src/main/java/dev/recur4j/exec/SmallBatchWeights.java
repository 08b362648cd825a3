package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnSpec;

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
 */
final class SmallBatchWeights {
    final float[] wIh;
    final float[] bias;
    final float[] wHh;
    final float[] wHhN;
    final float[] bhn;
    final float[] peep;

    SmallBatchWeights(RnnSpec spec, int layer, LayerParams p, int v) {
        int h = spec.hiddenSize();
        int g = spec.gates();
        boolean splitN = spec.cell() == CellKind.GRU && !spec.linearBeforeReset();
        boolean lbr = spec.cell() == CellKind.GRU && spec.linearBeforeReset();
        this.wIh = packMatrix(p.wIh(), h, spec.layerInputSize(layer), 0, g, v);
        this.wHh = packMatrix(p.wHh(), h, h, 0, splitN ? 2 : g, v);
        this.wHhN = splitN ? packMatrix(p.wHh(), h, h, 2, 1, v) : null;
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
