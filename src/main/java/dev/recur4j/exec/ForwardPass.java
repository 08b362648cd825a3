package dev.recur4j.exec;

import static dev.recur4j.gemm.Transpose.NO;

import dev.recur4j.CellKind;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.kernel.Kernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The forward grid: layers, then directions, then steps (t downward for the reverse direction).
 * Per (layer, direction): one input-projection GEMM over all B*T rows into the gate buffer
 * [B, T, G*H], then per step one recurrent GEMM with beta = 1 into that step's gate rows (a
 * strided view, ld = T*G*H) and one fused kernel call per valid batch row, which writes h into the
 * state and into the layer's output [B, T, D*Hout] at column dir*Hout; the last layer's h goes from
 * the state straight into the caller's result instead. Layer 0 reads the input from {@code bf.x},
 * which the row chunks fill from the caller's array (where the plan has it, see below).
 * Where {@link InputFusion} applies there is no up-front projection: an LSTM or a GRU linear-before-reset runs one
 * product over [x_t | h] per step into a small block [B, 4H] that stays in L2 ({@link #fusedLayer}, training too;
 * layer 0 copies each x_t from the caller's array, so there is no {@code bf.x}): the LSTM's gates, the GRU's
 * [W_i{r,z} x + W_h{r,z} h, W_in x, W_hn h]. When training, the kernels write the activations from there to the kept
 * gate rows, and each step's [x_t | h] is kept in xh.s{s}.
 * Cell specifics without it: GRU linear-before-reset puts W_hh h into a separate [B, 3H] buffer (n needs
 * r⊙(W_hn h + b_hn)); GRU reset-before-linear runs W_h{r,z} h first, then W_hn (r⊙h); an LSTM
 * projection runs h = h_full W_hr^T as a GEMM after the kernel.
 * Batch rows are independent, so a {@link RowTeam} runs each (layer, direction) split over rows, and an inference
 * step that projects its input may run its product and kernels over blocks of a thread's rows
 * ({@link #STEP_BLOCK_ROWS}).
 * Rows with t >= len[b] keep their state and get a zero output. When training, the state entering
 * each step and the other values BPTT needs are kept in per-(layer, direction) workspace regions; at a padded
 * step the kept input and state are zeros, never the caller's padding ({@link #stepInput}).
 */
final class ForwardPass {
    private final RnnSpec spec;
    private final Kernels k;
    private final Gemm gemm;
    /**
     * Rows of one block of an inference step that projects its input: {@link #STEP_BLOCK_ROWS} with a GEMM for which
     * {@link #blocksSteps}, else {@code Integer.MAX_VALUE} (a thread's rows in one block).
     */
    private final int inferenceBlockRows;
    private final PreparedWeights pw;

    /**
     * Largest [rows, G*H] rec block (bytes) that RNN steps and LSTM training steps without {@link InputFusion}
     * route their recurrent GEMM through: a quarter of a 1 MB L2, so it stays there between steps. Above it
     * (W5: 128 x 4096 floats = 2 MB) the GEMM adds into the gate rows directly, which measured faster
     * (739 vs ~800-840 ms) while a separate pass added rec into the gates (LSTM inference no longer has
     * that pass).
     */
    private static final long REC_MAX_BYTES = 256 << 10;

    /** LSTM inference without peepholes, whose one kernel adds rec itself and leaves the gate row unwritten. */
    private static boolean isLstmInference(RnnSpec spec, boolean training) {
        return spec.cell() == CellKind.LSTM && !training && !spec.peepholes();
    }

    /**
     * Whether {@link #layer} (a layer without {@link InputFusion}) multiplies h · W_hh^T into the rec block rather
     * than adding it into the step's gate rows (beta = 1): always for GRU linear-before-reset and LSTM inference
     * without peepholes, whose kernels read rec (for the LSTM without a separate add pass; W5 1 thread, rec 2 MB:
     * 715-753 vs 739-838 ms; 2 threads 358-370 vs 388-397 ms); never for GRU reset-before-linear; for the rest
     * (RNN, LSTM training, peepholes) while chunk 0's {@code recRows} rows of rec fit {@link #REC_MAX_BYTES}, then
     * added to the gates.
     */
    static boolean recurrentProductViaRec(RnnSpec spec, boolean training, int recRows) {
        if (spec.cell() == CellKind.GRU) {
            return spec.linearBeforeReset();
        }
        return isLstmInference(spec, training)
                || (long) recRows * spec.gates() * spec.hiddenSize() * Float.BYTES <= REC_MAX_BYTES;
    }

    /** {@link #layer}'s firstStep for a loop over a chunk's own rows: set them up, then run every step. */
    private static final int OWN_ROWS = -1;
    /**
     * Rows of one block of an inference step that projects its input in the step ({@link InputFusion}), when the
     * GEMM streams its weights once per a divisor of that many rows anyway ({@link Gemm#rowsPerPreparedBPass}: the
     * Java GEMM on a Zen 4, once per 8-row panel). The step's product and cell kernels then run block after block,
     * so that far fewer weight bytes stream past between the GEMM's store of a row's gate pre-activations and its
     * cells' reads (W2: 9 MB instead of 45; its 6 MB of weights stream once per panel, in two column blocks): the
     * cells' first loads got cheaper (W3's profile), though not free. Rows are independent and each keeps its GEMM
     * tiles, so the results are the same bits. Paired calls on a Zen 4, 1 thread: W2 -2.1 % (faster in 36 of 50),
     * W3 -2.2 % and -1.3 % (36 and 33 of 50); W4 -1.4 % (24 of 40) and 2 threads (32 rows each) no clear change; 8
     * and 32 rows within the noise of 16. Not for training (W6 and W7 the same within their noise), nor where the
     * input is projected up front (cells InputFusion leaves out, and weights over its 8 MiB, which must stay in L3
     * for blocks to cost no extra traffic: W5's 16 MB W_hh, 14 % slower in blocks, our reading being that each block
     * cycles all of it through L3 where one block reuses each 4 MB column block for all 16 panels). See
     * docs/performance-log.md, twenty-sixth session.
     */
    static final int STEP_BLOCK_ROWS = 16;

    /** The one task object every layer reuses, so a call allocates no lambda. */
    private final LayerTask task = new LayerTask();

    /**
     * One layer of the current call; set before each {@link RowTeam#run}. Split over batch rows it runs
     * direction d on rows [from, to) (for layer 0's first direction after copying those rows of the input
     * in), then takes over rows of slower threads through {@code share} while there are any ({@link RowShare});
     * split over directions it runs directions [from, to) on all rows.
     */
    private final class LayerTask implements RowTeam.Task {
        private MemorySegment ws;
        private Buffers bf;
        private RnnBatch in;
        private RnnResult out;
        private int l;
        private int d;
        private boolean byDirection;
        private RowShare share;
        /** Rows of chunk 0, which decide {@link #layer}'s recRows for every loop of the run. */
        private int chunkRows;

        void set(MemorySegment ws, Buffers bf, RnnBatch in, RnnResult out, int l, int d, boolean byDirection,
                 RowShare share, int chunkRows) {
            this.ws = ws;
            this.bf = bf;
            this.in = in;
            this.out = out;
            this.l = l;
            this.d = d;
            this.byDirection = byDirection;
            this.share = share;
            this.chunkRows = chunkRows;
        }

        @Override
        public void rows(int chunk, int from, int to) {
            if (byDirection) {
                for (int dir = from; dir < to; dir++) {
                    layer(ws, bf, in, l, dir, 0, in.batch(), in.batch(), OWN_ROWS, null, 0, outputArray(l, out));
                }
                return;
            }
            sharedRows(chunk, from, to, OWN_ROWS); // chunk's slot was opened by run()
            // out of rows: take over part of a slower thread's for its remaining steps, while there are any
            while (share.take(chunk)) {
                share.open(chunk);
                sharedRows(chunk, share.from(chunk), share.to(chunk), share.step(chunk));
            }
        }

        /**
         * {@link #layer} on rows [from, to) as {@code chunk}'s loop (own rows, layer 0's first direction copying
         * their input in first), then chunk's slot closed: that answers a pending ask with no rows, also when
         * the loop threw.
         */
        private void sharedRows(int chunk, int from, int to, int firstStep) {
            try {
                if (firstStep == OWN_ROWS && l == 0 && d == 0) {
                    copyInputRows(ws, bf, in, from, to);
                }
                layer(ws, bf, in, l, d, from, to, chunkRows, firstStep, share, chunk, outputArray(l, out));
            } finally {
                share.close(chunk);
            }
        }
    }

    ForwardPass(RnnSpec spec, Kernels kernels, Gemm gemm, PreparedWeights pw) {
        this.spec = spec;
        this.k = kernels;
        this.gemm = gemm;
        this.inferenceBlockRows = blocksSteps(gemm) ? STEP_BLOCK_ROWS : Integer.MAX_VALUE;
        this.pw = pw;
    }

    /** Whether, with this GEMM, blocks of {@link #STEP_BLOCK_ROWS} rows leave the number of passes over B the same. */
    static boolean blocksSteps(Gemm gemm) {
        int passRows = gemm.rowsPerPreparedBPass();
        return passRows > 0 && STEP_BLOCK_ROWS % passRows == 0;
    }

    /** Where the block from row r0 ends: at most blockRows rows (which may be Integer.MAX_VALUE), and not past b1. */
    private static int blockEnd(int r0, int b1, int blockRows) {
        return b1 - r0 > blockRows ? r0 + blockRows : b1;
    }

    /**
     * Whether a bidirectional layer runs its two directions at once, one per thread, rather than one
     * after the other, each split over batch rows. With 2 threads each thread then runs full-batch
     * recurrent GEMMs against one direction's W_hh alone, which stays in that core's L2, instead of
     * both cores streaming both directions' W_hh for half the rows each (W4: 2 threads, see
     * {@link FastRnn}). The plan must then hold one set of step buffers per direction.
     */
    static boolean splitsDirections(RnnSpec spec, int threads) {
        return spec.directions() == 2 && threads == 2;
    }

    /**
     * Runs every layer, each (layer, direction) split over batch rows by {@code team}, or both
     * directions of a layer at once when {@code bf} has a step-buffer set per direction. Split over
     * rows, each chunk also copies its rows of the input in before layer 0 (W2 with 2 threads spent
     * ≈ 1.5 ms a call copying the input in and the output out on the calling thread alone while the
     * other waited). The last layer writes each step's h straight into the output array, while it is in
     * cache, instead of into the workspace to be copied out after (W2: 13 MB written, read back and
     * written again). Fills the output, h_n and c_n.
     */
    void run(MemorySegment ws, Buffers bf, RnnBatch in, RnnResult out, RowTeam team) {
        boolean byDirection = bf.scratch.length == spec.directions() && spec.directions() > 1;
        if (byDirection) {
            copyInputRows(ws, bf, in, 0, in.batch()); // both directions read every row
        }
        for (int l = 0; l < spec.numLayers(); l++) {
            if (byDirection) {
                task.set(ws, bf, in, out, l, 0, true, null, in.batch());
                team.run(spec.directions(), task);
            }
            for (int d = 0; d < spec.directions(); d++) {
                if (!byDirection) {
                    task.set(ws, bf, in, out, l, d, false, team.share(), team.to(in.batch(), 0));
                    // every chunk's rows can be asked for from the start: a thread may finish its loop before
                    // another has begun its own (one descheduled by the host, say); the owner answers at its
                    // first step boundary, after setting its rows up
                    team.openShares(in.batch());
                    team.run(in.batch(), task);
                }
                storeFinalState(ws, bf, in, out, l, d, 0, in.batch());
            }
        }
        task.set(null, null, null, null, 0, 0, false, null, 0); // drop the call's references
    }

    /**
     * Batch rows [b0, b1) of the input into {@code bf.x}, which layer 0 reads, when the plan has it: a
     * {@link #fusedLayer} copies each step's x_t from the caller's array straight into its step operand, and its plan
     * has no x (WorkspacePlan). A row's padded
     * steps (t >= its length) are zeros, not the caller's padding: see {@link #stepInput}.
     */
    void copyInputRows(MemorySegment ws, Buffers bf, RnnBatch in, int b0, int b1) {
        if (bf.x < 0) {
            return;
        }
        int inW = spec.inputSize();
        int rowFloats = in.seqLen() * inW;
        for (int b = b0; b < b1; b++) {
            int valid = in.length(b) * inW;
            long dst = bf.x + (long) b * rowFloats;
            MemorySegment.copy(in.input(), b * rowFloats, ws, ValueLayout.JAVA_FLOAT, dst * Float.BYTES, valid);
            k.zero(rowFloats - valid, ws, dst + valid);
        }
    }

    /**
     * Training: batch rows [b0, b1) through every layer and direction on the calling thread, with their
     * rows of h_n and c_n copied out and of the output written by the last layer; {@link #run} for those
     * rows, without its joins. Rows are independent through the whole stack, so {@link BackwardPass}
     * runs a chunk's forward and then its backward in one task. (BPTT reads a layer's y only as the
     * input of the layer above, so the last layer's need not be in the workspace.)
     */
    void trainingRows(MemorySegment ws, Buffers bf, RnnBatch in, RnnResult out, int b0, int b1) {
        copyInputRows(ws, bf, in, b0, b1);
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                layer(ws, bf, in, l, d, b0, b1, b1 - b0, OWN_ROWS, null, 0, outputArray(l, out));
                storeFinalState(ws, bf, in, out, l, d, b0, b1);
            }
        }
    }

    /** Rows [b0, b1) of (l, d)'s h_n and c_n, from the running state after its time loop. */
    private void storeFinalState(MemorySegment ws, Buffers bf, RnnBatch in, RnnResult out, int l, int d, int b0,
                                 int b1) {
        Buffers.Scratch sc = bf.scratch(d);
        int s = spec.slot(l, d);
        StateRows.store(ws, sc.h(), out.hN(), s, in.batch(), spec.outputSize(), b0, b1);
        if (spec.hasCellState()) {
            StateRows.store(ws, sc.c(), out.cN(), s, in.batch(), spec.hiddenSize(), b0, b1);
        }
    }

    /**
     * Layer l, direction d, for batch rows [b0, b1): every GEMM below is restricted to those rows. With
     * {@code out} (the result's [B, T, D*Hout] output array) each step's h goes there instead of to the
     * layer's y in the workspace. {@code recRows} decides whether the recurrent product goes through the rec
     * block (see viaRec); it is the same for every loop of one (layer, direction), so a row takes the same path
     * (and rounding) whichever thread runs it.
     * With {@code firstStep} = {@link #OWN_ROWS} the loop sets its rows up (input projection, state) and runs
     * every step; with firstStep >= 0 it continues rows handed over by another loop, which set them up, from
     * that step of the step order on. With a {@code share} (inference split over rows) the loop runs as
     * {@code chunk}'s and may hand its upper rows to another thread at a step boundary ({@link RowShare}),
     * after which b1 is smaller.
     */
    private void layer(MemorySegment ws, Buffers bf, RnnBatch in, int l, int d, int b0, int b1, int recRows,
                       int firstStep, RowShare share, int chunk, float[] out) {
        if (bf.fusedStepOperand(d, spec.slot(l, d)) >= 0) {
            fusedLayer(ws, bf, in, l, d, b0, b1, firstStep, share, chunk, out);
            return;
        }
        final int bN = in.batch();
        final int nb = b1 - b0; // rows at the start; the loop may hand some over
        final int tN = in.seqLen();
        final int h = spec.hiddenSize();
        final int hout = spec.outputSize();
        final int p = spec.projSize();
        final int gh = spec.gates() * h;
        final int inW = spec.layerInputSize(l);
        final int ldx = l == 0 ? spec.inputSize() : spec.directions() * hout;
        final int ldy = spec.directions() * hout;
        final int s = spec.slot(l, d);
        final boolean training = bf.plan.training();
        final CellKind cell = spec.cell();
        final boolean lbr = cell == CellKind.GRU && spec.linearBeforeReset();
        final boolean rbl = cell == CellKind.GRU && !spec.linearBeforeReset();
        final PreparedWeights.Slot w = pw.slot(s);
        final PreparedWeights.Operands ops = pw.operands(s);
        final MemorySegment wseg = pw.segment();
        final long xOff = l == 0 ? bf.x : bf.y(l - 1);
        final Buffers.Scratch sc = bf.scratch(d);
        final long gates = training ? bf.gatesS[s] : sc.gates();
        // Row stride of the gate buffer, padded (WorkspacePlan.gateLd); BPTT reads gates.s* with the same ld
        final int ldg = bf.gatesLd;
        final long rowStride = (long) tN * ldg; // one batch row of the gate buffer
        // views that are [B, n] step buffers in inference and step t of a [B, T, n] region in training
        final long rhBase = training ? bf.rhS[s] : sc.rh();
        final long hfBase = training ? bf.hfS[s] : sc.hf();
        final long hState = sc.h();
        final long cState = sc.c();
        final long rec = sc.rec();
        final long proj = sc.proj();
        final int seqLd = training ? tN * h : h;
        final long seqStep = training ? h : 0;
        // LSTM inference without peepholes: one kernel adds rec itself and leaves the gate row unwritten
        final boolean lstmInference = isLstmInference(spec, training);
        final boolean viaRec = recurrentProductViaRec(spec, training, recRows);
        if (firstStep == OWN_ROWS) {
            // gates [rows*T, G*H] (ld ldg) = X [rows*T, In] · W_ih^T
            gemm.sgemm(NO, nb * tN, 1f, ws, xOff + (long) b0 * tN * ldx, ldx, ops.wIh(), 0f, ws,
                    gates + b0 * rowStride, ldg);
            StateRows.load(k, ws, hState, in.h0(), s, bN, hout, b0, b1);
            if (cell == CellKind.LSTM) {
                StateRows.load(k, ws, cState, in.c0(), s, bN, h, b0, b1);
            }
        }
        for (int step = Math.max(firstStep, 0); step < tN; step++) {
            if (share != null) {
                b1 = share.keep(chunk, step, b0, b1);
            }
            final int t = d == 0 ? step : tN - 1 - step;
            final long gT = gates + (long) t * ldg;
            if (training) {
                for (int b = b0; b < b1; b++) {
                    long row = (long) b * tN + t;
                    boolean padded = t >= in.length(b);
                    keepState(ws, hState + (long) b * hout, bf.hPrevRow(s, row, inW, hout), hout, padded);
                    if (cell == CellKind.LSTM) {
                        keepState(ws, cState + (long) b * h, bf.cprevS[s] + row * h, h, padded);
                    }
                }
            }
            final long rhT = rhBase + t * seqStep;
            final long hfT = hfBase + t * seqStep;
            if (rbl || !lbr && !viaRec) {
                // gates[rows, t] += h · W_hh^T, only the r,z blocks for reset-before-linear
                gemm.sgemm(NO, b1 - b0, 1f, ws, hState + (long) b0 * hout, hout, rbl ? ops.wHrz() : ops.wHh(), 1f,
                        ws, gT + b0 * rowStride, (int) rowStride);
            } else {
                // rec [rows, G*H] = h · W_hh^T: a small contiguous buffer that stays in L2 from step to step,
                // written without reading it (beta = 0); adding it into the step's gate rows (strided, T*ldg
                // apart, cold since the input projection) then streams each row once instead of making the
                // GEMM's tile stores wait on scattered cache misses (W4: 62 -> 51 ms). GRU lbr's and LSTM
                // inference's kernels read rec themselves; other cases take this path while rec fits REC_MAX_BYTES.
                gemm.sgemm(NO, b1 - b0, 1f, ws, hState + (long) b0 * hout, hout, ops.wHh(), 0f, ws,
                        rec + (long) b0 * gh, gh);
            }
            if (rbl) {
                for (int b = b0; b < b1; b++) {
                    long rhRow = rhT + (long) b * seqLd;
                    if (t < in.length(b)) {
                        k.gruResetStep(h, ws, gT + b * rowStride, wseg, w.bias(), hState + (long) b * h, rhRow);
                    } else {
                        k.zero(h, ws, rhRow);
                    }
                }
                // gates[rows, t, n] += (r⊙h) · W_hn^T
                gemm.sgemm(NO, b1 - b0, 1f, ws, rhT + (long) b0 * seqLd, seqLd, ops.wHn(), 1f, ws,
                        gT + b0 * rowStride + 2L * h, (int) rowStride);
            }
            for (int b = b0; b < b1; b++) {
                final long g = gT + b * rowStride;
                final long hRow = hState + (long) b * hout;
                final long yAt = ((long) b * tN + t) * ldy + (long) d * hout; // this step's output columns
                final long yRow = out != null ? -1 : bf.y(l) + yAt;
                if (t >= in.length(b)) {
                    zeroOutput(ws, yRow, out, yAt, hout);
                    if (p > 0) {
                        k.zero(h, ws, hfT + (long) b * seqLd);
                    }
                    continue;
                }
                if (viaRec && !lbr && !lstmInference) {
                    k.add(gh, ws, rec + (long) b * gh, g); // gates[b, t] += rec[b]
                }
                switch (cell) {
                    case RNN_TANH, RNN_RELU -> k.rnnForwardStep(cell == CellKind.RNN_RELU, h, ws, g, wseg, w.bias(),
                            hRow, yRow);
                    case LSTM -> {
                        long cRow = cState + (long) b * h;
                        long hOut = p > 0 ? hfT + (long) b * seqLd : hRow; // h_full goes to W_hr first
                        long yOut = p > 0 ? -1 : yRow;
                        if (lstmInference) {
                            k.lstmInferenceStep(h, ws, g, viaRec ? rec + (long) b * gh : -1, wseg, w.bias(), cRow,
                                    hOut, yOut);
                        } else {
                            k.lstmForwardStep(h, ws, g, g, wseg, w.bias(), w.peep(), cRow, hOut, yOut);
                        }
                    }
                    case GRU -> {
                        // inference keeps nothing (BPTT alone reads r, z, n and hn): lbr's kernel only reads the
                        // gate row and works in rec, rbr's works in the gate row's n block
                        if (lbr && training) {
                            k.gruForwardStep(h, ws, g, g, rec + (long) b * gh, wseg, w.bias(), w.bhn(),
                                    bf.hnS[s] + ((long) b * tN + t) * h, hRow, yRow);
                        } else if (lbr) {
                            k.gruInferenceStep(h, ws, g, rec + (long) b * gh, wseg, w.bias(), w.bhn(), hRow, yRow);
                        } else if (training) {
                            k.gruRbrForwardStep(h, ws, g, wseg, w.bias(), hRow, yRow);
                        } else {
                            k.gruRbrInferenceStep(h, ws, g, wseg, w.bias(), hRow, yRow);
                        }
                    }
                }
                if (out != null && p == 0) {
                    copyOut(ws, hRow, out, yAt, hout);
                }
            }
            if (p > 0) {
                // proj [rows, P] = h_full · W_hr^T, then kept as state and output for valid rows
                gemm.sgemm(NO, b1 - b0, 1f, ws, hfT + (long) b0 * seqLd, seqLd, ops.wHr(), 0f, ws,
                        proj + (long) b0 * p, p);
                for (int b = b0; b < b1; b++) {
                    if (t < in.length(b)) {
                        long yAt = ((long) b * tN + t) * ldy + (long) d * hout;
                        copy(ws, proj + (long) b * p, hState + (long) b * p, p);
                        if (out != null) {
                            copyOut(ws, proj + (long) b * p, out, yAt, p);
                        } else {
                            copy(ws, proj + (long) b * p, bf.y(l) + yAt, p);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link #layer} with {@link InputFusion}: per step one product over [x_t | h] into rec [rows, 4H], so the step's
     * gates are made and consumed in L2: an LSTM's [x_t | h] · [W_ih | W_hh]^T, a GRU's
     * [W_i{r,z} x + W_h{r,z} h, W_in x, W_hn h] ({@link PreparedWeights.Operands#step}). Its A operand:
     * <ul>
     *   <li>inference: the [B, In + H] buffer xhstep, whose h part is the running h (the kernel
     *       overwrites it in place; rows past their length keep it);</li>
     *   <li>training: the step's rows of xh.s{s} (T * (In + H) apart), into which x_t and h are copied
     *       and kept for BPTT as [X | H_prev]; an LSTM's c goes to cprev.s{s}, a GRU's W_hn h + b_hn to hn.s{s},
     *       and the kernel writes the activations from rec to the step's row of gates.s{s}. Against an input
     *       projection of all B*T rows up front and a recurrent GEMM adding into the gate rows, the GEMM's tile
     *       stores no longer wait on gate rows that are out of cache (W6: the forward's GEMM ran at 96 GFLOP/s
     *       there, now about 110), and BPTT finds [X | H_prev] ready.</li>
     * </ul>
     */
    private void fusedLayer(MemorySegment ws, Buffers bf, RnnBatch in, int l, int d, int b0, int b1, int firstStep,
                            RowShare share, int chunk, float[] out) {
        final int bN = in.batch();
        final int tN = in.seqLen();
        final int h = spec.hiddenSize();
        final int ldRec = 4 * h; // an LSTM's 4 gates, a GRU's r, z, W_in x and W_hn h
        final int inW = spec.layerInputSize(l);
        final int ldx = l == 0 ? spec.inputSize() : spec.directions() * h;
        final int ldy = spec.directions() * h;
        final int ldxh = inW + h;
        final int s = spec.slot(l, d);
        final boolean training = bf.plan.training();
        final boolean lstm = spec.cell() == CellKind.LSTM;
        final PreparedWeights.Slot w = pw.slot(s);
        final MemorySegment wseg = pw.segment();
        final long xOff = l == 0 ? -1 : bf.y(l - 1); // layer 0 reads in.input() itself
        final Buffers.Scratch sc = bf.scratch(d);
        final long xh = bf.fusedStepOperand(d, s);
        final long rowApart = training ? (long) tN * ldxh : ldxh; // A rows of two batch rows
        final long stepApart = training ? ldxh : 0; // A rows of two steps
        final long rec = sc.rec();
        final long hState = sc.h();
        final long cState = sc.c();
        final int blockRows = training ? Integer.MAX_VALUE : inferenceBlockRows;
        if (firstStep == OWN_ROWS) {
            StateRows.load(k, ws, hState, in.h0(), s, bN, h, b0, b1);
            if (lstm) {
                StateRows.load(k, ws, cState, in.c0(), s, bN, h, b0, b1);
            }
            if (!training) {
                for (int b = b0; b < b1; b++) {
                    copy(ws, hState + (long) b * h, xh + (long) b * ldxh + inW, h);
                }
            }
        }
        for (int step = Math.max(firstStep, 0); step < tN; step++) {
            if (share != null) {
                b1 = share.keep(chunk, step, b0, b1);
            }
            final int t = d == 0 ? step : tN - 1 - step;
            final long aT = xh + t * stepApart;
            for (int r0 = b0, r1; r0 < b1; r0 = r1) { // blocks of blockRows rows
                r1 = blockEnd(r0, b1, blockRows);
                for (int b = r0; b < r1; b++) {
                    final long row = (long) b * tN + t;
                    final long a = aT + b * rowApart;
                    final boolean padded = t >= in.length(b);
                    stepInput(ws, in, l, xOff, ldx, row, a, inW, padded);
                    if (training) {
                        keepState(ws, hState + (long) b * h, a + inW, h, padded);
                        if (lstm) {
                            keepState(ws, cState + (long) b * h, bf.cprevS[s] + row * h, h, padded);
                        }
                    }
                }
                gemm.sgemm(r1 - r0, ws, aT + r0 * rowApart, (int) rowApart, pw.operands(s).step(), ws,
                        rec + (long) r0 * ldRec, ldRec);
                for (int b = r0; b < r1; b++) {
                    final long row = (long) b * tN + t;
                    final long yAt = row * ldy + (long) d * h; // this step's output columns
                    final long yRow = out != null ? -1 : bf.y(l) + yAt;
                    if (t >= in.length(b)) {
                        zeroOutput(ws, yRow, out, yAt, h);
                        continue;
                    }
                    final long recRow = rec + (long) b * ldRec;
                    final long cRow = cState + (long) b * h;
                    // training: h to the running state (copied into the next step's operand row), activations to
                    // the kept gate row; inference: h in place in the operand's h part, rec as scratch
                    final long hRow = training ? hState + (long) b * h : aT + b * rowApart + inW;
                    if (lstm && training) {
                        k.lstmForwardStep(h, ws, recRow, bf.gatesS[s] + row * bf.gatesLd, wseg, w.bias(), -1, cRow,
                                hRow, yRow);
                    } else if (lstm) {
                        k.lstmInferenceStep(h, ws, recRow, -1, wseg, w.bias(), cRow, hRow, yRow);
                    } else if (training) {
                        k.gruJoinedForwardStep(h, ws, recRow, bf.gatesS[s] + row * bf.gatesLd, wseg, w.bias(), w.bhn(),
                                bf.hnS[s] + row * h, hRow, yRow);
                    } else {
                        k.gruJoinedInferenceStep(h, ws, recRow, wseg, w.bias(), w.bhn(), hRow, yRow);
                    }
                    if (out != null) {
                        copyOut(ws, hRow, out, yAt, h);
                    }
                }
            }
        }
        if (!training) {
            for (int b = b0; b < b1; b++) {
                copy(ws, xh + (long) b * ldxh + inW, hState + (long) b * h, h);
            }
        }
    }

    /**
     * x_t of B*T row {@code row} (inW floats) to {@code dst}: layer 0's from the caller's array (a plan that keeps
     * [x_t | h] in a step operand has no bf.x, see copyInputRows), a layer above's from the output of the one below.
     * A padded step's is zeros: training keeps these rows as BPTT's [X | H_prev], whose weight gradients multiply
     * them by dG, which is 0 at padded steps, and 0 times the caller's padding (NaN, ∞) would not be 0.
     */
    private void stepInput(MemorySegment ws, RnnBatch in, int l, long xOff, int ldx, long row, long dst, int inW,
                           boolean padded) {
        if (padded) {
            k.zero(inW, ws, dst);
        } else if (l == 0) {
            MemorySegment.copy(in.input(), (int) (row * ldx), ws, ValueLayout.JAVA_FLOAT, dst * Float.BYTES, inW);
        } else {
            copy(ws, xOff + row * ldx, dst, inW);
        }
    }

    /** Where layer l writes its h: the caller's output array for the last layer, else null (the workspace's y). */
    private float[] outputArray(int l, RnnResult out) {
        return l == spec.numLayers() - 1 ? out.output() : null;
    }

    /** n floats from the workspace at {@code src} to {@code out[at ...]}. */
    private static void copyOut(MemorySegment ws, long src, float[] out, long at, int n) {
        MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, src * Float.BYTES, out, (int) at, n);
    }

    /** A padded step's output: n zeros at {@code out[at ...]}, or at {@code yRow} of the workspace without out. */
    private void zeroOutput(MemorySegment ws, long yRow, float[] out, long at, int n) {
        if (out != null) {
            Arrays.fill(out, (int) at, (int) at + n, 0f);
        } else {
            k.zero(n, ws, yRow);
        }
    }

    /** The running state (n floats at src) kept for BPTT at dst; zeros at a padded step, as in {@link #stepInput}. */
    private void keepState(MemorySegment ws, long src, long dst, int n, boolean padded) {
        if (padded) {
            k.zero(n, ws, dst);
        } else {
            copy(ws, src, dst, n);
        }
    }

    static void copy(MemorySegment ws, long src, long dst, int n) {
        MemorySegment.copy(ws, src * Float.BYTES, ws, dst * Float.BYTES, (long) n * Float.BYTES);
    }
}
