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

/**
 * Several engines over one {@link RnnWeights}, called at the same time from several threads, as a service
 * does with one model and a pool of request threads. Each call must give exactly what the same engine gives
 * when it runs alone, to the bit: an engine's arithmetic does not depend on timing (rows its threads hand to
 * each other are summed in the same order, see {@link RowShareTest}), so any difference means that engines
 * share something they should not (a workspace, packed weights being rewritten, a static buffer). The weights
 * must be unchanged afterwards: engines prepare copies and never write the caller's arrays.
 *
 * <p>Engines of 1 and 2 threads, batches on the small-batch path and on the GEMM path, inference and
 * training, every cell; 3 engines with up to 2 threads each on a 2-core machine also checks that their
 * spinning threads make progress when there are more of them than cores.
 */
@Timeout(120)
class SharedWeightsTest {
    private static final int CASES = 12;
    private static final int ENGINES = 3;
    private static final int REPEATS = 4;
    private static final int[] BATCH = {1, 3, 9, 33};
    private static final int[] STEPS = {1, 5, 20};
    private static final int[] HIDDEN = {1, 17, 64, 129};

    /** One engine's share of a case: its inputs and what it gave alone. */
    private record Job(RnnEngine engine, RnnBatch batch, RnnGradOutput gradOut, boolean training,
                       List<float[]> alone, String name) {
    }

    @Test
    void enginesOverOneWeightsGiveWhatEachGivesAlone() throws Exception {
        Random rnd = new Random(20261201L);
        for (int c = 0; c < CASES; c++) {
            CellKind cell = CellKind.values()[c % CellKind.values().length];
            RnnSpec spec = RnnSpec.builder(cell, 1 + rnd.nextInt(70), HIDDEN[rnd.nextInt(HIDDEN.length)])
                    .numLayers(1 + rnd.nextInt(2))
                    .bidirectional(rnd.nextBoolean())
                    .build();
            RnnWeights weights = RnnWeights.random(spec, rnd.nextLong());
            List<float[]> weightsBefore = copies(params(weights));
            List<Job> jobs = new ArrayList<>();
            try {
                for (int e = 0; e < ENGINES; e++) {
                    jobs.add(job(rnd, spec, weights, c, e));
                }
                List<String> failures = runTogether(jobs);
                assertEquals(List.of(), failures, spec.toString());
            } finally {
                for (Job j : jobs) {
                    j.engine().close();
                }
            }
            List<float[]> weightsAfter = params(weights);
            for (int i = 0; i < weightsBefore.size(); i++) {
                assertArrayEquals(weightsBefore.get(i), weightsAfter.get(i), spec + ": weight array " + i + " changed");
            }
        }
    }

    private static Job job(Random rnd, RnnSpec spec, RnnWeights weights, int c, int e) {
        Impl impl = rnd.nextBoolean() ? Impl.SIMD : Impl.SCALAR;
        int threads = 1 + rnd.nextInt(2);
        int b = BATCH[rnd.nextInt(BATCH.length)];
        int t = STEPS[rnd.nextInt(STEPS.length)];
        RnnBatch batch = RandomConfig.batch(rnd, spec, b, t);
        boolean training = rnd.nextBoolean();
        RnnGradOutput gradOut = new RnnGradOutput(
                RandomConfig.uniform(rnd, b * t * spec.directions() * spec.outputSize()), null, null);
        RnnEngine engine = Rnn.create(weights, impl, GemmKind.JAVA, threads);
        String name = "case " + c + " engine " + e + " (" + impl + ", " + threads + " threads, B=" + b + ", T=" + t
                + (training ? ", training)" : ")");
        return new Job(engine, batch, gradOut, training, copies(call(engine, batch, gradOut, training)), name);
    }

    /** Every job's engine called REPEATS times on its own thread, all starting together; the differences found. */
    private static List<String> runTogether(List<Job> jobs) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(jobs.size());
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (Job j : jobs) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int r = 0; r < REPEATS; r++) {
                        List<float[]> got = call(j.engine(), j.batch(), j.gradOut(), j.training());
                        for (int i = 0; i < got.size(); i++) {
                            if (!Arrays.equals(j.alone().get(i), got.get(i))) {
                                failures.add(j.name() + ", repeat " + r + ": result array " + i + " differs");
                                return;
                            }
                        }
                    }
                } catch (Exception | AssertionError ex) {
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
