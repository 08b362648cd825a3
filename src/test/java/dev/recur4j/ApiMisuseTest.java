package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.exec.FastRnn;
import dev.recur4j.exec.ProbeJvm;
import dev.recur4j.exec.RandomConfig;
import dev.recur4j.gemm.ForwardingGemm;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.gemm.JavaGemm;
import dev.recur4j.gemm.PreparedB;
import dev.recur4j.gemm.Transpose;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** A library caller's mistakes and hostile inputs, each either refused with a named error or computed correctly. */
class ApiMisuseTest {

    /**
     * Streaming inference that feeds the last h_n back as h0 while reusing one result (the README's "reuse across
     * calls"): h0 is then out.hN(). On the small-batch path with 2 threads one member stored a short row's final h
     * into h_n while the other still copied that row's h0 from the same array, so most calls returned wrong bits
     * (41 of 50 before the check). Every implementation refuses it, naming both arrays, before writing anything.
     */
    @Test
    void hZeroThatIsTheResultsHnIsRefused() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 16, 64).build();
        RnnWeights w = RnnWeights.random(spec, 7);
        Random r = new Random(5);
        int b = 3;
        int t = 4;
        float[] x = RandomConfig.uniform(r, b * t * 16);
        int[] lengths = {1, 4, 2};
        for (Impl impl : Impl.values()) {
            try (RnnEngine e = Rnn.create(w, impl, impl == Impl.REFERENCE ? null : GemmKind.JAVA,
                    impl == Impl.REFERENCE ? 1 : 2)) {
                RnnResult out = RnnResult.allocate(spec, b, t);
                float[] h0 = RandomConfig.uniform(r, b * 64);
                System.arraycopy(h0, 0, out.hN(), 0, h0.length);
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                        () -> e.forward(new RnnBatch(b, t, x, lengths, out.hN(), null), out), impl.cliName());
                assertTrue(ex.getMessage().contains("h_n and h0"), ex.getMessage());
                assertArrayEquals(h0, out.hN(), impl.cliName() + ": h_n written before the refusal");
                ex = assertThrows(IllegalArgumentException.class,
                        () -> e.forward(new RnnBatch(b, t, x, lengths, null, out.cN()), out), impl.cliName());
                assertTrue(ex.getMessage().contains("c_n and c0"), ex.getMessage());
            }
        }
    }

    /** A single parameter gradient that is the engine's weight array: the call would overwrite that tensor. */
    @Test
    void oneGradientArrayThatIsAWeightIsRefusedByName() {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 8, 16).build();
        RnnWeights w = RnnWeights.random(spec, 3);
        int b = 8;
        int t = 4;
        RnnGradients fresh = RnnGradients.allocate(spec, b, t);
        LayerParams g = fresh.params().layer(0, 0);
        RnnWeights params = new RnnWeights(spec, new LayerParams[] {
            new LayerParams(g.wIh(), w.layer(0, 0).wHh(), g.bIh(), g.bHh(), null, null)});
        RnnGradients grads = new RnnGradients(fresh.gradInput(), fresh.gradH0(), null, params);
        float[] before = w.layer(0, 0).wHh().clone();
        try (RnnEngine e = Rnn.create(w, Impl.SIMD, GemmKind.JAVA, 1)) {
            RnnResult out = RnnResult.allocate(spec, b, t);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.forwardBackward(
                    RnnBatch.of(b, t, RandomConfig.uniform(new Random(1), b * t * 8)),
                    new RnnGradOutput(new float[out.output().length], null, null), out, grads));
            assertTrue(ex.getMessage().contains("weight_hh_l0"), ex.getMessage());
        }
        assertArrayEquals(before, w.layer(0, 0).wHh());
    }

    /** Gradients whose params are the engine's own weights: the call would overwrite the (shared) model. */
    @Test
    void gradientsIntoTheEnginesOwnWeightsAreRefused() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 8, 16).build();
        RnnWeights w = RnnWeights.random(spec, 3);
        float[] before = w.layer(0, 0).wHh().clone();
        int b = 8;
        int t = 4;
        try (RnnEngine e = Rnn.create(w, Impl.SIMD, GemmKind.JAVA, 1)) {
            RnnResult out = RnnResult.allocate(spec, b, t);
            RnnGradients grads = new RnnGradients(new float[b * t * 8], new float[b * 16], new float[b * 16], w);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.forwardBackward(
                    RnnBatch.of(b, t, RandomConfig.uniform(new Random(1), b * t * 8)),
                    new RnnGradOutput(new float[out.output().length], null, null), out, grads));
            assertTrue(ex.getMessage().contains("weight"), ex.getMessage());
        }
        assertArrayEquals(before, w.layer(0, 0).wHh(), "the model's weights were overwritten by gradients");
    }

    /**
     * Weights changed by the caller after the engine was built (a documented mistake). The GEMM path computes with the
     * copy made at construction; the small-batch path copied the weights at its first call, so one engine gave two
     * different answers for the same sequence depending on the batch it came in.
     */
    @Test
    void oneEngineGivesOneAnswerWhateverTheBatchSize() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 8, 16).build();
        RnnWeights w = RnnWeights.random(spec, 3);
        float[] row = RandomConfig.uniform(new Random(2), 4 * 8);
        try (RnnEngine e = Rnn.create(w, Impl.SIMD, GemmKind.JAVA, 1)) {
            float[] big = firstRow(e, spec, row, 16, 4);
            Arrays.fill(w.layer(0, 0).wHh(), 0.5f); // the caller's mistake
            float[] small = firstRow(e, spec, row, 1, 4);
            assertArrayEquals(big, firstRow(e, spec, row, 16, 4));
            float diff = 0;
            for (int i = 0; i < big.length; i++) {
                diff = Math.max(diff, Math.abs(big[i] - small[i]));
            }
            assertTrue(diff < 1e-5f, "batch of 1 and batch of 16 differ by " + diff);
        }
    }

    private static float[] firstRow(RnnEngine e, RnnSpec spec, float[] row, int b, int t) {
        float[] x = new float[b * t * spec.inputSize()];
        for (int i = 0; i < b; i++) {
            System.arraycopy(row, 0, x, i * row.length, row.length);
        }
        RnnResult out = RnnResult.allocate(spec, b, t);
        e.forward(RnnBatch.of(b, t, x), out);
        return Arrays.copyOf(out.output(), t * spec.outputSize());
    }

    /**
     * An engine whose construction fails while preparing its weights (the heap cannot hold the java gemm's packed
     * copy: OutOfMemoryError) must free the native copy it has made; it leaked the size of the weights per attempt.
     */
    @Test
    void aFailedEngineConstructionFreesItsNativeWeightCopy() {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 8, 16).build();
        List<MemorySegment> seen = new ArrayList<>();
        Gemm failing = new ForwardingGemm(new JavaGemm()) {
            @Override
            public String name() {
                return "failing";
            }

            @Override
            public PreparedB prepareB(Transpose transB, int k, int n, MemorySegment b, long bOff, int ldb) {
                seen.add(b);
                throw new OutOfMemoryError("Java heap space (simulated)");
            }
        };
        assertThrows(OutOfMemoryError.class, () -> new FastRnn(RnnWeights.random(spec, 1), Impl.SIMD, failing, 1));
        assertFalse(seen.isEmpty());
        assertFalse(seen.get(0).scope().isAlive(), "the engine's native weight copy is still allocated");
    }

    /** The bound checks of the public Gemm must not let an offset near Long.MAX_VALUE wrap past them. */
    @Test
    void aGemmOffsetThatOverflowsIsRefusedNamingTheOperand() {
        Gemm g = Gemms.get(GemmKind.JAVA);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(64 * 4, 64);
            IndexOutOfBoundsException ex = assertThrows(IndexOutOfBoundsException.class, () -> g.sgemm(Transpose.NO,
                    Transpose.NO, 1, 1, 1, 1f, s, 0, 1, s, 0, 1, 0f, s, Long.MAX_VALUE, 1));
            assertTrue(ex.getMessage().startsWith("C ["), ex.getMessage());
        }
    }

    /** The same call on the OpenBLAS back end wrote before the segment, or crashed the JVM: run it in a child JVM. */
    @Test
    void anOverflowingOffsetDoesNotReachOpenBlas() throws Exception {
        List<String> cmd = ProbeJvm.javaCommand(List.of("-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=/dev/null"),
                OpenBlasOffsetProbe.class);
        Assumptions.assumeTrue(Gemms.available(GemmKind.OPENBLAS), "OpenBLAS does not load here");
        // the output to a file, read once the child has ended: a pipe read would wait for its end unbounded
        Path output = Files.createTempFile("recur4j-openblas-offset", ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end in 60 s");
            String text = Files.readString(output);
            assertEquals(0, p.exitValue(), "child JVM died: " + text);
            assertTrue(text.contains("refused"), text);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    /** A missing parameter set was the JVM's NullPointerException ("because layers[...] is null"). */
    @Test
    void aMissingParameterSetIsNamed() {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 2, 3).bidirectional(true).build();
        LayerParams[] sets = {RnnWeights.random(spec, 1).layer(0, 0), null};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RnnWeights(spec, sets));
        assertTrue(e.getMessage().contains("_l0_reverse") && e.getMessage().contains("index 1"), e.getMessage());
    }

    /** Child JVM: an OpenBLAS product whose C offset overflows the bound check (C[0] 4 GB before the segment). */
    static final class OpenBlasOffsetProbe {
        public static void main(String[] args) {
            Gemm g = Gemms.get(GemmKind.OPENBLAS);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(64 * 4, 64);
                g.sgemm(Transpose.NO, Transpose.NO, 2, 1, 1, 1f, s, 0, 1, s, 0, 1, 0f, s,
                        Long.MAX_VALUE - 1_000_000_000L, 1_000_000_000);
                System.out.println("returned: wrote outside the segment");
            } catch (IndexOutOfBoundsException e) {
                System.out.println("refused: " + e.getMessage());
            }
        }
    }
}
