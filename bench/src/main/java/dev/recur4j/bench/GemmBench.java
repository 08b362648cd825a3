package dev.recur4j.bench;

import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.gemm.PreparedB;
import dev.recur4j.gemm.Transpose;
import dev.recur4j.mem.WorkspacePlan;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The GEMMs of the RNN pipeline, per back end, on the shapes of the standard workloads, beta = 0 so every call is
 * idempotent. GFLOP/s = 2·m·n·k / time.
 *
 * <p>Products with the weights, C[m,n] = A[m,k] · W^T with W stored [n,k]:
 * <ul>
 *   <li>{@code step_w2}: W2's step product as the pipeline runs it (input projection in the step, see
 *       {@code InputFusion}), [x_t | h][64,768] · [W_ih | W_hh]^T[768,2048]</li>
 *   <li>{@code rec_w2}: W2's recurrent product alone, h[64,512] · W_hh^T[512,2048]</li>
 *   <li>{@code in_w2}: W2's input projection of all steps at once, x[6400,256] · W_ih^T[256,2048], as the
 *       pipeline runs it for layers whose weights exceed the fusion limit (W5), or with
 *       {@code -Drecur4j.fusedInputMaxBytes=0}</li>
 *   <li>{@code rec_w5}: W5's recurrent product, h[128,1024] · W_hh^T[1024,4096]</li>
 *   <li>{@code in_w5}: W5's input projection of all steps at once, x[6400,1024] · W_ih^T[1024,4096] (the up-front
 *       projection W5 runs, its weights being over the fusion limit; C is 105 MB, so it goes to memory)</li>
 *   <li>{@code rec_w1}: W1's batch-1 product, h[1,256] · W_hh^T[256,1024] (the pipeline runs batches of up to
 *       6 rows as matrix-vector products instead, {@code SmallBatchForward})</li>
 *   <li>{@code rec_w3}: W3's recurrent product, h[64,512] · W_hh^T[512,1536] (the GRU's input product per step,
 *       x_t[64,256] · W_ih^T[256,1536], is {@code in_w2}'s depth at 64 rows)</li>
 *   <li>{@code step_w4_l0} and {@code step_w4_l1}: W4's step products, layer 0 [x_t | h][32,384] ·
 *       [W_ih | W_hh]^T[384,1024] and layer 1 (input 2 x 256 from both directions) [x_t | h][32,768] ·
 *       [W_ih | W_hh]^T[768,1024]</li>
 * </ul>
 * {@code weights=prepared} (the default) passes W as the back end's {@link PreparedB}, made once per trial,
 * as the pipeline does: the Java GEMM packs it once, OpenBLAS takes it as it is. {@code weights=plain} passes
 * the stored W on every call, so the Java GEMM packs it per call.
 *
 * <p>{@code dw_w7}: the largest of W7's weight-gradient products, dW[1024,768] = dG^T · [X | H_prev], dG
 * stored [6400,1536] with the workspace's padded row stride ({@link WorkspacePlan#gateLd}, 1552 floats; of
 * each row the r and z columns), [X | H_prev] [6400,768]; both operands change every call, so they are
 * always plain ({@code weights} does not apply). {@code dx_w6}: W6's input gradient, dX[6400,256] = dG · W_ih,
 * dG [6400,2048] with the padded row stride (2064 floats), W_ih [2048,256] as stored (B not transposed) and
 * prepared once, as BPTT multiplies it after the time loop.
 *
 * <p>Before timing, setup runs the product once and checks {@value #SAMPLES} elements of C, the corners among them,
 * against double-precision dot products of the same operands ({@link #validate}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBench {

    @Param({"step_w2", "rec_w2", "in_w2", "rec_w5", "in_w5", "rec_w1", "rec_w3", "step_w4_l0", "step_w4_l1",
            "dw_w7", "dx_w6"})
    public String shape;

    @Param({"openblas", "java"})
    public String gemm;

    @Param({"prepared"})
    public String weights;

    /** Elements of C checked by {@link #validate}. */
    private static final int SAMPLES = 64;

    private Gemm g;
    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;
    private PreparedB prepared;
    private Transpose transA;
    private Transpose transB;
    private int m;
    private int n;
    private int k;
    private int lda;
    private int ldb;

    @Setup(Level.Trial)
    public void setUp() {
        g = Gemms.get(GemmKind.fromCliName(gemm));
        arena = Arena.ofConfined();
        boolean weightGradient = shape.equals("dw_w7"); // both operands change every call: never prepared
        if (weightGradient) {
            m = 1024;
            n = 768;
            k = 6400;
            transA = Transpose.YES;
            transB = Transpose.NO;
            lda = WorkspacePlan.gateLd(1536); // dG's row: the r, z, n columns (padded); the product reads r and z
            ldb = n;
        } else if (shape.equals("dx_w6")) {
            m = 6400;
            n = 256;
            k = 2048;
            transA = Transpose.NO;
            transB = Transpose.NO;
            lda = WorkspacePlan.gateLd(2048); // dG's padded row
            ldb = n;
        } else {
            int[] mnk = switch (shape) {
                case "step_w2" -> new int[] {64, 2048, 768};
                case "rec_w2" -> new int[] {64, 2048, 512};
                case "in_w2" -> new int[] {6400, 2048, 256};
                case "rec_w5" -> new int[] {128, 4096, 1024};
                case "in_w5" -> new int[] {6400, 4096, 1024};
                case "rec_w1" -> new int[] {1, 1024, 256};
                case "rec_w3" -> new int[] {64, 1536, 512};
                case "step_w4_l0" -> new int[] {32, 1024, 384};
                case "step_w4_l1" -> new int[] {32, 1024, 768};
                default -> throw new IllegalArgumentException("unknown shape " + shape);
            };
            m = mnk[0];
            n = mnk[1];
            k = mnk[2];
            transA = Transpose.NO;
            transB = Transpose.YES;
            lda = k;
            ldb = k;
        }
        long aFloats = transA == Transpose.NO ? (long) m * lda : (long) k * lda;
        long bFloats = transB == Transpose.NO ? (long) k * ldb : (long) n * ldb;
        a = random(arena, aFloats, 1);
        b = random(arena, bFloats, 2);
        c = arena.allocate((long) m * n * Float.BYTES, 64);
        switch (weights) {
            case "prepared" -> prepared = weightGradient ? null : g.prepareB(transB, k, n, b, 0, ldb);
            case "plain" -> prepared = null;
            default -> throw new IllegalArgumentException("weights=" + weights + ": expected prepared or plain");
        }
        validate();
        System.out.println("# running " + g.name() + " on " + shape + " m=" + m + " n=" + n + " k=" + k
                + (prepared != null ? " (weights prepared once)" : " (B passed plain per call)"));
    }

    /**
     * One product, as timed, into a C filled with NaN (beta = 0: C is not read, so every element must be written,
     * which a scan of all of C checks), then {@link #SAMPLES} elements, the four corners and the rest seeded at
     * random, against the dot product of op(A)'s row and op(B)'s column in double. Tolerance 1e-6·k + 1e-5, as in
     * GemmTest: a float sum of k products of values in [-1, 1] is off by about 2^-24·sqrt(k) (rounding steps) ·
     * sqrt(k) (the partial sums' size), ~6e-8·k, so 1e-6·k leaves a margin of 16; a wrong index, stride or packed
     * panel is off by O(1).
     */
    private void validate() {
        c.fill((byte) 0xFF); // every float a NaN
        sgemm();
        for (long e = 0; e < (long) m * n; e++) { // an element left unwritten (a tile the sampling misses) stays NaN
            if (Float.isNaN(c.getAtIndex(ValueLayout.JAVA_FLOAT, e))) {
                throw new IllegalStateException(g.name() + " on " + shape + " (weights=" + weights + "): C["
                        + e / n + "," + e % n + "] was not written (NaN)");
            }
        }
        Random rnd = new Random(3);
        double worst = 0;
        double tolerance = 1e-6 * k + 1e-5;
        for (int s = 0; s < SAMPLES; s++) {
            int i = s < 4 ? (s % 2 == 0 ? 0 : m - 1) : rnd.nextInt(m);
            int j = s < 4 ? (s < 2 ? 0 : n - 1) : rnd.nextInt(n);
            double want = 0;
            for (int p = 0; p < k; p++) {
                long ai = transA == Transpose.NO ? (long) i * lda + p : (long) p * lda + i;
                long bi = transB == Transpose.NO ? (long) p * ldb + j : (long) j * ldb + p;
                want += (double) a.getAtIndex(ValueLayout.JAVA_FLOAT, ai) * b.getAtIndex(ValueLayout.JAVA_FLOAT, bi);
            }
            float got = c.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j);
            double diff = Math.abs(got - want);
            if (!(diff <= tolerance)) { // NaN fails too
                throw new IllegalStateException(g.name() + " on " + shape + " (weights=" + weights + "): C[" + i + ","
                        + j + "] is " + got + ", the dot product in double gives " + want
                        + " (tolerance 1e-6·k + 1e-5 = " + tolerance + ")");
            }
            worst = Math.max(worst, diff);
        }
        System.out.printf(Locale.ROOT, "# checked %d elements of C against dot products in double: worst |diff| %.2e"
                + " (tolerance %.2e)%n", SAMPLES, worst, tolerance);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment sgemm() {
        if (prepared != null) {
            g.sgemm(transA, m, 1f, a, 0, lda, prepared, 0f, c, 0, n);
        } else {
            g.sgemm(transA, transB, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
        }
        return c;
    }

    private static MemorySegment random(Arena arena, long n, long seed) {
        MemorySegment s = arena.allocate(n * Float.BYTES, 64);
        Random rnd = new Random(seed);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() * 2 - 1);
        }
        return s;
    }
}
