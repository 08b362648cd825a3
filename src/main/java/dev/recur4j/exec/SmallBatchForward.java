package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.kernel.GemvKernels;
import java.util.Arrays;
import java.util.logging.Logger;

/**
 * Inference for small batches, where each step is a matrix-vector product and per-step overhead,
 * not arithmetic, decides the latency. Weights are packed once ({@link SmallBatchWeights}) so one
 * sequential pass over a block's weights gives all gates of V hidden units, which the cell update
 * consumes at once ({@link GemvKernels}).
 *
 * <p>The grid: layers, then directions, then batch rows one after another, then steps (downward
 * for the reverse direction, from the row's own length). For each row, the input projection of
 * all its valid steps runs first (x[t]·W_ih^T + bias, 4 steps per weight load), then the steps.
 *
 * <p>Threads: the hidden-unit blocks are split into contiguous ranges, one per {@link SpinTeam}
 * member; a member owns its units' gates, cell state, h and output columns, and its slice of
 * W_hh (H·G·|range| floats) stays in its core's L2 across all steps. After each step the members
 * meet at a {@link SpinBarrier}, so everyone reads the complete new h (double-buffered: step t reads
 * h[t&1] and writes the other); GRU reset-before-linear needs one more barrier per step, between
 * r⊙h and W_hn (r⊙h). Buffers grow when a call needs more and are reused, so repeated calls
 * allocate nothing.
 *
 * <p>Not supported (the caller uses the general path): LSTM projections.
 */
