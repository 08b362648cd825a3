package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every implementation against PyTorch's float64 results on the golden fixtures of
 * {@code scripts/gen_fixtures.py} (all cells; stacked, bidirectional, packed sequences with a
 * length-1 sequence, LSTM projections, no bias, with and without h0/c0, B=1 and T=1).
 *
 * <p>Tolerance (see {@link TensorCheck}): 1e-4 * max(1, max|want|) + 1e-3 * |want| for the fp32
 * implementations. fp32 has a relative precision of 6e-8 per operation; over the few hundred
 * accumulations and the handful of steps of these tiny cases, rounding stays well under 1e-5 of the
 * tensor's scale, so 1e-4 leaves headroom for summation order (GEMM blocking) and the fast activations,
 * while a wrong gate, bias or step would miss by orders of magnitude. Gradients get 3x: BPTT sums
 * over every step and layer again. REFERENCE computes in double from the same fp32 inputs as torch and only
 * rounds its results to fp32 (to nearest: at most 2^-24 |want| away), so it must agree to that rounding plus
 * 1e-12 * max(1, max|want|) for the two float64 computations' different summation orders and libm (about
 * 1e-16 relative an operation, a few hundred operations deep): about a million times tighter than the fp32
 * tolerance. The generator rejects any case whose results move by more than a tenth of the fp32
 * tolerance when the inputs are nudged by 1e-6 relative, so these bounds do not hinge on luck.
 * Arrays are filled with NaN before each call, so an implementation that leaves any entry
 * unwritten (e.g. padded steps) fails.
 */
class GoldenFixtureTest {
    /** The number of cases the generator writes; guards against a missing resources folder. */
    private static final int CASES = 14;
    private static final double GRADIENT_FACTOR = 3.0;
    /** REFERENCE's slack beyond rounding to fp32, relative to max(1, max|want|): see the class comment. */
    private static final double REFERENCE_FLOAT64_SLACK = 1e-12;

    private static final Map<Path, GoldenCase> LOADED = new ConcurrentHashMap<>();

    /** One implementation to test: REFERENCE (no GEMM), or a fast impl on one GEMM back end. */
    record Variant(Impl impl, GemmKind gemm) {
        String label() {
            return gemm == null ? impl.cliName() : impl.cliName() + "/" + gemm.cliName();
        }
    }

    static List<Variant> variants() {
        List<Variant> vs = new ArrayList<>();
        vs.add(new Variant(Impl.REFERENCE, null));
        for (Impl impl : List.of(Impl.SCALAR, Impl.SIMD)) {
            for (GemmKind g : GemmKind.values()) {
                vs.add(new Variant(impl, g));
            }
        }
        return vs;
    }

    static Stream<Arguments> casesAndVariants() {
        return GoldenCase.folders().stream().flatMap(folder -> variants().stream().map(v -> Arguments.of(
                Named.of(folder.getFileName().toString(), folder), Named.of(v.label(), v))));
    }

    private static GoldenCase golden(Path folder) {
        return LOADED.computeIfAbsent(folder, GoldenCase::load);
    }

    @Test
    void fixturesAreCompleteAndTagged() {
        List<Path> folders = GoldenCase.folders();
        assertEquals(CASES, folders.size(), "golden case folders under " + GoldenCase.ROOT + ": " + folders);
        for (Path folder : folders) {
            for (String f : List.of("weights", "input", "grad", "expected")) {
                assertTrue(Files.isRegularFile(folder.resolve(f + ".safetensors")), folder + ": missing " + f);
            }
            GoldenCase c = golden(folder);
            assertEquals(GoldenCase.MAGIC, c.metadata().get("magic"), c.name() + ": magic");
            assertEquals(GoldenCase.VERSION, c.metadata().get("version"), c.name() + ": version");
            assertEquals(c.name(), c.metadata().get("case"), c.name() + ": case name in metadata");
            for (String name : expectedNames(c)) {
                assertTrue(c.expected().containsKey(name), c.name() + ": expected.safetensors lacks " + name);
            }
        }
    }

