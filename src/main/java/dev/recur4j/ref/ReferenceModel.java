package dev.recur4j.ref;

import dev.recur4j.RnnSpec;
import dev.recur4j.ref.CellNaive.State;
import java.util.Arrays;

/**
 * The naive double-precision reference of a whole (stacked, possibly bidirectional) RNN, forward
 * and full backpropagation through time. This is the double API: tests run finite differences
 * against it; {@link ReferenceRnn} adapts it to the float {@link dev.recur4j.RnnEngine} API.
 *
 * <p>The grid: layers bottom to top; in each layer every direction runs over the layer's input
 * ({@link DirectionNaive}) and writes its half of the layer output {@code [B, T, D*Hout]}, which is
 * the next layer's input. Backward walks the layers top to bottom; a layer's input gradient is the
 * output gradient of the layer below, and the lowest one is dL/d(input).
 *
 * <p>The loss whose gradients {@link #forwardBackward} returns is
 * <pre>
 * L = Σ gradOutput ⊙ output + Σ gradHn ⊙ h_n + Σ gradCn ⊙ c_n
 * </pre>
 * (null gradHn / gradCn count as zeros; gradOutput at padded steps does not matter as those
 * outputs are constant zero). Stateless and thread-safe: every call allocates its own buffers.
 */
public final class ReferenceModel {
    private final DoubleWeights weights;
    private final RnnSpec spec;

    /** The result of a training call: the forward outputs and the gradients of L. */
    public record Backprop(DoubleResult result, DoubleGradients gradients) {
    }

    /** What forward keeps for backward: each layer's input [B, T, In_l] and each (layer, direction)'s loop, by slot. */
    private record Trace(DoubleResult result, double[][] layerInputs, DirectionNaive[] loops) {
    }

    public ReferenceModel(DoubleWeights weights) {
        this.weights = weights;
        this.spec = weights.spec();
    }

    public RnnSpec spec() {
        return spec;
    }

    public DoubleWeights weights() {
        return weights;
    }

    /** Inference. */
    public DoubleResult forward(DoubleBatch in) {
        in.check(spec);
        return runForward(in).result();
    }

    /** The forward pass, then BPTT over the whole sequence. */
    public Backprop forwardBackward(DoubleBatch in, DoubleGradOutput gradOut) {
        in.check(spec);
        gradOut.check(spec, in.batch(), in.seqLen());
        Trace trace = runForward(in);
        return new Backprop(trace.result(), runBackward(in, gradOut, trace));
    }

    private Trace runForward(DoubleBatch in) {
        int batch = in.batch();
        int seqLen = in.seqLen();
        int hout = spec.outputSize();
        int hidden = spec.hiddenSize();
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            lengths[b] = in.length(b);
        }
        double[] hN = new double[spec.slots() * batch * hout];
        double[] cN = spec.hasCellState() ? new double[spec.slots() * batch * hidden] : null;
        double[][] layerInputs = new double[spec.numLayers()][];
        DirectionNaive[] loops = new DirectionNaive[spec.slots()];
        double[] layerIn = in.input();
        for (int l = 0; l < spec.numLayers(); l++) {
            layerInputs[l] = layerIn;
            double[] layerOut = new double[batch * seqLen * spec.directions() * hout]; // [B, T, D*Hout]
            for (int d = 0; d < spec.directions(); d++) {
                int slot = spec.slot(l, d);
                loops[slot] = new DirectionNaive(spec, l, d, weights.layer(l, d), batch, seqLen, lengths);
                State[] initial = new State[batch];
                for (int b = 0; b < batch; b++) {
                    initial[b] = new State(row(in.h0(), slot, b, batch, hout),
                            spec.hasCellState() ? row(in.c0(), slot, b, batch, hidden) : null);
                }
                State[] last = loops[slot].forward(layerIn, initial, layerOut);
                for (int b = 0; b < batch; b++) {
                    putRow(last[b].h(), hN, slot, b, batch);
                    if (cN != null) {
                        putRow(last[b].c(), cN, slot, b, batch);
                    }
                }
            }
            layerIn = layerOut;
        }
        return new Trace(new DoubleResult(layerIn, hN, cN), layerInputs, loops);
    }

    private DoubleGradients runBackward(DoubleBatch in, DoubleGradOutput gradOut, Trace trace) {
        int batch = in.batch();
        int seqLen = in.seqLen();
        int hout = spec.outputSize();
        int hidden = spec.hiddenSize();
        DoubleWeights grads = DoubleWeights.zeros(spec);
        double[] gradH0 = new double[spec.slots() * batch * hout];
        double[] gradC0 = spec.hasCellState() ? new double[spec.slots() * batch * hidden] : null;
        double[] dOut = gradOut.gradOutput(); // [B, T, D*Hout] of the top layer
        for (int l = spec.numLayers() - 1; l >= 0; l--) {
            double[] dIn = new double[batch * seqLen * spec.layerInputSize(l)]; // [B, T, In_l]
            for (int d = 0; d < spec.directions(); d++) {
                int slot = spec.slot(l, d);
                State[] dFinal = new State[batch];
                for (int b = 0; b < batch; b++) {
                    dFinal[b] = new State(row(gradOut.gradHn(), slot, b, batch, hout),
                            spec.hasCellState() ? row(gradOut.gradCn(), slot, b, batch, hidden) : null);
                }
                State[] dInitial = trace.loops()[slot].backward(trace.layerInputs()[l], dOut, dFinal,
                        grads.layer(l, d), dIn);
                for (int b = 0; b < batch; b++) {
                    putRow(dInitial[b].h(), gradH0, slot, b, batch);
                    if (gradC0 != null) {
                        putRow(dInitial[b].c(), gradC0, slot, b, batch);
                    }
                }
            }
            dOut = dIn;
        }
        return new DoubleGradients(dOut, gradH0, gradC0, grads);
    }

    /** Row (slot, b) of a [L*D, B, n] tensor, as a copy; zeros when the tensor is null (absent means zero). */
    private static double[] row(double[] a, int slot, int b, int batch, int n) {
        return a == null ? new double[n] : Arrays.copyOfRange(a, (slot * batch + b) * n, (slot * batch + b + 1) * n);
    }

    /** Writes {@code v} [n] as row (slot, b) of a [L*D, B, n] tensor. */
    private static void putRow(double[] v, double[] a, int slot, int b, int batch) {
        System.arraycopy(v, 0, a, (slot * batch + b) * v.length, v.length);
    }
}
