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
import dev.recur4j.gemm.GemmKind;
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
 * Inference workloads time {@code forward}; training workloads time {@code forwardBackward}.
 * Inputs are seeded; buffers are allocated in setup, so the timed region allocates only what
 * the engine itself allocates (see {@code -prof gc}).
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
        System.out.println("# running " + engine.impl() + " / " + gemm + " / threads " + threads + " on " + workload);
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
