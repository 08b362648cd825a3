package dev.recur4j.exec;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.Shapes;
import dev.recur4j.kernel.GemvKernels;
import java.util.Arrays;
import java.util.logging.Logger;

/**
 * Inference for small batches, where each step is a matrix-vector product and per-step overhead,
 * not arithmetic, decides the latency. Weights are packed once ({@link SmallBatchWeights}) so one
 * sequential pass over a block's weights gives all gates of V hidden units, which the cell update
 * consumes at once ({@link GemvKernels}).
 *
 * <p>The grid: layers, then directions, then steps; every step advances all batch rows at once
 * ({@link GemvKernels#gemvRows}: one pass over a block's weights serves up to 4 rows), row r at its
 * own time t (downward from its own length for the reverse direction) until its length runs out.
 * First, per row, the input projection of all its valid steps (x[t]·W_ih^T + bias, 4 steps per
 * weight load).
 *
 * <p>Threads: the hidden-unit blocks are split into contiguous ranges, one per {@link SpinTeam}
 * member; a member owns its units' gates, cell state, h and output columns, and its slice of
 * W_hh (H·G·|range| floats) stays in its core's L2 across all steps. Each member keeps a private
 * copy of every row's h (double-buffered: step i reads one and writes the other); after its cells
 * it hands its units to the partners through a {@link HiddenExchange} and, at the start of the next
 * step, copies theirs in. That replaced a {@link SpinBarrier} after every step (W1 with 2 threads:
 * 7 % faster, GRU 11 %): a member waits only for the data it reads, with no shared counter between.
 * GRU reset-before-linear hands over r⊙h the same way before W_hn (r⊙h). The members meet at the
 * barrier only at the end of each (layer, direction). A call the team's caller runs alone ({@link
 * SpinTeam#runsAlone}: its workers had parked, and waking them does not pay on this machine) takes every block
 * in member 0, with no hand-off and no barrier, and gives the same bits. Buffers grow when a call needs more and
 * are reused, so repeated calls allocate nothing.
 *
 * <p>Not supported (the caller uses the general path): LSTM projections.
 */
