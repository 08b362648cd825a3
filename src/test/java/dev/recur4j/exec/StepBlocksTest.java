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
import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.GemmTileOrder;
import dev.recur4j.gemm.JavaGemm;
import dev.recur4j.gemm.PreparedB;
import dev.recur4j.gemm.Transpose;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Inference with the input projection in the steps runs each step in blocks of {@link ForwardPass#STEP_BLOCK_ROWS}
 * rows when the GEMM streams its weights once per block of rows anyway ({@link Gemm#rowsPerPreparedBPass}). The
 * blocks must not change a bit: the Java GEMM computes a row's tiles the same whichever rows share its call. So on
 * any machine, the same Java GEMM reporting 8 rows a pass (blocks) and 0 (one block) must give the same results, and
 * so must the batch with its rows reversed (each row in another block). Whether the values are right is {@link
 * FastVsReferenceTest}'s and {@link InputFusionTest}'s job (batches of 17 and more against the reference).
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
    @CsvSource({"LSTM, SIMD, 1", "LSTM, SIMD, 2", "LSTM, SCALAR, 1", "GRU, SIMD, 1", "GRU, SIMD, 2", "GRU, SCALAR, 2"})
    void blocksGiveTheBitsOfOneBlock(CellKind cell, Impl impl, int threads) {
        RnnSpec spec = RnnSpec.builder(cell, 7, 19).numLayers(2).bidirectional(true).build();
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
        RnnResult oneBlock = forward(w, impl, new PassRows(0), threads, in);
        RnnResult blocks = forward(w, impl, new PassRows(8), threads, in);
        RnnResult blocksReversed = forward(w, impl, new PassRows(8), threads, reversed);
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

    /** The Java GEMM, reporting the given rows per pass over a prepared B, so the test decides whether steps block. */
    private static final class PassRows implements Gemm {
        private final JavaGemm gemm = new JavaGemm();
        private final int rows;

        PassRows(int rows) {
            this.rows = rows;
        }

        @Override
        public int rowsPerPreparedBPass() {
            return rows;
        }

        @Override
        public String name() {
            return gemm.name();
        }

        @Override
        public void sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, MemorySegment a,
                          long aOff, int lda, MemorySegment b, long bOff, int ldb, float beta, MemorySegment c,
                          long cOff, int ldc) {
            gemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }

        @Override
        public PreparedB prepareB(Transpose transB, int k, int n, MemorySegment b, long bOff, int ldb) {
            return gemm.prepareB(transB, k, n, b, bOff, ldb);
        }

        @Override
        public void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda, PreparedB b,
                          float beta, MemorySegment c, long cOff, int ldc) {
            gemm.sgemm(transA, m, alpha, a, aOff, lda, b, beta, c, cOff, ldc);
        }
    }
}
