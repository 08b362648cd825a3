package dev.recur4j.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import org.junit.jupiter.api.Test;

/**
 * Tiny cases whose expected values are written out by hand from the equations, with small
 * integer-friendly weights, independently of the reference's code. Shapes are chosen so that a
 * transposed matrix or a swapped gate block changes the result (H = 2 cases use asymmetric W_hh).
 *
 * <p>Tolerance: the expected values evaluate the same real-number expressions as the reference,
 * only with sums in a different order, so they agree to a few units of double rounding; 1e-14 is
 * ~50 ulps at these magnitudes (|values| &lt;= 2), far below any formula error.
 */
class HandComputedTest {
    private static final double TOL = 1e-14;

    private static double sigmoid(double a) {
        return 1 / (1 + Math.exp(-a));
    }

    /** One (layer, direction)'s parameters, as written in a test. */
    private static DoubleWeights weights(RnnSpec spec, DoubleLayerParams... perSlot) {
        return new DoubleWeights(spec, perSlot);
    }

    @Test
    void peepholeLstmTwoSteps() {
        // H = 1, I = 1; gate blocks i, f, g, o; peepholes p_i, p_f, p_o.
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 1, 1).peepholes(true).build();
        DoubleLayerParams p = new DoubleLayerParams(
                new double[] {1, 0.5, 2, -0.5},   // W_ii, W_if, W_ig, W_io
                new double[] {0.5, 0, 1, 0.5},    // W_hi, W_hf, W_hg, W_ho
                new double[] {0, 1, 0, 0},        // b_ii, b_if, b_ig, b_io
                new double[] {0, 0, 0, 0.5},      // b_hi, b_hf, b_hg, b_ho
                null,
                new double[] {0.5, -0.5, 1});     // p_i, p_f, p_o
        DoubleBatch in = new DoubleBatch(1, 2, new double[] {1, -1}, null, new double[] {0}, new double[] {0.5});

        DoubleResult r = new ReferenceModel(weights(spec, p)).forward(in);

        // Step 1: x = 1, h = 0, c = 0.5.
        double i1 = sigmoid(1 * 1 + 0.5 * 0 + 0.5 * 0.5);           // W_ii x + W_hi h + p_i c = 1.25
        double f1 = sigmoid(0.5 * 1 + 1 + 0 * 0 - 0.5 * 0.5);       // W_if x + b_if + W_hf h + p_f c = 1.25
        double g1 = Math.tanh(2 * 1 + 1 * 0);                       // W_ig x + W_hg h = 2
        double c1 = f1 * 0.5 + i1 * g1;
        double o1 = sigmoid(-0.5 * 1 + 0.5 * 0 + 0.5 + 1 * c1);     // W_io x + W_ho h + b_ho + p_o c1 = c1
        double h1 = o1 * Math.tanh(c1);
        // Step 2: x = -1, h = h1, c = c1.
        double i2 = sigmoid(1 * -1 + 0.5 * h1 + 0.5 * c1);
        double f2 = sigmoid(0.5 * -1 + 1 + 0 * h1 - 0.5 * c1);
        double g2 = Math.tanh(2 * -1 + 1 * h1);
        double c2 = f2 * c1 + i2 * g2;
        double o2 = sigmoid(-0.5 * -1 + 0.5 * h1 + 0.5 + 1 * c2);
        double h2 = o2 * Math.tanh(c2);

