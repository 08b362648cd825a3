package dev.recur4j.kernel;

import static dev.recur4j.kernel.Activations.sigmoid;
import static dev.recur4j.kernel.Activations.tanh;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Plain-Java {@link GemvKernels} ({@code Impl.SCALAR}) with blocks of 8 units; equations and layouts
 * are on the interface. {@link VectorGemvKernels} overrides every method with the same arithmetic.
 */
public class ScalarGemvKernels implements GemvKernels {
    private static final int V = 8;

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int blockWidth() {
        return V;
    }

    @Override
    public void gemv(int g, int k, MemorySegment w, float[] h, int hOff, float[] acc, int accOff,
                     boolean accumulate, int jb0, int jb1) {
        int gv = g * V;
        for (int jb = jb0; jb < jb1; jb++) {
            int a = accOff + jb * gv;
            if (!accumulate) {
                java.util.Arrays.fill(acc, a, a + gv, 0f);
            }
            long p = (long) jb * k * gv;
            int kk = 0;
            // Four columns per pass over the gate row: a quarter of the acc loads and stores.
            for (; kk + 3 < k; kk += 4, p += 4 * gv) {
                float h0 = h[hOff + kk];
                float h1 = h[hOff + kk + 1];
                float h2 = h[hOff + kk + 2];
                float h3 = h[hOff + kk + 3];
                for (int e = 0; e < gv; e++) {
                    acc[a + e] += w.getAtIndex(JAVA_FLOAT, p + e) * h0
                            + w.getAtIndex(JAVA_FLOAT, p + gv + e) * h1
                            + w.getAtIndex(JAVA_FLOAT, p + 2 * gv + e) * h2
                            + w.getAtIndex(JAVA_FLOAT, p + 3 * gv + e) * h3;
                }
            }
            for (; kk < k; kk++, p += gv) {
                float hk = h[hOff + kk];
                for (int e = 0; e < gv; e++) {
                    acc[a + e] += w.getAtIndex(JAVA_FLOAT, p + e) * hk;
                }
            }
        }
    }

    @Override
    public void project(int g, int k, float[] w, float[] bias, float[] x, int xOff, int ldx, int rows,
                        float[] out, int outOff, int ldo, int jb0, int jb1) {
        int gv = g * V;
        for (int r = 0; r < rows; r++) {
            int o = outOff + r * ldo + jb0 * gv;
            if (bias == null) {
                java.util.Arrays.fill(out, o, o + (jb1 - jb0) * gv, 0f);
            } else {
                System.arraycopy(bias, jb0 * gv, out, o, (jb1 - jb0) * gv);
            }
        }
        gemvRows(g, k, w, x, xOff, ldx, rows, out, outOff, ldo, jb0, jb1);
    }

    private static void gemvRows(int g, int k, float[] w, float[] x, int xOff, int ldx, int rows,
                                 float[] out, int outOff, int ldo, int jb0, int jb1) {
        int gv = g * V;
        for (int r = 0; r < rows; r++) {
            for (int jb = jb0; jb < jb1; jb++) {
                int a = outOff + r * ldo + jb * gv;
                int p = jb * k * gv;
                for (int kk = 0; kk < k; kk++, p += gv) {
                    float xk = x[xOff + r * ldx + kk];
                    for (int e = 0; e < gv; e++) {
                        out[a + e] += w[p + e] * xk;
                    }
                }
            }
        }
    }

    @Override
    public void rnnCells(boolean relu, float[] a, int gOff, float[] hOut, int jb0, int jb1) {
        for (int j = jb0 * V; j < jb1 * V; j++) {
            float v = a[gOff + j];
            hOut[j] = relu ? Math.max(v, 0f) : tanh(v);
        }
    }

    @Override
    public void lstmCells(float[] a, int gOff, float[] peep, float[] c, float[] hOut, int jb0, int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int b = gOff + jb * 4 * V;
            int p = jb * 3 * V;
            for (int l = 0; l < V; l++) {
                int j = jb * V + l;
                float cp = c[j];
                float ai = a[b + l];
                float af = a[b + V + l];
                float ao = a[b + 3 * V + l];
                if (peep != null) {
                    ai += peep[p + l] * cp;
                    af += peep[p + V + l] * cp;
                }
                float cn = sigmoid(af) * cp + sigmoid(ai) * tanh(a[b + 2 * V + l]);
                if (peep != null) {
                    ao += peep[p + 2 * V + l] * cn;
                }
                c[j] = cn;
                hOut[j] = sigmoid(ao) * tanh(cn);
            }
        }
    }

    @Override
    public void gruCells(float[] x, int xOff, float[] rec, float[] bhn, float[] h, float[] hOut, int jb0, int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int b = jb * 3 * V;
            for (int l = 0; l < V; l++) {
                int j = jb * V + l;
                float r = sigmoid(x[xOff + b + l] + rec[b + l]);
                float z = sigmoid(x[xOff + b + V + l] + rec[b + V + l]);
                float hn = rec[b + 2 * V + l] + bhn[jb * V + l];
                float n = tanh(x[xOff + b + 2 * V + l] + r * hn);
                hOut[j] = (1 - z) * n + z * h[j];
            }
        }
    }

    @Override
    public void gruResetGates(float[] x, int xOff, float[] rec, float[] h, float[] rh, int jb0, int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int b = jb * 3 * V;
            int q = jb * 2 * V;
            for (int l = 0; l < V; l++) {
                int j = jb * V + l;
                float r = sigmoid(x[xOff + b + l] + rec[q + l]);
                rec[q + V + l] = sigmoid(x[xOff + b + V + l] + rec[q + V + l]);
                rh[j] = r * h[j];
            }
        }
    }

    @Override
    public void gruRbrCells(float[] x, int xOff, float[] rec, float[] recN, float[] h, float[] hOut, int jb0,
                            int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int b = jb * 3 * V;
            int q = jb * 2 * V;
            for (int l = 0; l < V; l++) {
                int j = jb * V + l;
                float z = rec[q + V + l];
                float n = tanh(x[xOff + b + 2 * V + l] + recN[j]);
                hOut[j] = (1 - z) * n + z * h[j];
            }
        }
    }
}
