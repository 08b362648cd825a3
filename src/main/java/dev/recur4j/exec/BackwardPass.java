package dev.recur4j.exec;

import static dev.recur4j.gemm.Transpose.NO;
import static dev.recur4j.gemm.Transpose.YES;

import dev.recur4j.CellKind;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.kernel.Kernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A training call: the forward pass ({@link ForwardPass#trainingRows}), then BPTT over what it kept.
 * Layers top-down; per (layer, direction) the steps run opposite to the forward order. Per step:
 * dh += dy[:, t] for valid rows, (projection: dh_full = dh · W_hr), the fused backward kernel →
 * dG [B, T, G*H] (zero at padded rows), then dh_prev += dG_rec[:, t] · W_hh (GEMM, beta = 1). After
 * the time loop, over the B*T rows: dW_ih = dG^T X, dW_hh = dG_rec^T H_prev, dW_hr = dH^T H_full,
 * biases = column sums, and dX = dG · W_ih, added over both directions into the gradient of the
 * layer below. dG_rec differs from dG only for GRU linear-before-reset (its n block is dG_n⊙r); for
 * GRU reset-before-linear W_hn's input is r⊙h_prev, so dW_hn = dG_n^T (R⊙H_prev).
 *
 * <p>Threads: everything but the parameter gradients' sum over rows depends on a batch row's own data
 * alone, so one {@link RowTeam} task per (layer, direction) runs a chunk of batch rows from start to
 * end, the first one beginning with the chunk's forward pass through every layer: the time loop, then
 * the copy of X and H_prev side by side into xh for its B*T rows (unless the forward pass kept them in
 * xh.s{s}), its rows' share of the parameter gradients into the chunk's own partial buffers (dW_ih and
 * dW_hh from one product dG^T [X | H_prev], because packing the transposed dG is much of their cost),
 * and last dX by blocks of rows. A second task, split over gate rows, sums the partials and copies them
 * out. Against a forward task per (layer, direction) and a backward split into three tasks (time loop,
 * dX by rows, dW by gate rows), this saves three joins, each a wait for the slower thread, and each
 * thread packs only its own rows of [X | H_prev] instead of all of them. The join left costs little
 * wait either: dX blocks are claimed through a counter per chunk, so a thread done with its own takes
 * those of a slower chunk (once that chunk's time loop is over, its dG final) instead of idling (W6 at
 * 2 threads had waited 3-19 ms a call there on this shared machine). The gradient of the output is
 * copied in, and that of the input out, by the same row chunks.
 *
 * <p>dG is written over the gate activations it comes from (gates.s{s}, which nothing reads after
 * (l, d)'s time loop): the kernel reads a row's activations and writes its gradients into the same
 * cache lines, instead of fetching the lines of a separate 52 MB buffer only to overwrite them
 * (W6), and the workspace is that much smaller. Likewise GRU linear-before-reset keeps the one block
 * in which its recurrent-side gradients differ, dG_n⊙r, over hn = W_hn h + b_hn (read by the same
 * kernel), and multiplies it by W_hn apart from dG's r, z blocks, instead of writing all three
 * blocks to a second [B*T, 3H] buffer (W7: 40 MB a call). Gate buffers (gates.s*) have the padded row
 * stride {@code bf.gatesLd}. The right-hand weights come from {@link BackwardOperands} (prepared
 * once). The team's tasks are bound once here and read the call's arguments from fields, so a call
 * allocates nothing.
 */
final class BackwardPass {
    private final RnnSpec spec;
    private final Kernels k;
    private final Gemm gemm;
    private final PreparedWeights pw;
    private final BackwardOperands ops;
    private final ForwardPass forward;
    /**
     * B*T rows per block of dX = dG · W_ih, the work a thread that is done with its own rows takes over
     * from a slower one: a multiple of JavaGemm's 192-row A block with 512-bit vectors, and a few milliseconds
     * of work (W6).
     */
    private static final int DX_BLOCK_ROWS = 384;
    private final RowTeam.Task rowsTask = this::rows;
    /** Per row chunk: the (l, d) task number whose time loop that chunk has finished ({@link #task}). */
    private AtomicIntegerArray timeLoopDone;
    /** Per row chunk: the next of its dX blocks to take, by its own thread or another. */
    private AtomicIntegerArray nextDxBlock;
    /** Counts the (l, d) row tasks, so {@link #timeLoopDone} needs no reset. */
    private int task;
    /**
     * dX blocks a thread took from another chunk, over the engine's life: whether that happens depends on timing,
     * so tests read it to know the take-over ran. One add per task and thread that took any.
     */
    private final AtomicLong dxBlocksTakenOver = new AtomicLong();
    private final RowTeam.Task sumTask = this::sumParameterGradients;
    // the running call and (layer, direction), read by the tasks above
    private MemorySegment ws;
    private Buffers bf;
    private RnnBatch in;
    private RnnGradOutput go;
    private RnnGradients grads;
    private RnnResult out;
    private RowTeam team;
    private int l;
    private int d;
    private long dy;
    private long dxBelow;

    BackwardPass(RnnSpec spec, Kernels kernels, Gemm gemm, PreparedWeights pw, ForwardPass forward) {
        this.forward = forward;
        this.spec = spec;
        this.k = kernels;
        this.gemm = gemm;
        this.pw = pw;
        this.ops = new BackwardOperands(spec, pw, gemm);
    }

    /**
     * The forward pass of a training call (each row chunk copies its rows of the input in), then BPTT:
     * fills {@code out} and {@code grads}.
     */
    void run(MemorySegment ws, Buffers bf, RnnBatch in, RnnResult out, RnnGradOutput go, RnnGradients grads,
             RowTeam team) {
        ops.ensurePrepared();
        this.ws = ws;
        this.bf = bf;
        this.in = in;
        this.go = go;
        this.grads = grads;
        this.out = out;
        this.team = team;
        if (timeLoopDone == null || timeLoopDone.length() != team.threads()) {
            timeLoopDone = new AtomicIntegerArray(team.threads()); // first call only
            nextDxBlock = new AtomicIntegerArray(team.threads());
        }
        try {
            dy = bf.dy0;
            for (l = spec.numLayers() - 1; l >= 0; l--) {
                dxBelow = l == 0 ? bf.dx : (dy == bf.dy0 ? bf.dy1 : bf.dy0);
                for (d = 0; d < spec.directions(); d++) {
                    if (spec.peepholes()) {
                        k.zero(team.threads() * 3 * spec.hiddenSize(), ws, bf.dpeep); // one accumulator per chunk
                    }
                    task++;
                    for (int c = 0; c < team.threads(); c++) {
                        nextDxBlock.set(c, 0);
                    }
                    team.run(in.batch(), rowsTask);
                    team.run(spec.gates() * spec.hiddenSize(), sumTask);
                    collectSmallGradients();
                }
                dy = dxBelow;
            }
        } finally {
            this.ws = null;
            this.bf = null;
            this.in = null;
            this.go = null;
            this.grads = null;
            this.out = null;
            this.team = null;
        }
    }

    /**
     * Batch rows [b0, b1) of (l, d) from start to end: the gradient of the output copied in (top
     * layer), the time loop, dh0 / dc0 out, xh (unless the forward pass kept it in xh.s{s}), this chunk's
     * partial parameter gradients, then dX by blocks of rows: this chunk's blocks and, when they are done,
     * those another chunk has not started, as soon as that chunk's time loop has finished (its dG is
     * final). The thread that finishes first thus takes work from the slower one instead of waiting for it at the join.
     */
    private void rows(int chunk, int b0, int b1) {
        final int tN = in.seqLen();
        final int r0 = b0 * tN;
        final int r1 = b1 * tN;
        if (l == spec.numLayers() - 1 && d == 0) {
            forward.trainingRows(ws, bf, in, out, b0, b1);
            int ldy = spec.directions() * spec.outputSize();
            MemorySegment.copy(go.gradOutput(), r0 * ldy, ws, ValueLayout.JAVA_FLOAT,
                    (bf.dy0 + (long) r0 * ldy) * Float.BYTES, (r1 - r0) * ldy);
        }
        timeLoop(chunk, b0, b1);
        copyStateGradients(b0, b1);
        timeLoopDone.set(chunk, task); // publishes this chunk's dG rows to threads that take its dX blocks
        if (bf.xhS[spec.slot(l, d)] < 0) {
            stackInputs(r0, r1); // else the forward pass kept [X | H_prev] in xh.s{s}
        }
        weightGradients(chunk, r0, r1);
        final int threads = team.threads();
        int taken = 0;
        for (int i = 0; i < threads; i++) {
            int c = (chunk + i) % threads;
            if (!team.runsChunk(in.batch(), c)) {
                continue;
            }
            int c0 = team.from(in.batch(), c) * tN;
            int c1 = team.to(in.batch(), c) * tN;
            int blocks = (c1 - c0 + DX_BLOCK_ROWS - 1) / DX_BLOCK_ROWS;
            if (c != chunk) {
                if (nextDxBlock.get(c) >= blocks) {
                    continue; // nothing left to take
                }
                if (!awaitTimeLoop(c)) {
                    return;
                }
            }
            for (int q; (q = nextDxBlock.getAndIncrement(c)) < blocks; ) {
                int q0 = c0 + q * DX_BLOCK_ROWS;
                inputGradients(q0, Math.min(q0 + DX_BLOCK_ROWS, c1));
                if (c != chunk) {
                    taken++;
                }
            }
        }
        if (taken > 0) {
            dxBlocksTakenOver.addAndGet(taken);
        }
    }

    /** dX blocks taken from another chunk's thread so far ({@link #rows}); for tests. */
    long dxBlocksTakenOver() {
        return dxBlocksTakenOver.get();
    }

    /**
     * Waits until chunk c has finished (l, d)'s time loop, spinning a little, then parking in short
     * naps (the other thread may need this core); false if a chunk of the task failed meanwhile.
     */
    private boolean awaitTimeLoop(int c) {
        long spinUntil = System.nanoTime() + RowTeam.WAIT_SPIN_NANOS;
        boolean interrupted = false;
        try {
            for (int spin = 1; timeLoopDone.get(c) != task; spin++) {
                if (team.failed()) {
                    return false;
                }
                if ((spin & 255) != 0 || System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    interrupted |= Parking.parkNanos(this, 100_000);
                }
            }
            return true;
        } finally {
            Parking.restore(interrupted);
        }
    }

    /** The reverse time loop of (l, d) for batch rows [b0, b1): fills dG rows, dh/dc state rows, dH rows. */
    private void timeLoop(int chunk, int b0, int b1) {
        final MemorySegment ws = this.ws;
        final Buffers bf = this.bf;
        final RnnBatch in = this.in;
        final int d = this.d;
        final int bN = in.batch();
        final int nb = b1 - b0;
        final int tN = in.seqLen();
        final int h = spec.hiddenSize();
        final int hout = spec.outputSize();
        final int p = spec.projSize();
        final int gh = spec.gates() * h;
        final int inW = spec.layerInputSize(l);
        final int ldy = spec.directions() * hout;
        final int s = spec.slot(l, d);
        final CellKind cell = spec.cell();
        final boolean lbr = cell == CellKind.GRU && spec.linearBeforeReset();
        final boolean rbl = cell == CellKind.GRU && !spec.linearBeforeReset();
        final long dyOff = this.dy + (long) d * hout;
        final int gl = bf.gatesLd; // row stride of gates.s* (activations, then dG)
        final long gates = bf.gatesS[s];
        final long dgAll = bf.gatesS[s]; // dG overwrites the gate activations, row by row
        final long dgn = lbr ? bf.hnS[s] : -1; // GRU lbr: dG_n⊙r overwrites hn, row by row (ld H)
        final long rowStride = (long) tN * gl;
        final long dpeep = spec.peepholes() ? bf.dpeep + (long) chunk * 3 * h : -1;

        // bias gradients = column sums of dG, added up here step by step while the rows are in cache (a pass
        // over all of dG after the loop read the 52 MB of W6's back from memory)
        final long dbih = spec.bias() ? bf.dbih + (long) chunk * gh : -1;
        final long dbhhN = spec.bias() && lbr ? bf.dbhh + (long) chunk * gh + 2L * h : -1; // b_hh's n block
        if (dbih >= 0) {
            k.zero(gh, ws, dbih);
        }
        if (dbhhN >= 0) {
            k.zero(h, ws, dbhhN);
        }

        StateRows.load(k, ws, bf.dh, go.gradHn(), s, bN, hout, b0, b1);
        if (cell == CellKind.LSTM) {
            StateRows.load(k, ws, bf.dc, go.gradCn(), s, bN, h, b0, b1);
        }
        for (int step = 0; step < tN; step++) {
            final int t = d == 0 ? tN - 1 - step : step;
            final long gT = gates + (long) t * gl;
            final long dgT = dgAll + (long) t * gl;
            for (int b = b0; b < b1; b++) {
                long row = (long) b * tN + t;
                if (t >= in.length(b)) {
                    k.zero(gh, ws, dgAll + row * gl);
                    if (lbr) {
                        k.zero(h, ws, dgn + row * h);
                    }
                    if (p > 0) {
                        k.zero(p, ws, bf.dhseq + row * p);
                    }
                    continue;
                }
                k.add(hout, ws, dyOff + row * ldy, bf.dh + (long) b * hout);
                if (p > 0) {
                    ForwardPass.copy(ws, bf.dh + (long) b * p, bf.dhseq + row * p, p);
                }
            }
            if (p > 0) {
                // dh_full [rows, H] = dh [rows, P] · W_hr [P, H]
                ops.timesWhr(s, nb, ws, bf.dhseq + (long) t * p + (long) b0 * tN * p, tN * p,
                        0f, ws, bf.dhf + (long) b0 * h, h);
            }
            rowKernels(s, t, b0, b1, dpeep);
            if (rbl) {
                // d(r⊙h) [rows, H] = dG_n · W_hn, then the r block and dh_prev += d(r⊙h)⊙r
                ops.timesWhn(s, nb, ws, dgT + b0 * rowStride + 2L * h, (int) rowStride,
                        0f, ws, bf.drh + (long) b0 * h, h);
                for (int b = b0; b < b1; b++) {
                    if (t < in.length(b)) {
                        long row = (long) b * tN + t;
                        k.gruResetBackwardStep(h, ws, gT + b * rowStride, bf.hPrevRow(s, row, inW, h),
                                bf.drh + (long) b * h, dgT + b * rowStride, bf.dh + (long) b * h);
                    }
                }
            }
            if (dbih >= 0) {
                for (int b = b0; b < b1; b++) {
                    if (t < in.length(b)) { // padded rows' dG is zero
                        k.add(gh, ws, dgT + b * rowStride, dbih);
                        if (dbhhN >= 0) {
                            k.add(h, ws, dgn + ((long) b * tN + t) * h, dbhhN);
                        }
                    }
                }
            }
            // dh_prev [rows, Hout] += dG_rec[rows, t] · W_hh: for GRU the r, z blocks of dG here, and the n block
            // apart (reset-before-linear: above; linear-before-reset: dG_n⊙r · W_hn)
            ops.timesWhh(s, nb, ws, dgT + b0 * rowStride, (int) rowStride, 1f, ws, bf.dh + (long) b0 * hout, hout);
            if (lbr) {
                ops.timesWhn(s, nb, ws, dgn + ((long) b0 * tN + t) * h, tN * h, 1f, ws, bf.dh + (long) b0 * hout,
                        hout);
            }
        }
    }

    /**
     * The fused backward kernel of step t for every valid batch row in [b0, b1): dG (over the gate
     * activations), dh / dc to the previous step. A method of its own, so that C2 compiles the kernels
     * apart from {@link #timeLoop}: inlined there (GRU lbr's kernel was small enough to be), they pushed
     * the loop past C2's node budget (NodeCountInliningCutoff), the kernel's vector operations were left
     * as calls, and every vector they passed was allocated.
     */
    private void rowKernels(int s, int t, int b0, int b1, long dpeep) {
        final MemorySegment ws = this.ws;
        final Buffers bf = this.bf;
        final RnnBatch in = this.in;
        final int tN = in.seqLen();
        final int h = spec.hiddenSize();
        final int hout = spec.outputSize();
        final int p = spec.projSize();
        final int inW = spec.layerInputSize(l);
        final CellKind cell = spec.cell();
        final boolean lbr = cell == CellKind.GRU && spec.linearBeforeReset();
        final PreparedWeights.Slot w = pw.slot(s);
        final MemorySegment wseg = pw.segment();
        final int gl = bf.gatesLd;
        final long rowStride = (long) tN * gl;
        final long gT = bf.gatesS[s] + (long) t * gl;
        final long dgT = gT; // dG overwrites the gate activations
        final long dgn = lbr ? bf.hnS[s] : -1;
        for (int b = b0; b < b1; b++) {
            if (t >= in.length(b)) {
                continue;
            }
            final long row = (long) b * tN + t;
            final long g = gT + b * rowStride;
            final long dg = dgT + b * rowStride;
            final long dhRow = bf.dh + (long) b * hout;
            switch (cell) {
                case RNN_TANH, RNN_RELU -> k.rnnBackwardStep(cell == CellKind.RNN_RELU, h, ws, g, dhRow, dg, dhRow);
                case LSTM -> {
                    k.lstmBackwardStep(h, ws, g, bf.cprevS[s] + row * h,
                            p > 0 ? bf.dhf + (long) b * h : dhRow, bf.dc + (long) b * h, dg, p > 0 ? -1 : dhRow,
                            wseg, w.peep(), dpeep);
                    if (p > 0) {
                        k.zero(p, ws, dhRow);
                    }
                }
                case GRU -> {
                    long hp = bf.hPrevRow(s, row, inW, h);
                    if (lbr) {
                        k.gruBackwardStep(h, ws, g, dgn + row * h, hp, dhRow, dg, dgn + row * h, dhRow);
                    } else {
                        k.gruRbrBackwardStep(h, ws, g, hp, dhRow, dg, dhRow);
                    }
                }
            }
        }
    }

    /**
     * B*T rows [r0, r1)'s share of (l, d)'s parameter gradients, into chunk {@code chunk}'s partials:
     * dw_chunk = [dW_ih | dW_hh] [G*H, In+Hout]. Gate rows whose dW_ih and dW_hh share their A take one
     * product dG^T [X | H_prev] (every row, except GRU's n rows); GRU's n rows take two, because
     * linear-before-reset has dW_hn = (dG_n⊙r)^T H_prev and reset-before-linear dW_hn = dG_n^T (R⊙H_prev).
     * Linear-before-reset makes its three in one {@link Gemm#sgemmTransASplit} call, whose Java GEMM packs
     * [X | H_prev] once for all three.
     * Bias gradients: the time loop has summed dG's columns (and for linear-before-reset those of dG_n⊙r,
     * b_hh's n block); here b_hh's r, z blocks, the same as b_ih's, are copied. Projection: dW_hr = dH^T · H_full.
     */
    private void weightGradients(int chunk, int r0, int r1) {
        final MemorySegment ws = this.ws;
        final Buffers bf = this.bf;
        final int rows = r1 - r0;
        final int h = spec.hiddenSize();
        final int hout = spec.outputSize();
        final int p = spec.projSize();
        final int gh = spec.gates() * h;
        final int inW = spec.layerInputSize(l);
        final int ldw = inW + hout;
        final int s = spec.slot(l, d);
        final boolean gru = spec.cell() == CellKind.GRU;
        final boolean lbr = gru && spec.linearBeforeReset();
        final int gl = bf.gatesLd;
        final int shared = gru ? 2 * h : gh; // gate rows [0, shared) share A
        final long dg = bf.gatesS[s] + (long) r0 * gl;
        final long xh = bf.stackedInputs(s) + (long) r0 * ldw;
        final long dw = bf.dw + (long) chunk * gh * ldw;
        if (lbr) {
            // [dW_ih | dW_hh] = [dG[rows, 0:2H]^T · [X | H_prev] ; dG_n^T · X | (dG_n⊙r)^T · H_prev], in one
            // call that packs [X | H_prev] once for the three products
            gemm.sgemmTransASplit(shared, h, ldw, inW, rows, ws, dg, gl, dg + shared, gl, bf.hnS[s] + (long) r0 * h, h,
                    xh, ldw, dw, ldw);
        } else {
            // [dW_ih | dW_hh] [0:shared, In+Hout] = dG[rows, 0:shared]^T · [X | H_prev][rows]
            gemm.sgemm(YES, NO, shared, ldw, rows, 1f, ws, dg, gl, ws, xh, ldw, 0f, ws, dw, ldw);
        }
        if (gh > shared && !lbr) {
            // GRU reset-before-linear's n rows: dG_n^T · X, and dG_n^T · (R⊙H_prev) for W_hn
            long dwN = dw + (long) shared * ldw;
            gemm.sgemm(YES, NO, h, inW, rows, 1f, ws, dg + shared, gl, ws, xh, ldw, 0f, ws, dwN, ldw);
            gemm.sgemm(YES, NO, h, h, rows, 1f, ws, dg + shared, gl, ws, bf.rhS[s] + (long) r0 * h, h, 0f,
                    ws, dwN + inW, ldw);
        }
        if (spec.bias() && lbr) {
            // r, z: the same gradients on both sides (the n block of each was summed in the time loop)
            ForwardPass.copy(ws, bf.dbih + (long) chunk * gh, bf.dbhh + (long) chunk * gh, shared);
        }
        if (p > 0) {
            // dW_hr [P, H] = dH[rows]^T · H_full[rows]
            gemm.sgemm(YES, NO, p, h, rows, 1f, ws, bf.dhseq + (long) r0 * p, p, ws, bf.hfS[s] + (long) r0 * h, h,
                    0f, ws, bf.dwhr + (long) chunk * p * h, h);
        }
    }

    /** Rows [r0, r1) of B*T: xh = [X | H_prev] side by side for {@link #weightGradients}. */
    private void stackInputs(int r0, int r1) {
        final MemorySegment ws = this.ws;
        final Buffers bf = this.bf;
        final int hout = spec.outputSize();
        final int ldx = l == 0 ? spec.inputSize() : spec.directions() * hout;
        final int inW = spec.layerInputSize(l);
        final int ldw = inW + hout;
        final int s = spec.slot(l, d);
        final long xOff = l == 0 ? bf.x : bf.y(l - 1);
        for (long row = r0; row < r1; row++) {
            ForwardPass.copy(ws, xOff + row * ldx, bf.xh + row * ldw, inW);
            ForwardPass.copy(ws, bf.hprevS[s] + row * hout, bf.xh + row * ldw + inW, hout);
        }
    }

    /**
     * Rows [r0, r1) of B*T: dX (+)= dG · W_ih into the gradient of the layer below (the directions
     * summed); after layer 0's last direction, those rows of the input gradient copied out.
     */
    private void inputGradients(int r0, int r1) {
        final int hout = spec.outputSize();
        final int ldx = l == 0 ? spec.inputSize() : spec.directions() * hout;
        final int gl = bf.gatesLd;
        final int s = spec.slot(l, d);
        ops.timesWih(s, r1 - r0, ws, bf.gatesS[s] + (long) r0 * gl, gl, d == 0 ? 0f : 1f, ws,
                dxBelow + (long) r0 * ldx, ldx);
        if (l == 0 && d == spec.directions() - 1) {
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, (bf.dx + (long) r0 * ldx) * Float.BYTES,
                    grads.gradInput(), r0 * ldx, (r1 - r0) * ldx);
        }
    }

    /** Rows [b0, b1) of (l, d)'s dh0 (and dc0) out of the running state, after the time loop. */
    private void copyStateGradients(int b0, int b1) {
        final int s = spec.slot(l, d);
        StateRows.store(ws, bf.dh, grads.gradH0(), s, in.batch(), spec.outputSize(), b0, b1);
        if (spec.hasCellState()) {
            StateRows.store(ws, bf.dc, grads.gradC0(), s, in.batch(), spec.hiddenSize(), b0, b1);
        }
    }

    /**
     * Gate rows [r0, r1) of (l, d)'s dW_ih, dW_hh and biases: the partials of the row chunks that ran
     * summed into the first such chunk's, then copied out.
     */
    private void sumParameterGradients(int chunk, int r0, int r1) {
        final MemorySegment ws = this.ws;
        final Buffers bf = this.bf;
        final int gh = spec.gates() * spec.hiddenSize();
        final int inW = spec.layerInputSize(l);
        final int ldw = inW + spec.outputSize();
        final int hout = spec.outputSize();
        final boolean lbr = spec.cell() == CellKind.GRU && spec.linearBeforeReset();
        final int first = firstChunk();
        LayerParams gp = grads.params().layer(l, d);
        float[] wIh = gp.wIh();
        float[] wHh = gp.wHh();
        for (int r = r0; r < r1; r++) {
            long row = sumChunks(bf.dw + (long) r * ldw, (long) gh * ldw, ldw, first);
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, row * Float.BYTES, wIh, r * inW, inW);
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, (row + inW) * Float.BYTES, wHh, r * hout, hout);
        }
        if (spec.bias()) {
            int n = r1 - r0;
            long bih = sumChunks(bf.dbih + r0, gh, n, first);
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, bih * Float.BYTES, gp.bIh(), r0, n);
            // without a separate b_hh gradient (every cell but GRU lbr), b_hh's equals b_ih's
            long bhh = lbr ? sumChunks(bf.dbhh + r0, gh, n, first) : bih;
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, bhh * Float.BYTES, gp.bHh(), r0, n);
        }
    }

    /** The first row chunk the team gave batch rows (with fewer rows than threads, chunk 0 may get none). */
    private int firstChunk() {
        int c = 0;
        while (!team.runsChunk(in.batch(), c)) {
            c++;
        }
        return c;
    }

    /**
     * Adds the n floats at {@code off + c * stride} of every row chunk c after {@code first} that ran into
     * those of {@code first}; returns where the sum is.
     */
    private long sumChunks(long off, long stride, int n, int first) {
        long sum = off + first * stride;
        for (int c = first + 1; c < team.threads(); c++) {
            if (team.runsChunk(in.batch(), c)) {
                k.add(n, ws, off + c * stride, sum);
            }
        }
        return sum;
    }

    /** After the team's parts of (l, d): dW_hr and the peephole gradients, summed over row chunks and copied out. */
    private void collectSmallGradients() {
        final int h = spec.hiddenSize();
        final int p = spec.projSize();
        final int chunks = team.threads();
        LayerParams gp = grads.params().layer(l, d);
        if (p > 0) {
            get(ws, sumChunks(bf.dwhr, (long) p * h, p * h, firstChunk()), gp.wHr());
        }
        if (spec.peepholes()) {
            k.columnSums(chunks, 3 * h, ws, bf.dpeep, 3 * h, bf.dpeepSum);
            get(ws, bf.dpeepSum, gp.wPeep());
        }
    }

    private static void get(MemorySegment ws, long off, float[] dst) {
        MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, off * Float.BYTES, dst, 0, dst.length);
    }
}
