package dev.recur4j.exec;

import static dev.recur4j.gemm.Transpose.NO;
import static dev.recur4j.gemm.Transpose.YES;

import dev.recur4j.CellKind;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnSpec;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.kernel.Kernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * BPTT over what a training {@link ForwardPass} kept. Layers top-down; per (layer, direction) the
 * steps run opposite to the forward order. Per step: dh += dy[:, t] for valid rows, (projection:
 * dh_full = dh · W_hr), the fused backward kernel → dG [B, T, G*H] (zero at padded rows), then
 * dh_prev += dG_rec[:, t] · W_hh (GEMM, beta = 1). After the time loop, over all B*T rows at once:
 * dW_ih = dG^T X, dW_hh = dG_rec^T H_prev, dW_hr = dH^T H_full, biases = column sums, and
 * dX = dG · W_ih, added over both directions into the gradient of the layer below.
 * dG_rec differs from dG only for GRU linear-before-reset (its n block is dG_n⊙r); for GRU
 * reset-before-linear W_hn's input is r⊙h_prev, so dW_hn = dG_n^T (R⊙H_prev).
 * The time loop runs split over batch rows by a {@link RowTeam} (rows are independent; peephole
 * gradients go to one accumulator per chunk); then the same team splits B*T rows (dX, and the copy
 * of X and H_prev side by side into xh) and then gate rows (dW, bias columns). dW_ih and dW_hh come
 * from one product dG^T [X | H_prev], because packing the transposed dG is much of their cost.
 * Gate buffers (gates.s*, dg, dgrec) have the padded row stride {@code bf.gatesLd}. The right-hand
 * weights come from {@link BackwardOperands} (prepared once). The team's tasks are bound once here
 * and read the call's arguments from fields, so a call allocates nothing.
 */
final class BackwardPass {
    private final RnnSpec spec;
    private final Kernels k;
    private final Gemm gemm;
    private final PreparedWeights pw;
    private final BackwardOperands ops;
    private final RowTeam.Task timeLoopTask = this::timeLoop;
    private final RowTeam.Task weightGradTask = this::weightGradients;
    private final RowTeam.Task inputGradTask = this::inputGradients;
    // the running call and (layer, direction), read by the tasks above
    private MemorySegment ws;
    private Buffers bf;
    private RnnBatch in;
    private RnnGradOutput go;
    private int l;
    private int d;
    private long dy;
    private long dxBelow;

    BackwardPass(RnnSpec spec, Kernels kernels, Gemm gemm, PreparedWeights pw) {
        this.spec = spec;
        this.k = kernels;
        this.gemm = gemm;
        this.pw = pw;
        this.ops = new BackwardOperands(spec, pw, gemm);
    }

