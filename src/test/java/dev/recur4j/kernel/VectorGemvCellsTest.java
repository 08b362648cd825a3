package dev.recur4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The cell updates of {@link VectorGemvKernels} against the equations of {@link GemvKernels} in double
 * precision, on block ranges [jb0, jb1) of 1, 2, 3 and 5 blocks (groups that are not the 4 of
 * SmallBatchForward, ranges not starting at 0) with the gate row at an offset: the passes of the LSTM
 * (with and without peepholes), GRU linear-before-reset and RNN tanh cells walk strided rows, so a wrong
 * stride or offset shows as an O(0.1) error, and units outside the range must stay untouched, in the outputs
 * and in the gate rows the cells work in (another member's blocks). Hidden sizes
 * that are not multiples of the block width are covered end to end by SmallBatchForwardTest.
 *
 * <p>Tolerance 2e-6 · max(1, |want|): {@link VectorActivations} is within 2.5e-7 relative of tanh, σ is
 * computed from it, and each output is a handful of float operations away from its inputs.
 */
class VectorGemvCellsTest {
    private static final GemvKernels VECTOR = new VectorGemvKernels();
    private static final int V = VECTOR.blockWidth();
    private static final int NB = 6;
    private static final int HP = NB * V;
    private static final int OFF = 3 * V; // gate rows start past some other step's row

    private static float[] uniform(Random rnd, int n, float range) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (rnd.nextFloat() * 2 - 1) * range;
        }
        return a;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** hOut (and c) inside [jb0, jb1) against want; outside, the garbage they started with. */
    private static void check(String what, double[] want, float[] got, float[] before, int jb0, int jb1) {
        for (int j = 0; j < HP; j++) {
            if (j >= jb0 * V && j < jb1 * V) {
                assertEquals(want[j], got[j], 2e-6 * Math.max(1, Math.abs(want[j])), what + " unit " + j);
            } else {
                assertEquals(before[j], got[j], what + " unit " + j + " outside the range");
            }
        }
    }

    /**
     * A scratch gate row (the LSTM's a, the GRU's rec; [nb][g][V] from {@code off}) outside blocks [jb0, jb1) must
     * be as it was: other members of the team own those blocks, so a pass that runs a block too far is a race.
     */
    private static void untouchedOutside(String what, float[] before, float[] got, int off, int g, int jb0, int jb1) {
        for (int i = 0; i < got.length; i++) {
            int jb = (i - off) / (g * V);
            if (i < off || jb < jb0 || jb >= jb1) {
                assertEquals(before[i], got[i], what + " [" + i + "] outside blocks [" + jb0 + ", " + jb1 + ")");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"0, 1", "1, 3", "0, 3", "1, 6", "5, 6"})
    void lstm(int jb0, int jb1) {
        for (boolean peepholes : new boolean[] {false, true}) {
            Random rnd = new Random(jb0 * 31 + jb1 + (peepholes ? 7 : 0));
            float[] a = uniform(rnd, OFF + 4 * HP, 4f);
            float[] peep = peepholes ? uniform(rnd, 3 * HP, 0.5f) : null;
            float[] c = uniform(rnd, HP, 2f);
            float[] hOut = uniform(rnd, HP, 1f);
            float[] a0 = a.clone();
            float[] c0 = c.clone();
            float[] h0 = hOut.clone();
            VECTOR.lstmCells(a, OFF, peep, c, hOut, jb0, jb1);
            double[] wantC = new double[HP];
            double[] wantH = new double[HP];
            for (int j = 0; j < HP; j++) {
                int jb = j / V;
                int l = j % V;
                int b = OFF + jb * 4 * V + l;
                int p = jb * 3 * V + l;
                double cp = c0[j];
                double i = sigmoid(a0[b] + (peepholes ? peep[p] * cp : 0));
                double f = sigmoid(a0[b + V] + (peepholes ? peep[p + V] * cp : 0));
                double cn = f * cp + i * Math.tanh(a0[b + 2 * V]);
                double o = sigmoid(a0[b + 3 * V] + (peepholes ? peep[p + 2 * V] * cn : 0));
                wantC[j] = cn;
                wantH[j] = o * Math.tanh(cn);
            }
            String what = peepholes ? "peephole LSTM " : "LSTM ";
            check(what + "c", wantC, c, c0, jb0, jb1);
            check(what + "h", wantH, hOut, h0, jb0, jb1);
            untouchedOutside(what + "gate row", a0, a, OFF, 4, jb0, jb1);
        }
    }

    @ParameterizedTest
    @CsvSource({"0, 1", "1, 3", "0, 3", "1, 6", "5, 6"})
    void gruLinearBeforeReset(int jb0, int jb1) {
        Random rnd = new Random(jb0 * 31 + jb1 + 100);
        float[] x = uniform(rnd, OFF + 3 * HP, 3f);
        float[] rec = uniform(rnd, 3 * HP, 3f);
        float[] bhn = uniform(rnd, HP, 1f);
        float[] h = uniform(rnd, HP, 1f);
        float[] hOut = uniform(rnd, HP, 1f);
        float[] x0 = x.clone();
        float[] rec0 = rec.clone();
        float[] h0 = hOut.clone();
        VECTOR.gruCells(x, OFF, rec, bhn, h, hOut, jb0, jb1);
        double[] want = new double[HP];
        for (int j = 0; j < HP; j++) {
            int b = j / V * 3 * V + j % V;
            double r = sigmoid(x0[OFF + b] + rec0[b]);
            double z = sigmoid(x0[OFF + b + V] + rec0[b + V]);
            double n = Math.tanh(x0[OFF + b + 2 * V] + r * (rec0[b + 2 * V] + bhn[j]));
            want[j] = (1 - z) * n + z * h[j];
        }
        check("GRU h", want, hOut, h0, jb0, jb1);
        untouchedOutside("GRU rec", rec0, rec, 0, 3, jb0, jb1);
        assertEquals(Arrays.toString(x0), Arrays.toString(x), "the input projection is only read");
    }

    @ParameterizedTest
    @CsvSource({"0, 1", "1, 3", "0, 3", "1, 6", "5, 6"})
    void rnn(int jb0, int jb1) {
        for (boolean relu : new boolean[] {false, true}) {
            Random rnd = new Random(jb0 * 31 + jb1 + 200);
            float[] a = uniform(rnd, OFF + HP, 4f);
            float[] hOut = uniform(rnd, HP, 1f);
            float[] h0 = hOut.clone();
            float[] a0 = a.clone();
            VECTOR.rnnCells(relu, a, OFF, hOut, jb0, jb1);
            untouchedOutside("RNN gate row", a0, a, OFF, 1, jb0, jb1);
            double[] want = new double[HP];
            for (int j = 0; j < HP; j++) {
                want[j] = relu ? Math.max(0, a0[OFF + j]) : Math.tanh(a0[OFF + j]); // from the inputs, not what the call left
            }
            check(relu ? "RNN relu h" : "RNN tanh h", want, hOut, h0, jb0, jb1);
        }
    }
}
