package dev.recur4j.exec;

import static dev.recur4j.gemm.Transpose.NO;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.PreparedB;
import java.lang.foreign.MemorySegment;

/**
 * The weights BPTT multiplies from the right, {@code C = A · W} with W untransposed as stored:
 * W_hh [G*H, Hout] for dh_prev = dG · W_hh (every step; for GRU only its r, z rows, [2H, Hout]),
 * W_hn [H, H] for GRU's n block (every step: reset-before-linear's d(r⊙h) = dG_n · W_hn,
 * linear-before-reset's dh_prev += (dG_n⊙r) · W_hn), W_hr [P, H] for dh_full = dh · W_hr (every step) and W_ih
 * [G*H, In] for dX = dG · W_ih (once per layer). They are prepared ({@link Gemm#prepareB}: packed by
 * the Java GEMM) once, on the first backward call, so the per-step products skip packing a
 * [G*H, H] B on every call (with m = B = 64 that packing is about a quarter of the product).
 * The forward pass's operands ({@link PreparedWeights.Operands}) are the transposes, packed apart.
 */
final class BackwardOperands {
    private final RnnSpec spec;
    private final PreparedWeights pw;
    private final Gemm gemm;
    private PreparedB[] whh;
    private PreparedB[] whn;
    private PreparedB[] whr;
    private PreparedB[] wih;

    BackwardOperands(RnnSpec spec, PreparedWeights pw, Gemm gemm) {
        this.spec = spec;
        this.pw = pw;
        this.gemm = gemm;
    }

    /** Prepares every slot's operands the first time; later calls return at once. */
    void ensurePrepared() {
        if (whh != null) {
            return;
        }
        int n = spec.slots();
        int h = spec.hiddenSize();
        int hout = spec.outputSize();
        int p = spec.projSize();
        boolean gru = spec.cell() == CellKind.GRU;
        PreparedB[] hh = new PreparedB[n];
        PreparedB[] hn = new PreparedB[n];
        PreparedB[] hr = new PreparedB[n];
        PreparedB[] ih = new PreparedB[n];
        MemorySegment w = pw.segment();
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                int s = spec.slot(l, d);
                PreparedWeights.Slot ws = pw.slot(s);
                // GRU: the r, z rows of W_hh meet dG directly; W_hn meets d(r⊙h) (reset-before-linear) or
                // dG_n⊙r (linear-before-reset), which BPTT keeps apart from dG
                hh[s] = gemm.prepareB(NO, gru ? 2 * h : spec.gates() * h, hout, w, ws.wHh(), hout);
                if (gru) {
                    hn[s] = gemm.prepareB(NO, h, h, w, ws.wHh() + 2L * h * h, h);
                }
                if (p > 0) {
                    hr[s] = gemm.prepareB(NO, p, h, w, ws.wHr(), h);
                }
                int in = spec.layerInputSize(l);
                ih[s] = gemm.prepareB(NO, spec.gates() * h, in, w, ws.wIh(), in);
            }
        }
        whn = hn;
        whr = hr;
        wih = ih;
        whh = hh;
    }

    /** C [m, Hout] (beta) += A [m, k] · W_hh[0 : k] (k = G*H, or 2H for GRU) of slot s. */
    void timesWhh(int s, int m, MemorySegment a, long aOff, int lda, float beta, MemorySegment c, long cOff, int ldc) {
        gemm.sgemm(NO, m, 1f, a, aOff, lda, whh[s], beta, c, cOff, ldc);
    }

    /** C [m, H] (beta) += A [m, H] · W_hn of slot s (GRU). */
    void timesWhn(int s, int m, MemorySegment a, long aOff, int lda, float beta, MemorySegment c, long cOff, int ldc) {
        gemm.sgemm(NO, m, 1f, a, aOff, lda, whn[s], beta, c, cOff, ldc);
    }

    /** C [m, H] (beta) += A [m, P] · W_hr of slot s. */
    void timesWhr(int s, int m, MemorySegment a, long aOff, int lda, float beta, MemorySegment c, long cOff, int ldc) {
        gemm.sgemm(NO, m, 1f, a, aOff, lda, whr[s], beta, c, cOff, ldc);
    }

    /** C [m, In_l] (beta) += A [m, G*H] · W_ih of slot s. */
    void timesWih(int s, int m, MemorySegment a, long aOff, int lda, float beta, MemorySegment c, long cOff, int ldc) {
        gemm.sgemm(NO, m, 1f, a, aOff, lda, wih[s], beta, c, cOff, ldc);
    }
}