final class SmallBatchForward implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SmallBatchForward.class.getName());

    /**
     * The largest batch this path takes: {@code -Drecur4j.smallBatchMax=N}, 0 disables it. Batch rows
     * run one after another here, so the general (GEMM) path wins once B is large enough to fill
     * its register tiles.
     */
    static final int MAX_BATCH = Integer.getInteger("recur4j.smallBatchMax", 4);

    /**
     * Blocks per GEMV call: for the LSTM, {@link GemvKernels#gemv} reads that many blocks' weights as
     * parallel streams (faster than one stream); for every cell but GRU reset-before-linear, the cell
     * update follows while the group's gates are in L1, and its activation passes cover the group in
     * one call each (see {@link dev.recur4j.kernel.VectorGemvKernels}).
     */
    private static final int GROUP = 4;

    private final RnnSpec spec;
    private final GemvKernels kernels;
    private final SmallBatchWeights[] slots;
    private final int v;
    private final int nb;
    private final int hp;
    private final int[] blockFrom;
    private final SpinTeam team;

    // Shared by the members; each writes only its own units / blocks.
    private final float[][] hBuf;
    /**
     * Per member (only with 2+ members), a private copy of the step's input h [Hp]: one bulk copy
     * pulls the partners' units over with all cache-line misses in flight at once, whereas the
     * GEMV's k loop would meet them one after another (one miss per 16 k, ≈ 0.2 µs each).
     */
    private final float[][] hLocal;
    private final float[] c;
    private final float[] rec;
    private final float[] recN;
    private final float[] rh;
    private float[] xproj = new float[0];
    private final float[][] layerOut = {new float[0], new float[0]};

    // This call's arguments, published to the workers by SpinTeam.run's volatile write.
    private RnnBatch in;
    private RnnResult out;

    static boolean supports(RnnSpec spec) {
        return spec.projSize() == 0;
    }

    SmallBatchForward(RnnWeights weights, Impl impl, int threads) {
        this.spec = weights.spec();
        if (!supports(spec)) {
            throw new IllegalArgumentException("the small-batch path does not support " + spec);
        }
        this.kernels = GemvKernels.of(impl);
        this.v = kernels.blockWidth();
        int h = spec.hiddenSize();
        this.nb = (h + v - 1) / v;
        this.hp = nb * v;
        this.slots = new SmallBatchWeights[spec.slots()];
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                slots[spec.slot(l, d)] = new SmallBatchWeights(spec, l, weights.layer(l, d), v);
            }
        }
        // A spinning member must own a core: never more members than cores or blocks.
        int members = Math.max(1, Math.min(threads, Math.min(nb, Runtime.getRuntime().availableProcessors())));
        this.blockFrom = new int[members + 1];
        for (int m = 0; m <= members; m++) {
            blockFrom[m] = nb * m / members;
        }
        this.hBuf = new float[][] {new float[hp], new float[hp]};
        this.hLocal = new float[members][];
        for (int m = 0; m < members && members > 1; m++) {
            hLocal[m] = new float[hp + 32]; // + 32: no cache line shared with a neighbour's copy
        }
        this.c = new float[hp];
        this.rec = new float[spec.gates() * hp];
        this.recN = new float[hp];
        this.rh = new float[hp];
        this.team = new SpinTeam(members, this::runMember);
        LOG.fine(() -> "recur4j: small-batch path " + spec + " kernels " + kernels.name() + ", " + members
                + " thread(s), " + nb + " blocks of " + v);
    }

    /** Shapes are checked by the caller; batch ≤ {@link #MAX_BATCH} is expected but not required. */
    void forward(RnnBatch batch, RnnResult result) {
        int t = batch.seqLen();
        int gh = spec.gates() * hp;
        if (xproj.length < t * gh) {
            xproj = new float[t * gh];
        }
        if (spec.numLayers() > 1) {
            int n = batch.batch() * t * spec.directions() * spec.hiddenSize();
            for (int i = 0; i < 2; i++) {
                if (layerOut[i].length < n) {
                    layerOut[i] = new float[n];
                }
            }
        }
        this.in = batch;
        this.out = result;
        try {
            team.run();
        } finally {
            this.in = null;
            this.out = null;
        }
    }

    /** The whole grid for this member's blocks; every phase ends at the shared barrier. */
    private void runMember(int member) {
        RnnBatch batch = in;
        RnnResult result = out;
        int jb0 = blockFrom[member];
        int jb1 = blockFrom[member + 1];
        int h = spec.hiddenSize();
        int dh = spec.directions() * h;
        int seqLen = batch.seqLen();
        float[] x = batch.input();
        int ldx = spec.inputSize();
        for (int l = 0; l < spec.numLayers(); l++) {
            float[] y = l == spec.numLayers() - 1 ? result.output() : layerOut[l & 1];
            for (int d = 0; d < spec.directions(); d++) {
                for (int b = 0; b < batch.batch(); b++) {
                    runSequence(batch, result, spec.slot(l, d), b, d == 1, x, b * seqLen * ldx, ldx,
                            y, b * seqLen * dh + d * h, dh, jb0, jb1, hLocal[member]);
                }
            }
            x = y;
            ldx = dh;
        }
        team.barrier().await(); // join: final states and padding of the last row are written
    }

    /**
     * One (layer, direction, row) for blocks [jb0, jb1): input rows x[xOff + t*ldx], output rows
     * y[yOff + t*ldy] (this direction's H columns); hCopy is this member's {@link #hLocal} or null.
     */
    private void runSequence(RnnBatch batch, RnnResult result, int slot, int row, boolean reverse,
                             float[] x, int xOff, int ldx, float[] y, int yOff, int ldy, int jb0, int jb1,
                             float[] hCopy) {
        SmallBatchWeights w = slots[slot];
        int len = batch.length(row);
        SpinBarrier barrier = team.barrier();
        int h = spec.hiddenSize();
        int g = spec.gates();
        int gh = g * hp;
        int u0 = jb0 * v;
        int u1 = Math.min(jb1 * v, h);
        int state = (slot * batch.batch() + row) * h;
        float[] h0 = batch.h0();
        float[] c0 = batch.c0();
        // Own units of the initial state, and the input projection of every valid step.
        if (h0 != null) {
            System.arraycopy(h0, state + u0, hBuf[0], u0, u1 - u0);
        } else {
            Arrays.fill(hBuf[0], u0, u1, 0f);
        }
        if (spec.hasCellState()) {
            if (c0 != null) {
                System.arraycopy(c0, state + u0, c, u0, u1 - u0);
            } else {
                Arrays.fill(c, u0, u1, 0f);
            }
        }
        kernels.project(g, spec.layerInputSize(layerOf(slot)), w.wIh, w.bias, x, xOff, ldx, len,
                xproj, 0, gh, jb0, jb1);
        barrier.await();

        int cur = 0;
        for (int i = 0; i < len; i++) {
            int t = reverse ? len - 1 - i : i;
            float[] hIn = hBuf[cur];
            if (hCopy != null) {
                System.arraycopy(hIn, 0, hCopy, 0, h);
                hIn = hCopy;
            }
            float[] hOut = hBuf[cur ^ 1];
            int xo = t * gh;
            step(w, hIn, hOut, xo, jb0, jb1, (i & 1) == 1, barrier);
            System.arraycopy(hOut, u0, y, yOff + t * ldy + u0, u1 - u0);
            barrier.await();
            cur ^= 1;
        }
        System.arraycopy(hBuf[cur], u0, result.hN(), state + u0, u1 - u0);
        if (spec.hasCellState()) {
            System.arraycopy(c, u0, result.cN(), state + u0, u1 - u0);
        }
        for (int t = len; t < batch.seqLen(); t++) {
            int o = yOff + t * ldy;
            Arrays.fill(y, o + u0, o + u1, 0f);
        }
    }

    /**
     * One step for blocks [jb0, jb1): per group of up to {@link #GROUP} blocks (per block for GRU
     * reset-before-linear), the GEMV over the whole h and at once the cell update of its units. Odd
     * steps walk the blocks downward: the blocks used last are the ones still in L2, so when this
     * member's W_hh slice is a little larger than L2 most of it is still reused (a cyclic walk would
     * miss on every block under LRU-like replacement).
     */
    private void step(SmallBatchWeights w, float[] hIn, float[] hOut, int xo, int jb0, int jb1, boolean down,
                      SpinBarrier barrier) {
        int h = spec.hiddenSize();
        CellKind cell = spec.cell();
        boolean rbr = cell == CellKind.GRU && !spec.linearBeforeReset();
        if (!rbr) {
            // Groups of up to GROUP blocks: the LSTM's GEMV streams a group's blocks side by side, and every
            // cell update's activation passes cover the group in one call each.
            for (int n = jb0; n < jb1; n += GROUP) {
                int e = Math.min(n + GROUP, jb1);
                int g0 = down ? jb1 - (e - jb0) : n;
                int g1 = g0 + (e - n);
                if (cell == CellKind.LSTM) {
                    kernels.gemv(4, h, w.wHh, hIn, 0, xproj, xo, true, g0, g1);
                    kernels.lstmCells(xproj, xo, w.peep, c, hOut, g0, g1);
                } else if (cell.isRnn()) {
                    kernels.gemv(1, h, w.wHh, hIn, 0, xproj, xo, true, g0, g1);
                    kernels.rnnCells(cell == CellKind.RNN_RELU, xproj, xo, hOut, g0, g1);
                } else {
                    kernels.gemv(3, h, w.wHh, hIn, 0, rec, 0, false, g0, g1);
                    kernels.gruCells(xproj, xo, rec, w.bhn, hIn, hOut, g0, g1);
                }
            }
            return;
        }
        for (int n = jb0; n < jb1; n++) {
            int jb = down ? jb1 - 1 - (n - jb0) : n;
            kernels.gemv(2, h, w.wHh, hIn, 0, rec, 0, false, jb, jb + 1);
            kernels.gruResetGates(xproj, xo, rec, hIn, rh, jb, jb + 1);
        }
        barrier.await(); // W_hn (r⊙h) needs every unit's r⊙h
        for (int n = jb0; n < jb1; n++) {
            int jb = down ? n : jb1 - 1 - (n - jb0); // continue from the block used last
            kernels.gemv(1, h, w.wHhN, rh, 0, recN, 0, false, jb, jb + 1);
            kernels.gruRbrCells(xproj, xo, rec, recN, hIn, hOut, jb, jb + 1);
        }
    }

    private int layerOf(int slot) {
        return slot / spec.directions();
    }

    @Override
    public void close() {
        team.close();
        for (SmallBatchWeights w : slots) {
            w.close();
        }
    }
}