    void run(MemorySegment ws, Buffers bf, RnnBatch in, RnnGradOutput go, RnnGradients grads, RowTeam team) {
        ops.ensurePrepared();
        this.ws = ws;
        this.bf = bf;
        this.in = in;
        this.go = go;
        try {
            float[] gradOut = go.gradOutput();
            MemorySegment.copy(gradOut, 0, ws, ValueLayout.JAVA_FLOAT, bf.dy0 * Float.BYTES, gradOut.length);
            dy = bf.dy0;
            for (l = spec.numLayers() - 1; l >= 0; l--) {
                dxBelow = l == 0 ? bf.dx : (dy == bf.dy0 ? bf.dy1 : bf.dy0);
                for (d = 0; d < spec.directions(); d++) {
                    if (spec.peepholes()) {
                        k.zero(team.threads() * 3 * spec.hiddenSize(), ws, bf.dpeep); // one accumulator per chunk
                    }
                    team.run(in.batch(), timeLoopTask);
                    team.run(in.batch() * in.seqLen(), inputGradTask);
                    team.run(spec.gates() * spec.hiddenSize(), weightGradTask);
                    collectGradients(grads, team.threads());
                }
                dy = dxBelow;
            }
            float[] gi = grads.gradInput();
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, bf.dx * Float.BYTES, gi, 0, gi.length);
        } finally {
            this.ws = null;
            this.bf = null;
            this.in = null;
            this.go = null;
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
        final int ldy = spec.directions() * hout;
        final int s = spec.slot(l, d);
        final CellKind cell = spec.cell();
        final boolean lbr = cell == CellKind.GRU && spec.linearBeforeReset();
        final boolean rbl = cell == CellKind.GRU && !spec.linearBeforeReset();
        final boolean peep = spec.peepholes();
        final PreparedWeights.Slot w = pw.slot(s);
        final MemorySegment wseg = pw.segment();
        final long dyOff = this.dy + (long) d * hout;
        final int gl = bf.gatesLd; // row stride of gates.s*, dg, dgrec
        final long gates = bf.gatesS[s];
        final long dgrec = lbr ? bf.dgrec : bf.dg;
        final long rowStride = (long) tN * gl;
        final long dpeep = peep ? bf.dpeep + (long) chunk * 3 * h : -1;

        initState(ws, bf.dh, go.gradHn(), s, bN, hout, b0, b1);
        if (cell == CellKind.LSTM) {
            initState(ws, bf.dc, go.gradCn(), s, bN, h, b0, b1);
        }
        for (int step = 0; step < tN; step++) {
            final int t = d == 0 ? tN - 1 - step : step;
            final long gT = gates + (long) t * gl;
            final long dgT = bf.dg + (long) t * gl;
            final long dgrecT = dgrec + (long) t * gl;
            for (int b = b0; b < b1; b++) {
                long row = (long) b * tN + t;
                if (t >= in.length(b)) {
                    k.zero(gh, ws, bf.dg + row * gl);
                    if (lbr) {
                        k.zero(gh, ws, bf.dgrec + row * gl);
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
                        long hp = bf.hprevS[s] + row * h;
                        if (lbr) {
                            k.gruBackwardStep(h, ws, g, bf.hnS[s] + row * h, hp, dhRow, dg, dgrecT + b * rowStride,
                                    dhRow);
                        } else {
                            k.gruRbrBackwardStep(h, ws, g, hp, dhRow, dg, dhRow);
                        }
                    }
                }
            }
            if (rbl) {
                // d(r⊙h) [rows, H] = dG_n · W_hn, then the r block and dh_prev += d(r⊙h)⊙r
                ops.timesWhn(s, nb, ws, dgT + b0 * rowStride + 2L * h, (int) rowStride,
                        0f, ws, bf.drh + (long) b0 * h, h);
                for (int b = b0; b < b1; b++) {
                    if (t < in.length(b)) {
                        long row = (long) b * tN + t;
                        k.gruResetBackwardStep(h, ws, gT + b * rowStride, bf.hprevS[s] + row * h,
                                bf.drh + (long) b * h, dgT + b * rowStride, bf.dh + (long) b * h);
                    }
                }
            }
            // dh_prev [rows, Hout] += dG_rec[rows, t] · W_hh (r,z blocks only for reset-before-linear)
            ops.timesWhh(s, nb, ws, dgrecT + b0 * rowStride, (int) rowStride, 1f, ws, bf.dh + (long) b0 * hout, hout);
        }
    }

    /**
     * Gate rows [r0, r1) of (l, d)'s weight gradients, over all B*T rows at once, into
     * dw = [dW_ih | dW_hh] [G*H, In+Hout]: rows whose dW_ih and dW_hh share their A take one product
     * dG^T [X | H_prev] (every row, except GRU's n rows); GRU's n rows take two, because
     * linear-before-reset has dW_hn = dG_rec,n^T H_prev and reset-before-linear dW_hn = dG_n^T (R⊙H_prev).
     * Bias gradients = column sums of dG (and of dG_rec for linear-before-reset).
     */
    private void weightGradients(int chunk, int r0, int r1) {
        final MemorySegment ws = this.ws;
        final Buffers bf = this.bf;
        final int l = this.l;
        final int bt = in.batch() * in.seqLen();
        final int h = spec.hiddenSize();
        final int hout = spec.outputSize();
        final int gh = spec.gates() * h;
        final int inW = spec.layerInputSize(l);
        final int ldw = inW + hout;
        final int s = spec.slot(l, d);
        final boolean gru = spec.cell() == CellKind.GRU;
        final boolean lbr = gru && spec.linearBeforeReset();
        final int gl = bf.gatesLd;
        final int shared = Math.min(Math.max(gru ? 2 * h : gh, r0), r1); // rows [r0, shared) share A
        if (shared > r0) {
            // [dW_ih | dW_hh] [r0:shared, In+Hout] = dG[:, r0:shared]^T · [X | H_prev]
            gemm.sgemm(YES, NO, shared - r0, ldw, bt, 1f, ws, bf.dg + r0, gl, ws, bf.xh, ldw, 0f,
                    ws, bf.dw + (long) r0 * ldw, ldw);
        }
        if (r1 > shared) {
            int m = r1 - shared;
            long dwRows = bf.dw + (long) shared * ldw;
            gemm.sgemm(YES, NO, m, inW, bt, 1f, ws, bf.dg + shared, gl, ws, bf.xh, ldw, 0f, ws, dwRows, ldw);
            if (lbr) {
                gemm.sgemm(YES, NO, m, h, bt, 1f, ws, bf.dgrec + shared, gl, ws, bf.xh + inW, ldw, 0f,
                        ws, dwRows + inW, ldw);
            } else {
                gemm.sgemm(YES, NO, m, h, bt, 1f, ws, bf.dg + shared, gl, ws, bf.rhS[s], h, 0f,
                        ws, dwRows + inW, ldw);
            }
        }
        if (spec.bias()) {
            k.columnSums(bt, r1 - r0, ws, bf.dg + r0, gl, bf.dbih + r0);
            if (lbr) {
                k.columnSums(bt, r1 - r0, ws, bf.dgrec + r0, gl, bf.dbhh + r0);
            }
        }
    }

