package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recur4j.CellKind;
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
import dev.recur4j.gemm.GemmKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * Several engines over one {@link RnnWeights}, called at the same time from several threads, as a service
 * does with one model and a pool of request threads. Each call must give bit-for-bit what a twin engine (same
 * implementation and thread count, created apart) gives when it runs alone: an engine's arithmetic does not
 * depend on timing (rows its threads hand to each other are summed in the same order, see {@link RowShareTest};
 * training splits rows the same way on every call), so any difference means that engines share something they
 * should not (a workspace, packed weights being rewritten, a static buffer). The engines under test make their
 * first calls, and grow their workspaces from one shape to a larger one, while the others run. The weights must
 * be unchanged afterwards: engines prepare copies and never write the caller's arrays. Bit equality also needs
 * each kernel to give the same bits before and after C2 compiles it: this test is how the Vector API's TANH and EXP
 * (SVML after compilation, a Java loop before) were found in two kernels and replaced.
 *
 * <p>Engines of 1 and 2 threads, batches on the small-batch path and on the GEMM path, inference and training,
 * every cell and variant (peepholes, projections, reset-before-linear GRU, no bias). With 3 engines of up to 2
 * threads each on a 2-core machine, their spinning threads must also make progress when there are more of them
 * than cores: the timeout runs in a thread of its own, so a deadlock fails the test instead of hanging the build.
 */
@Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD)
class SharedWeightsTest {
    private static final int CASES = 12;
    private static final int ENGINES = 3;
    private static final int REPEATS = 4;
    private static final int[] BATCH = {1, 3, 9, 33};
    private static final int[] STEPS = {1, 5, 20};
    private static final int[] HIDDEN = {1, 17, 64, 129};

    /** One call of an engine: its inputs, and what the engine's twin gave for them alone. */
    private record Call(RnnBatch batch, RnnGradOutput gradOut, boolean training, List<float[]> alone) {
    }

    /** One engine under test: its calls in order (a smaller shape, then a larger one), never run before. */
    private record Job(RnnEngine engine, List<Call> calls, String name) {
    }

    @Test
    void enginesOverOneWeightsGiveWhatEachGivesAlone() throws Exception {
        Random rnd = new Random(Long.getLong("recur4j.test.seed", 20261201L));
        for (int c = 0; c < CASES; c++) {
            // every cell in turn, each in variants 0, 1, 2 (see spec): chosen, not drawn, so no seed skips one
            RnnSpec spec = spec(rnd, CellKind.values()[c % CellKind.values().length], c / CellKind.values().length);
            RnnWeights weights = RnnWeights.random(spec, rnd.nextLong());
            List<float[]> weightsBefore = copies(params(weights));
            List<RnnEngine> engines = new ArrayList<>();
            try {
                List<Job> jobs = new ArrayList<>();
                for (int e = 0; e < ENGINES; e++) {
                    jobs.add(job(rnd, spec, weights, "case " + c + " engine " + e, engines));
                }
                assertEquals(List.of(), runTogether(jobs), spec.toString());
            } finally {
                for (RnnEngine e : engines) {
                    e.close();
                }
            }
            List<float[]> weightsAfter = params(weights);
            for (int i = 0; i < weightsBefore.size(); i++) {
                assertArrayEquals(weightsBefore.get(i), weightsAfter.get(i), spec + ": weight array " + i + " changed");
            }
        }
    }

    /** LSTM: variant 0 plain, 1 with peepholes, 2 with a projection; GRU: variant 1 reset-before-linear. */
    private static RnnSpec spec(Random rnd, CellKind cell, int variant) {
        // a projection needs H > 1: the projection variant draws from the sizes above 1 (HIDDEN[0] is 1)
        boolean projection = cell == CellKind.LSTM && variant == 2;
        int h = projection ? HIDDEN[1 + rnd.nextInt(HIDDEN.length - 1)] : HIDDEN[rnd.nextInt(HIDDEN.length)];
        RnnSpec.Builder b = RnnSpec.builder(cell, 1 + rnd.nextInt(70), h)
                .numLayers(1 + rnd.nextInt(2))
                .bidirectional(rnd.nextBoolean())
                .bias(rnd.nextInt(4) != 0);
        if (cell == CellKind.LSTM) {
            b.peepholes(variant == 1);
            if (projection) {
                b.projSize(1 + rnd.nextInt(h - 1));
            }
        }
        if (cell == CellKind.GRU) {
            b.linearBeforeReset(variant != 1);
        }
        return b.build();
    }

