package dev.recur4j.ref;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks every gradient of {@link ReferenceModel#forwardBackward} against central finite
 * differences of the loss L = Σ gradOutput⊙output + Σ gradHn⊙h_n + Σ gradCn⊙c_n, with random
 * fixed gradOutput, gradHn and gradCn: dL/dθ ≈ (L(θ+ε) − L(θ−ε)) / 2ε for every parameter, every
 * input element and every element of h0 and c0.
 *
 * <p>Tolerance: with ε = 1e-6 the truncation error is ε²/6·|L'''| ≈ 1e-13 (all third derivatives
 * are O(1) at these sizes), and the rounding error is about u·|L|/ε ≈ 1e-16·10/1e-6 = 1e-9 (u
 * the double unit roundoff, |L| &lt; 10); the largest difference measured over all cases is 1e-10.
 * So |fd − analytic| &lt;= 1e-7 + 1e-6·|fd| leaves three orders of magnitude of headroom, while a
 * wrong term in a backward formula changes a gradient by O(1e-2) or more (dropping one peephole
 * term, or using r for h in the reset-before-linear dr, fails the matching cases).
 */
class FiniteDifferenceTest {
    private static final double EPS = 1e-6;
    private static final double ABS_TOL = 1e-7;
    private static final double REL_TOL = 1e-6;

    /**
     * One configuration.
     *
     * @param withInitialState whether h0 (and c0) are given; if not, the gradients are those at the zero state
     * @param withFinalGrads   whether gradHn (and gradCn) are given; if not, they count as zeros
     */
    record Case(RnnSpec spec, int batch, int seqLen, int[] lengths, boolean withInitialState,
                boolean withFinalGrads) {
    }

    static Stream<Named<Case>> cases() {
        return Stream.of(
                Named.of("rnn_tanh", new Case(RnnSpec.builder(CellKind.RNN_TANH, 3, 2).build(), 2, 3, null, true, true)),
                Named.of("rnn_tanh 2 layers bidirectional, no bias, lengths, zero h0",
                        new Case(RnnSpec.builder(CellKind.RNN_TANH, 2, 2).numLayers(2).bidirectional(true)
                                .bias(false).build(), 3, 4, new int[] {4, 1, 3}, false, true)),
                Named.of("rnn_relu bidirectional, lengths",
                        new Case(RnnSpec.builder(CellKind.RNN_RELU, 3, 3).bidirectional(true).build(), 2, 3, new int[] {3, 2}, true, true)),
                Named.of("rnn_relu no bias",
                        new Case(RnnSpec.builder(CellKind.RNN_RELU, 2, 3).bias(false).build(), 2, 3, null, true, false)),
                Named.of("lstm", new Case(RnnSpec.builder(CellKind.LSTM, 2, 3).build(), 2, 3, null, true, true)),
                Named.of("lstm no bias, zero h0/c0, no final grads",
                        new Case(RnnSpec.builder(CellKind.LSTM, 2, 2).bias(false).build(), 2, 3, null, false, false)),
                Named.of("lstm peepholes",
                        new Case(RnnSpec.builder(CellKind.LSTM, 2, 3).peepholes(true).build(), 2, 3, null, true, true)),
                Named.of("lstm projection",
                        new Case(RnnSpec.builder(CellKind.LSTM, 2, 3).projSize(2).build(), 2, 3, null, true, true)),
                Named.of("lstm peepholes + projection, 2 layers bidirectional, lengths",
                        new Case(RnnSpec.builder(CellKind.LSTM, 2, 3).projSize(2).peepholes(true).numLayers(2)
                                .bidirectional(true).build(), 3, 4, new int[] {4, 1, 3}, true, true)),
                Named.of("lstm 2 layers bidirectional, lengths, zero h0/c0",
                        new Case(RnnSpec.builder(CellKind.LSTM, 2, 2).numLayers(2).bidirectional(true).build(),
                                2, 3, new int[] {2, 3}, false, true)),
                Named.of("gru linear-before-reset",
                        new Case(RnnSpec.builder(CellKind.GRU, 2, 3).build(), 2, 3, null, true, true)),
                Named.of("gru reset-before-linear",
                        new Case(RnnSpec.builder(CellKind.GRU, 2, 3).linearBeforeReset(false).build(),
                                2, 3, null, true, true)),
                Named.of("gru reset-before-linear 2 layers bidirectional, lengths, zero h0",
                        new Case(RnnSpec.builder(CellKind.GRU, 2, 2).linearBeforeReset(false).numLayers(2)
                                .bidirectional(true).build(), 3, 4, new int[] {4, 1, 3}, false, true)),
                Named.of("gru linear-before-reset 2 layers bidirectional, no bias, lengths",
                        new Case(RnnSpec.builder(CellKind.GRU, 2, 2).numLayers(2).bidirectional(true).bias(false)
                                .build(), 3, 4, new int[] {2, 4, 1}, true, false)));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gradientsMatchCentralDifferences(Case c) {
        RnnSpec spec = c.spec();
        Random rnd = new Random(42);
        // Weights up to ±0.8 keep the gates away from saturation, so gradients are O(0.1..1) and not trivially small.
        DoubleWeights w = DoubleWeights.random(spec, 0.8, 7);
        ReferenceModel model = new ReferenceModel(w);
        int stateRows = spec.slots() * c.batch();
        double[] h0 = c.withInitialState() ? RefTestData.uniform(rnd, stateRows * spec.outputSize(), 0.5) : null;
        double[] c0 = c.withInitialState() && spec.hasCellState()
                ? RefTestData.uniform(rnd, stateRows * spec.hiddenSize(), 0.5) : null;
        DoubleBatch in = new DoubleBatch(c.batch(), c.seqLen(),
                RefTestData.uniform(rnd, c.batch() * c.seqLen() * spec.inputSize(), 1.0), c.lengths(), h0, c0);
        DoubleGradOutput g = new DoubleGradOutput(
                RefTestData.uniform(rnd, c.batch() * c.seqLen() * spec.directions() * spec.outputSize(), 1.0),
                c.withFinalGrads() ? RefTestData.uniform(rnd, stateRows * spec.outputSize(), 1.0) : null,
                c.withFinalGrads() && spec.hasCellState()
                        ? RefTestData.uniform(rnd, stateRows * spec.hiddenSize(), 1.0) : null);

        DoubleGradients grads = model.forwardBackward(in, g).gradients();

        if (spec.cell() == CellKind.RNN_RELU) {
            assertAwayFromReluKink(w, in, model.forward(in));
        }
        // A null h0/c0 is the zero state: differentiate at explicit zeros, which must give the same gradients.
        DoubleBatch probe = new DoubleBatch(in.batch(), in.seqLen(), in.input(), in.lengths(),
                h0 != null ? h0 : new double[stateRows * spec.outputSize()],
                spec.hasCellState() ? (c0 != null ? c0 : new double[stateRows * spec.hiddenSize()]) : null);
        DoubleSupplier loss = () -> loss(model, probe, g);
        // The model reads the weight arrays on every call, so perturbing them in place perturbs the model.
        Map<String, double[]> analytic = grads.params().named();
        for (Map.Entry<String, double[]> e : w.named().entrySet()) {
            checkGradient(e.getKey(), e.getValue(), analytic.get(e.getKey()), loss);
        }
        checkGradient("input", probe.input(), grads.gradInput(), loss);
        checkGradient("h0", probe.h0(), grads.gradH0(), loss);
        if (spec.hasCellState()) {
            checkGradient("c0", probe.c0(), grads.gradC0(), loss);
        }
    }

    /** L = Σ gradOutput⊙output + Σ gradHn⊙h_n + Σ gradCn⊙c_n. */
    private static double loss(ReferenceModel model, DoubleBatch in, DoubleGradOutput g) {
        DoubleResult r = model.forward(in);
        return RefTestData.dot(g.gradOutput(), r.output()) + RefTestData.dot(g.gradHn(), r.hN())
                + RefTestData.dot(g.gradCn(), r.cN());
    }

    /** Perturbs each element of {@code theta} in place by ±ε and compares the central difference to {@code analytic}. */
    private static void checkGradient(String name, double[] theta, double[] analytic, DoubleSupplier loss) {
        double[] numeric = new double[theta.length];
        for (int i = 0; i < theta.length; i++) {
            double saved = theta[i];
            theta[i] = saved + EPS;
            double plus = loss.getAsDouble();
            theta[i] = saved - EPS;
            double minus = loss.getAsDouble();
            theta[i] = saved;
            numeric[i] = (plus - minus) / (2 * EPS);
        }
        RefTestData.assertClose("d L / d " + name, numeric, analytic, ABS_TOL, REL_TOL);
    }

    /**
     * relu is not differentiable at 0, so a finite difference straddling a kink is meaningless. For a
     * single-layer relu RNN, recomputes every valid step's pre-activation a = W_ih x + b_ih + W_hh h + b_hh
     * from the model's own outputs (h entering step t is the previous output of that direction, or h0)
     * and checks |a| &gt; 1e-4: perturbing any θ by ε = 1e-6 moves a by at most ~1e-5 at these sizes
     * (|x|, |h|, |W| &lt;= ~3), so no perturbation crosses a kink.
     */
    private static void assertAwayFromReluKink(DoubleWeights w, DoubleBatch in, DoubleResult r) {
        RnnSpec spec = w.spec();
        assertTrue(spec.numLayers() == 1, "the kink check reads h from the output, so it needs one layer");
        int hidden = spec.hiddenSize();
        int inSize = spec.inputSize();
        int dirs = spec.directions();
        int seqLen = in.seqLen();
        double minAbs = Double.MAX_VALUE;
        for (int d = 0; d < dirs; d++) {
            DoubleLayerParams p = w.layer(0, d);
            for (int b = 0; b < in.batch(); b++) {
                int len = in.length(b);
                for (int t = 0; t < len; t++) {
                    int prevT = d == 0 ? t - 1 : t + 1; // the step visited just before t
                    boolean first = d == 0 ? t == 0 : t == len - 1;
                    for (int j = 0; j < hidden; j++) {
                        double a = (p.bIh() == null ? 0 : p.bIh()[j] + p.bHh()[j]);
                        for (int k = 0; k < inSize; k++) {
                            a += p.wIh()[j * inSize + k] * in.input()[(b * seqLen + t) * inSize + k];
                        }
                        for (int k = 0; k < hidden; k++) {
                            double hPrev = first
                                    ? (in.h0() == null ? 0 : in.h0()[(d * in.batch() + b) * hidden + k])
                                    : r.output()[(b * seqLen + prevT) * dirs * hidden + d * hidden + k];
                            a += p.wHh()[j * hidden + k] * hPrev;
                        }
                        minAbs = Math.min(minAbs, Math.abs(a));
                    }
                }
            }
        }
        assertTrue(minAbs > 1e-4, "a relu pre-activation is within 1e-4 of the kink (" + minAbs + "): pick other data");
    }
}
