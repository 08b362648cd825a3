package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.fail;

import dev.recur4j.Impl;
import dev.recur4j.LayerParams;
import dev.recur4j.NanFill;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.mem.Workspace;
import dev.recur4j.ref.ReferenceRnn;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FastRnn (scalar and SIMD kernels, over every GEMM back end that loads) against the
 * double-precision {@link ReferenceRnn} on randomized configurations: every cell and variant,
 * 1–3 layers, both directions, bias or not, peepholes, projections, h0/c0 or not, variable
 * lengths, forward and forwardBackward, 1 to 3 threads. Seeded: {@code -Drecur4j.test.seed=N} reproduces a run,
 * {@code -Drecur4j.test.configs=N} changes the count.
 *
 * <p>Tolerance (see {@link Closeness}): 1e-4·max(1, max|want|) + 1e-3·|want| for outputs and
 * final states, three times that for gradients. fp32 rounding of one dot product of length
 * K ≤ 3*33 with terms of magnitude ≤ 1 is about K·6e-8 ≈ 6e-6; through at most 17 steps and
 * 3 layers of contracting (σ, tanh) cells this stays an order of magnitude under 1e-4, while a
 * wrong index, gate or mask gives errors of order 1e-2 or more.
 */
class FastVsReferenceTest {
    private static final long SEED = Long.getLong("recur4j.test.seed", 20261123L);
    private static final int CONFIGS = Integer.getInteger("recur4j.test.configs", 200);

