package dev.recur4j.perf;

import dev.recur4j.Impl;
import dev.recur4j.Rnn;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.io.PyTorchWeights;
import dev.recur4j.io.Tensor;
import dev.recur4j.ref.Agreement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * {@code bench --check}: whether the benchmarked engine's results, as its last call left them, equal the
 * float64 reference's ({@link Impl#REFERENCE}) on the same weights and inputs, so a speed figure comes with
 * the evidence that the fast path still computes the textbook equations on that very shape, thread count
 * and back end.
 *
 * <p>Batch rows are independent in an RNN, so the reference runs only a few rows and their rows of the
 * results are compared: output, h_n, c_n and, in training, grad.input, grad.h0 and grad.c0. The rows
 * ({@link #rows}) are the first, the last, and the two on either side of the middle, where a batch split
 * between two threads meets; off-by-one errors sit at such edges. The parameter gradients sum over every
 * row, so they are compared only when the checked rows are the whole batch (B ≤ 4). The reference is naive
 * double arithmetic, about 0.4 GFLOP/s: W5's four rows (I = H = 1024, T = 50, 3.4 GFLOP) take about 8 s.
 *
 * <p>Tolerance: {@link Agreement}'s contract, as in the tests. The tests' worst-case bound on fp32 rounding
 * (K·6e-8 for a dot product of length K) covers their small shapes, not K = 2048; here the bench's weights
 * are PyTorch's initialisation (|w| ≤ 1/sqrt(H)) and its inputs lie in [-1, 1), so rounding errors add up
 * like a random walk, about sqrt(K)·6e-8, and the σ and tanh cells contract what the steps carry. What
 * the standard workloads showed is in the README (a worst |diff| / tolerance of a few thousandths), while a
 * wrong index, gate or mask is off by 1e-2 or more.
 */
public final class ReferenceCheck {

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

        /** The verdict on one line, then each tensor's {@link Agreement#line()} indented (bench's text report). */
        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                    "check of batch rows %s against the float64 reference: %s (worst diff / tolerance %.3g)",
                    Arrays.toString(rows), passed() ? "agrees" : "DIFFERS", worstRatio()));
            tensors.forEach(a -> s.append("\n  ").append(a.line()));
            return s.toString();
        }
    }

    /** The rows checked in a batch of B: 0, B/2 − 1, B/2 and B − 1, each once, ascending. */
    static int[] rows(int batch) {
        return IntStream.of(0, batch / 2 - 1, batch / 2, batch - 1).filter(r -> r >= 0).distinct().sorted().toArray();
    }

    private ReferenceCheck() {
    }

    /** Checks the results of {@code call}'s last run, made with {@code weights}, against the reference. */
    public static Result check(RnnWeights weights, BenchCall call) {
        return check(weights, call, rows(call.batch().batch()));
    }

    /**
     * The same on every batch row, so a training call's parameter gradients are compared too: for a call cut
     * down to a few rows and steps (the JMH suite's validation before timing), where the reference is cheap.
     */
    public static Result checkEveryRow(RnnWeights weights, BenchCall call) {
        return check(weights, call, IntStream.range(0, call.batch().batch()).toArray());
    }

    /** {@link #check} on the given rows (ascending, distinct). */
    private static Result check(RnnWeights weights, BenchCall call, int[] rows) {
        RnnSpec spec = weights.spec();
        RnnBatch in = call.batch();
        int slots = spec.slots();
        RowPicker pick = new RowPicker(in.batch(), rows);
        RnnBatch subIn = new RnnBatch(rows.length, in.seqLen(), pick.perRow(in.input()),
                in.lengths() == null ? null : Arrays.stream(rows).map(in::length).toArray(),
                pick.perSlot(in.h0(), slots), pick.perSlot(in.c0(), slots));
        RnnResult want = RnnResult.allocate(spec, rows.length, in.seqLen());
        RnnGradients wantGrads = null;
        try (RnnEngine reference = Rnn.create(weights, Impl.REFERENCE, null, 1)) {
            if (call.mode() == BenchMode.INFERENCE) {
                reference.forward(subIn, want);
            } else {
                RnnGradOutput go = call.gradOut();
                RnnGradOutput subGo = new RnnGradOutput(pick.perRow(go.gradOutput()), pick.perSlot(go.gradHn(), slots),
                        pick.perSlot(go.gradCn(), slots));
                wantGrads = RnnGradients.allocate(spec, rows.length, in.seqLen());
                reference.forwardBackward(subIn, subGo, want, wantGrads);
            }
        }
        List<Agreement> tensors = new ArrayList<>();
        RnnResult got = call.result();
        double atol = Agreement.ATOL;
        double rtol = Agreement.RTOL;
        tensors.add(Agreement.of("output", pick.perRow(got.output()), want.output(), atol, rtol));
        tensors.add(Agreement.of("h_n", pick.perSlot(got.hN(), slots), want.hN(), atol, rtol));
        if (want.cN() != null) {
            tensors.add(Agreement.of("c_n", pick.perSlot(got.cN(), slots), want.cN(), atol, rtol));
        }
        if (wantGrads != null) {
            RnnGradients gotGrads = call.grads();
            double gAtol = Agreement.GRADIENT_SCALE * atol;
            double gRtol = Agreement.GRADIENT_SCALE * rtol;
            tensors.add(Agreement.of("grad.input", pick.perRow(gotGrads.gradInput()), wantGrads.gradInput(), gAtol,
                    gRtol));
            tensors.add(Agreement.of("grad.h0", pick.perSlot(gotGrads.gradH0(), slots), wantGrads.gradH0(), gAtol,
                    gRtol));
            if (wantGrads.gradC0() != null) {
                tensors.add(Agreement.of("grad.c0", pick.perSlot(gotGrads.gradC0(), slots), wantGrads.gradC0(), gAtol,
                        gRtol));
            }
            if (rows.length == in.batch()) {
                addParameterGradients(gotGrads.params(), wantGrads.params(), tensors, gAtol, gRtol);
            }
        }
        return new Result(rows, tensors);
    }

    /** Every parameter's gradient, named as {@code recur4j backward} writes it ({@code grad.weight_ih_l0}, ...). */
    private static void addParameterGradients(RnnWeights got, RnnWeights want, List<Agreement> out, double atol,
                                              double rtol) {
        List<Tensor> gotTensors = PyTorchWeights.toTensors(got, "grad.");
        List<Tensor> wantTensors = PyTorchWeights.toTensors(want, "grad.");
        for (int i = 0; i < wantTensors.size(); i++) {
            Tensor w = wantTensors.get(i);
            out.add(Agreement.of(w.name(), gotTensors.get(i).toFloats(), w.toFloats(), atol, rtol));
        }
    }

    /** Copies the chosen batch rows out of batch-major [B, T, n] and slot-major [S, B, n] tensors. */
    private record RowPicker(int batch, int[] rows) {
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
