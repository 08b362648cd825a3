package dev.recur4j.ref;

import dev.recur4j.RnnSpec;

/**
 * The LSTM cell, one step, with optional peepholes (p_i, p_f, p_o) and projection (W_hr):
 * <pre>
 * i      = σ(W_ii x + b_ii + W_hi h + b_hi + p_i ⊙ c)     [H]   (p terms only with peepholes)
 * f      = σ(W_if x + b_if + W_hf h + b_hf + p_f ⊙ c)     [H]
 * g      = tanh(W_ig x + b_ig + W_hg h + b_hg)            [H]
 * c'     = f ⊙ c + i ⊙ g                                   [H]
 * o      = σ(W_io x + b_io + W_ho h + b_ho + p_o ⊙ c')    [H]
 * h_full = o ⊙ tanh(c')                                    [H]
 * h'     = W_hr h_full  with projection, else h_full       [Hout]
 * </pre>
 * Gate blocks of W_ih, W_hh and the biases are i, f, g, o (rows k*H .. k*H+H-1 for block k);
 * wPeep holds p_i, p_f, p_o.
 *
 * <p>Backward, with a_k the pre-activation of gate k and σ' = σ(1-σ), tanh' = 1 - tanh²:
 * <pre>
 * dh_full = W_hrᵀ dh' (dW_hr += dh' h_fullᵀ)  with projection, else dh'
 * da_o    = dh_full ⊙ tanh(c') ⊙ o(1-o)
 * dc'     = dc'_next + dh_full ⊙ o ⊙ (1 - tanh²(c')) + p_o ⊙ da_o
 * da_i    = dc' ⊙ g ⊙ i(1-i);  da_f = dc' ⊙ c ⊙ f(1-f);  da_g = dc' ⊙ i ⊙ (1-g²)
 * dc      = dc' ⊙ f + p_i ⊙ da_i + p_f ⊙ da_f
 * dp_i += da_i ⊙ c;  dp_f += da_f ⊙ c;  dp_o += da_o ⊙ c'
 * da = [da_i, da_f, da_g, da_o]:  dW_ih += da xᵀ, dW_hh += da hᵀ, db_ih = db_hh += da,
 * dx = W_ihᵀ da, dh = W_hhᵀ da
 * </pre>
 */
final class LstmCellNaive implements CellNaive {
    /** Gate blocks of W_ih, W_hh, b_ih and b_hh. */
    private static final int I = 0;
    private static final int F = 1;
    private static final int G = 2;
    private static final int O = 3;
    /** Blocks of wPeep. */
    private static final int PEEP_I = 0;
    private static final int PEEP_F = 1;
    private static final int PEEP_O = 2;

    private final int hidden;
    private final int proj;
    private final DoubleLayerParams p;

    /** Everything one forward step computes; each array is [H] except h [Hout]. */
    private record Step(double[] i, double[] f, double[] g, double[] o, double[] cNew, double[] tanhC,
                        double[] hFull, double[] h) {
    }

    LstmCellNaive(RnnSpec spec, DoubleLayerParams p) {
        this.hidden = spec.hiddenSize();
        this.proj = spec.projSize();
        this.p = p;
    }

    @Override
    public State forwardStep(double[] x, State prev) {
        Step s = compute(x, prev);
        return new State(s.h(), s.cNew());
    }

    private Step compute(double[] x, State prev) {
        double[] c = prev.c();
        double[] ai = preActivation(I, x, prev.h());
        double[] af = preActivation(F, x, prev.h());
        double[] ag = preActivation(G, x, prev.h());
        double[] ao = preActivation(O, x, prev.h());
        double[] i = new double[hidden];
        double[] f = new double[hidden];
        double[] g = new double[hidden];
        double[] o = new double[hidden];
        double[] cNew = new double[hidden];
        double[] tanhC = new double[hidden];
        double[] hFull = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            i[j] = NaiveOps.sigmoid(ai[j] + peephole(PEEP_I, j) * c[j]);
            f[j] = NaiveOps.sigmoid(af[j] + peephole(PEEP_F, j) * c[j]);
            g[j] = Math.tanh(ag[j]);
            cNew[j] = f[j] * c[j] + i[j] * g[j];
            o[j] = NaiveOps.sigmoid(ao[j] + peephole(PEEP_O, j) * cNew[j]);
            tanhC[j] = Math.tanh(cNew[j]);
            hFull[j] = o[j] * tanhC[j];
        }
        double[] h = proj > 0 ? NaiveOps.affine(p.wHr(), null, 0, proj, hFull) : hFull;
        return new Step(i, f, g, o, cNew, tanhC, hFull, h);
    }

    @Override
    public StepGrads backwardStep(double[] x, State prev, State dNext, DoubleLayerParams grads) {
        Step s = compute(x, prev);
        double[] c = prev.c();
        double[] dhFull;
        if (proj > 0) {
            dhFull = new double[hidden];
            NaiveOps.affineBackward(p.wHr(), grads.wHr(), null, 0, dNext.h(), s.hFull(), dhFull);
        } else {
            dhFull = dNext.h().clone();
        }
        double[] dai = new double[hidden];
        double[] daf = new double[hidden];
        double[] dag = new double[hidden];
        double[] dao = new double[hidden];
        double[] dc = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            double i = s.i()[j];
            double f = s.f()[j];
            double g = s.g()[j];
            double o = s.o()[j];
            double tanhC = s.tanhC()[j];
            // h_full = o ⊙ tanh(c')
            dao[j] = dhFull[j] * tanhC * o * (1 - o);
            // c' reaches the loss through the next step / c_n, through h_full, and through o's peephole
            double dcNew = dNext.c()[j] + dhFull[j] * o * (1 - tanhC * tanhC) + peephole(PEEP_O, j) * dao[j];
            // c' = f ⊙ c + i ⊙ g
            dai[j] = dcNew * g * i * (1 - i);
            daf[j] = dcNew * c[j] * f * (1 - f);
            dag[j] = dcNew * i * (1 - g * g);
            // c reaches c' directly and through the i and f peepholes
            dc[j] = dcNew * f + peephole(PEEP_I, j) * dai[j] + peephole(PEEP_F, j) * daf[j];
            if (grads.wPeep() != null) {
                grads.wPeep()[PEEP_I * hidden + j] += dai[j] * c[j];
                grads.wPeep()[PEEP_F * hidden + j] += daf[j] * c[j];
                grads.wPeep()[PEEP_O * hidden + j] += dao[j] * s.cNew()[j];
            }
        }
        double[] dx = new double[x.length];
        double[] dh = new double[prev.h().length];
        double[][] da = {dai, daf, dag, dao};
        for (int k = 0; k < 4; k++) {
            NaiveOps.affineBackward(p.wIh(), grads.wIh(), grads.bIh(), k * hidden, da[k], x, dx);
            NaiveOps.affineBackward(p.wHh(), grads.wHh(), grads.bHh(), k * hidden, da[k], prev.h(), dh);
        }
        return new StepGrads(dx, dh, dc);
    }

    /** W_ik x + b_ik + W_hk h + b_hk for gate block k. */
    private double[] preActivation(int k, double[] x, double[] h) {
        return NaiveOps.plus(NaiveOps.affine(p.wIh(), p.bIh(), k * hidden, hidden, x),
                NaiveOps.affine(p.wHh(), p.bHh(), k * hidden, hidden, h));
    }

    /** Peephole weight of block {@code block} for unit j, or 0 without peepholes. */
    private double peephole(int block, int j) {
        return p.wPeep() == null ? 0.0 : p.wPeep()[block * hidden + j];
    }
}
