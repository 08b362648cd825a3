package dev.recur4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API {@link GemvKernels} ({@code Impl.SIMD}): a block is one vector of V = {@code F.length()}
 * units, so a gate row of a block is g vectors. The GEMV keeps g (times the k-unroll) accumulators
 * in registers over the whole k loop and streams the packed weights once, sequentially: per k, one
 * broadcast of h[k] and g loads + FMAs. The k loop is unrolled so that at least 4 independent FMA
 * chains are in flight even for g = 1 (FMA latency 4, two FMA ports). Activations use the Vector
 * API's EXP and TANH, like {@link VectorKernels}.
 */
public final class VectorGemvKernels extends ScalarGemvKernels {
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int V = F.length();

    @Override
    public String name() {
        return "vector(" + F.vectorBitSize() + " bits)";
    }

    @Override
    public int blockWidth() {
        return V;
    }

    private static FloatVector ld(float[] a, int i) {
        return FloatVector.fromArray(F, a, i);
    }

    private static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(F, 1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    private static FloatVector tanh(FloatVector x) {
        return x.lanewise(VectorOperators.TANH);
    }

    private static FloatVector init(float[] acc, int i, boolean accumulate) {
        return accumulate ? ld(acc, i) : FloatVector.zero(F);
    }

    @Override
    public void gemv(int g, int k, float[] w, float[] h, int hOff, float[] acc, int accOff, boolean accumulate,
                     int jb0, int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int a = accOff + jb * g * V;
            int p = jb * k * g * V;
            switch (g) {
                case 4 -> gemv4(k, w, p, h, hOff, acc, a, accumulate);
                case 3 -> gemv3(k, w, p, h, hOff, acc, a, accumulate);
                case 2 -> gemv2(k, w, p, h, hOff, acc, a, accumulate);
                case 1 -> gemv1(k, w, p, h, hOff, acc, a, accumulate);
                default -> throw new IllegalArgumentException("gemv supports 1..4 gates, found " + g);
            }
        }
    }