    /** What expected.safetensors must hold, derived from the spec and inputs. */
    private static List<String> expectedNames(GoldenCase c) {
        RnnSpec s = c.spec();
        List<String> names = new ArrayList<>(List.of("output", "h_n", "grad.input"));
        if (s.hasCellState()) {
            names.add("c_n");
        }
        if (c.batch().h0() != null) {
            names.add("grad.h0");
        }
        if (c.batch().c0() != null) {
            names.add("grad.c0");
        }
        for (int l = 0; l < s.numLayers(); l++) {
            for (int d = 0; d < s.directions(); d++) {
                String sfx = RnnWeights.suffix(l, d);
                names.addAll(List.of("grad.weight_ih" + sfx, "grad.weight_hh" + sfx));
                if (s.bias()) {
                    names.addAll(List.of("grad.bias_ih" + sfx, "grad.bias_hh" + sfx));
                }
                if (s.projSize() > 0) {
                    names.add("grad.weight_hr" + sfx);
                }
            }
        }
        return names;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesAndVariants")
    void forwardMatchesTorch(Path folder, Variant v) {
        GoldenCase c = golden(folder);
        try (RnnEngine engine = engine(c, v)) {
            RnnResult out = nanFilledResult(c);
            engine.forward(c.batch(), out);
            List<String> failures = new ArrayList<>();
            for (String name : List.of("output", "h_n", "c_n")) {
                check(c, v, name, GoldenCase.actual(name, out, null), false, failures);
            }
            report(failures);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesAndVariants")
    void forwardBackwardMatchesTorch(Path folder, Variant v) {
        GoldenCase c = golden(folder);
        try (RnnEngine engine = engine(c, v)) {
            RnnResult out = nanFilledResult(c);
            RnnGradients grads = RnnGradients.allocate(c.spec(), c.batch().batch(), c.batch().seqLen());
            NanFill.gradients(grads);
            engine.forwardBackward(c.batch(), c.gradOut(), out, grads);
            List<String> failures = new ArrayList<>();
            for (String name : c.expected().keySet()) {
                check(c, v, name, GoldenCase.actual(name, out, grads), name.startsWith("grad."), failures);
            }
            report(failures);
        }
    }

    private static RnnEngine engine(GoldenCase c, Variant v) {
        if (v.impl() == Impl.SIMD) {
            assume(Backends.vectorApiAvailable(), c, v, "jdk.incubator.vector is not readable");
        }
        if (v.gemm() != null) {
            assume(Gemms.available(v.gemm()), c, v, "gemm " + v.gemm().cliName() + " does not load");
        }
        return Rnn.create(c.weights(), v.impl(), v.gemm(), 1);
    }

    private static void assume(boolean condition, GoldenCase c, Variant v, String why) {
        if (!condition) {
            String msg = "golden " + c.name() + " " + v.label() + " skipped: " + why;
            System.out.println(msg);
            Assumptions.abort(msg);
        }
    }

    private static void check(GoldenCase c, Variant v, String name, float[] got, boolean gradient,
                              List<String> failures) {
        double[] want = c.expected().get(name);
        if (want == null) {
            return; // c_n of a cell without cell state
        }
        String label = c.name() + " " + v.label() + " " + name;
        String m = v.impl() == Impl.REFERENCE
                ? TensorCheck.mismatch(label, got, want,
                        (w, maxAbs) -> 0x1p-24 * Math.abs(w) + REFERENCE_FLOAT64_SLACK * Math.max(1.0, maxAbs))
                : TensorCheck.mismatch(label, got, want, gradient ? GRADIENT_FACTOR : 1.0);
        if (m != null) {
            failures.add(m);
        }
    }

    private static void report(List<String> failures) {
        if (!failures.isEmpty()) {
            fail(failures.size() + " tensor(s) differ from torch:\n" + String.join("\n", failures));
        }
    }

    private static RnnResult nanFilledResult(GoldenCase c) {
        RnnResult out = RnnResult.allocate(c.spec(), c.batch().batch(), c.batch().seqLen());
        NanFill.result(out);
        return out;
    }
}
