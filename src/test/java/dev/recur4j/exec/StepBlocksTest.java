package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.DepthRangedB;
import dev.recur4j.gemm.ForwardingGemm;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.GemmTileOrder;
import dev.recur4j.gemm.JavaGemm;
import dev.recur4j.gemm.PreparedB;
import dev.recur4j.gemm.Transpose;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Inference with the input projection in the steps runs each step in blocks of {@link ForwardPass#STEP_BLOCK_ROWS}
 * rows when the GEMM streams its weights once per a divisor of that many rows anyway ({@link
 * Gemm#rowsPerPreparedBPass}). The blocks must not change a bit: the Java GEMM computes a row's tiles the same
 * whichever rows share its call. So on any machine, the same Java GEMM reporting 8 rows a pass (blocks) and 0 (one
 * block) must give the same results, and so must the batch with its rows reversed (most rows then in another block).
 * With 2 threads a one-direction layer splits its rows, so the second thread's blocks start inside the batch; a
 * bidirectional one runs a direction per thread. Whether the values are right is {@link FastVsReferenceTest}'s and
 * {@link InputFusionTest}'s job (batches of 17 against the reference).
 */
class StepBlocksTest {
    /** Three blocks, the last partial and not a multiple of the GEMM's 8-row panels. */
    private static final int BATCH = 2 * ForwardPass.STEP_BLOCK_ROWS + 5;
    private static final int SEQ = 5;

    @Test
    void blocksOnlyWhereTheyCostNoPassOverTheWeights() {
        assertTrue(ForwardPass.blocksSteps(new PassRows(8)), "the Java GEMM walking A panels outer");
        assertFalse(ForwardPass.blocksSteps(new PassRows(0)), "B packed per call (OpenBLAS)");
        assertFalse(ForwardPass.blocksSteps(new PassRows(192)), "the Java GEMM in BLIS's order: B once per 192 rows");
        assertEquals(JavaGemm.tileOrder() == GemmTileOrder.A_PANEL_OUTER, ForwardPass.blocksSteps(new JavaGemm()));
    }

    @ParameterizedTest
    @CsvSource({"LSTM, SIMD, 1, true", "LSTM, SIMD, 2, false", "LSTM, SCALAR, 2, true", "GRU, SIMD, 1, true",
            "GRU, SIMD, 2, false", "GRU, SCALAR, 1, false"})
    void blocksGiveTheBitsOfOneBlock(CellKind cell, Impl impl, int threads, boolean bidirectional) {
        RnnSpec spec = RnnSpec.builder(cell, 7, 19).numLayers(2).bidirectional(bidirectional).build();
        assertTrue(InputFusion.applies(spec), "the steps project their input");
        RnnWeights w = RnnWeights.random(spec, 3);
        Random rnd = new Random(20261203L + threads);
        int[] lengths = new int[BATCH];
        for (int b = 0; b < BATCH; b++) {
            lengths[b] = 1 + rnd.nextInt(SEQ);
        }
        RnnBatch in = new RnnBatch(BATCH, SEQ, RandomConfig.uniform(rnd, BATCH * SEQ * spec.inputSize()), lengths,
                RandomConfig.uniform(rnd, spec.slots() * BATCH * spec.outputSize()),
                cell == CellKind.LSTM ? RandomConfig.uniform(rnd, spec.slots() * BATCH * spec.hiddenSize()) : null);
        RnnBatch reversed = new RnnBatch(BATCH, SEQ, reverseRows(in.input(), 1), reverse(lengths),
                reverseRows(in.h0(), spec.slots()), reverseRows(in.c0(), spec.slots()));
        PassRows once = new PassRows(0);
        PassRows perPanel = new PassRows(8);
        RnnResult oneBlock = forward(w, impl, once, threads, in);
        RnnResult blocks = forward(w, impl, perPanel, threads, in);
        RnnResult blocksReversed = forward(w, impl, perPanel, threads, reversed);
        // a thread whose rows finish first ran every step with all of them (18 or more; rows handed between
        // threads go from a slower thread to it), so one step's product had more rows than a block without blocks
        assertTrue(once.mostRows.get() > ForwardPass.STEP_BLOCK_ROWS, "rows of a step's product without blocks: "
                + once.mostRows.get());
        assertEquals(ForwardPass.STEP_BLOCK_ROWS, perPanel.mostRows.get(), "the most rows of a step's product");
        assertSameBits(spec, oneBlock, blocks, "blocks");
        assertSameBits(spec, oneBlock, new RnnResult(BATCH, SEQ, reverseRows(blocksReversed.output(), 1),
                reverseRows(blocksReversed.hN(), spec.slots()), reverseRows(blocksReversed.cN(), spec.slots())),
                "blocks, rows reversed");
    }

    private static RnnResult forward(RnnWeights w, Impl impl, Gemm gemm, int threads, RnnBatch in) {
        RnnResult out = RnnResult.allocate(w.spec(), in.batch(), in.seqLen());
        try (FastRnn e = new FastRnn(w, impl, gemm, threads)) {
            e.forward(in, out);
        }
        return out;
    }

    private static void assertSameBits(RnnSpec spec, RnnResult want, RnnResult got, String what) {
        assertArrayEquals(want.output(), got.output(), what + ": output");
        assertArrayEquals(want.hN(), got.hN(), what + ": h_n");
        if (spec.hasCellState()) {
            assertArrayEquals(want.cN(), got.cN(), what + ": c_n");
        }
    }

    /** a as [groups, BATCH, rest] with its rows in reverse order in every group; null stays null. */
    private static float[] reverseRows(float[] a, int groups) {
        if (a == null) {
            return null;
        }
        assertEquals(0, a.length % (groups * BATCH));
        int rest = a.length / (groups * BATCH);
        float[] r = new float[a.length];
        for (int g = 0; g < groups; g++) {
            for (int b = 0; b < BATCH; b++) {
                System.arraycopy(a, (g * BATCH + b) * rest, r, (g * BATCH + BATCH - 1 - b) * rest, rest);
            }
        }
        return r;
    }

    private static int[] reverse(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[a.length - 1 - i] = a[i];
        }
        return r;
    }

    /**
     * The Java GEMM, reporting the given rows per pass over a prepared B, so the test decides whether steps block;
     * it keeps the most rows of a product with a prepared or depth-ranged B (in these layers, only the steps' products:
     * an LSTM's, and a GRU's over [x_t | h] in parts).
     */
    private static final class PassRows extends ForwardingGemm {
        private final int rows;
        final AtomicInteger mostRows = new AtomicInteger();

        PassRows(int rows) {
            super(new JavaGemm());
            this.rows = rows;
        }

        @Override
        public int rowsPerPreparedBPass() {
            return rows;
        }

        @Override
        public void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda, PreparedB b,
                          float beta, MemorySegment c, long cOff, int ldc) {
            mostRows.accumulateAndGet(m, Math::max);
            super.sgemm(transA, m, alpha, a, aOff, lda, b, beta, c, cOff, ldc);
        }

        @Override
        public void sgemm(int m, MemorySegment a, long aOff, int lda, DepthRangedB b, MemorySegment c, long cOff,
                          int ldc) {
            mostRows.accumulateAndGet(m, Math::max);
            super.sgemm(m, a, aOff, lda, b, c, cOff, ldc);
        }
    }
}
