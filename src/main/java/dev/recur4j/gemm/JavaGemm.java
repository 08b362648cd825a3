package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Pure-Java SGEMM with the Vector API, {@code C = alpha * op(A) * op(B) + beta * C}, in the
 * GotoBLAS / BLIS structure:
 *
 * <pre>
 * for jc in n by NC:                      B block  op(B)[pc : pc+kb, jc : jc+NC] packed once per (jc, pc)
 *   for pc in k by kb:                    kb = depthBlock(k) <= KC; beta applies to the first block only,
 *     pack B block -> panels of NR columns          later blocks add
 *     for ic in m by MC:
 *       pack A block op(A)[ic : ic+MC, pc : pc+kb] -> panels of h rows (h = MR, or 6 and 4 below 512 bits)
 *       for jr in NC by NR:               one B micro-panel [kb x NR] (up to 128 KB) stays in L2 ...
 *         for ir in MC by h:              ... while the A micro-panels [h x kb] stream from L2
 *           C[h x NR] (+)= A panel * B panel       micro-kernel, h x 2 vector accumulators
 * </pre>
 * (with 512-bit vectors on a Zen 4, jr and ir swap: {@link GemmTileOrder}).
 *
 * The micro-kernel keeps h x 2 FMA accumulators (h rows, 2 vectors of columns) in registers:
 * per k step it loads 2 vectors of packed B and broadcasts h packed A values, the BLIS
 * {@code MR x 2v} shape: MR = 6 (12 accumulators + 3 operands fit in 16 AVX2 registers) or, with
 * 512-bit vectors, MR = 8 (16 + 3 of AVX-512's 32 registers; fewer loads per FMA and no padded
 * tile for batch shares of 32 or 64 rows: 64 x 2048 x 512 went from 125 to 153 GFLOP/s, 32 rows
 * from 99 to 165).
 * Below 512 bits the rows are cut into panels of 6 and 4 ({@link #panelRows}, kernels in
 * {@link NarrowKernels}) so that even row counts need no padding. Partial edge tiles are computed in
 * full (packing pads with zeros). A full tile with alpha = 1 and beta 0 or 1 (every product recur4j
 * makes) goes, with 512-bit vectors, from the accumulators straight into C; edge tiles, other
 * alpha/beta and every tile below 512 bits go through a small spill buffer and are merged into C
 * from there. Works on heap ({@code MemorySegment.ofArray(float[])})
 * and native segments; C is not read when {@code beta == 0}. One call runs on the calling thread.
 *
 * <p>A B that is reused across calls (recurrent weights) can be packed once with {@link #packB}
 * and multiplied with the {@link GemmPackedB} overloads, which skip the per-call B packing: with
 * m = 64 that packing costs about a third of the call.
 *
 * <p>The vector width comes from {@code -Drecur4j.vectorBits=64|128|256|512} (default: the preferred
 * species of this CPU). Steady state allocates nothing: packing buffers live in a {@link GemmScratch},
 * passed explicitly or kept one per thread (0.8 MB each, 4.8 MB once a product with an unpacked B
 * ran; so pooled threads, not one virtual thread per task, should call the thread-local overloads).
 */
public final class JavaGemm implements Gemm {
    /** The one species of this class, chosen once so C2 can fold it. */
    static final VectorSpecies<Float> F = chooseSpecies();
    static final int L = F.length();
    /**
     * Micro-tile rows (broadcast A values per k step), the tallest panel: 8 with 512-bit vectors (16
     * accumulators + 2 B vectors + 1 broadcast fit AVX-512's 32 registers; the RNN batch shares per thread,
     * 32, 64, 128, are multiples of 8, so no tile is padded), else 6 (12 + 3 fit AVX2's 16), with panels
     * of 4 where they avoid padding ({@link #panelRows}).
     */
    static final int MR = L >= 16 ? 8 : 6;
    /** Micro-tile columns: two vectors. */
    static final int NR = 2 * L;
    /**
     * Deepest packed block; k is cut into ceil(k / KC) blocks of equal depth ({@link #depthBlock}). Every depth
     * block after the first reads C back and writes it again, so a deep block pays off: the RNN products have
     * k = 256..1024 (one block, each C tile written once) and the weight gradients k = B*T (k = 6400: 7 blocks
     * instead of 25). With 512-bit vectors the B micro-panel is then up to 1024 x 32 x 4 = 128 KB and comes from
     * L2, not L1: still 2 vector loads per 16 FMAs, which Zen 5 sustains (W2 recurrent GEMM, 64 x 2048 x 512:
     * 151 -> 192 GFLOP/s going from KC = 256 to 1024; weight gradient 2048 x 768 x 6400: 128 -> 160).
     */
    static final int KC = 1024;
    /** Rows of one packed A block, a multiple of MR: 192 x 1024 x 4 = 768 KB (L2) with 512-bit vectors. */
    static final int MC = 24 * MR;
    /** Columns of one packed B block, a multiple of NR: up to 1024 x 1024 x 4 = 4 MB (from L3; packed once per block). */
    static final int NC = Math.max(1, 1024 / NR) * NR;
    /** How the 8-row kernel walks a block's tiles here ({@link GemmTileOrder}); a scratch may say otherwise. */
    static final GemmTileOrder TILE_ORDER = GemmTileOrder.chosen();

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ThreadLocal<GemmScratch> SCRATCH = ThreadLocal.withInitial(GemmScratch::new);

    private static VectorSpecies<Float> chooseSpecies() {
        int bits = Gemms.vectorBitsProperty();
        return bits == 0 ? FloatVector.SPECIES_PREFERRED : VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    @Override
    public String name() {
        return "java";
    }

    /**
     * How this machine's products walk their tiles ({@link GemmTileOrder}); null below 512-bit vectors, whose
     * narrow kernels have one order.
     */
    public static GemmTileOrder tileOrder() {
        return MR == 8 ? TILE_ORDER : null;
    }

    /**
     * A panel's rows (8) when the tiles walk A panels outer, which stream all of a B block past each panel; else a
     * block's (MC: each B micro-panel meets every A panel of the block from L2). This machine's order, which the
     * per-thread scratch of the {@link PreparedB} products follows; a test's own scratch may walk the other one.
     */
    @Override
    public int rowsPerPreparedBPass() {
        return tileOrder() == GemmTileOrder.A_PANEL_OUTER ? MR : MC;
    }

    /** The vector width in bits this class runs with. */
    public static int vectorBits() {
        return F.vectorBitSize();
    }

    /** Same as the explicit-scratch overload, with a scratch kept per thread (allocated on a thread's first call). */
    @Override
    public void sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                      float beta, MemorySegment c, long cOff, int ldc) {
        sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, SCRATCH.get());
    }

    /** {@link Gemm#sgemm} with caller-owned packing buffers (one scratch per thread). */
    public void sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                      float beta, MemorySegment c, long cOff, int ldc, GemmScratch scratch) {
        GemmChecks.check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        run(transA, m, n, k, alpha, a, aOff, lda, transB, b, bOff, ldb, null, beta, c, cOff, ldc, scratch);
    }

    /** Packs op(B) [k x n] (B stored [k, n] if NO, [n, k] if YES) for repeated {@link #sgemm(Transpose, int,
     * float, MemorySegment, long, int, GemmPackedB, float, MemorySegment, long, int, GemmScratch) sgemm} calls. */
    public static GemmPackedB packB(Transpose transB, int k, int n, MemorySegment b, long bOff, int ldb) {
        GemmPackedB packed = new GemmPackedB(k, n);
        repackB(transB, b, bOff, ldb, packed);
        return packed;
    }

    /** Refills {@code packed} from B (same k and n), e.g. after an optimizer step; allocates nothing. */
    public static void repackB(Transpose transB, MemorySegment b, long bOff, int ldb, GemmPackedB packed) {
        int k = packed.k, n = packed.n, kb = depthBlock(k);
        float[] stage = SCRATCH.get().stage;
        // Check B alone: reuse the full check with an empty A and C.
        GemmChecks.check(Transpose.NO, transB, 0, n, k, null, 0, Math.max(1, k), b, bOff, ldb, null, 0,
                Math.max(1, n));
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                GemmPacking.packB(transB, b, bOff, ldb, pc, kc, jc, nc, packed.data, packed.blockOffset(jc, pc, nc), NR,
                        stage);
            }
        }
    }

    /** C = alpha * op(A) * op(B) + beta * C with op(B) pre-packed by {@link #packB}: m x packed.n, depth packed.k. */
    public void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda,
                      GemmPackedB b, float beta, MemorySegment c, long cOff, int ldc, GemmScratch scratch) {
        // Check A and C: B's extent was checked when it was packed.
        GemmChecks.check(transA, Transpose.NO, m, b.n, b.k, a, aOff, lda, null, 0, Math.max(1, b.n), c, cOff, ldc,
                false);
        run(transA, m, b.n, b.k, alpha, a, aOff, lda, Transpose.NO, null, 0, 0, b, beta, c, cOff, ldc, scratch);
    }

    /** Same as the explicit-scratch overload, with a scratch kept per thread. */
    public void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda,
                      GemmPackedB b, float beta, MemorySegment c, long cOff, int ldc) {
        sgemm(transA, m, alpha, a, aOff, lda, b, beta, c, cOff, ldc, SCRATCH.get());
    }

    /** Packs op(B) once ({@link #packB}); products with it skip the per-call B packing. */
    @Override
    public PreparedB prepareB(Transpose transB, int k, int n, MemorySegment b, long bOff, int ldb) {
        return new PreparedB(transB, k, n, b, bOff, ldb, packB(transB, k, n, b, bOff, ldb));
    }

    /** Multiplies with the packed copy (or the plain view, for a {@link PreparedB} another back end made). */
    @Override
    public void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda,
                      PreparedB b, float beta, MemorySegment c, long cOff, int ldc) {
        sgemm(transA, m, alpha, a, aOff, lda, b, beta, c, cOff, ldc, SCRATCH.get());
    }

    /** The same, a packed copy multiplied with this scratch. */
    private void sgemm(Transpose transA, int m, float alpha, MemorySegment a, long aOff, int lda,
                       PreparedB b, float beta, MemorySegment c, long cOff, int ldc, GemmScratch scratch) {
        if (b.packed == null) {
            sgemm(transA, b.trans, m, b.n, b.k, alpha, a, aOff, lda, b.b, b.bOff, b.ldb, beta, c, cOff, ldc);
        } else {
            sgemm(transA, m, alpha, a, aOff, lda, b.packed, beta, c, cOff, ldc, scratch);
        }
    }

    /**
     * The parts' products with each block of A's rows packed once over its whole depth (up to KC), each part reading
     * its range of the packed panels: against one product per part, A is packed once instead of once per part. The
     * parts are multiplied one after another as column blocks of one product would be (a part wider than NC in
     * blocks of NC), each tile over its part's depth in one pass, so the bits are those of one product per part.
     * One product per part (the default) when a part is not packed or A is deeper than KC.
     */
    @Override
    public void sgemm(int m, MemorySegment a, long aOff, int lda, DepthRangedB b, MemorySegment c, long cOff,
                      int ldc) {
        sgemm(m, a, aOff, lda, b, c, cOff, ldc, SCRATCH.get());
    }

    /** {@link #sgemm(int, MemorySegment, long, int, DepthRangedB, MemorySegment, long, int)} with this scratch. */
    public void sgemm(int m, MemorySegment a, long aOff, int lda, DepthRangedB b, MemorySegment c, long cOff,
                      int ldc, GemmScratch scratch) {
        boolean packed = b.k <= KC;
        for (PreparedB part : b.parts) {
            packed &= part.packed != null;
        }
        GemmChecks.check(Transpose.NO, Transpose.NO, m, b.n, b.k, a, aOff, lda, null, 0, Math.max(1, b.n), c, cOff,
                ldc, false);
        if (!packed || m == 0 || b.k == 0) {
            // one product per part, as the default, packed ones with this scratch
            for (int i = 0; i < b.parts.length; i++) {
                sgemm(Transpose.NO, m, 1f, a, aOff + b.depths[i], lda, b.parts[i], 0f, c, cOff + b.cols[i], ldc,
                        scratch);
            }
            return;
        }
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            GemmPacking.packA(Transpose.NO, a, aOff, lda, ic, mc, 0, b.k, scratch.packA);
            for (int i = 0; i < b.parts.length; i++) {
                GemmPackedB part = b.parts[i].packed;
                for (int jc = 0; jc < part.n; jc += NC) {
                    int nc = Math.min(NC, part.n - jc);
                    // one depth block (part.k <= b.k <= KC), so the block's panels start at blockOffset(jc, 0, nc);
                    // an empty depth range (part.k = 0) runs no k step and writes zeros, as a product with k = 0
                    multiplyBlock(mc, nc, part.k, b.k, b.depths[i], 1f, part.data, part.blockOffset(jc, 0, nc), 0f,
                            c, cOff + (long) ic * ldc + b.cols[i] + jc, ldc, scratch);
                }
            }
        }
    }

    /**
     * {@link Gemm#sgemmTransASplit} with each block of B packed once for the three products (the separate products
     * pack B twice: W7's weight gradients, 2 x 19.7 MB of [X | H_prev]); the default's three products when split is
     * not a multiple of NR, as the A3 columns must then start inside a packed panel, and when k = 0 (C = 0).
     */
    @Override
    public void sgemmTransASplit(int m1, int m2, int n, int split, int k, MemorySegment s, long a1, int lda1,
                                 long a2, int lda2, long a3, int lda3, long b, int ldb, long c, int ldc) {
        GemmChecks.checkSplit(split, n);
        GemmChecks.check(Transpose.YES, Transpose.NO, m1, n, k, s, a1, lda1, s, b, ldb, s, c, ldc);
        GemmChecks.check(Transpose.YES, Transpose.NO, m2, split, k, s, a2, lda2, s, b, ldb, s, c + (long) m1 * ldc,
                ldc);
        GemmChecks.check(Transpose.YES, Transpose.NO, m2, n - split, k, s, a3, lda3, s, b + split, ldb, s,
                c + (long) m1 * ldc + split, ldc);
        if (split % NR != 0 || k == 0) {
            Gemm.super.sgemmTransASplit(m1, m2, n, split, k, s, a1, lda1, a2, lda2, a3, lda3, b, ldb, c, ldc);
            return;
        }
        GemmScratch scratch = SCRATCH.get();
        float[] packB = scratch.packB();
        long c2 = c + (long) m1 * ldc; // the rows of A2 and A3
        int kb = depthBlock(k);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            // columns [jc, jc + left) of this block are A2's, the rest A3's; left is a multiple of NR, so A3's
            // columns start at a packed panel
            int left = Math.max(0, Math.min(split - jc, nc));
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                float blockBeta = pc == 0 ? 0f : 1f;
                GemmPacking.packB(Transpose.NO, s, b, ldb, pc, kc, jc, nc, packB, 0, NR, scratch.stage);
                multiplyRows(Transpose.YES, m1, s, a1, lda1, pc, kc, nc, 1f, packB, 0, blockBeta, s, c + jc, ldc,
                        scratch);
                if (left > 0) {
                    multiplyRows(Transpose.YES, m2, s, a2, lda2, pc, kc, left, 1f, packB, 0, blockBeta, s, c2 + jc,
                            ldc, scratch);
                }
                if (left < nc) {
                    multiplyRows(Transpose.YES, m2, s, a3, lda3, pc, kc, nc - left, 1f, packB, left * kc, blockBeta, s,
                            c2 + jc + left, ldc, scratch);
                }
            }
        }
    }

    /** Depth of the packed blocks for depth k: ceil(k / KC) blocks of equal depth (the last may be shallower). */
    static int depthBlock(int k) {
        int blocks = Math.max(1, (k + KC - 1) / KC);
        return (k + blocks - 1) / blocks;
    }

    /** The blocked loops; B comes from {@code packed} when given, else from the segment, packed per block. */
    private static void run(Transpose transA, int m, int n, int k, float alpha, MemorySegment a, long aOff, int lda,
                            Transpose transB, MemorySegment b, long bOff, int ldb, GemmPackedB packed,
                            float beta, MemorySegment c, long cOff, int ldc, GemmScratch scratch) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            // BLAS semantics: no product term, and A/B are not read (a NaN there does not propagate).
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        if (packed != null) {
            runPacked(transA, m, n, k, alpha, a, aOff, lda, packed, beta, c, cOff, ldc, scratch);
            return;
        }
        int kb = depthBlock(k);
        float[] packB = scratch.packB();
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                float blockBeta = pc == 0 ? beta : 1f;
                GemmPacking.packB(transB, b, bOff, ldb, pc, kc, jc, nc, packB, 0, NR, scratch.stage);
                multiplyRows(transA, m, a, aOff, lda, pc, kc, nc, alpha, packB, 0, blockBeta, c, cOff + jc, ldc,
                        scratch);
            }
        }
    }

    /**
     * The blocked loops with B packed beforehand: every B block is already in place, so the column
     * blocks move inside and each A block is packed once per call rather than once per column block
     * (with n = 2048 and NC = 1024 the recurrent product packed its A twice).
     */
    private static void runPacked(Transpose transA, int m, int n, int k, float alpha, MemorySegment a, long aOff,
                                  int lda, GemmPackedB packed, float beta, MemorySegment c, long cOff, int ldc,
                                  GemmScratch scratch) {
        int kb = depthBlock(k);
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                float blockBeta = pc == 0 ? beta : 1f;
                GemmPacking.packA(transA, a, aOff, lda, ic, mc, pc, kc, scratch.packA);
                for (int jc = 0; jc < n; jc += NC) {
                    int nc = Math.min(NC, n - jc);
                    multiplyBlock(mc, nc, kc, kc, 0, alpha, packed.data, packed.blockOffset(jc, pc, nc), blockBeta,
                            c, cOff + (long) ic * ldc + jc, ldc, scratch);
                }
            }
        }
    }

    /**
     * The m rows of op(A) against one packed B block of nc columns (pb from pbBase, depth kc from pc): per block of
     * MC rows, pack op(A)[ic : ic+mc, pc : pc+kc] and multiply it into C's rows ic.. from float cCols (the block's
     * first column).
     */
    private static void multiplyRows(Transpose transA, int m, MemorySegment a, long aOff, int lda, int pc, int kc,
                                     int nc, float alpha, float[] pb, int pbBase, float blockBeta, MemorySegment c,
                                     long cCols, int ldc, GemmScratch scratch) {
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            GemmPacking.packA(transA, a, aOff, lda, ic, mc, pc, kc, scratch.packA);
            multiplyBlock(mc, nc, kc, kc, 0, alpha, pb, pbBase, blockBeta, c, cCols + (long) ic * ldc, ldc, scratch);
        }
    }

    /**
     * C block [mc x nc] at float index cBlock (+)= packed A block (scratch.packA) * packed B block at pb[pbBase] of
     * depth kc: the A block was packed aK deep, and this product reads its depth [aDepth, aDepth + kc) (all of it,
     * aK = kc and aDepth = 0, but for a {@link DepthRangedB} part).
     */
    private static void multiplyBlock(int mc, int nc, int kc, int aK, int aDepth, float alpha, float[] pb, int pbBase,
                                      float blockBeta, MemorySegment c, long cBlock, int ldc, GemmScratch scratch) {
        if (MR != 8) {
            multiplyBlockNarrow(mc, nc, kc, aK, aDepth, alpha, pb, pbBase, blockBeta, c, cBlock, ldc, scratch);
            return;
        }
        boolean direct = alpha == 1f && (blockBeta == 0f || blockBeta == 1f);
        if (scratch.tileOrder == GemmTileOrder.A_PANEL_OUTER) {
            for (int ir = 0; ir < mc; ir += MR) {
                for (int jr = 0; jr < nc; jr += NR) {
                    multiplyTile(ir, jr, mc, nc, kc, ir * aK + aDepth * MR, alpha, pb, pbBase, blockBeta, direct, c,
                            cBlock, ldc, scratch);
                }
            }
        } else {
            for (int jr = 0; jr < nc; jr += NR) {
                for (int ir = 0; ir < mc; ir += MR) {
                    multiplyTile(ir, jr, mc, nc, kc, ir * aK + aDepth * MR, alpha, pb, pbBase, blockBeta, direct, c,
                            cBlock, ldc, scratch);
                }
            }
        }
    }

    /**
     * The tile of C at rows ir.., columns jr.. of the block, its A panel's depth kc from packA[ai]: a full tile with
     * alpha = 1 and beta 0 or 1 ({@code direct}) straight from the accumulators, any other through the spill tile.
     */
    private static void multiplyTile(int ir, int jr, int mc, int nc, int kc, int ai, float alpha, float[] pb,
                                     int pbBase, float blockBeta, boolean direct, MemorySegment c, long cBlock,
                                     int ldc, GemmScratch scratch) {
        int mr = Math.min(MR, mc - ir);
        int nr = Math.min(NR, nc - jr);
        if (direct && mr == MR && nr == NR) {
            microKernel8IntoC(kc, scratch.packA, ai, pb, pbBase + jr * kc, c,
                    (cBlock + (long) ir * ldc + jr) * Float.BYTES, (long) ldc * Float.BYTES, blockBeta == 1f);
            return;
        }
        microKernel8(kc, scratch.packA, ai, pb, pbBase + jr * kc, scratch.tile);
        storeTile(scratch.tile, alpha, blockBeta, c, cBlock + (long) ir * ldc + jr, ldc, mr, nr);
    }

    /**
     * {@link #multiplyBlock} below 512-bit vectors: panels of 6 and 4 rows ({@link #panelRows}) with
     * {@link NarrowKernels}, each tile merged into C by {@link #storeTile}.
     */
    private static void multiplyBlockNarrow(int mc, int nc, int kc, int aK, int aDepth, float alpha, float[] pb,
                                            int pbBase, float blockBeta, MemorySegment c, long cBlock, int ldc,
                                            GemmScratch scratch) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int bi = pbBase + jr * kc;
            for (int ir = 0, h; ir < mc; ir += h) {
                h = panelRows(mc, ir);
                int ai = ir * aK + aDepth * h; // the panel's first float in packA at depth aDepth: [aK][h] from ir * aK
                if (h == 6) {
                    NarrowKernels.kernel6(kc, scratch.packASegment, (long) ai * Float.BYTES, pb, bi, scratch.tile);
                } else {
                    NarrowKernels.kernel4(kc, scratch.packA, ai, pb, bi, scratch.tile);
                }
                storeTile(scratch.tile, alpha, blockBeta, c, cBlock + (long) ir * ldc + jr, ldc, Math.min(h, mc - ir),
                        nr);
            }
        }
    }

    /**
     * Height of the packed A panel that starts at row {@code ip} of a block of {@code mc} rows: MR with 512-bit
     * vectors; below, 6 rows, or 4 where that leaves no padded rows (mc = 32 is 6+6+6+6+4+4, not 6 x 6). Only the
     * block's last panel can be padded, so panel {@code ip} starts at float {@code ip * kc} of the packed block.
     */
    static int panelRows(int mc, int ip) {
        if (MR == 8) {
            return MR;
        }
        int left = mc - ip;
        return left <= 4 || left == 7 || left == 8 ? 4 : 6;
    }

    /** Rows of a packed A block of mc rows, padding included. */
    static int packedRows(int mc) {
        int ip = 0;
        while (ip < mc) {
            ip += panelRows(mc, ip);
        }
        return ip;
    }

    /**
     * tile[8][NR] = sum_p A[:, p] B[p, :] over one packed A panel [kc][8] (from {@code ai}) and one packed B
     * panel [kc][NR] (from {@code bi}): 16 accumulators, for 32-register vector units. For edge tiles and alpha
     * != 1 or beta not in {0, 1}, which {@link #storeTile} then merges into C. The kernel must stay small enough
     * for C2 to inline every vector operation: a vector passed to a call that is not inlined gets boxed, i.e.
     * allocated.
     */
    private static void microKernel8(int kc, float[] pa, int ai, float[] pb, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++, ai += 8, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, pb, bi);
            FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
            FloatVector a0 = FloatVector.broadcast(F, pa[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, pa[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, pa[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(F, pa[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(F, pa[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + L);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + L);
    }

    /**
     * {@link #microKernel8} for a full tile with alpha = 1 that ends straight in C (byte offset c0, row
     * stride ldcBytes): C = acc ({@code add} false, beta 0: C is not read) or C += acc (beta 1). It saves
     * the tile round trip (16 stores to a heap array that is not 64-byte aligned, so every 512-bit
     * store and reload splits a cache line) and storeTile's alpha/beta tests. C2's code for it was
     * checked with PrintAssembly: 16 FMAs and 2 B loads per k step, then 16 {@code vaddps mem}
     * + stores, no boxing.
     */
    private static void microKernel8IntoC(int kc, float[] pa, int ai, float[] pb, int bi, MemorySegment c, long c0,
                                        long ldcBytes, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++, ai += 8, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, pb, bi);
            FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
            FloatVector a0 = FloatVector.broadcast(F, pa[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, pa[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, pa[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(F, pa[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(F, pa[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        long at;
        at = c0 + 0L * ldcBytes;
        if (add) {
            c00 = c00.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c01 = c01.add(FloatVector.fromMemorySegment(F, c, at + L * Float.BYTES, ORDER));
        }
        c00.intoMemorySegment(c, at, ORDER);
        c01.intoMemorySegment(c, at + L * Float.BYTES, ORDER);
        at = c0 + 1L * ldcBytes;
        if (add) {
            c10 = c10.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c11 = c11.add(FloatVector.fromMemorySegment(F, c, at + L * Float.BYTES, ORDER));
        }
        c10.intoMemorySegment(c, at, ORDER);
        c11.intoMemorySegment(c, at + L * Float.BYTES, ORDER);
        at = c0 + 2L * ldcBytes;
        if (add) {
            c20 = c20.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c21 = c21.add(FloatVector.fromMemorySegment(F, c, at + L * Float.BYTES, ORDER));
        }
        c20.intoMemorySegment(c, at, ORDER);
        c21.intoMemorySegment(c, at + L * Float.BYTES, ORDER);
        at = c0 + 3L * ldcBytes;
        if (add) {
            c30 = c30.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c31 = c31.add(FloatVector.fromMemorySegment(F, c, at + L * Float.BYTES, ORDER));
        }
        c30.intoMemorySegment(c, at, ORDER);
        c31.intoMemorySegment(c, at + L * Float.BYTES, ORDER);
        at = c0 + 4L * ldcBytes;
        if (add) {
            c40 = c40.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c41 = c41.add(FloatVector.fromMemorySegment(F, c, at + L * Float.BYTES, ORDER));
        }
        c40.intoMemorySegment(c, at, ORDER);
        c41.intoMemorySegment(c, at + L * Float.BYTES, ORDER);
        at = c0 + 5L * ldcBytes;
        if (add) {
            c50 = c50.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c51 = c51.add(FloatVector.fromMemorySegment(F, c, at + L * Float.BYTES, ORDER));
        }
        c50.intoMemorySegment(c, at, ORDER);
        c51.intoMemorySegment(c, at + L * Float.BYTES, ORDER);
        at = c0 + 6L * ldcBytes;
        if (add) {
            c60 = c60.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c61 = c61.add(FloatVector.fromMemorySegment(F, c, at + L * Float.BYTES, ORDER));
        }
        c60.intoMemorySegment(c, at, ORDER);
        c61.intoMemorySegment(c, at + L * Float.BYTES, ORDER);
        at = c0 + 7L * ldcBytes;
        if (add) {
            c70 = c70.add(FloatVector.fromMemorySegment(F, c, at, ORDER));
            c71 = c71.add(FloatVector.fromMemorySegment(F, c, at + L * Float.BYTES, ORDER));
        }
        c70.intoMemorySegment(c, at, ORDER);
        c71.intoMemorySegment(c, at + L * Float.BYTES, ORDER);
    }

    /**
     * C[mr x nr] at float index {@code ci} = alpha * tile + beta * C; C is not read when beta == 0.
     * Tiles of full width go by vectors, whatever their rows (a 4-row panel below 512 bits is a full
     * tile too), edge columns by scalars.
     */
    private static void storeTile(float[] tile, float alpha, float beta, MemorySegment c, long ci, int ldc,
                                  int mr, int nr) {
        if (nr == NR) {
            for (int r = 0; r < mr; r++) {
                long at = (ci + (long) r * ldc) * Float.BYTES;
                for (int j = 0; j < NR; j += L, at += (long) L * Float.BYTES) {
                    FloatVector v = FloatVector.fromArray(F, tile, r * NR + j);
                    if (alpha != 1f) {
                        v = v.mul(alpha);
                    }
                    if (beta != 0f) {
                        FloatVector old = FloatVector.fromMemorySegment(F, c, at, ORDER);
                        v = beta == 1f ? v.add(old) : old.fma(FloatVector.broadcast(F, beta), v);
                    }
                    v.intoMemorySegment(c, at, ORDER);
                }
            }
            return;
        }
        for (int r = 0; r < mr; r++) {
            long row = ci + (long) r * ldc;
            for (int j = 0; j < nr; j++) {
                float v = alpha * tile[r * NR + j];
                c.setAtIndex(FLOAT, row + j, beta == 0f ? v : v + beta * c.getAtIndex(FLOAT, row + j));
            }
        }
    }

    /** C[m x n] = beta * C; C is not read when beta == 0. Vector loop, then the scalar tail from the same index. */
    private static void scale(int m, int n, float beta, MemorySegment c, long cOff, int ldc) {
        if (beta == 1f) {
            return;
        }
        int bound = F.loopBound(n);
        for (int i = 0; i < m; i++) {
            long row = cOff + (long) i * ldc;
            int j = 0;
            for (; j < bound; j += L) {
                long at = (row + j) * Float.BYTES;
                FloatVector v = beta == 0f ? FloatVector.zero(F) : FloatVector.fromMemorySegment(F, c, at, ORDER).mul(beta);
                v.intoMemorySegment(c, at, ORDER);
            }
            for (; j < n; j++) {
                c.setAtIndex(FLOAT, row + j, beta == 0f ? 0f : beta * c.getAtIndex(FLOAT, row + j));
            }
        }
    }
}