    /**
     * An engine under test and its twin (both added to {@code engines}, which the caller closes): the twin
     * computes, alone and now, what each of the engine's calls must give.
     */
    private static Job job(Random rnd, RnnSpec spec, RnnWeights weights, String name, List<RnnEngine> engines) {
        Impl impl = rnd.nextBoolean() ? Impl.SIMD : Impl.SCALAR;
        int threads = 1 + rnd.nextInt(2);
        RnnEngine engine = Rnn.create(weights, impl, GemmKind.JAVA, threads);
        engines.add(engine);
        RnnEngine twin = Rnn.create(weights, impl, GemmKind.JAVA, threads);
        engines.add(twin);
        // two shapes, the second at least as large in B and T, so that the engine grows its workspace mid-run
        // the first call of at most 3 rows and inference: every engine starts on the small-batch path (an LSTM
        // with a projection excepted, which that path does not take)
        int b0 = rnd.nextInt(2);
        int t0 = rnd.nextInt(STEPS.length);
        int[][] shapes = {{BATCH[b0], STEPS[t0]},
                {BATCH[b0 + rnd.nextInt(BATCH.length - b0)], STEPS[t0 + rnd.nextInt(STEPS.length - t0)]}};
        List<Call> calls = new ArrayList<>();
        StringBuilder what = new StringBuilder(name + " (" + impl + ", " + threads + " threads");
        for (int[] shape : shapes) {
            int b = shape[0];
            int t = shape[1];
            RnnBatch batch = RandomConfig.batch(rnd, spec, b, t);
            boolean training = shape != shapes[0] && rnd.nextBoolean();
            RnnGradOutput gradOut = new RnnGradOutput(
                    RandomConfig.uniform(rnd, b * t * spec.directions() * spec.outputSize()), null, null);
            calls.add(new Call(batch, gradOut, training, copies(call(twin, batch, gradOut, training))));
            what.append(", B=").append(b).append(" T=").append(t).append(training ? " training" : "");
        }
        return new Job(engine, calls, what.append(")").toString());
    }

    /**
     * Every job's engine on its own thread, all starting together, REPEATS times through its calls; the
     * differences found.
     */
    private static List<String> runTogether(List<Job> jobs) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(jobs.size());
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (Job j : jobs) {
            threads.add(Thread.ofPlatform().daemon().start(() -> {
                try {
                    start.await();
                    for (int r = 0; r < REPEATS; r++) {
                        for (int n = 0; n < j.calls().size(); n++) {
                            Call c = j.calls().get(n);
                            List<float[]> got = call(j.engine(), c.batch(), c.gradOut(), c.training());
                            for (int i = 0; i < got.size(); i++) {
                                if (!Arrays.equals(c.alone().get(i), got.get(i))) {
                                    failures.add(j.name() + ", repeat " + r + ", call " + n + ": result array " + i
                                            + " differs");
                                    return;
                                }
                            }
                        }
                    }
                } catch (Throwable ex) {
                    failures.add(j.name() + ": " + ex);
                }
            }));
        }
        for (Thread th : threads) {
            th.join();
        }
        return new ArrayList<>(failures);
    }

    /** One call's results in fresh arrays: output, h_n, c_n, and when training every gradient array. */
    private static List<float[]> call(RnnEngine engine, RnnBatch batch, RnnGradOutput gradOut, boolean training) {
        RnnSpec spec = engine.spec();
        RnnResult out = RnnResult.allocate(spec, batch.batch(), batch.seqLen());
        List<float[]> all = new ArrayList<>();
        if (training) {
            RnnGradients grads = RnnGradients.allocate(spec, batch.batch(), batch.seqLen());
            engine.forwardBackward(batch, gradOut, out, grads);
            all.add(grads.gradInput());
            all.add(grads.gradH0());
            all.add(grads.gradC0());
            all.addAll(params(grads.params()));
        } else {
            engine.forward(batch, out);
        }
        all.add(out.output());
        all.add(out.hN());
        all.add(out.cN());
        return all;
    }

    /** Every array of every layer and direction (absent ones as null). */
    private static List<float[]> params(RnnWeights w) {
        List<float[]> all = new ArrayList<>();
        RnnSpec spec = w.spec();
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                LayerParams p = w.layer(l, d);
                all.addAll(Arrays.asList(p.wIh(), p.wHh(), p.bIh(), p.bHh(), p.wHr(), p.wPeep()));
            }
        }
        return all;
    }

    private static List<float[]> copies(List<float[]> arrays) {
        List<float[]> c = new ArrayList<>();
        for (float[] a : arrays) {
            c.add(a == null ? null : a.clone());
        }
        return c;
    }
}
