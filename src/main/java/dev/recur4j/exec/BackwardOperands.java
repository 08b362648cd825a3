package dev.recur4j.exec;

import static dev.recur4j.gemm.Transpose.NO;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.gemm.GemmPackedB;
import dev.recur4j.gemm.JavaGemm;
import java.lang.foreign.MemorySegment;

/**
 * The weights BPTT multiplies from the right, {@code C = A · W} with W untransposed as stored:
 * W_hh [G*H, Hout] for dh_prev = dG · W_hh (every step), W_hn [H, H] for GRU reset-before-linear's
 * d(r⊙h) = dG_n · W_hn (every step), W_hr [P, H] for dh_full = dh · W_hr (every step) and W_ih
 * [G*H, In] for dX = dG · W_ih (once per layer). With {@link JavaGemm} they are packed once, on the
 * first backward call, into its panel layout, so the per-step products skip packing a
 * [G*H, H] B on every call (with m = B = 64 that packing is about a quarter of the product);
 * other back ends get the plain stored weights.
 */
final class BackwardOperands {
    private final RnnSpec spec;
    private final PreparedWeights pw;
    private final Gemm gemm;
    private final JavaGemm java;
    private GemmPackedB[] whh;
    private GemmPackedB[] whn;
    private GemmPackedB[] whr;
    private GemmPackedB[] wih;

    BackwardOperands(RnnSpec spec, PreparedWeights pw, Gemm gemm) {
        this.spec = spec;
        this.pw = pw;
        this.gemm = gemm;
        this.java = gemm instanceof JavaGemm j ? j : null;
    }

    /** Packs every slot's operands the first time (JavaGemm only); later calls return at once. */
    void ensurePacked() {
        if (java == null || whh != null) {
            return;
        }
        int n = spec.slots();
        int h = spec.hiddenSize();
        int hout = spec.outputSize();
        int p = spec.projSize();
        boolean rbl = spec.cell() == CellKind.GRU && !spec.linearBeforeReset();
        GemmPackedB[] hh = new GemmPackedB[n];
        GemmPackedB[] hn = new GemmPackedB[n];
        GemmPackedB[] hr = new GemmPackedB[n];
        GemmPackedB[] ih = new GemmPackedB[n];
        MemorySegment w = pw.segment();
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                int s = spec.slot(l, d);
                PreparedWeights.Slot ws = pw.slot(s);
                // reset-before-linear: only the r, z rows of W_hh meet dG directly, W_hn meets d(r⊙h)
                hh[s] = JavaGemm.packB(NO, rbl ? 2 * h : spec.gates() * h, hout, w, ws.wHh(), hout);
                if (rbl) {
                    hn[s] = JavaGemm.packB(NO, h, h, w, ws.wHh() + 2L * h * h, h);
                }
                if (p > 0) {
                    hr[s] = JavaGemm.packB(NO, p, h, w, ws.wHr(), h);
                }
                int in = spec.layerInputSize(l);
                ih[s] = JavaGemm.packB(NO, spec.gates() * h, in, w, ws.wIh(), in);
            }
        }
        whn = hn;
        whr = hr;
        wih = ih;
        whh = hh;
    }

    /** C [m, Hout] (beta) += A [m, k] · W_hh[0 : k] (k = G*H, or 2H for reset-before-linear) of slot s. */
    void timesWhh(int s, int m, MemorySegment a, long aOff, int lda, float beta, MemorySegment c, long cOff, int ldc) {
        boolean rbl = spec.cell() == CellKind.GRU && !spec.linearBeforeReset();
        int k = (rbl ? 2 : spec.gates()) * spec.hiddenSize();
        times(whh, s, m, spec.outputSize(), k, a, aOff, lda, pw.slot(s).wHh(), beta, c, cOff, ldc);
    }

    /** C [m, H] (beta) += A [m, H] · W_hn of slot s (GRU reset-before-linear). */
    void timesWhn(int s, int m, MemorySegment a, long aOff, int lda, float beta, MemorySegment c, long cOff, int ldc) {
        int h = spec.hiddenSize();
        times(whn, s, m, h, h, a, aOff, lda, pw.slot(s).wHh() + 2L * h * h, beta, c, cOff, ldc);
    }

    /** C [m, H] (beta) += A [m, P] · W_hr of slot s. */
    void timesWhr(int s, int m, MemorySegment a, long aOff, int lda, float beta, MemorySegment c, long cOff, int ldc) {
        times(whr, s, m, spec.hiddenSize(), spec.projSize(), a, aOff, lda, pw.slot(s).wHr(), beta, c, cOff, ldc);
    }

    /** C [m, In_l] (beta) += A [m, G*H] · W_ih of slot s = (l, d). */
    void timesWih(int l, int s, int m, MemorySegment a, long aOff, int lda, float beta, MemorySegment c, long cOff,
                  int ldc) {
        times(wih, s, m, spec.layerInputSize(l), spec.gates() * spec.hiddenSize(), a, aOff, lda, pw.slot(s).wIh(),
                beta, c, cOff, ldc);
    }

    /** B [k, n] is stored with ld = n at {@code bOff} of the prepared weights. */
    private void times(GemmPackedB[] packed, int s, int m, int n, int k, MemorySegment a, long aOff, int lda,
                       long bOff, float beta, MemorySegment c, long cOff, int ldc) {
        if (packed != null) {
            java.sgemm(NO, m, 1f, a, aOff, lda, packed[s], beta, c, cOff, ldc);
        } else {
            gemm.sgemm(NO, NO, m, n, k, 1f, a, aOff, lda, pw.segment(), bOff, n, beta, c, cOff, ldc);
        }
    }
}
