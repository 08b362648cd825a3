package dev.recur4j.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API {@link GemvKernels} ({@code Impl.SIMD}): a block is one vector of V = {@code F.length()}
 * units, so a gate row of a block is g vectors. The GEMV keeps g (times the k-unroll) accumulators
 * in registers over the whole k loop and streams the packed weights once, sequentially: per k, one
 * broadcast of h[k] and g loads + FMAs. The k loop is unrolled so that at least 4 independent FMA
 * chains are in flight even for g = 1 (FMA latency 4, two FMA ports). This class chooses the kernels
 * and runs the input projection and the cells; the GEMV kernels are in {@link VectorGemvOneRow} (one
 * batch row) and {@link VectorGemvRows} (2 to 4 rows sharing each weight load).
 *
 * <p>Activations: the RNN (tanh), LSTM and GRU linear-before-reset cells compute theirs in passes over
 * the block range's gate rows (in L1 right after the GEMV) with {@link VectorActivations}' arithmetic,
 * σ(x) = (1 + tanh(x/2)) / 2, like {@link VectorKernels}; the SVML TANH/EXP they replace are calls
 * with many vectors live across them. In isolation the LSTM cells of H = 256 take ≈ 0.86 µs per step
 * instead of ≈ 0.97, the RNN's ≈ 0.30 instead of ≈ 0.39. A pass is too large for C2 to inline many
 * times into one method (NodeCountInliningCutoff), so the cells make few pass calls over long strided
 * rows; hence SmallBatchForward hands these cells groups of blocks. The GRU reset-before-linear
 * cells, which SmallBatchForward runs one block at a time, call the pass one vector at a time. They used the
 * Vector API's EXP and TANH before (as passes they had measured slower), but those may differ in the last bit
 * between the Java code that runs before C2 compiles a kernel and the SVML routine after, so an engine's results
 * changed between its first calls and later ones; plain arithmetic gives the same bits in every tier.
 *
 * <p>No private helper takes or returns a vector: every vector operation is written out in the
 * kernel that uses it (the passes take arrays and offsets), so whatever C2 decides to inline around
 * these methods, their vectors never cross a call and are never boxed (allocated).
 */
public final class VectorGemvKernels extends ScalarGemvKernels {
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int V = F.length();

    @Override
    public String name() {
        return "vector(" + F.vectorBitSize() + " bits)";
    }

    @Override
    public int blockWidth() {
        return V;
    }

    @Override
    public void gemv(int g, int k, MemorySegment w, float[] h, int hOff, float[] acc, int accOff, boolean accumulate,
                     int jb0, int jb1) {
        int jb = jb0;
        if (g == 4) {
            // Several blocks per pass over k: one sequential stream of weights per block, so the
            // L2 → L1 transfers of 2 or 4 streams overlap (measured 1.2-1.5x the single-stream
            // rate, from L1, L2 or L3).
            for (; jb + 3 < jb1; jb += 4) {
                VectorGemvOneRow.gemv4x4(k, w, (long) jb * k * 4 * V, h, hOff, acc, accOff + jb * 4 * V,
                        accumulate);
            }
            for (; jb + 1 < jb1; jb += 2) {
                VectorGemvOneRow.gemv4x2(k, w, (long) jb * k * 4 * V, h, hOff, acc, accOff + jb * 4 * V,
                        accumulate);
            }
        }
        for (; jb < jb1; jb++) {
            int a = accOff + jb * g * V;
            long p = (long) jb * k * g * V;
            switch (g) {
                case 4 -> VectorGemvOneRow.gemv4(k, w, p, h, hOff, acc, a, accumulate);
                case 3 -> VectorGemvOneRow.gemv3(k, w, p, h, hOff, acc, a, accumulate);
                case 2 -> VectorGemvOneRow.gemv2(k, w, p, h, hOff, acc, a, accumulate);
                case 1 -> VectorGemvOneRow.gemv1(k, w, p, h, hOff, acc, a, accumulate);
                default -> throw new IllegalArgumentException("gemv supports 1..4 gates, found " + g);
            }
        }
    }

