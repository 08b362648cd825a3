package dev.recur4j.ref;

import dev.recur4j.RnnSpec;

/**
 * The GRU cell, one step, in both variants:
 * <pre>
 * r  = σ(W_ir x + b_ir + W_hr h + b_hr)                 [H]
 * z  = σ(W_iz x + b_iz + W_hz h + b_hz)                 [H]
 * n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))        linear-before-reset (PyTorch)
 * n  = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)        reset-before-linear (ONNX default)
 * h' = (1 - z) ⊙ n + z ⊙ h
 * </pre>
 * Gate blocks of W_ih, W_hh and the biases are r, z, n (rows k*H .. k*H+H-1 for block k).
 *
 * <p>Backward, with a_k the pre-activation of gate k:
 * <pre>
 * dn = dh' ⊙ (1 - z);  dz = dh' ⊙ (h - n);  dh = dh' ⊙ z (plus the terms below)
 * da_n = dn ⊙ (1 - n²);  da_z = dz ⊙ z(1-z);  da_r = dr ⊙ r(1-r)
 * linear-before-reset, hn = W_hn h + b_hn:
 *   dr = da_n ⊙ hn;  d(hn) = da_n ⊙ r  → dW_hn += d(hn) hᵀ, db_hn += d(hn), dh += W_hnᵀ d(hn)
 * reset-before-linear, rh = r ⊙ h:
 *   d(rh) = W_hnᵀ da_n (dW_hn += da_n rhᵀ, db_hn += da_n);  dr = d(rh) ⊙ h;  dh += d(rh) ⊙ r
 * input side: [da_r, da_z, da_n] through W_ih, b_ih;  r and z blocks: [da_r, da_z] through W_hh, b_hh
 * </pre>
 */
final class GruCellNaive implements CellNaive {
    /** Gate blocks of W_ih, W_hh, b_ih and b_hh. */
    private static final int R = 0;
    private static final int Z = 1;
    private static final int N = 2;

    private final int hidden;
    private final boolean linearBeforeReset;
    private final DoubleLayerParams p;

    /**
     * Everything one forward step computes, each [H]. {@code hn} = W_hn h + b_hn (linear-before-reset
     * only) and {@code rh} = r ⊙ h (reset-before-linear only); the other one is null.
     */
    private record Step(double[] r, double[] z, double[] n, double[] hn, double[] rh, double[] h) {
    }

    GruCellNaive(RnnSpec spec, DoubleLayerParams p) {
        this.hidden = spec.hiddenSize();
        this.linearBeforeReset = spec.linearBeforeReset();
        this.p = p;
    }

    @Override
    public State forwardStep(double[] x, State prev) {
        return new State(compute(x, prev.h()).h(), null);
    }

    private Step compute(double[] x, double[] h) {
        double[] ar = preActivation(R, x, h);
        double[] az = preActivation(Z, x, h);
        double[] xn = NaiveOps.affine(p.wIh(), p.bIh(), N * hidden, hidden, x);
        double[] r = new double[hidden];
        double[] z = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            r[j] = NaiveOps.sigmoid(ar[j]);
            z[j] = NaiveOps.sigmoid(az[j]);
        }
        double[] hn = null;
        double[] rh = null;
        double[] an;
        if (linearBeforeReset) {
            hn = NaiveOps.affine(p.wHh(), p.bHh(), N * hidden, hidden, h);
            an = NaiveOps.plus(xn, NaiveOps.times(r, hn));
        } else {
            rh = NaiveOps.times(r, h);
            an = NaiveOps.plus(xn, NaiveOps.affine(p.wHh(), p.bHh(), N * hidden, hidden, rh));
        }
        double[] n = new double[hidden];
        double[] hNew = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            n[j] = Math.tanh(an[j]);
            hNew[j] = (1 - z[j]) * n[j] + z[j] * h[j];
        }
        return new Step(r, z, n, hn, rh, hNew);
    }

    @Override
    public StepGrads backwardStep(double[] x, State prev, State dNext, DoubleLayerParams grads) {
        double[] h = prev.h();
        Step s = compute(x, h);
        double[] dhNew = dNext.h();
        double[] dh = new double[hidden];
        double[] dan = new double[hidden];
        double[] daz = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            double z = s.z()[j];
            double n = s.n()[j];
            // h' = (1 - z) ⊙ n + z ⊙ h
            double dn = dhNew[j] * (1 - z);
            double dz = dhNew[j] * (h[j] - n);
            dh[j] = dhNew[j] * z;
            dan[j] = dn * (1 - n * n);
            daz[j] = dz * z * (1 - z);
        }
        double[] dr;
        if (linearBeforeReset) {
            // a_n = W_in x + b_in + r ⊙ hn
            dr = NaiveOps.times(dan, s.hn());
            double[] dhn = NaiveOps.times(dan, s.r());
            NaiveOps.affineBackward(p.wHh(), grads.wHh(), grads.bHh(), N * hidden, dhn, h, dh);
        } else {
            // a_n = W_in x + b_in + W_hn rh + b_hn, rh = r ⊙ h
            double[] drh = new double[hidden];
            NaiveOps.affineBackward(p.wHh(), grads.wHh(), grads.bHh(), N * hidden, dan, s.rh(), drh);
            dr = NaiveOps.times(drh, h);
            NaiveOps.addInto(dh, NaiveOps.times(drh, s.r()));
        }
        double[] dar = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            double r = s.r()[j];
            dar[j] = dr[j] * r * (1 - r);
        }
        double[] dx = new double[x.length];
        NaiveOps.affineBackward(p.wIh(), grads.wIh(), grads.bIh(), R * hidden, dar, x, dx);
        NaiveOps.affineBackward(p.wIh(), grads.wIh(), grads.bIh(), Z * hidden, daz, x, dx);
        NaiveOps.affineBackward(p.wIh(), grads.wIh(), grads.bIh(), N * hidden, dan, x, dx);
        NaiveOps.affineBackward(p.wHh(), grads.wHh(), grads.bHh(), R * hidden, dar, h, dh);
        NaiveOps.affineBackward(p.wHh(), grads.wHh(), grads.bHh(), Z * hidden, daz, h, dh);
        return new StepGrads(dx, dh, null);
    }

    /** W_ik x + b_ik + W_hk h + b_hk for gate block k (r or z). */
    private double[] preActivation(int k, double[] x, double[] h) {
        return NaiveOps.plus(NaiveOps.affine(p.wIh(), p.bIh(), k * hidden, hidden, x),
                NaiveOps.affine(p.wHh(), p.bHh(), k * hidden, hidden, h));
    }
}
