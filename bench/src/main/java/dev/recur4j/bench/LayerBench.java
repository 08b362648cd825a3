package dev.recur4j.bench;

import dev.recur4j.Impl;
import dev.recur4j.Rnn;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.exec.FastRnn;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.perf.BenchCall;
import dev.recur4j.perf.BenchMode;
import dev.recur4j.perf.ReferenceCheck;
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
 * Whole layers on the standard workloads W1–W7 (and W1B4, W1 with 4 rows), each implementation named by its
 * parameters.
 * Inference workloads time {@code forward}; training workloads time {@code forwardBackward}. In inference, the fast
 * engines run batches of at most {@code SmallBatchForward.MAX_BATCH} (6) rows, W1's and W1B4's, as matrix-vector
 * products that use no GEMM back end: their results name a {@code gemm} that did not run, and the startup line
 * says "small-batch GEMV, the gemm parameter unused" instead of the back end.
 * Inputs are seeded; buffers are allocated in setup, so the timed region allocates only what
 * the engine itself allocates (see {@code -prof gc}).
 *
 * <p>Before timing, setup runs the workload's layer on a cut-down call through the engine under test and through
 * the float64 reference ({@link #validateAgainstReference}) and throws unless they agree. The cut-down call takes
 * the same path as the timed one: T = 5, and the workload's own batch where that is small enough for the
 * small-batch path (W1, W1B4), else 8 rows, which are above {@code SmallBatchForward.MAX_BATCH} so that the GEMM
 * path runs (the reference, naive double arithmetic at about 0.4 GFLOP/s, would take minutes on W5's full call;
 * on 8 rows × 5 steps it takes about 2 s).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LayerBench {

    @Param({"W1", "W2", "W3", "W4", "W5", "W6", "W7", "W1B4"})
    public Workload workload;

    @Param({"simd", "scalar"})
    public String impl;

    @Param({"openblas", "java"})
    public String gemm;

    @Param({"1"})
    public int threads;

    /** The validation's batch on the GEMM path (more rows if the small-batch path takes 8) and its length. */
    private static final int CHECK_BATCH = 8;
    private static final int CHECK_STEPS = 5;

    private RnnEngine engine;
    private RnnBatch batch;
    private RnnResult out;
    private RnnGradOutput gradOut;
    private RnnGradients grads;

    @Setup(Level.Trial)
    public void setUp() {
        RnnSpec spec = workload.spec();
        RnnWeights weights = RnnWeights.random(spec, 0);
        engine = Rnn.create(weights, Impl.fromCliName(impl), GemmKind.fromCliName(gemm), threads);
        Random rnd = new Random(1);
        int b = workload.batch;
        int t = workload.seqLen;
        batch = RnnBatch.of(b, t, randoms(rnd, b * t * spec.inputSize()));
        out = RnnResult.allocate(spec, b, t);
        gradOut = new RnnGradOutput(randoms(rnd, out.output().length), null, null);
        grads = RnnGradients.allocate(spec, b, t);
        try {
            validateAgainstReference(weights);
        } catch (RuntimeException e) {
            engine.close(); // its threads and native memory, whether or not a teardown follows (close is idempotent)
            throw e;
        }
        System.out.println("# running " + engine.impl() + " / " + path() + " / threads " + threads + " on " + workload);
    }

    /**
     * Whether the timed call takes {@code SmallBatchForward}, the matrix-vector path that uses no GEMM: a fast
     * engine's inference on a batch {@link FastRnn#forwardTakesSmallBatchPath} sends there (W1, W1B4).
     */
    private boolean smallBatchPath() {
        return engine.impl() != Impl.REFERENCE && !workload.training
                && FastRnn.forwardTakesSmallBatchPath(workload.spec(), workload.batch, workload.seqLen);
    }

    /** The path the timed call takes, for the startup line: results name the gemm parameter even where it is unused. */
    private String path() {
        if (engine.impl() == Impl.REFERENCE) {
            return "the float64 reference, the gemm parameter unused";
        }
        return smallBatchPath() ? "small-batch GEMV, the gemm parameter unused" : "gemm " + gemm;
    }

    /**
     * The workload's layer on a cut-down call (see the class comment) through the engine under test, then every row
     * of its results against the float64 reference on the same weights and inputs by {@code bench --check}'s
     * {@link ReferenceCheck#checkEveryRow}: output, h_n, c_n and, for the training workloads, every gradient (input,
     * h0, c0 and the parameters'), within the tests' tolerance (ReferenceCheck's comment says why it holds on these
     * shapes), where a wrong index, gate or mask is off by 1e-2 or more.
     */
    private void validateAgainstReference(RnnWeights weights) {
        RnnSpec spec = weights.spec();
        // the timed call's path: its own batch on the small-batch path, else enough rows to stay off it
        int b = smallBatchPath() ? workload.batch : Math.min(workload.batch, CHECK_BATCH);
        int t = Math.min(CHECK_STEPS, workload.seqLen);
        while (!workload.training && !smallBatchPath() && b < workload.batch
                && FastRnn.forwardTakesSmallBatchPath(spec, b, t)) {
            b++;
        }
        Random rnd = new Random(2);
        RnnBatch in = RnnBatch.of(b, t, randoms(rnd, b * t * spec.inputSize()));
        RnnResult result = RnnResult.allocate(spec, b, t);
        BenchCall call = workload.training
                ? new BenchCall(engine, in, result, new RnnGradOutput(randoms(rnd, result.output().length), null,
                        null), RnnGradients.allocate(spec, b, t), BenchMode.TRAINING)
                : new BenchCall(engine, in, result, null, null, BenchMode.INFERENCE);
        call.run();
        ReferenceCheck.Result check = ReferenceCheck.checkEveryRow(weights, call);
        String what = workload + " cut to B=" + b + ", T=" + t + " on " + engine.impl().cliName() + " / " + path()
                + " / threads " + threads;
        if (!check.passed()) {
            throw new IllegalStateException(what + " differs from the float64 reference: " + check);
        }
        System.out.printf(Locale.ROOT, "# checked %s against the float64 reference: %d tensors agree, worst diff /"
                + " tolerance %.3g%n", what, check.tensors().size(), check.worstRatio());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public float run() {
        if (workload.training) {
            engine.forwardBackward(batch, gradOut, out, grads);
        } else {
            engine.forward(batch, out);
        }
        return out.output()[0];
    }

    private static float[] randoms(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return a;
    }
}