        assertEquals(h1, r.output()[0], TOL);
        assertEquals(h2, r.output()[1], TOL);
        assertEquals(h2, r.hN()[0], TOL);
        assertEquals(c2, r.cN()[0], TOL);
    }

    /** H = 2, I = 1 GRU weights shared by the two variants; W_hn = [[0, 1], [2, 0]] is asymmetric. */
    private static DoubleLayerParams gruParams() {
        return new DoubleLayerParams(
                new double[] {1, 0, 0.5, -1, 2, 1},      // W_ir = (1, 0), W_iz = (0.5, -1), W_in = (2, 1)
                new double[] {1, 0, 0, 0,                // W_hr = [[1, 0], [0, 0]]
                              0, 0, 0, 0,                // W_hz = 0
                              0, 1, 2, 0},               // W_hn = [[0, 1], [2, 0]]
                new double[] {0, 0, 0, 0, 0, 0},         // b_ih = 0
                new double[] {0, 0, 0, 0, 0.5, 0},       // b_hn = (0.5, 0)
                null, null);
    }

    @Test
    void resetBeforeLinearGruTwoSteps() {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 1, 2).linearBeforeReset(false).build();
        DoubleBatch in = new DoubleBatch(1, 2, new double[] {1, -1}, null, new double[] {0.5, -1}, null);

        DoubleResult r = new ReferenceModel(weights(spec, gruParams())).forward(in);

        // Step 1: x = 1, h = (0.5, -1).
        double r0 = sigmoid(1 * 1 + (1 * 0.5 + 0 * -1));   // W_ir x + W_hr h, unit 0 = 1.5
        double r1 = sigmoid(0 * 1 + (0 * 0.5 + 0 * -1));   // unit 1 = 0
        double z0 = sigmoid(0.5 * 1);
        double z1 = sigmoid(-1 * 1);
        double rh0 = r0 * 0.5;                               // r ⊙ h
        double rh1 = r1 * -1;
        double n0 = Math.tanh(2 * 1 + (0 * rh0 + 1 * rh1) + 0.5);   // W_in x + W_hn (r⊙h) + b_hn
        double n1 = Math.tanh(1 * 1 + (2 * rh0 + 0 * rh1) + 0);
        double a = (1 - z0) * n0 + z0 * 0.5;                 // h' = (1-z) n + z h
        double b = (1 - z1) * n1 + z1 * -1;
        // Step 2: x = -1, h = (a, b).
        double r0s = sigmoid(1 * -1 + (1 * a + 0 * b));
        double r1s = sigmoid(0);
        double z0s = sigmoid(0.5 * -1);
        double z1s = sigmoid(-1 * -1);
        double n0s = Math.tanh(2 * -1 + (0 * r0s * a + 1 * r1s * b) + 0.5);
        double n1s = Math.tanh(1 * -1 + (2 * r0s * a + 0 * r1s * b) + 0);
        double a2 = (1 - z0s) * n0s + z0s * a;
        double b2 = (1 - z1s) * n1s + z1s * b;

        // output [B=1, T=2, H=2]
        assertEquals(a, r.output()[0], TOL);
        assertEquals(b, r.output()[1], TOL);
        assertEquals(a2, r.output()[2], TOL);
        assertEquals(b2, r.output()[3], TOL);
        assertEquals(a2, r.hN()[0], TOL);
        assertEquals(b2, r.hN()[1], TOL);
    }

    @Test
    void linearBeforeResetGruDiffersFromResetBeforeLinear() {
        DoubleBatch in = new DoubleBatch(1, 1, new double[] {1}, null, new double[] {0.5, -1}, null);
        RnnSpec lbr = RnnSpec.builder(CellKind.GRU, 1, 2).linearBeforeReset(true).build();
        RnnSpec rbl = RnnSpec.builder(CellKind.GRU, 1, 2).linearBeforeReset(false).build();

        double[] hLbr = new ReferenceModel(weights(lbr, gruParams())).forward(in).output();
        double[] hRbl = new ReferenceModel(weights(rbl, gruParams())).forward(in).output();

        // Same r and z as step 1 above.
        double r0 = sigmoid(1.5);
        double r1 = sigmoid(0);
        double z0 = sigmoid(0.5);
        double z1 = sigmoid(-1);
        // linear-before-reset: hn = W_hn h + b_hn = (0*0.5 + 1*-1 + 0.5, 2*0.5 + 0*-1) = (-0.5, 1); n = tanh(W_in x + r ⊙ hn)
        double n0Lbr = Math.tanh(2 + r0 * -0.5);
        double n1Lbr = Math.tanh(1 + r1 * 1);
        // reset-before-linear: n = tanh(W_in x + W_hn (r ⊙ h) + b_hn), r ⊙ h = (0.5 r0, -r1)
        double n0Rbl = Math.tanh(2 + (-r1) + 0.5);
        double n1Rbl = Math.tanh(1 + 2 * 0.5 * r0);
        assertEquals((1 - z0) * n0Lbr + z0 * 0.5, hLbr[0], TOL);
        assertEquals((1 - z1) * n1Lbr - z1, hLbr[1], TOL);
        assertEquals((1 - z0) * n0Rbl + z0 * 0.5, hRbl[0], TOL);
        assertEquals((1 - z1) * n1Rbl - z1, hRbl[1], TOL);
        // The variants differ here by ~0.017 (unit 0) and ~0.031 (unit 1), far above rounding.
        assertTrue(Math.abs(hLbr[0] - hRbl[0]) > 1e-3, "unit 0 should differ");
        assertTrue(Math.abs(hLbr[1] - hRbl[1]) > 1e-3, "unit 1 should differ");
    }

    @Test
    void rnnTanhLayout() {
        // H = 2, I = 2: W_ih = [[1, 2], [0, -1]], W_hh = [[0.5, 0], [1, 0]] (row j = unit j).
        RnnSpec spec = RnnSpec.builder(CellKind.RNN_TANH, 2, 2).build();
        DoubleLayerParams p = new DoubleLayerParams(new double[] {1, 2, 0, -1}, new double[] {0.5, 0, 1, 0},
                new double[] {0, 0.5}, new double[] {0.5, 0}, null, null);
        DoubleBatch in = new DoubleBatch(1, 1, new double[] {1, -0.5}, null, new double[] {1, 2}, null);

        double[] h = new ReferenceModel(weights(spec, p)).forward(in).output();

        assertEquals(Math.tanh(1 * 1 + 2 * -0.5 + 0 + 0.5 * 1 + 0 * 2 + 0.5), h[0], TOL);    // tanh(1)
        assertEquals(Math.tanh(0 * 1 + -1 * -0.5 + 0.5 + 1 * 1 + 0 * 2 + 0), h[1], TOL);     // tanh(2)
    }

    @Test
    void reluGradientAtExactlyZeroIsZero() {
        // a = W_ih x + b_ih = 1*1 - 1 = 0 exactly: relu'(0) = 0 (PyTorch), so nothing flows back through a.
        RnnSpec spec = RnnSpec.builder(CellKind.RNN_RELU, 1, 1).build();
        DoubleLayerParams p = new DoubleLayerParams(new double[] {1}, new double[] {0}, new double[] {-1},
                new double[] {0}, null, null);
        DoubleBatch in = new DoubleBatch(1, 1, new double[] {1}, null, null, null);

        DoubleGradients g = new ReferenceModel(weights(spec, p))
                .forwardBackward(in, new DoubleGradOutput(new double[] {1}, null, null)).gradients();

        assertEquals(0.0, g.gradInput()[0]);
        assertEquals(0.0, g.params().layer(0, 0).bIh()[0]);
        assertEquals(0.0, g.params().layer(0, 0).wIh()[0]);
    }

    @Test
    void bidirectionalRnnWithShortSequence() {
        // H = 1, I = 1, T = 2, sequences of length 2 and 1. Forward weights (w, u) = (1, 0.5), reverse (2, -1), no bias.
        RnnSpec spec = RnnSpec.builder(CellKind.RNN_TANH, 1, 1).bidirectional(true).bias(false).build();
        DoubleLayerParams fwd = new DoubleLayerParams(new double[] {1}, new double[] {0.5}, null, null, null, null);
        DoubleLayerParams rev = new DoubleLayerParams(new double[] {2}, new double[] {-1}, null, null, null, null);
        // input [B=2, T=2, 1]: sequence 0 = (0.5, -1); sequence 1 = (1, pad 7)
        DoubleBatch in = new DoubleBatch(2, 2, new double[] {0.5, -1, 1, 7}, new int[] {2, 1}, null, null);

        DoubleResult r = new ReferenceModel(weights(spec, fwd, rev)).forward(in);

        // sequence 0, forward t = 0, 1; reverse t = 1, 0
        double f0 = Math.tanh(1 * 0.5);
        double f1 = Math.tanh(1 * -1 + 0.5 * f0);
        double r1 = Math.tanh(2 * -1);
        double r0 = Math.tanh(2 * 0.5 + -1 * r1);
        // sequence 1 (length 1): both directions see only x = 1 from the zero state; the pad is never read
        double g0 = Math.tanh(1 * 1);
        double s0 = Math.tanh(2 * 1);
        // output [B, T, 2]: [forward | reverse] per step, zero at the padded step
        double[] expectedOut = {f0, r0, f1, r1, g0, s0, 0, 0};
        RefTestData.assertClose("output", expectedOut, r.output(), TOL, 0);
        // h_n [L*D=2, B=2, 1]: forward ends at the last valid step, reverse at t = 0
        RefTestData.assertClose("h_n", new double[] {f1, g0, r0, s0}, r.hN(), TOL, 0);
    }
}
