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
 * gradients go to one accumulator per chunk); the parameter gradients run once after it.
 */
final class BackwardPass {
    private final RnnSpec spec;
    private final Kernels k;
    private final Gemm gemm;
    private final PreparedWeights pw;

    BackwardPass(RnnSpec spec, Kernels kernels, Gemm gemm, PreparedWeights pw) {
        this.spec = spec;
        this.k = kernels;
        this.gemm = gemm;
        this.pw = pw;
    }

    void run(MemorySegment ws, Buffers bf, RnnBatch in, RnnGradOutput go, RnnGradients grads, RowTeam team) {
        float[] gradOut = go.gradOutput();
        MemorySegment.copy(gradOut, 0, ws, ValueLayout.JAVA_FLOAT, bf.dy0 * Float.BYTES, gradOut.length);
        long dy = bf.dy0;
        for (int l = spec.numLayers() - 1; l >= 0; l--) {
            long dxBelow = l == 0 ? bf.dx : (dy == bf.dy0 ? bf.dy1 : bf.dy0);
            for (int d = 0; d < spec.directions(); d++) {
                int layer = l;
                int dir = d;
                long dyL = dy;
                if (spec.peepholes()) {
                    k.zero(team.threads() * 3 * spec.hiddenSize(), ws, bf.dpeep); // one accumulator per chunk
                }
                team.run(in.batch(), (chunk, b0, b1) -> timeLoop(ws, bf, in, go, layer, dir, dyL, chunk, b0, b1));
                parameterGradients(ws, bf, in, grads, l, d, dxBelow, team.threads());
            }
            dy = dxBelow;
        }
        float[] gi = grads.gradInput();
        MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, bf.dx * Float.BYTES, gi, 0, gi.length);
    }

    /** The reverse time loop of (l, d) for batch rows [b0, b1): fills dG rows, dh/dc state rows, dH rows. */
    private void timeLoop(MemorySegment ws, Buffers bf, RnnBatch in, RnnGradOutput go, int l, int d, long dy,
                          int chunk, int b0, int b1) {
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
        final long dyOff = dy + (long) d * hout;
        final long gates = bf.gatesS[s];
        final long dgrec = lbr ? bf.dgrec : bf.dg;
        final long rowStride = (long) tN * gh;
        final long dpeep = peep ? bf.dpeep + (long) chunk * 3 * h : -1;

        initState(ws, bf.dh, go.gradHn(), s, bN, hout, b0, b1);
        if (cell == CellKind.LSTM) {
            initState(ws, bf.dc, go.gradCn(), s, bN, h, b0, b1);
        }
        for (int step = 0; step < tN; step++) {
            final int t = d == 0 ? tN - 1 - step : step;
            final long gT = gates + (long) t * gh;
            final long dgT = bf.dg + (long) t * gh;
            final long dgrecT = dgrec + (long) t * gh;
            for (int b = b0; b < b1; b++) {
                long row = (long) b * tN + t;
                if (t >= in.length(b)) {
                    k.zero(gh, ws, bf.dg + row * gh);
                    if (lbr) {
                        k.zero(gh, ws, bf.dgrec + row * gh);
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
                gemm.sgemm(NO, NO, nb, h, p, 1f, ws, bf.dhseq + (long) t * p + (long) b0 * tN * p, tN * p,
                        wseg, w.wHr(), h, 0f, ws, bf.dhf + (long) b0 * h, h);
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
                gemm.sgemm(NO, NO, nb, h, h, 1f, ws, dgT + b0 * rowStride + 2L * h, (int) rowStride,
                        wseg, w.wHh() + 2L * h * h, h, 0f, ws, bf.drh + (long) b0 * h, h);
                for (int b = b0; b < b1; b++) {
                    if (t < in.length(b)) {
                        long row = (long) b * tN + t;
                        k.gruResetBackwardStep(h, ws, gT + b * rowStride, bf.hprevS[s] + row * h,
                                bf.drh + (long) b * h, dgT + b * rowStride, bf.dh + (long) b * h);
                    }
                }
            }
            // dh_prev [rows, Hout] += dG_rec[rows, t] · W_hh (r,z blocks only for reset-before-linear)
            gemm.sgemm(NO, NO, nb, hout, rbl ? 2 * h : gh, 1f, ws, dgrecT + b0 * rowStride, (int) rowStride,
                    wseg, w.wHh(), hout, 1f, ws, bf.dh + (long) b0 * hout, hout);
        }
    }

    /** After the time loop of (l, d), over all B*T rows at once: dh0, dc0, parameter gradients, dX. */
    private void parameterGradients(MemorySegment ws, Buffers bf, RnnBatch in, RnnGradients grads, int l, int d,
                                    long dxBelow, int chunks) {
        final int bN = in.batch();
        final int bt = bN * in.seqLen();
        final int h = spec.hiddenSize();
        final int hout = spec.outputSize();
        final int p = spec.projSize();
        final int gh = spec.gates() * h;
        final int inW = spec.layerInputSize(l);
        final int ldx = l == 0 ? spec.inputSize() : spec.directions() * hout;
        final int s = spec.slot(l, d);
        final boolean lbr = spec.cell() == CellKind.GRU && spec.linearBeforeReset();
        final boolean rbl = spec.cell() == CellKind.GRU && !spec.linearBeforeReset();
        final PreparedWeights.Slot w = pw.slot(s);
        final long xOff = l == 0 ? bf.x : bf.y(l - 1);
        final long dgrec = lbr ? bf.dgrec : bf.dg;
        LayerParams gp = grads.params().layer(l, d);
        int hn = bN * hout;
        MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, bf.dh * Float.BYTES, grads.gradH0(), s * hn, hn);
        if (spec.hasCellState()) {
            int cn = bN * h;
            MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, bf.dc * Float.BYTES, grads.gradC0(), s * cn, cn);
        }
        // dW_ih [G*H, In] = dG^T · X
        gemm.sgemm(YES, NO, gh, inW, bt, 1f, ws, bf.dg, gh, ws, xOff, ldx, 0f, ws, bf.dwih, inW);
        get(ws, bf.dwih, gp.wIh());
        // dW_hh [G*H, Hout] = dG_rec^T · H_prev
        if (rbl) {
            gemm.sgemm(YES, NO, 2 * h, h, bt, 1f, ws, bf.dg, gh, ws, bf.hprevS[s], h, 0f, ws, bf.dwhh, h);
            gemm.sgemm(YES, NO, h, h, bt, 1f, ws, bf.dg + 2L * h, gh, ws, bf.rhS[s], h, 0f,
                    ws, bf.dwhh + 2L * h * h, h);
        } else {
            gemm.sgemm(YES, NO, gh, hout, bt, 1f, ws, dgrec, gh, ws, bf.hprevS[s], hout, 0f, ws, bf.dwhh, hout);
        }
        get(ws, bf.dwhh, gp.wHh());
        if (spec.bias()) {
            k.columnSums(bt, gh, ws, bf.dg, gh, bf.dbih);
            get(ws, bf.dbih, gp.bIh());
            if (lbr) {
                k.columnSums(bt, gh, ws, bf.dgrec, gh, bf.dbhh);
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
        // dX [B*T, In] (+)= dG · W_ih, the two directions summed
        gemm.sgemm(NO, NO, bt, inW, gh, 1f, ws, bf.dg, gh, pw.segment(), w.wIh(), inW, d == 0 ? 0f : 1f,
                ws, dxBelow, ldx);
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