final class SmallBatchForward implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SmallBatchForward.class.getName());

    /**
     * The largest batch this path takes: {@code -Drecur4j.smallBatchMax=N}, 0 disables it. The
     * general (GEMM) path wins once B is large enough to fill its register tiles. T = 100, Zen 5,
     * `bench` medians, this path against the GEMM path with 1 thread, I = 64, H = 256: LSTM B = 5, 6, 7
     * 2.25 / 3.00, 2.51 / 3.01, 2.74 / 3.19 ms, B = 8 3.36 / 3.07; GRU B = 5, 6 1.86–1.99 / 2.28, 2.10–2.11
     * / 2.53, B = 7 2.49–2.80 / 2.37; LSTM I = 256, H = 512: B = 6 11.7 / 12.8, B = 8 14.2 / 12.9. With 2
     * threads this path was faster still at B = 8 (LSTM, H = 256: 2.22 / 3.12 ms).
     */
    static final int MAX_BATCH = Integer.getInteger("recur4j.smallBatchMax", 6);

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
    /** Member m's blocks: [blockFrom[m], blockFrom[m+1]); its hidden units from {@link #unitOf} of those. */
    private final int[] blockFrom;
    private final SpinTeam team;
    /** Hands h (and r⊙h) between members; null with one member. */
    private final HiddenExchange exchange;

    /**
     * Per member, its private h of every row, double-buffered: [member][buffer][row][Hp]. All units:
     * its own it computes, the partners' it copies in from the exchange (one bulk copy pulls them over
     * with all cache-line misses in flight at once, whereas the GEMV's k loop would meet them one after
     * another).
     */
    private final float[][][][] hOwn;
    /** Per member, GRU reset-before-linear's r⊙h of every row (one buffer): [member][row][Hp]. */
    private final float[][][] rhOwn;
    // Shared by the members; each writes only its own units / blocks. Per batch row r: [r][...].
    private float[][] c = new float[0][];
    private float[][] rec = new float[0][];
    private float[][] recN = new float[0][];
    /** Input projections, row r's step t at (r*T + t) * G*Hp. */
    private float[] xproj = new float[0];
    private final float[][] layerOut = {new float[0], new float[0]};
    /** Per member: the step's operands of {@link GemvKernels#gemvRows} (row r's gate-row array, offset). */
    private final float[][][] accRows;
    private final int[][] accOff;
    /** Offset 0 for every row: the GEMV's target when it writes rec rows (GRU) rather than xproj. */
    private int[] zeros = new int[0];

    // This call's arguments, published to the workers by SpinTeam.run's volatile write.
    private RnnBatch in;
    private RnnResult out;

    static boolean supports(RnnSpec spec) {
        return spec.projSize() == 0;
    }

    /** The widest block of any {@link GemvKernels} (16 floats: 512-bit vectors); Hp is H rounded up to a block. */
    private static final int WIDEST_BLOCK = 16;

    /**
     * Whether a call of {@code rows} x {@code seqLen} fits this path's Java arrays: the input projection of every step
     * (rows·T·G·Hp floats) and a stacked layer's output (rows·T·D·H). Past 2^31 elements it would not (an LSTM with
     * H = 1 and 6 rows from T = 5.6 million on: its int sizes wrapped and the call failed deep in a kernel), and the
     * GEMM path, whose workspace is native memory, takes the call.
     */
    static boolean fits(RnnSpec spec, int rows, int seqLen) {
        long hp = ((long) spec.hiddenSize() + WIDEST_BLOCK - 1) / WIDEST_BLOCK * WIDEST_BLOCK;
        long perStep = Math.max(spec.gates() * hp, (long) spec.directions() * spec.hiddenSize());
        return (long) rows * seqLen * perStep <= Shapes.MAX_ARRAY;
    }

    SmallBatchForward(RnnWeights weights, Impl impl, int threads) {
        this(weights, impl, threads, new WakePolicy());
    }

    /** With the team's wake-up policy given (tests: one that has seen slow joins, so that calls run alone). */
    SmallBatchForward(RnnWeights weights, Impl impl, int threads, WakePolicy wakes) {
        this.spec = weights.spec();
        if (!supports(spec)) {
            throw new IllegalArgumentException("the small-batch path does not support " + spec);
        }
        this.kernels = GemvKernels.of(impl);
        this.v = kernels.blockWidth();
        if (v > WIDEST_BLOCK) {
            throw new IllegalStateException("blocks of " + v + " units, wider than fits() allows for: " + WIDEST_BLOCK);
        }
        int h = spec.hiddenSize();
        this.nb = (h + v - 1) / v;
        this.hp = nb * v;
        // A spinning member must own a core: never more members than cores or blocks.
        int members = Math.max(1, Math.min(threads, Math.min(nb, Runtime.getRuntime().availableProcessors())));
        this.blockFrom = new int[members + 1];
        int[] unitFrom = new int[members + 1]; // member m's units for the exchange: [unitFrom[m], unitFrom[m+1])
        for (int m = 0; m <= members; m++) {
            blockFrom[m] = nb * m / members;
            unitFrom[m] = unitOf(blockFrom[m]);
        }
        this.hOwn = new float[members][2][0][];
        this.rhOwn = new float[members][0][];
        this.accRows = new float[members][0][];
        this.accOff = new int[members][0];
        this.slots = new SmallBatchWeights[spec.slots()];
        SpinTeam started = null;
        try {
            for (int l = 0; l < spec.numLayers(); l++) {
                for (int d = 0; d < spec.directions(); d++) {
                    slots[spec.slot(l, d)] = new SmallBatchWeights(spec, l, weights.layer(l, d), v);
                }
            }
            started = new SpinTeam(members, this::runMember, wakes);
            this.exchange = members > 1 ? new HiddenExchange(unitFrom, started.barrier()) : null;
        } catch (RuntimeException | Error e) {
            // As FastRnn: no instance results, so the native weight copies made so far and the team's threads are ours
            // to free (a later copy, a thread or the exchange can fail: out of memory, a pid limit)
            releaseAfterFailure(started, slots, e);
            throw e;
        }
        this.team = started;
        LOG.fine(() -> "recur4j: small-batch path " + spec + " kernels " + kernels.name() + ", " + members
                + " thread(s), " + nb + " blocks of " + v);
    }

    /**
     * Shapes are checked by the caller; batch ≤ {@link #MAX_BATCH} is expected but not required, {@link #fits} is
     * (checked before any thread starts, so a call refused here leaves the team usable).
     */
    void forward(RnnBatch batch, RnnResult result) {
        int t = batch.seqLen();
        int rows = batch.batch();
        if (!fits(spec, rows, t)) {
            throw new IllegalArgumentException("batch " + rows + " x seqLen " + t + " is too large for the small-batch"
                    + " path's arrays; the GEMM path takes such calls");
        }
        int gh = spec.gates() * hp;
        if (xproj.length < rows * t * gh) {
            xproj = new float[rows * t * gh];
        }
        if (c.length < rows) {
            growRows(rows);
        }
        if (spec.numLayers() > 1) {
            int n = rows * t * spec.directions() * spec.hiddenSize();
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

    /** Per-row state for {@code rows} rows; only when a call has more rows than any before. */
    private void growRows(int rows) {
        int gh = spec.gates() * hp;
        rec = newRows(rows, gh);
        recN = newRows(rows, hp);
        zeros = new int[rows];
        for (int m = 0; m < hOwn.length; m++) {
            // + 16 floats: no cache line shared with another member's rows
            hOwn[m] = new float[][][] {newRows(rows, hp + 16), newRows(rows, hp + 16)};
            rhOwn[m] = newRows(rows, hp + 16);
            // + 16: every member writes these each step; padding keeps members' writes off shared cache lines
            // (W1 with 2 threads measured 7 % slower without it)
            accRows[m] = new float[rows + 16][];
            accOff[m] = new int[rows + 16];
        }
        if (exchange != null) {
            exchange.ensureRows(rows);
        }
        c = newRows(rows, hp); // last: forward() grows the buffers while c is shorter than the batch
    }

    private static float[][] newRows(int rows, int n) {
        float[][] a = new float[rows][];
        for (int r = 0; r < rows; r++) {
            a[r] = new float[n];
        }
        return a;
    }

    /**
     * The whole grid for this member's blocks, or for all blocks when the caller runs the call alone ({@link
     * SpinTeam#runsAlone}: with no hand-off and no barrier).
     */
    private void runMember(int member) {
        RnnBatch batch = in;
        RnnResult result = out;
        int h = spec.hiddenSize();
        int dh = spec.directions() * h;
        float[] x = batch.input();
        int ldx = spec.inputSize();
        boolean alone = member == 0 && team.runsAlone(); // with one member, its blocks are all anyway
        for (int l = 0; l < spec.numLayers(); l++) {
            float[] y = l == spec.numLayers() - 1 ? result.output() : layerOut[l & 1];
            for (int d = 0; d < spec.directions(); d++) {
                runSequences(batch, result, spec.slot(l, d), d == 1, x, ldx, y, d * h, dh, member, alone);
            }
            x = y;
            ldx = dh;
        }
    }

    /**
     * One (layer, direction) for all batch rows, this member's blocks (all blocks if {@code alone}): row r's input at
     * x[(r*T + t)*ldx], its output columns at y[(r*T + t)*ldy + yCol].
     */
    private void runSequences(RnnBatch batch, RnnResult result, int slot, boolean reverse, float[] x, int ldx,
                              float[] y, int yCol, int ldy, int member, boolean alone) {
        SmallBatchWeights w = slots[slot];
        int rows = batch.batch();
        int seqLen = batch.seqLen();
        int jb0 = alone ? 0 : blockFrom[member];
        int jb1 = alone ? nb : blockFrom[member + 1];
        int maxLen = begin(batch, result, slot, x, ldx, member, jb0, jb1);
        int h = spec.hiddenSize();
        int u0 = unitOf(jb0);
        int u1 = unitOf(jb1);
        HiddenExchange handOff = alone ? null : exchange;
        int cur = 0;
        for (int i = 0; i < maxLen; i++) {
            float[][] hIn = hOwn[member][cur];
            float[][] hOut = hOwn[member][cur ^ 1];
            step(w, batch, i, reverse, seqLen, hIn, hOut, member, jb0, jb1, handOff);
            if (handOff != null) {
                handOff.publish(member, hOut, rows);
            }
            for (int r = 0; r < rows; r++) {
                int len = batch.length(r);
                if (i < len) {
                    int t = reverse ? len - 1 - i : i;
                    System.arraycopy(hOut[r], u0, y, (r * seqLen + t) * ldy + yCol + u0, u1 - u0);
                    if (i == len - 1) {
                        storeFinalState(result, hOut[r], r, (slot * rows + r) * h, u0, u1);
                    }
                }
            }
            cur ^= 1;
        }
        for (int r = 0; r < rows; r++) {
            for (int t = batch.length(r); t < seqLen; t++) {
                int o = (r * seqLen + t) * ldy + yCol;
                Arrays.fill(y, o + u0, o + u1, 0f);
            }
        }
        // The next layer's projection reads every member's columns; the next run's first hand-off (made
        // without a fetch before it) reuses the buffer this run's last fetches read; the last run's barrier
        // is the call's join. Before it, the exchange's rule for a member that publishes no more (no partner fetches
        // this run's last hand-off, but a member that stops must not leave the guarantee to a later hand-off).
        if (handOff != null) {
            handOff.wakeSleepers(member);
            team.barrier().await();
        }
    }

    /**
     * Blocks [jb0, jb1) of one (layer, direction) before its first step: each row's initial state (all of h, in this
     * member's buffer: the first step needs no hand-off; the blocks' units of c), the final state of rows of length
     * 0, and the input projection of every row's valid steps. Returns the longest row's length.
     */
    private int begin(RnnBatch batch, RnnResult result, int slot, float[] x, int ldx, int member, int jb0, int jb1) {
        SmallBatchWeights w = slots[slot];
        int rows = batch.batch();
        int seqLen = batch.seqLen();
        int h = spec.hiddenSize();
        int g = spec.gates();
        int gh = g * hp;
        int u0 = unitOf(jb0);
        int u1 = unitOf(jb1);
        float[] h0 = batch.h0();
        float[] c0 = batch.c0();
        int maxLen = 0;
        for (int r = 0; r < rows; r++) {
            float[] hStart = hOwn[member][0][r];
            int state = (slot * rows + r) * h;
            int len = batch.length(r);
            maxLen = Math.max(maxLen, len);
            if (h0 != null) {
                System.arraycopy(h0, state, hStart, 0, h);
            } else {
                Arrays.fill(hStart, 0, h, 0f);
            }
            if (spec.hasCellState()) {
                if (c0 != null) {
                    System.arraycopy(c0, state + u0, c[r], u0, u1 - u0);
                } else {
                    Arrays.fill(c[r], u0, u1, 0f);
                }
            }
            if (len == 0) {
                storeFinalState(result, hStart, r, state, u0, u1);
            }
            kernels.project(g, spec.layerInputSize(layerOf(slot)), w.wIh, w.bias, x, r * seqLen * ldx, ldx, len,
                    xproj, r * seqLen * gh, gh, jb0, jb1);
        }
        return maxLen;
    }

    /** Row r's final h (and c) for this member's units u0..u1, at {@code state} in hN (cN). */
    private void storeFinalState(RnnResult result, float[] hFinal, int r, int state, int u0, int u1) {
        System.arraycopy(hFinal, u0, result.hN(), state + u0, u1 - u0);
        if (spec.hasCellState()) {
            System.arraycopy(c[r], u0, result.cN(), state + u0, u1 - u0);
        }
    }

    /**
     * Step i of every row for blocks [jb0, jb1): first the partners' units of h (from step i - 1; step 0's h
     * came whole from h0), then per group of up to {@link #GROUP} blocks (per block for GRU
     * reset-before-linear) the GEMV of all rows over the whole h and at once the cell updates of the group's
     * units. A row past its length still goes through the GEMV (into a gate row of its padding, or its rec row
     * for GRU, never used) so that the kernels see a fixed set of rows; its cells are skipped, and its h and c,
     * still multiplied and handed over, are never used again. Odd steps walk the blocks downward: the blocks
     * used last are the ones still in L2, so when this member's W_hh slice is a little larger than L2 most of
     * it is still reused (a cyclic walk would miss on every block under LRU-like replacement).
     */
    private void step(SmallBatchWeights w, RnnBatch batch, int i, boolean reverse, int seqLen, float[][] hIn,
                      float[][] hOut, int member, int jb0, int jb1, HiddenExchange handOff) {
        int h = spec.hiddenSize();
        int gh = spec.gates() * hp;
        int rows = batch.batch();
        boolean down = (i & 1) == 1;
        CellKind cell = spec.cell();
        if (i > 0 && handOff != null) {
            fetchPartners(handOff, member, hIn, rows);
        }
        // xo[r]: row r's gate row of this step; a finished row's padding step i (i >= len, so i < T) instead.
        int[] xo = accOff[member];
        for (int r = 0; r < rows; r++) {
            int len = batch.length(r);
            int t = i >= len ? i : reverse ? len - 1 - i : i;
            xo[r] = (r * seqLen + t) * gh;
        }
        float[][] acc = accRows[member];
        boolean viaRec = cell == CellKind.GRU;
        for (int r = 0; r < rows; r++) {
            acc[r] = viaRec ? rec[r] : xproj;
        }
        if (viaRec && !spec.linearBeforeReset()) {
            resetBeforeLinearStep(w, batch, i, hIn, hOut, member, jb0, jb1, down, xo, acc, handOff);
            return;
        }
        // Groups of up to GROUP blocks: the single-row GEMV streams a group's blocks side by side, and every
        // cell update's activation passes cover the group in one call each.
        for (int n = jb0; n < jb1; n += GROUP) {
            int e = Math.min(n + GROUP, jb1);
            int g0 = down ? jb1 - (e - jb0) : n;
            int g1 = g0 + (e - n);
            if (viaRec) {
                // rec[r] is written from offset 0: the GEMV's offsets are the rows' gate rows only for xproj
                kernels.gemvRows(3, h, w.wHh, hIn, acc, zeros, rows, false, g0, g1);
            } else if (rows == 1) {
                // Straight to the single-row GEMV: through gemvRows, W1 measured 3-7 % slower (the two builds in one
                // JVM, blocks of 40 calls alternating; with this call 1 % slower to 0.3 % faster).
                kernels.gemv(cell == CellKind.LSTM ? 4 : 1, h, w.wHh, hIn[0], 0, xproj, xo[0], true, g0, g1);
            } else {
                kernels.gemvRows(cell == CellKind.LSTM ? 4 : 1, h, w.wHh, hIn, acc, xo, rows, true, g0, g1);
            }
            for (int r = 0; r < rows; r++) {
                if (i >= batch.length(r)) {
                    continue;
                }
                if (cell == CellKind.LSTM) {
                    kernels.lstmCells(xproj, xo[r], w.peep, c[r], hOut[r], g0, g1);
                } else if (cell.isRnn()) {
                    kernels.rnnCells(cell == CellKind.RNN_RELU, xproj, xo[r], hOut[r], g0, g1);
                } else {
                    kernels.gruCells(xproj, xo[r], rec[r], w.bhn, hIn[r], hOut[r], g0, g1);
                }
            }
        }
    }

    /**
     * GRU reset-before-linear: W_hr, W_hz over h block by block with the reset gates (r⊙h), then
     * W_hn over r⊙h, which needs every member's units of r⊙h: handed over like h.
     */
    private void resetBeforeLinearStep(SmallBatchWeights w, RnnBatch batch, int i, float[][] hIn, float[][] hOut,
                                       int member, int jb0, int jb1, boolean down, int[] xo, float[][] acc,
                                       HiddenExchange handOff) {
        int h = spec.hiddenSize();
        int rows = batch.batch();
        float[][] rh = rhOwn[member];
        for (int n = jb0; n < jb1; n++) {
            int jb = down ? jb1 - 1 - (n - jb0) : n;
            kernels.gemvRows(2, h, w.wHh, hIn, acc, zeros, rows, false, jb, jb + 1);
            for (int r = 0; r < rows; r++) {
                if (i < batch.length(r)) {
                    kernels.gruResetGates(xproj, xo[r], rec[r], hIn[r], rh[r], jb, jb + 1);
                }
            }
        }
        if (handOff != null) {
            handOff.publish(member, rh, rows);
            fetchPartners(handOff, member, rh, rows);
        }
        for (int r = 0; r < rows; r++) {
            acc[r] = recN[r];
        }
        for (int n = jb0; n < jb1; n++) {
            int jb = down ? n : jb1 - 1 - (n - jb0); // continue from the block used last
            kernels.gemvRows(1, h, w.wHhN, rh, acc, zeros, rows, false, jb, jb + 1);
            for (int r = 0; r < rows; r++) {
                if (i < batch.length(r)) {
                    kernels.gruRbrCells(xproj, xo[r], rec[r], recN[r], hIn[r], hOut[r], jb, jb + 1);
                }
            }
        }
    }

    /** Every partner's units of its latest hand-off through {@code handOff} into v[0 .. rows). */
    private void fetchPartners(HiddenExchange handOff, int member, float[][] v, int rows) {
        int members = blockFrom.length - 1;
        for (int q = 1; q < members; q++) {
            handOff.fetch(member, (member + q) % members, v, rows);
        }
    }

    /** The first unit of block jb (H for jb = nb). */
    private int unitOf(int jb) {
        return Math.min(jb * v, spec.hiddenSize());
    }

    private int layerOf(int slot) {
        return slot / spec.directions();
    }

    /** Stops {@code team} (null: not started) and frees every weight copy made; their failures are added to {@code e}. */
    private static void releaseAfterFailure(SpinTeam team, SmallBatchWeights[] slots, Throwable e) {
        if (team != null) {
            try {
                team.close();
            } catch (RuntimeException | Error s) {
                e.addSuppressed(s);
            }
        }
        for (SmallBatchWeights w : slots) {
            if (w == null) {
                continue; // not made: the failure came before it
            }
            try {
                w.close();
            } catch (RuntimeException | Error s) {
                e.addSuppressed(s);
            }
        }
    }

    /** Whether the team's workers are parked between calls (tests: so that the next call finds them so). */
    boolean workersParked() {
        return team.workersParked();
    }

    @Override
    public void close() {
        team.close();
        for (SmallBatchWeights w : slots) {
            w.close();
        }
    }
}