    /** One block of 4 gates; k unrolled by 2 (8 chains). */
    private static void gemv4(int k, float[] w, int p, float[] h, int hOff, float[] acc, int a, boolean accumulate) {
        FloatVector a0 = init(acc, a, accumulate);
        FloatVector a1 = init(acc, a + V, accumulate);
        FloatVector a2 = init(acc, a + 2 * V, accumulate);
        FloatVector a3 = init(acc, a + 3 * V, accumulate);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = b0;
        FloatVector b2 = b0;
        FloatVector b3 = b0;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 8 * V) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            FloatVector x1 = FloatVector.broadcast(F, h[hOff + kk + 1]);
            a0 = ld(w, p).fma(x0, a0);
            a1 = ld(w, p + V).fma(x0, a1);
            a2 = ld(w, p + 2 * V).fma(x0, a2);
            a3 = ld(w, p + 3 * V).fma(x0, a3);
            b0 = ld(w, p + 4 * V).fma(x1, b0);
            b1 = ld(w, p + 5 * V).fma(x1, b1);
            b2 = ld(w, p + 6 * V).fma(x1, b2);
            b3 = ld(w, p + 7 * V).fma(x1, b3);
        }
        if (kk < k) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            a0 = ld(w, p).fma(x0, a0);
            a1 = ld(w, p + V).fma(x0, a1);
            a2 = ld(w, p + 2 * V).fma(x0, a2);
            a3 = ld(w, p + 3 * V).fma(x0, a3);
        }
        a0.add(b0).intoArray(acc, a);
        a1.add(b1).intoArray(acc, a + V);
        a2.add(b2).intoArray(acc, a + 2 * V);
        a3.add(b3).intoArray(acc, a + 3 * V);
    }

    /** One block of 3 gates; k unrolled by 2 (6 chains). */
    private static void gemv3(int k, float[] w, int p, float[] h, int hOff, float[] acc, int a, boolean accumulate) {
        FloatVector a0 = init(acc, a, accumulate);
        FloatVector a1 = init(acc, a + V, accumulate);
        FloatVector a2 = init(acc, a + 2 * V, accumulate);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = b0;
        FloatVector b2 = b0;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 6 * V) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            FloatVector x1 = FloatVector.broadcast(F, h[hOff + kk + 1]);
            a0 = ld(w, p).fma(x0, a0);
            a1 = ld(w, p + V).fma(x0, a1);
            a2 = ld(w, p + 2 * V).fma(x0, a2);
            b0 = ld(w, p + 3 * V).fma(x1, b0);
            b1 = ld(w, p + 4 * V).fma(x1, b1);
            b2 = ld(w, p + 5 * V).fma(x1, b2);
        }
        if (kk < k) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            a0 = ld(w, p).fma(x0, a0);
            a1 = ld(w, p + V).fma(x0, a1);
            a2 = ld(w, p + 2 * V).fma(x0, a2);
        }
        a0.add(b0).intoArray(acc, a);
        a1.add(b1).intoArray(acc, a + V);
        a2.add(b2).intoArray(acc, a + 2 * V);
    }

    /** One block of 2 gates; k unrolled by 2 (4 chains). */
    private static void gemv2(int k, float[] w, int p, float[] h, int hOff, float[] acc, int a, boolean accumulate) {
        FloatVector a0 = init(acc, a, accumulate);
        FloatVector a1 = init(acc, a + V, accumulate);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = b0;
        int kk = 0;
        for (; kk + 1 < k; kk += 2, p += 4 * V) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            FloatVector x1 = FloatVector.broadcast(F, h[hOff + kk + 1]);
            a0 = ld(w, p).fma(x0, a0);
            a1 = ld(w, p + V).fma(x0, a1);
            b0 = ld(w, p + 2 * V).fma(x1, b0);
            b1 = ld(w, p + 3 * V).fma(x1, b1);
        }
        if (kk < k) {
            FloatVector x0 = FloatVector.broadcast(F, h[hOff + kk]);
            a0 = ld(w, p).fma(x0, a0);
            a1 = ld(w, p + V).fma(x0, a1);
        }
        a0.add(b0).intoArray(acc, a);
        a1.add(b1).intoArray(acc, a + V);
    }

    /** One block of 1 gate; k unrolled by 4 (4 chains). */
    private static void gemv1(int k, float[] w, int p, float[] h, int hOff, float[] acc, int a, boolean accumulate) {
        FloatVector a0 = init(acc, a, accumulate);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = a1;
        FloatVector a3 = a1;
        int kk = 0;
        for (; kk + 3 < k; kk += 4, p += 4 * V) {
            a0 = ld(w, p).fma(FloatVector.broadcast(F, h[hOff + kk]), a0);
            a1 = ld(w, p + V).fma(FloatVector.broadcast(F, h[hOff + kk + 1]), a1);
            a2 = ld(w, p + 2 * V).fma(FloatVector.broadcast(F, h[hOff + kk + 2]), a2);
            a3 = ld(w, p + 3 * V).fma(FloatVector.broadcast(F, h[hOff + kk + 3]), a3);
        }
        for (; kk < k; kk++, p += V) {
            a0 = ld(w, p).fma(FloatVector.broadcast(F, h[hOff + kk]), a0);
        }
        a0.add(a1).add(a2.add(a3)).intoArray(acc, a);
    }

    /**
     * Four rows at a time share each weight load (4 FMAs per load); the remaining rows go one by
     * one. Called once per sequence for the input projection of all steps.
     */
    @Override
    public void project(int g, int k, float[] w, float[] bias, float[] x, int xOff, int ldx, int rows,
                        float[] out, int outOff, int ldo, int jb0, int jb1) {
        int gv = g * V;
        for (int jb = jb0; jb < jb1; jb++) {
            for (int gi = 0; gi < g; gi++) {
                int col = jb * gv + gi * V;
                FloatVector b = bias == null ? FloatVector.zero(F) : ld(bias, col);
                int p0 = jb * k * gv + gi * V;
                int r = 0;
                for (; r + 3 < rows; r += 4) {
                    int x0 = xOff + r * ldx;
                    FloatVector s0 = b;
                    FloatVector s1 = b;
                    FloatVector s2 = b;
                    FloatVector s3 = b;
                    int p = p0;
                    for (int kk = 0; kk < k; kk++, p += gv) {
                        FloatVector wv = ld(w, p);
                        s0 = wv.fma(FloatVector.broadcast(F, x[x0 + kk]), s0);
                        s1 = wv.fma(FloatVector.broadcast(F, x[x0 + ldx + kk]), s1);
                        s2 = wv.fma(FloatVector.broadcast(F, x[x0 + 2 * ldx + kk]), s2);
                        s3 = wv.fma(FloatVector.broadcast(F, x[x0 + 3 * ldx + kk]), s3);
                    }
                    int o = outOff + r * ldo + col;
                    s0.intoArray(out, o);
                    s1.intoArray(out, o + ldo);
                    s2.intoArray(out, o + 2 * ldo);
                    s3.intoArray(out, o + 3 * ldo);
                }
                for (; r < rows; r++) {
                    int x0 = xOff + r * ldx;
                    FloatVector s0 = b;
                    int p = p0;
                    for (int kk = 0; kk < k; kk++, p += gv) {
                        s0 = ld(w, p).fma(FloatVector.broadcast(F, x[x0 + kk]), s0);
                    }
                    s0.intoArray(out, outOff + r * ldo + col);
                }
            }
        }
    }

    @Override
    public void rnnCells(boolean relu, float[] a, int gOff, float[] hOut, int jb0, int jb1) {
        for (int j = jb0 * V; j < jb1 * V; j += V) {
            FloatVector v = ld(a, gOff + j);
            (relu ? v.max(0f) : tanh(v)).intoArray(hOut, j);
        }
    }

    @Override
    public void lstmCells(float[] a, int gOff, float[] peep, float[] c, float[] hOut, int jb0, int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int b = gOff + jb * 4 * V;
            int j = jb * V;
            FloatVector cp = ld(c, j);
            FloatVector ai = ld(a, b);
            FloatVector af = ld(a, b + V);
            FloatVector ao = ld(a, b + 3 * V);
            if (peep != null) {
                int p = jb * 3 * V;
                ai = ld(peep, p).fma(cp, ai);
                af = ld(peep, p + V).fma(cp, af);
            }
            FloatVector cn = sigmoid(af).mul(cp).add(sigmoid(ai).mul(tanh(ld(a, b + 2 * V))));
            if (peep != null) {
                ao = ld(peep, jb * 3 * V + 2 * V).fma(cn, ao);
            }
            cn.intoArray(c, j);
            sigmoid(ao).mul(tanh(cn)).intoArray(hOut, j);
        }
    }

    @Override
    public void gruCells(float[] x, int xOff, float[] rec, float[] bhn, float[] h, float[] hOut, int jb0, int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int b = jb * 3 * V;
            int j = jb * V;
            FloatVector r = sigmoid(ld(x, xOff + b).add(ld(rec, b)));
            FloatVector z = sigmoid(ld(x, xOff + b + V).add(ld(rec, b + V)));
            FloatVector hn = ld(rec, b + 2 * V);
            if (bhn != null) {
                hn = hn.add(ld(bhn, j));
            }
            FloatVector n = tanh(r.fma(hn, ld(x, xOff + b + 2 * V)));
            FloatVector hv = ld(h, j);
            // (1-z)⊙n + z⊙h = n + z⊙(h - n)
            z.fma(hv.sub(n), n).intoArray(hOut, j);
        }
    }

    @Override
    public void gruResetGates(float[] x, int xOff, float[] rec, float[] h, float[] rh, int jb0, int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int b = jb * 3 * V;
            int q = jb * 2 * V;
            int j = jb * V;
            FloatVector r = sigmoid(ld(x, xOff + b).add(ld(rec, q)));
            sigmoid(ld(x, xOff + b + V).add(ld(rec, q + V))).intoArray(rec, q + V);
            r.mul(ld(h, j)).intoArray(rh, j);
        }
    }

    @Override
    public void gruRbrCells(float[] x, int xOff, float[] rec, float[] recN, float[] h, float[] hOut, int jb0,
                            int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int j = jb * V;
            FloatVector z = ld(rec, jb * 2 * V + V);
            FloatVector n = tanh(ld(x, xOff + jb * 3 * V + 2 * V).add(ld(recN, j)));
            z.fma(ld(h, j).sub(n), n).intoArray(hOut, j);
        }
    }
}