    /**
     * Per block, the rows in chunks of 4, then 3, then 2, then 1: a chunk's pass over the block's
     * weights feeds all its rows (the block stays in L2 between chunks). LSTM (4 gates) and GRU
     * linear-before-reset (3) have kernels over all gates of a block for 2, 3 and 4 rows. The 1- and
     * 2-gate GEMVs (RNN, GRU reset-before-linear) share a pass only in chunks of 4 rows, gate by gate
     * ({@link VectorGemvRows#gateRows4}; W1's shape, µs per step, 4 rows against 4 single rows: 5.3 vs
     * 6.9 for one gate, 11.1 vs 13.2 for two); a 2-row version measured no faster than two single rows.
     */
    @Override
    public void gemvRows(int g, int k, MemorySegment w, float[][] h, float[][] acc, int[] accOff, int rows,
                         boolean accumulate, int jb0, int jb1) {
        if (rows == 1) {
            gemv(g, k, w, h[0], 0, acc[0], accOff[0], accumulate, jb0, jb1);
            return;
        }
        int gv = g * V;
        for (int jb = jb0; jb < jb1; jb++) {
            long p = (long) jb * k * gv;
            int col = jb * gv;
            int r = 0;
            for (; r + 3 < rows; r += 4) {
                if (g == 4) {
                    VectorGemvRows.gemv4Rows4(k, w, p, h[r], h[r + 1], h[r + 2], h[r + 3], acc[r],
                            accOff[r] + col, acc[r + 1], accOff[r + 1] + col, acc[r + 2], accOff[r + 2] + col,
                            acc[r + 3], accOff[r + 3] + col, accumulate);
                } else if (g == 3) {
                    VectorGemvRows.gemv3Rows4(k, w, p, h[r], h[r + 1], h[r + 2], h[r + 3], acc[r],
                            accOff[r] + col, acc[r + 1], accOff[r + 1] + col, acc[r + 2], accOff[r + 2] + col,
                            acc[r + 3], accOff[r + 3] + col, accumulate);
                } else {
                    for (int gi = 0; gi < g; gi++) {
                        int c = col + gi * V;
                        VectorGemvRows.gateRows4(k, gv, w, p + gi * V, h[r], h[r + 1], h[r + 2], h[r + 3],
                                acc[r], accOff[r] + c, acc[r + 1], accOff[r + 1] + c, acc[r + 2], accOff[r + 2] + c,
                                acc[r + 3], accOff[r + 3] + c, accumulate);
                    }
                }
            }
            if (rows - r == 3 && g == 4) {
                VectorGemvRows.gemv4Rows3(k, w, p, h[r], h[r + 1], h[r + 2], acc[r], accOff[r] + col, acc[r + 1],
                        accOff[r + 1] + col, acc[r + 2], accOff[r + 2] + col, accumulate);
                continue;
            }
            if (rows - r == 3 && g == 3 && !accumulate) {
                // The 4-row kernel with the third row twice: both copies write the same values to the same
                // place (only without accumulate), and the pass costs less than 2 rows plus 1 (W1's shape as
                // GRU: 8.0 against 10.0 µs per step).
                VectorGemvRows.gemv3Rows4(k, w, p, h[r], h[r + 1], h[r + 2], h[r + 2], acc[r], accOff[r] + col,
                        acc[r + 1], accOff[r + 1] + col, acc[r + 2], accOff[r + 2] + col, acc[r + 2],
                        accOff[r + 2] + col, false);
                continue;
            }
            for (; r + 1 < rows && g >= 3; r += 2) {
                if (g == 3) {
                    VectorGemvRows.gemv3Rows2(k, w, p, h[r], h[r + 1], acc[r], accOff[r] + col, acc[r + 1],
                            accOff[r + 1] + col, accumulate);
                } else {
                    VectorGemvRows.gemv4Rows2(k, w, p, h[r], h[r + 1], acc[r], accOff[r] + col, acc[r + 1],
                            accOff[r + 1] + col, accumulate);
                }
            }
            for (; r < rows; r++) {
                gemv(g, k, w, h[r], 0, acc[r], accOff[r], accumulate, jb, jb + 1);
            }
        }
    }