    static Stream<Arguments> engines() {
        List<Arguments> a = new ArrayList<>();
        for (Impl impl : new Impl[] {Impl.SCALAR, Impl.SIMD}) {
            for (GemmKind g : GemmKind.values()) {
                a.add(Arguments.of(Named.of(impl.cliName() + "+" + g.cliName(), new Object[] {impl, g})));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void matchesReference(Object[] engine) {
        Impl impl = (Impl) engine[0];
        GemmKind gemm = (GemmKind) engine[1];
        Assumptions.assumeTrue(Gemms.available(gemm), () -> "gemm " + gemm.cliName() + " does not load here");
        System.out.println("FastVsReferenceTest " + impl.cliName() + "+" + gemm.cliName() + ": seed " + SEED
                + ", " + CONFIGS + " configurations");
        Closeness.WORST.get()[0] = 0;
        Random rnd = new Random(SEED);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < CONFIGS && failures.size() < 5; i++) {
            RandomConfig cfg = RandomConfig.draw(rnd);
            List<String> diffs = compare(cfg, impl, gemm);
            if (!diffs.isEmpty()) {
                failures.add("config #" + i + " " + cfg + "\n    " + String.join("\n    ", diffs));
            }
        }
        System.out.printf("  worst |diff| / tolerance: %.3f%n", Closeness.WORST.get()[0]);
        if (!failures.isEmpty()) {
            fail("seed " + SEED + ": " + failures.size() + " failing configuration(s) (stopped at 5)\n"
                    + String.join("\n", failures));
        }
    }

    /** The differences (beyond tolerance) between FastRnn and the reference on {@code cfg}; empty when none. */
    static List<String> compare(RandomConfig cfg, Impl impl, GemmKind gemm) {
        return compare(cfg, impl, gemm, InputFusion.MAX_WEIGHT_BYTES, taken -> { });
    }

    /**
     * {@link #compare} for both fast impls and every GEMM back end that loads, with the engines'
     * {@link InputFusion} limit: one line per engine that differs, naming it.
     */
    static List<String> compareEveryEngine(RandomConfig cfg, long fusedInputMaxBytes) {
        return compareEveryEngine(cfg, fusedInputMaxBytes, taken -> { });
    }

    /** As above, handing {@code dxBlocksTaken} each engine's count of dX blocks taken over in its checked call. */
    static List<String> compareEveryEngine(RandomConfig cfg, long fusedInputMaxBytes, LongConsumer dxBlocksTaken) {
        List<String> failures = new ArrayList<>();
        for (Impl impl : new Impl[] {Impl.SCALAR, Impl.SIMD}) {
            for (GemmKind g : GemmKind.values()) {
                if (Gemms.available(g)) {
                    List<String> d = compare(cfg, impl, g, fusedInputMaxBytes, dxBlocksTaken);
                    if (!d.isEmpty()) {
                        failures.add(impl + "+" + g + " " + cfg + "\n    " + String.join("\n    ", d));
                    }
                }
            }
        }
        return failures;
    }

    /**
     * As {@link #compare(RandomConfig, Impl, GemmKind)} with the engine's {@link InputFusion} limit (0: off), handing
     * {@code dxBlocksTaken} the dX blocks a thread took from another chunk in the call whose results are checked
     * (the second; training only).
     */
    static List<String> compare(RandomConfig cfg, Impl impl, GemmKind gemm, long fusedInputMaxBytes,
                                LongConsumer dxBlocksTaken) {
        RnnSpec spec = cfg.spec();
        RnnWeights w = cfg.weights();
        int b = cfg.batch().batch();
        int t = cfg.batch().seqLen();
        RnnResult want = RnnResult.allocate(spec, b, t);
        RnnResult got = RnnResult.allocate(spec, b, t);
        RnnGradients wantG = RnnGradients.allocate(spec, b, t);
        RnnGradients gotG = RnnGradients.allocate(spec, b, t);
        List<String> diffs = new ArrayList<>();
        try (ReferenceRnn ref = new ReferenceRnn(w);
             FastRnn fast = new FastRnn(w, impl, Gemms.get(gemm), cfg.threads(), fusedInputMaxBytes)) {
            if (cfg.training()) {
                ref.forwardBackward(cfg.batch(), cfg.gradOut(), want, wantG);
                fast.forwardBackward(cfg.batch(), cfg.gradOut(), got, gotG);
                // again on a workspace of NaNs: a row that BPTT reads but no step wrote (padded rows, say) would
                // show as NaN here, whereas a fresh workspace is zeros and hides it; likewise the result, which
                // the last layer writes into directly, and the gradients, which the call must overwrite whole
                // (zeros at padded steps, every thread's dX block and weight-gradient sum)
                fillWithNaN(fast.workspace());
                NanFill.result(got);
                NanFill.gradients(gotG);
                long takenBefore = fast.dxBlocksTakenOver();
                fast.forwardBackward(cfg.batch(), cfg.gradOut(), got, gotG);
                dxBlocksTaken.accept(fast.dxBlocksTakenOver() - takenBefore);
            } else {
                ref.forward(cfg.batch(), want);
                fast.forward(cfg.batch(), got);
                // again with NaNs in the workspace and in the result: every element of the output (zeros at padded
                // steps), h_n and c_n must be written by the call, which the last layer does straight into the result
                fillWithNaN(fast.workspace());
                NanFill.result(got);
                fast.forward(cfg.batch(), got);
            }
        }
        add(diffs, Closeness.check("output", want.output(), got.output(), 1));
        add(diffs, Closeness.check("h_n", want.hN(), got.hN(), 1));
        add(diffs, Closeness.check("c_n", want.cN(), got.cN(), 1));
        if (cfg.training()) {
            add(diffs, Closeness.check("grad_input", wantG.gradInput(), gotG.gradInput(), 3));
            add(diffs, Closeness.check("grad_h0", wantG.gradH0(), gotG.gradH0(), 3));
            add(diffs, Closeness.check("grad_c0", wantG.gradC0(), gotG.gradC0(), 3));
            for (int l = 0; l < spec.numLayers(); l++) {
                for (int d = 0; d < spec.directions(); d++) {
                    String sfx = RnnWeights.suffix(l, d);
                    LayerParams pw = wantG.params().layer(l, d);
                    LayerParams pg = gotG.params().layer(l, d);
                    add(diffs, Closeness.check("grad weight_ih" + sfx, pw.wIh(), pg.wIh(), 3));
                    add(diffs, Closeness.check("grad weight_hh" + sfx, pw.wHh(), pg.wHh(), 3));
                    add(diffs, Closeness.check("grad bias_ih" + sfx, pw.bIh(), pg.bIh(), 3));
                    add(diffs, Closeness.check("grad bias_hh" + sfx, pw.bHh(), pg.bHh(), 3));
                    add(diffs, Closeness.check("grad weight_hr" + sfx, pw.wHr(), pg.wHr(), 3));
                    add(diffs, Closeness.check("grad weight_peephole" + sfx, pw.wPeep(), pg.wPeep(), 3));
                }
            }
        }
        return diffs;
    }

    private static void fillWithNaN(Workspace workspace) {
        MemorySegment ws = workspace.segment();
        for (long i = 0; i < workspace.capacity(); i++) {
            ws.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.NaN);
        }
    }

    private static void add(List<String> diffs, String d) {
        if (d != null) {
            diffs.add(d);
        }
    }
}
