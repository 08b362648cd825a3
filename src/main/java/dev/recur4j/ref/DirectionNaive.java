package dev.recur4j.ref;

import dev.recur4j.RnnSpec;
import dev.recur4j.ref.CellNaive.State;
import dev.recur4j.ref.CellNaive.StepGrads;

/**
 * The time loop of one (layer, direction) over a batch of variable-length sequences.
 *
 * <p>Sequence b is valid for t &lt; len[b]. The forward direction visits t = 0 .. len-1, the
 * reverse direction t = len-1 .. 0; both start from the initial state and end in the final state,
 * and padded steps are never visited, so their outputs (and input gradients) stay zero.
 *
 * <pre>
 * in   [B, T, In]       the layer's input
 * out  [B, T, D*Hout]   the layer's output; this direction writes columns dir*Hout .. dir*Hout+Hout-1
 * </pre>
 */
final class DirectionNaive {
    private final CellNaive cell;
    private final int direction;
    private final int batch;
    private final int seqLen;
    private final int inSize;
    private final int outSize;
    private final int outWidth;
    private final int[] lengths;
    /** The state entering step t of sequence b, kept by forward for backward: [B][T], null at padded steps. */
    private final State[][] entering;

    DirectionNaive(RnnSpec spec, int layer, int direction, DoubleLayerParams p, int batch, int seqLen, int[] lengths) {
        this.cell = CellNaive.of(spec, p);
        this.direction = direction;
        this.batch = batch;
        this.seqLen = seqLen;
        this.inSize = spec.layerInputSize(layer);
        this.outSize = spec.outputSize();
        this.outWidth = spec.directions() * spec.outputSize();
        this.lengths = lengths;
        this.entering = new State[batch][seqLen];
    }

    /** The steps of sequence b in the order this direction visits them. */
    private int[] visitOrder(int b) {
        int len = lengths[b];
        int[] ts = new int[len];
        for (int k = 0; k < len; k++) {
            ts[k] = direction == 0 ? k : len - 1 - k;
        }
        return ts;
    }

    /** Runs every sequence b from {@code initial[b]}, writes its outputs into {@code out}, returns the final states [B]. */
    State[] forward(double[] in, State[] initial, double[] out) {
        State[] last = new State[batch];
        for (int b = 0; b < batch; b++) {
            State s = initial[b];
            for (int t : visitOrder(b)) {
                entering[b][t] = s;
                s = cell.forwardStep(NaiveOps.slice(in, (b * seqLen + t) * inSize, inSize), s);
                System.arraycopy(s.h(), 0, out, (b * seqLen + t) * outWidth + direction * outSize, outSize);
            }
            last[b] = s;
        }
        return last;
    }

    /**
     * BPTT over the steps {@link #forward} ran, visiting them in the opposite order.
     *
     * @param dOut   [B, T, D*Hout] dL/d(out); only this direction's columns at valid steps are read
     * @param dFinal [B] dL/d(final state)
     * @param grads  parameter gradients of this (layer, direction), accumulated into
     * @param dIn    [B, T, In] dL/d(in), accumulated into (the other direction adds to it too)
     * @return [B] dL/d(initial state)
     */
    State[] backward(double[] in, double[] dOut, State[] dFinal, DoubleLayerParams grads, double[] dIn) {
        State[] dInitial = new State[batch];
        for (int b = 0; b < batch; b++) {
            State d = dFinal[b];
            int[] ts = visitOrder(b);
            for (int k = ts.length - 1; k >= 0; k--) {
                int t = ts[k];
                // h' feeds both the next step (d.h) and this step's output
                double[] dh = NaiveOps.plus(d.h(),
                        NaiveOps.slice(dOut, (b * seqLen + t) * outWidth + direction * outSize, outSize));
                double[] x = NaiveOps.slice(in, (b * seqLen + t) * inSize, inSize);
                StepGrads g = cell.backwardStep(x, entering[b][t], new State(dh, d.c()), grads);
                for (int c = 0; c < inSize; c++) {
                    dIn[(b * seqLen + t) * inSize + c] += g.dx()[c];
                }
                d = new State(g.dh(), g.dc());
            }
            dInitial[b] = d;
        }
        return dInitial;
    }
}