    /**
     * Four rows at a time share each weight load (4 FMAs per load); the remaining rows go one by
     * one. Called once per sequence for the input projection of all steps.
     */
    @Override
    public void project(int g, int k, float[] w, float[] bias, float[] x, int xOff, int ldx, int rows,
                        float[] out, int outOff, int ldo, int jb0, int jb1) {
        if (g == 4) {
            for (int jb = jb0; jb < jb1; jb++) {
                project4(k, w, bias, x, xOff, ldx, rows, out, outOff, ldo, jb);
            }
            return;
        }
        int gv = g * V;
        for (int jb = jb0; jb < jb1; jb++) {
            for (int gi = 0; gi < g; gi++) {
                int col = jb * gv + gi * V;
                FloatVector b = bias == null ? FloatVector.zero(F) : FloatVector.fromArray(F, bias, col);
                int p0 = jb * k * gv + gi * V;
                int r = 0;
                for (; r + 3 < rows; r += 4) {
                    int x0 = xOff + r * ldx;
                    FloatVector s0 = b;
                    FloatVector s1 = b;
                    FloatVector s2 = b;
                    FloatVector s3 = b;
                    int p = p0;
                    for (int kk = 0; kk < k; kk++, p += gv) {
                        FloatVector wv = FloatVector.fromArray(F, w, p);
                        s0 = wv.fma(FloatVector.broadcast(F, x[x0 + kk]), s0);
                        s1 = wv.fma(FloatVector.broadcast(F, x[x0 + ldx + kk]), s1);
                        s2 = wv.fma(FloatVector.broadcast(F, x[x0 + 2 * ldx + kk]), s2);
                        s3 = wv.fma(FloatVector.broadcast(F, x[x0 + 3 * ldx + kk]), s3);
                    }
                    int o = outOff + r * ldo + col;
                    s0.intoArray(out, o);
                    s1.intoArray(out, o + ldo);
                    s2.intoArray(out, o + 2 * ldo);
                    s3.intoArray(out, o + 3 * ldo);
                }
                for (; r < rows; r++) {
                    int x0 = xOff + r * ldx;
                    FloatVector s0 = b;
                    int p = p0;
                    for (int kk = 0; kk < k; kk++, p += gv) {
                        s0 = FloatVector.fromArray(F, w, p).fma(FloatVector.broadcast(F, x[x0 + kk]), s0);
                    }
                    s0.intoArray(out, outOff + r * ldo + col);
                }
            }
        }
    }