    /**
     * Rows [r0, r1) of B*T: dX (+)= dG · W_ih into the gradient of the layer below (the directions
     * summed), and xh = [X | H_prev] for {@link #weightGradients}.
     */
    private void inputGradients(int chunk, int r0, int r1) {
        final MemorySegment ws = this.ws;
        final Buffers bf = this.bf;
        final int l = this.l;
        final int hout = spec.outputSize();
        final int ldx = l == 0 ? spec.inputSize() : spec.directions() * hout;
        final int inW = spec.layerInputSize(l);
        final int ldw = inW + hout;
        final int gl = bf.gatesLd;
        final int s = spec.slot(l, d);
        final long xOff = l == 0 ? bf.x : bf.y(l - 1);
        ops.timesWih(s, r1 - r0, ws, bf.dg + (long) r0 * gl, gl, d == 0 ? 0f : 1f, ws, dxBelow + (long) r0 * ldx, ldx);
        for (long row = r0; row < r1; row++) {
            ForwardPass.copy(ws, xOff + row * ldx, bf.xh + row * ldw, inW);
            ForwardPass.copy(ws, bf.hprevS[s] + row * hout, bf.xh + row * ldw + inW, hout);
        }
    }

    /** After the team's parts of (l, d): dh0, dc0, dW_hr, peepholes, and every parameter gradient copied out. */
    private void collectGradients(RnnGradients grads, int chunks) {
        final MemorySegment ws = this.ws;
        final Buffers bf = this.bf;
        final int bN = in.batch();
        final int bt = bN * in.seqLen();
        final int h = spec.hiddenSize();
        final int hout = spec.outputSize();
        final int p = spec.projSize();
        final int gh = spec.gates() * h;
        final int s = spec.slot(l, d);
        final boolean lbr = spec.cell() == CellKind.GRU && spec.linearBeforeReset();
        LayerParams gp = grads.params().layer(l, d);
        int hn = bN * hout;
        MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, bf.dh * Float.BYTES, grads.gradH0(), s * hn, hn);
        if (spec.hasCellState()) {
            int cn = bN * h;
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, bf.dc * Float.BYTES, grads.gradC0(), s * cn, cn);
        }
        int inW = spec.layerInputSize(l);
        int ldw = inW + hout;
        float[] wIh = gp.wIh();
        float[] wHh = gp.wHh();
        for (int r = 0; r < gh; r++) {
            long row = (bf.dw + (long) r * ldw) * Float.BYTES;
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, row, wIh, r * inW, inW);
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, row + (long) inW * Float.BYTES, wHh, r * hout, hout);
        }
        if (spec.bias()) {
            get(ws, bf.dbih, gp.bIh());
            if (lbr) {
                get(ws, bf.dbhh, gp.bHh());
            } else {
                System.arraycopy(gp.bIh(), 0, gp.bHh(), 0, gh);
            }
        }
        if (p > 0) {
            // dW_hr [P, H] = dH^T · H_full
            gemm.sgemm(YES, NO, p, h, bt, 1f, ws, bf.dhseq, p, ws, bf.hfS[s], h, 0f, ws, bf.dwhr, h);
            get(ws, bf.dwhr, gp.wHr());
        }
        if (spec.peepholes()) {
            k.columnSums(chunks, 3 * h, ws, bf.dpeep, 3 * h, bf.dpeepSum);
            get(ws, bf.dpeepSum, gp.wPeep());
        }
    }

    /** Rows [b0, b1) of state [B, n] = init[slot] or zeros. */
    private void initState(MemorySegment ws, long off, float[] init, int slot, int bN, int n, int b0, int b1) {
        long dst = off + (long) b0 * n;
        int len = (b1 - b0) * n;
        if (init == null) {
            k.zero(len, ws, dst);
        } else {
            MemorySegment.copy(init, (slot * bN + b0) * n, ws, ValueLayout.JAVA_FLOAT, dst * Float.BYTES, len);
        }
    }

    private static void get(MemorySegment ws, long off, float[] dst) {
        MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, off * Float.BYTES, dst, 0, dst.length);
    }
}
