package dev.recur4j.perf;

import dev.recur4j.Impl;
import dev.recur4j.LayerParams;
import dev.recur4j.Rnn;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.ref.Agreement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code bench --check}: whether the benchmarked engine's results, as its last call left them, equal the
 * float64 reference's ({@link Impl#REFERENCE}) on the same weights and inputs, so a speed figure comes with
 * the evidence that the fast path still computes the textbook equations on that very shape, thread count
 * and back end.
 *
 * <p>Batch rows are independent in an RNN, so the reference runs only rows 0 and B−1 (the first and the last
 * thread's rows, the first and the last GEMM tile) and their rows of the results are compared: output,
 * h_n, c_n and, in training, grad_input, grad_h0 and grad_c0. The parameter gradients sum over every row,
 * so they are compared only when those rows are the whole batch (B ≤ 2). The reference is naive double
 * arithmetic, about 1 GFLOP/s: for W5's shape (I = H = 1024, T = 50) its two rows take a few seconds.
 *
 * <p>Tolerance, the test suite's contract ({@code FastVsReferenceTest}): |got − want| ≤ 1e-4·max(1,
 * max|want|) + 1e-3·|want| for outputs and final states, three times that for gradients, which pass through
 * one more chain of fp32 products and sums. The bench's weights are PyTorch's initialisation (|w| ≤
 * 1/sqrt(H)) and its inputs lie in [-1, 1), so a gate pre-activation is a sum of order 1 whose fp32
 * rounding, K terms, is about sqrt(K)·6e-8 (3e-6 for W5's K = I + H = 2048), and the σ and tanh cells
 * contract what the steps carry: the standard workloads stay well within the tolerance (the printed worst
 * diff / tolerance is the margin; README), while a wrong index, gate or mask is off by 1e-2 or more.
 */
public final class ReferenceCheck {
    static final double ATOL = 1e-4;
    static final double RTOL = 1e-3;
    static final double GRADIENT_SCALE = 3;

    /**
     * @param rows    the batch rows compared
     * @param tensors one agreement per compared tensor
     */
    public record Result(int[] rows, List<Agreement> tensors) {
        public Result {
            rows = rows.clone();
            tensors = List.copyOf(tensors);
        }

        public boolean passed() {
            return tensors.stream().allMatch(Agreement::agrees);
        }

        /** The largest diff / tolerance over all tensors (below 1: every element within tolerance). */
        public double worstRatio() {
            return tensors.stream().mapToDouble(Agreement::worstRatio).max().orElse(0);
        }

        @Override
        public int[] rows() {
            return rows.clone();
        }
    }

    private ReferenceCheck() {
    }

    /** Checks the results of {@code call}'s last run, made with {@code weights}, against the reference. */
    public static Result check(RnnWeights weights, BenchCall call) {
        RnnSpec spec = weights.spec();
        RnnBatch in = call.batch();
        int[] rows = in.batch() == 1 ? new int[] {0} : new int[] {0, in.batch() - 1};
        RowPicker pick = new RowPicker(in.batch(), in.seqLen(), rows);
        RnnBatch subIn = new RnnBatch(rows.length, in.seqLen(), pick.perRow(in.input()),
                in.lengths() == null ? null : Arrays.stream(rows).map(in::length).toArray(),
                pick.perSlot(in.h0(), spec.slots()), pick.perSlot(in.c0(), spec.slots()));
        RnnResult want = RnnResult.allocate(spec, rows.length, in.seqLen());
        RnnResult got = call.result();
        List<Agreement> tensors = new ArrayList<>();
        try (RnnEngine reference = Rnn.create(weights, Impl.REFERENCE, null, 1)) {
            if (call.mode() == BenchMode.INFERENCE) {
                reference.forward(subIn, want);
            } else {
                RnnGradOutput go = call.gradOut();
                RnnGradOutput subGo = new RnnGradOutput(pick.perRow(go.gradOutput()),
                        pick.perSlot(go.gradHn(), spec.slots()), pick.perSlot(go.gradCn(), spec.slots()));
                RnnGradients wantGrads = RnnGradients.allocate(spec, rows.length, in.seqLen());
                reference.forwardBackward(subIn, subGo, want, wantGrads);
                RnnGradients gotGrads = call.grads();
                double gAtol = GRADIENT_SCALE * ATOL;
                double gRtol = GRADIENT_SCALE * RTOL;
                tensors.add(Agreement.of("grad_input", pick.perRow(gotGrads.gradInput()), wantGrads.gradInput(),
                        gAtol, gRtol));
                tensors.add(Agreement.of("grad_h0", pick.perSlot(gotGrads.gradH0(), spec.slots()),
                        wantGrads.gradH0(), gAtol, gRtol));
                if (wantGrads.gradC0() != null) {
                    tensors.add(Agreement.of("grad_c0", pick.perSlot(gotGrads.gradC0(), spec.slots()),
                            wantGrads.gradC0(), gAtol, gRtol));
                }
                if (rows.length == in.batch()) {
                    addParameterGradients(spec, gotGrads.params(), wantGrads.params(), tensors, gAtol, gRtol);
                }
            }
        }
        tensors.add(0, Agreement.of("output", pick.perRow(got.output()), want.output(), ATOL, RTOL));
        tensors.add(1, Agreement.of("h_n", pick.perSlot(got.hN(), spec.slots()), want.hN(), ATOL, RTOL));
        if (want.cN() != null) {
            tensors.add(2, Agreement.of("c_n", pick.perSlot(got.cN(), spec.slots()), want.cN(), ATOL, RTOL));
        }
        return new Result(rows, tensors);
    }

    private static void addParameterGradients(RnnSpec spec, RnnWeights got, RnnWeights want, List<Agreement> out,
                                              double atol, double rtol) {
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                String sfx = RnnWeights.suffix(l, d);
                LayerParams g = got.layer(l, d);
                LayerParams w = want.layer(l, d);
                addIfPresent(out, "grad.weight_ih" + sfx, g.wIh(), w.wIh(), atol, rtol);
                addIfPresent(out, "grad.weight_hh" + sfx, g.wHh(), w.wHh(), atol, rtol);
                addIfPresent(out, "grad.bias_ih" + sfx, g.bIh(), w.bIh(), atol, rtol);
                addIfPresent(out, "grad.bias_hh" + sfx, g.bHh(), w.bHh(), atol, rtol);
                addIfPresent(out, "grad.weight_hr" + sfx, g.wHr(), w.wHr(), atol, rtol);
                addIfPresent(out, "grad.weight_peephole" + sfx, g.wPeep(), w.wPeep(), atol, rtol);
            }
        }
    }

    private static void addIfPresent(List<Agreement> out, String name, float[] got, float[] want, double atol,
                                     double rtol) {
        if (want != null) {
            out.add(Agreement.of(name, got, want, atol, rtol));
        }
    }

    /** Copies the chosen batch rows out of batch-major [B, T, n] and slot-major [S, B, n] tensors. */
    private record RowPicker(int batch, int seqLen, int[] rows) {
        /** Rows of a [B, T, n] tensor (n from its length), in the order of {@code rows}. */
        float[] perRow(float[] a) {
            int row = a.length / batch;
            float[] out = new float[rows.length * row];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(a, rows[i] * row, out, i * row, row);
            }
            return out;
        }

        /** Rows of a [S, B, n] tensor, or null for null. */
        float[] perSlot(float[] a, int slots) {
            if (a == null) {
                return null;
            }
            int n = a.length / (slots * batch);
            float[] out = new float[slots * rows.length * n];
            for (int s = 0; s < slots; s++) {
                for (int i = 0; i < rows.length; i++) {
                    System.arraycopy(a, (s * batch + rows[i]) * n, out, (s * rows.length + i) * n, n);
                }
            }
            return out;
        }
    }
}