    /**
     * Block jb of the projection for 4 gates: 4 rows x 4 gates = 16 accumulators, so per k the 4
     * weight vectors (one 256-byte run of the packed [k][4][V] block) feed 16 FMAs; the block is
     * read sequentially once per 4 rows.
     */
    private static void project4(int k, float[] w, float[] bias, float[] x, int xOff, int ldx, int rows,
                                 float[] out, int outOff, int ldo, int jb) {
        int col = jb * 4 * V;
        int p0 = jb * k * 4 * V;
        FloatVector c0 = bias == null ? FloatVector.zero(F) : FloatVector.fromArray(F, bias, col);
        FloatVector c1 = bias == null ? c0 : FloatVector.fromArray(F, bias, col + V);
        FloatVector c2 = bias == null ? c0 : FloatVector.fromArray(F, bias, col + 2 * V);
        FloatVector c3 = bias == null ? c0 : FloatVector.fromArray(F, bias, col + 3 * V);
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            int x0 = xOff + r * ldx;
            FloatVector s00 = c0, s01 = c1, s02 = c2, s03 = c3;
            FloatVector s10 = c0, s11 = c1, s12 = c2, s13 = c3;
            FloatVector s20 = c0, s21 = c1, s22 = c2, s23 = c3;
            FloatVector s30 = c0, s31 = c1, s32 = c2, s33 = c3;
            int p = p0;
            for (int kk = 0; kk < k; kk++, p += 4 * V) {
                FloatVector w0 = FloatVector.fromArray(F, w, p);
                FloatVector w1 = FloatVector.fromArray(F, w, p + V);
                FloatVector w2 = FloatVector.fromArray(F, w, p + 2 * V);
                FloatVector w3 = FloatVector.fromArray(F, w, p + 3 * V);
                FloatVector xa = FloatVector.broadcast(F, x[x0 + kk]);
                s00 = w0.fma(xa, s00);
                s01 = w1.fma(xa, s01);
                s02 = w2.fma(xa, s02);
                s03 = w3.fma(xa, s03);
                FloatVector xb = FloatVector.broadcast(F, x[x0 + ldx + kk]);
                s10 = w0.fma(xb, s10);
                s11 = w1.fma(xb, s11);
                s12 = w2.fma(xb, s12);
                s13 = w3.fma(xb, s13);
                FloatVector xc = FloatVector.broadcast(F, x[x0 + 2 * ldx + kk]);
                s20 = w0.fma(xc, s20);
                s21 = w1.fma(xc, s21);
                s22 = w2.fma(xc, s22);
                s23 = w3.fma(xc, s23);
                FloatVector xd = FloatVector.broadcast(F, x[x0 + 3 * ldx + kk]);
                s30 = w0.fma(xd, s30);
                s31 = w1.fma(xd, s31);
                s32 = w2.fma(xd, s32);
                s33 = w3.fma(xd, s33);
            }
            int o = outOff + r * ldo + col;
            s00.intoArray(out, o);
            s01.intoArray(out, o + V);
            s02.intoArray(out, o + 2 * V);
            s03.intoArray(out, o + 3 * V);
            o += ldo;
            s10.intoArray(out, o);
            s11.intoArray(out, o + V);
            s12.intoArray(out, o + 2 * V);
            s13.intoArray(out, o + 3 * V);
            o += ldo;
            s20.intoArray(out, o);
            s21.intoArray(out, o + V);
            s22.intoArray(out, o + 2 * V);
            s23.intoArray(out, o + 3 * V);
            o += ldo;
            s30.intoArray(out, o);
            s31.intoArray(out, o + V);
            s32.intoArray(out, o + 2 * V);
            s33.intoArray(out, o + 3 * V);
        }
        for (; r < rows; r++) {
            int x0 = xOff + r * ldx;
            FloatVector s0 = c0, s1 = c1, s2 = c2, s3 = c3;
            int p = p0;
            for (int kk = 0; kk < k; kk++, p += 4 * V) {
                FloatVector xa = FloatVector.broadcast(F, x[x0 + kk]);
                s0 = FloatVector.fromArray(F, w, p).fma(xa, s0);
                s1 = FloatVector.fromArray(F, w, p + V).fma(xa, s1);
                s2 = FloatVector.fromArray(F, w, p + 2 * V).fma(xa, s2);
                s3 = FloatVector.fromArray(F, w, p + 3 * V).fma(xa, s3);
            }
            int o = outOff + r * ldo + col;
            s0.intoArray(out, o);
            s1.intoArray(out, o + V);
            s2.intoArray(out, o + 2 * V);
            s3.intoArray(out, o + 3 * V);
        }
    }

    @Override
    public void rnnCells(boolean relu, float[] a, int gOff, float[] hOut, int jb0, int jb1) {
        if (!relu) {
            // the row as both terms with scale 1/2: tanh(a)
            int o = gOff + jb0 * V;
            VectorActivations.tanhOfScaledSum(jb1 - jb0, V, a, o, a, o, 0.5f, hOut, jb0 * V);
            return;
        }
        for (int j = jb0 * V; j < jb1 * V; j += V) {
            FloatVector.fromArray(F, a, gOff + j).max(0f).intoArray(hOut, j);
        }
    }

    /**
     * In passes over the group's gate row, which is in L1 after its GEMV: t = tanh(x / 2) of i, f, o in place
     * (σ(x) = (1 + t) / 2) and tanh of g; c' = f⊙c + i⊙g; tanh(c') into hOut; hOut = o⊙hOut. Without peepholes
     * one pass covers all four gates (g doubled first); with them, p⊙c is added to i and f before their passes
     * (one per gate, its vectors 4V apart) and p⊙c' to o after c', before o's pass.
     */
    @Override
    public void lstmCells(float[] a, int gOff, float[] peep, float[] c, float[] hOut, int jb0, int jb1) {
        int nv = jb1 - jb0;
        int b0 = gOff + jb0 * 4 * V;
        int s = 4 * V;
        // Two loops rather than a branch per block: a vector that merges two paths may stay boxed.
        if (peep == null) {
            // g doubled (exact), then one pass over the whole group row as both terms with scale 1/4: tanh(x / 2)
            // of i, f, o and tanh(g); a pass is too large for C2 to inline many times, so few calls, long rows
            for (int b = b0 + 2 * V; b < gOff + jb1 * 4 * V; b += s) {
                FloatVector g = FloatVector.fromArray(F, a, b);
                g.add(g).intoArray(a, b);
            }
            VectorActivations.tanhOfScaledSum(4 * nv, V, a, b0, a, b0, 0.25f, a, b0);
            for (int jb = jb0; jb < jb1; jb++) {
                int b = gOff + jb * 4 * V;
                int j = jb * V;
                FloatVector i = FloatVector.fromArray(F, a, b).fma(0.5f, 0.5f);
                FloatVector f = FloatVector.fromArray(F, a, b + V).fma(0.5f, 0.5f);
                f.fma(FloatVector.fromArray(F, c, j), i.mul(FloatVector.fromArray(F, a, b + 2 * V))).intoArray(c, j);
            }
        } else {
            for (int jb = jb0; jb < jb1; jb++) {
                int b = gOff + jb * 4 * V;
                int p = jb * 3 * V;
                FloatVector cp = FloatVector.fromArray(F, c, jb * V);
                FloatVector.fromArray(F, peep, p).fma(cp, FloatVector.fromArray(F, a, b)).intoArray(a, b);
                FloatVector.fromArray(F, peep, p + V).fma(cp, FloatVector.fromArray(F, a, b + V)).intoArray(a, b + V);
            }
            VectorActivations.tanhOfScaledSum(nv, s, a, b0, a, b0, 0.25f, a, b0);
            VectorActivations.tanhOfScaledSum(nv, s, a, b0 + V, a, b0 + V, 0.25f, a, b0 + V);
            VectorActivations.tanhOfScaledSum(nv, s, a, b0 + 2 * V, a, b0 + 2 * V, 0.5f, a, b0 + 2 * V);
            for (int jb = jb0; jb < jb1; jb++) {
                int b = gOff + jb * 4 * V;
                int j = jb * V;
                FloatVector i = FloatVector.fromArray(F, a, b).fma(0.5f, 0.5f);
                FloatVector f = FloatVector.fromArray(F, a, b + V).fma(0.5f, 0.5f);
                FloatVector cn = f.fma(FloatVector.fromArray(F, c, j), i.mul(FloatVector.fromArray(F, a, b + 2 * V)));
                cn.intoArray(c, j);
                FloatVector.fromArray(F, peep, jb * 3 * V + 2 * V).fma(cn, FloatVector.fromArray(F, a, b + 3 * V))
                        .intoArray(a, b + 3 * V);
            }
            VectorActivations.tanhOfScaledSum(nv, s, a, b0 + 3 * V, a, b0 + 3 * V, 0.25f, a, b0 + 3 * V);
        }
        int u0 = jb0 * V;
        VectorActivations.tanhOfScaledSum(nv, V, c, u0, c, u0, 0.5f, hOut, u0); // tanh(c')
        for (int jb = jb0; jb < jb1; jb++) {
            int j = jb * V;
            FloatVector.fromArray(F, a, gOff + jb * 4 * V + 3 * V).fma(0.5f, 0.5f).mul(FloatVector.fromArray(F, hOut, j))
                    .intoArray(hOut, j);
        }
    }

    /**
     * In passes over the range's gate rows (rec is scratch; one pass per gate, its vectors 3V apart):
     * t = tanh(x / 2) of r and z from x + rec into rec; n's pre-activation x_n + σ(r)⊙(rec_n + b_hn) into rec_n,
     * then tanh in place; hOut = n + σ(z)⊙(h - n).
     */
    @Override
    public void gruCells(float[] x, int xOff, float[] rec, float[] bhn, float[] h, float[] hOut, int jb0, int jb1) {
        int nv = jb1 - jb0;
        int b0 = jb0 * 3 * V;
        int s = 3 * V;
        VectorActivations.tanhOfScaledSum(nv, s, x, xOff + b0, rec, b0, 0.5f, rec, b0);
        VectorActivations.tanhOfScaledSum(nv, s, x, xOff + b0 + V, rec, b0 + V, 0.5f, rec, b0 + V);
        for (int jb = jb0; jb < jb1; jb++) {
            int b = jb * 3 * V;
            FloatVector r = FloatVector.fromArray(F, rec, b).fma(0.5f, 0.5f);
            FloatVector hn = FloatVector.fromArray(F, rec, b + 2 * V).add(FloatVector.fromArray(F, bhn, jb * V));
            r.fma(hn, FloatVector.fromArray(F, x, xOff + b + 2 * V)).intoArray(rec, b + 2 * V);
        }
        // n's row as both terms with scale 1/2: tanh(x)
        VectorActivations.tanhOfScaledSum(nv, s, rec, b0 + 2 * V, rec, b0 + 2 * V, 0.5f, rec, b0 + 2 * V);
        for (int jb = jb0; jb < jb1; jb++) {
            int b = jb * 3 * V;
            int j = jb * V;
            FloatVector z = FloatVector.fromArray(F, rec, b + V).fma(0.5f, 0.5f);
            FloatVector n = FloatVector.fromArray(F, rec, b + 2 * V);
            z.fma(FloatVector.fromArray(F, h, j).sub(n), n).intoArray(hOut, j); // (1-z)⊙n + z⊙h
        }
    }

    @Override
    public void gruResetGates(float[] x, int xOff, float[] rec, float[] h, float[] rh, int jb0, int jb1) {
        // σ(a) = (1 + tanh(a/2)) / 2, tanh(a/2) by the array pass with scale 1/2, one vector per call (x and rec
        // hold a block's gates 3V and 2V apart, which no common stride covers)
        for (int jb = jb0; jb < jb1; jb++) {
            int b = jb * 3 * V;
            int q = jb * 2 * V;
            int j = jb * V;
            // z = σ(x_z + rec_z), in place of rec_z
            VectorActivations.tanhOfScaledSum(1, V, x, xOff + b + V, rec, q + V, 0.5f, rec, q + V);
            FloatVector.fromArray(F, rec, q + V).fma(0.5f, 0.5f).intoArray(rec, q + V);
            // σ(x_r + rec_r)⊙h, tanh first into rh
            VectorActivations.tanhOfScaledSum(1, V, x, xOff + b, rec, q, 0.5f, rh, j);
            FloatVector.fromArray(F, rh, j).fma(0.5f, 0.5f).mul(FloatVector.fromArray(F, h, j)).intoArray(rh, j);
        }
    }

    @Override
    public void gruRbrCells(float[] x, int xOff, float[] rec, float[] recN, float[] h, float[] hOut, int jb0,
                            int jb1) {
        for (int jb = jb0; jb < jb1; jb++) {
            int j = jb * V;
            FloatVector z = FloatVector.fromArray(F, rec, jb * 2 * V + V);
            // n = tanh(x_n + recN) by the array pass, first into hOut
            VectorActivations.tanhOfScaledSum(1, V, x, xOff + jb * 3 * V + 2 * V, recN, j, 1f, hOut, j);
            FloatVector n = FloatVector.fromArray(F, hOut, j);
            z.fma(FloatVector.fromArray(F, h, j).sub(n), n).intoArray(hOut, j);
        }
    }
}
