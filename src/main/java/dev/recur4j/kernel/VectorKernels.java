package dev.recur4j.kernel;

import static dev.recur4j.kernel.VectorActivations.LN2_HI;
import static dev.recur4j.kernel.VectorActivations.LN2_LO;
import static dev.recur4j.kernel.VectorActivations.LOG2E;
import static dev.recur4j.kernel.VectorActivations.P0;
import static dev.recur4j.kernel.VectorActivations.P1;
import static dev.recur4j.kernel.VectorActivations.P2;
import static dev.recur4j.kernel.VectorActivations.P3;
import static dev.recur4j.kernel.VectorActivations.P4;
import static dev.recur4j.kernel.VectorActivations.P5;
import static dev.recur4j.kernel.VectorActivations.SHIFTER;
import static dev.recur4j.kernel.VectorActivations.SHIFTER_BITS;
import static dev.recur4j.kernel.VectorActivations.Y_MAX;
import static jdk.incubator.vector.FloatVector.fromMemorySegment;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.logging.Logger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused Vector API kernels ({@code Impl.SIMD}): each step kernel runs a vector loop up to
 * {@code F.loopBound(n)} and hands the rest to its {@link ScalarKernels} twin, which continues from
 * the same index. The forward steps compute their activations in passes over the row with
 * {@link VectorActivations}' arithmetic (within 2.5e-7 of tanh, about twice the speed of the Vector API's
 * {@code TANH}, which calls an SVML routine per vector: in situ the LSTM's five TANH per element took
 * ≈ 17 ms of W2's ≈ 200, the passes ≈ 8); the LSTM backward step recomputes tanh(c) with the same
 * arithmetic written out in its loop. No kernel here calls the Vector API's {@code TANH} or {@code EXP}: their
 * result may differ in the last bit between the Java code that runs before C2 compiles a kernel (a
 * {@code Math.tanh} per lane) and the SVML routine after, so a call's gradients would change between the
 * first calls of an engine and later ones; plain arithmetic gives the same bits in every tier. σ(x) is computed as (1 + tanh(x/2)) / 2: one
 * tanh and an FMA instead of an exp, an add and a vector divide. It agrees with the scalar
 * 1 / (1 + e^-x) ({@link Activations#sigmoid}) to ~6e-8 absolute, not relative: for x below about -17
 * it gives 0 where the exact value is a tiny positive number (and never NaN). The
 * derivative of tanh at tanh(a) = x, 1 - x², is written {@code x.mul(x).neg().add(1f)}.
 *
 * <p>Every vector loop calls the Vector API directly: loads and stores at byte offsets computed
 * before the loop, and no helper method of ours that takes or returns a vector. A kernel is often
 * inlined into a larger caller (C2 compiles whichever method gets hot first, and a deoptimization
 * can change that order), and past its node budget for inlining (NodeCountInliningCutoff, 18000
 * nodes) C2 refuses every callee longer than 6 bytecodes except {@code @ForceInline} ones, as all of
 * the Vector API's are, which it inlines later (incrementally) instead. A vector passed to or
 * returned from a refused call is boxed, i.e. allocated, on every iteration: helpers such as
 * {@code sigmoid(FloatVector)} made the LSTM allocate from 37 KB per call (a 19-unit test network) to
 * 59 MB (B=64, T=100, H=512) in such runs.
 */
public class VectorKernels extends ScalarKernels {
    private static final Logger LOG = Logger.getLogger(VectorKernels.class.getName());

    /** The one species every kernel uses: {@code -Drecur4j.vectorBits=128|256|512}, else the preferred one. */
    static final VectorSpecies<Float> F = chooseSpecies();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private static VectorSpecies<Float> chooseSpecies() {
        String bits = System.getProperty("recur4j.vectorBits");
        VectorSpecies<Float> s = bits == null || bits.isBlank()
                ? FloatVector.SPECIES_PREFERRED
                : VectorSpecies.of(float.class, VectorShape.forBitSize(Integer.parseInt(bits.trim())));
        LOG.fine(() -> "recur4j: vector kernels use " + s);
        return s;
    }

    /** The lane count of the chosen species. */
    public static int lanes() {
        return F.length();
    }

    @Override
    public String name() {
        return "vector(" + F.vectorBitSize() + " bits)";
    }

    @Override
    public void rnnForwardStep(boolean relu, int n, MemorySegment ws, long gOff, MemorySegment w, long bOff,
                               long hOff, long yOff) {
        // One loop per activation: a vector chosen by a branch inside the loop (a phi) gets boxed by C2.
        int j = relu ? rnnReluLoop(n, ws, gOff, w, bOff, hOff) : rnnTanhLoop(n, ws, gOff, w, bOff, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        rnnForwardTail(relu, j, n, ws, gOff, w, bOff, hOff, yOff);
    }

    /** The vector part of {@link #rnnForwardStep} with relu; returns where the scalar tail starts. */
    private static int rnnReluLoop(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff) {
        long gB = gOff * Float.BYTES;
        long bB = bOff * Float.BYTES;
        long hB = hOff * Float.BYTES;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            FloatVector v = fromMemorySegment(F, ws, gB + q, ORDER).add(fromMemorySegment(F, w, bB + q, ORDER)).max(0f);
            v.intoMemorySegment(ws, gB + q, ORDER);
            v.intoMemorySegment(ws, hB + q, ORDER);
        }
        return j;
    }

    /**
     * The vector part of {@link #rnnForwardStep} with tanh: a {@link VectorActivations} pass into the gate row,
     * then a copy to h; returns where the scalar tail starts.
     */
    private static int rnnTanhLoop(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff) {
        int bound = F.loopBound(n);
        VectorActivations.tanhOfScaledSum(bound, ws, gOff, w, bOff, 1f, gOff);
        MemorySegment.copy(ws, gOff * Float.BYTES, ws, hOff * Float.BYTES, (long) bound * Float.BYTES);
        return bound;
    }

    @Override
    public void lstmForwardStep(int n, MemorySegment ws, long gOff, long aOff, MemorySegment w, long bOff, long pOff,
                                long cOff, long hOff, long yOff) {
        requireActivationRow(aOff);
        // Peepholes get their own loop rather than `if (peep) ai = ...`: that phi of vectors gets boxed by C2.
        int j = pOff >= 0 ? lstmPeepholeLoop(n, ws, gOff, aOff, w, bOff, pOff, cOff, hOff)
                : lstmVectorPart(n, ws, gOff, aOff, true, w, bOff, cOff, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        lstmForwardTail(j, n, ws, gOff, aOff, w, bOff, pOff, cOff, hOff, yOff);
    }

    /**
     * The training kernels' loops take aOff = -1 as "keep no activations" (the inference kernels' use); from a
     * caller of a training kernel it is a mistake, which the scalar tail would turn into writes before the row.
     */
    private static void requireActivationRow(long aOff) {
        if (aOff < 0) {
            throw new IllegalArgumentException("aOff: the row the activations go to, expected >= 0, got " + aOff);
        }
    }

    /**
     * y[0, j) = h[0, j) unless yOff is -1 (the last layer, which copies h into the caller's result itself,
     * and a projection). Called by the dispatchers, not in the loops: when one of the two cases first comes
     * after C2 compiled this branch as never taken (a stacked call after one-layer calls, say), the trap
     * drops the compiled code that holds the branch, so a loop compiled on its own keeps its code.
     */
    private static void copyVectorPart(int j, MemorySegment ws, long hOff, long yOff) {
        if (yOff >= 0 && j > 0) {
            MemorySegment.copy(ws, hOff * Float.BYTES, ws, yOff * Float.BYTES, (long) j * Float.BYTES);
        }
    }

    /**
     * The vector part [0, F.loopBound(n)) of an LSTM step without peepholes, in passes over the row (which
     * stays in L1): t = tanh(x / 2) of i, f, o (σ(x) = (1 + t) / 2) and tanh(x) of g, from the pre-activations
     * at {@code src} plus the bias, to the row at {@code aOff} (which may be src); then c' = f⊙c + i⊙g; then
     * tanh(c') into h's row; then h = o⊙tanh(c'). With {@code keep} the row at aOff ends holding σ(i), σ(f),
     * tanh(g), σ(o) (what BPTT reads); without, it is scratch. Returns the bound, where the scalar tail starts.
     * Training and inference both run this, so their h and c are the same bit for bit.
     */
    private static int lstmVectorPart(int n, MemorySegment ws, long src, long aOff, boolean keep, MemorySegment w,
                                      long bOff, long cOff, long hOff) {
        int bound = F.loopBound(n);
        VectorActivations.tanhOfScaledSum(bound, ws, src, w, bOff, 0.5f, aOff);
        VectorActivations.tanhOfScaledSum(bound, ws, src + n, w, bOff + n, 0.5f, aOff + n);
        VectorActivations.tanhOfScaledSum(bound, ws, src + 2L * n, w, bOff + 2L * n, 1f, aOff + 2L * n);
        VectorActivations.tanhOfScaledSum(bound, ws, src + 3L * n, w, bOff + 3L * n, 0.5f, aOff + 3L * n);
        // byte offsets: a gate block (n floats), and where each row starts; blocks i, f, g, o follow each other
        long blk = (long) n * Float.BYTES;
        long aB = aOff * Float.BYTES;
        long cB = cOff * Float.BYTES;
        long end = (long) bound * Float.BYTES;
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            FloatVector i = fromMemorySegment(F, ws, aB + q, ORDER).fma(0.5f, 0.5f);
            FloatVector f = fromMemorySegment(F, ws, aB + blk + q, ORDER).fma(0.5f, 0.5f);
            FloatVector g = fromMemorySegment(F, ws, aB + 2 * blk + q, ORDER);
            f.fma(fromMemorySegment(F, ws, cB + q, ORDER), i.mul(g)).intoMemorySegment(ws, cB + q, ORDER);
            if (keep) {
                i.intoMemorySegment(ws, aB + q, ORDER);
                f.intoMemorySegment(ws, aB + blk + q, ORDER);
            }
        }
        lstmOutputPasses(bound, n, ws, aOff, keep, cOff, hOff);
        return bound;
    }

    /**
     * The last passes of an LSTM step, c' final in cOff and t = tanh(x / 2) of o's pre-activation in the row at
     * aOff: tanh(c') into h's row (c' as both terms with scale 1/2, see tanhOfScaledSum), then σ(o) and
     * h = σ(o)⊙tanh(c'); with {@code keep} σ(o) goes back to the row.
     */
    private static void lstmOutputPasses(int bound, int n, MemorySegment ws, long aOff, boolean keep, long cOff,
                                         long hOff) {
        VectorActivations.tanhOfScaledSum(bound, ws, cOff, ws, cOff, 0.5f, hOff);
        long oB = (aOff + 3L * n) * Float.BYTES;
        long hB = hOff * Float.BYTES;
        long end = (long) bound * Float.BYTES;
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            FloatVector o = fromMemorySegment(F, ws, oB + q, ORDER).fma(0.5f, 0.5f);
            o.mul(fromMemorySegment(F, ws, hB + q, ORDER)).intoMemorySegment(ws, hB + q, ORDER);
            if (keep) {
                o.intoMemorySegment(ws, oB + q, ORDER);
            }
        }
    }

    /**
     * The vector part of {@link #lstmForwardStep} with peepholes p [3n] (i, f, o), in passes over the row like
     * {@link #lstmVectorPart}: the pre-activations of i and f with their peepholes to the activation row, tanh of
     * their halves and of g's pre-activation there ({@link VectorActivations}; a row passed as both terms with
     * scale 1/4 gives tanh(x / 2) exactly); then σ(i), σ(f), c' = f⊙c + i⊙g and o's pre-activation p_o⊙c' +
     * (g_o + b_o); then tanh of o's half, and {@link #lstmOutputPasses} as without peepholes. aOff may
     * be gOff: each pass reads a gate before it writes it. Returns where the scalar tail starts.
     */
    private static int lstmPeepholeLoop(int n, MemorySegment ws, long gOff, long aOff, MemorySegment w, long bOff,
                                        long pOff, long cOff, long hOff) {
        int bound = F.loopBound(n);
        // byte offsets: a gate block (n floats), and where each row starts; blocks i, f, g, o follow each other
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long aB = aOff * Float.BYTES;
        long bB = bOff * Float.BYTES;
        long pB = pOff * Float.BYTES;
        long cB = cOff * Float.BYTES;
        long end = (long) bound * Float.BYTES;
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            FloatVector cp = fromMemorySegment(F, ws, cB + q, ORDER);
            fromMemorySegment(F, w, pB + q, ORDER).fma(cp,
                    fromMemorySegment(F, ws, gB + q, ORDER).add(fromMemorySegment(F, w, bB + q, ORDER)))
                    .intoMemorySegment(ws, aB + q, ORDER);
            fromMemorySegment(F, w, pB + blk + q, ORDER).fma(cp,
                    fromMemorySegment(F, ws, gB + blk + q, ORDER).add(fromMemorySegment(F, w, bB + blk + q, ORDER)))
                    .intoMemorySegment(ws, aB + blk + q, ORDER);
        }
        VectorActivations.tanhOfScaledSum(bound, ws, aOff, ws, aOff, 0.25f, aOff);
        VectorActivations.tanhOfScaledSum(bound, ws, aOff + n, ws, aOff + n, 0.25f, aOff + n);
        VectorActivations.tanhOfScaledSum(bound, ws, gOff + 2L * n, w, bOff + 2L * n, 1f, aOff + 2L * n);
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            FloatVector i = fromMemorySegment(F, ws, aB + q, ORDER).fma(0.5f, 0.5f);
            FloatVector f = fromMemorySegment(F, ws, aB + blk + q, ORDER).fma(0.5f, 0.5f);
            FloatVector g = fromMemorySegment(F, ws, aB + 2 * blk + q, ORDER);
            FloatVector c = f.fma(fromMemorySegment(F, ws, cB + q, ORDER), i.mul(g));
            // o's pre-activation is read before it is written: a may be g itself (aOff == gOff)
            fromMemorySegment(F, w, pB + 2 * blk + q, ORDER).fma(c,
                    fromMemorySegment(F, ws, gB + 3 * blk + q, ORDER).add(fromMemorySegment(F, w, bB + 3 * blk + q, ORDER)))
                    .intoMemorySegment(ws, aB + 3 * blk + q, ORDER);
            i.intoMemorySegment(ws, aB + q, ORDER);
            f.intoMemorySegment(ws, aB + blk + q, ORDER);
            c.intoMemorySegment(ws, cB + q, ORDER);
        }
        VectorActivations.tanhOfScaledSum(bound, ws, aOff + 3L * n, ws, aOff + 3L * n, 0.25f, aOff + 3L * n);
        lstmOutputPasses(bound, n, ws, aOff, true, cOff, hOff);
        return bound;
    }

    @Override
    public void lstmInferenceStep(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w, long bOff,
                                  long cOff, long hOff, long yOff) {
        int j;
        if (recOff >= 0) {
            addVectorPart(4 * n, n, ws, gOff, recOff); // rec = g + rec, then the step from rec (scratch)
            j = lstmVectorPart(n, ws, recOff, recOff, false, w, bOff, cOff, hOff);
        } else {
            j = lstmVectorPart(n, ws, gOff, gOff, false, w, bOff, cOff, hOff); // the gate row is scratch
        }
        copyVectorPart(j, ws, hOff, yOff);
        lstmInferenceTail(j, n, ws, gOff, recOff, w, bOff, cOff, hOff, yOff);
    }

    /**
     * ws[dst + k·n + j] = ws[src + k·n + j] + ws[dst + k·n + j] for each of the blocks k of a row of
     * {@code rowLen} = blocks·n floats and j in the vector part [0, F.loopBound(n)); the tails stay for the
     * scalar twin, which adds them itself.
     */
    private static void addVectorPart(int rowLen, int n, MemorySegment ws, long src, long dst) {
        long blk = (long) n * Float.BYTES;
        long sB = src * Float.BYTES;
        long dB = dst * Float.BYTES;
        long end = (long) F.loopBound(n) * Float.BYTES;
        for (long k = 0; k < (long) rowLen * Float.BYTES; k += blk) {
            for (long q = k; q < k + end; q += F.vectorByteSize()) {
                fromMemorySegment(F, ws, sB + q, ORDER).add(fromMemorySegment(F, ws, dB + q, ORDER))
                        .intoMemorySegment(ws, dB + q, ORDER);
            }
        }
    }

    @Override
    public void gruForwardStep(int n, MemorySegment ws, long gOff, long aOff, long recOff, MemorySegment w, long bOff,
                               long bhnOff, long hnOff, long hOff, long yOff) {
        requireActivationRow(aOff);
        int j = gruVectorPart(n, ws, gOff, aOff, true, recOff, recOff + 2L * n, w, bOff, bhnOff, hnOff, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        gruForwardTail(j, n, ws, gOff, aOff, recOff, recOff + 2L * n, w, bOff, bhnOff, hnOff, hOff, yOff);
    }

    @Override
    public void gruJoinedForwardStep(int n, MemorySegment ws, long jOff, long aOff, MemorySegment w, long bOff,
                                     long bhnOff, long hnOff, long hOff, long yOff) {
        requireActivationRow(aOff);
        int j = gruVectorPart(n, ws, jOff, aOff, true, -1, jOff + 3L * n, w, bOff, bhnOff, hnOff, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        gruForwardTail(j, n, ws, jOff, aOff, -1, jOff + 3L * n, w, bOff, bhnOff, hnOff, hOff, yOff);
    }

    @Override
    public void gruInferenceStep(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w, long bOff,
                                 long bhnOff, long hOff, long yOff) {
        // the same passes keeping nothing, in the rec row (scratch); the gate row is only read
        int j = gruVectorPart(n, ws, gOff, recOff, false, recOff, recOff + 2L * n, w, bOff, bhnOff, -1, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        gruInferenceTail(j, n, ws, gOff, recOff, recOff + 2L * n, w, bOff, bhnOff, hOff, yOff);
    }

    @Override
    public void gruJoinedInferenceStep(int n, MemorySegment ws, long jOff, MemorySegment w, long bOff, long bhnOff,
                                       long hOff, long yOff) {
        // the same passes keeping nothing, in the joined row (scratch)
        int j = gruVectorPart(n, ws, jOff, jOff, false, -1, jOff + 3L * n, w, bOff, bhnOff, -1, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        gruInferenceTail(j, n, ws, jOff, -1, jOff + 3L * n, w, bOff, bhnOff, hOff, yOff);
    }

    /**
     * The vector part [0, F.loopBound(n)) of a GRU linear-before-reset step, in passes over the row (in L1), to the
     * row at {@code aOff} (g's or rec's, or the gate row kept for BPTT), with rec's r, z parts at recRzOff (-1: g's
     * r, z blocks hold W_i x + W_h h already, a joined row) and its n part at recNOff: the pre-activations
     * (g + b) + rec of r and z written to the row and their t = tanh(x / 2) there (joined: t of g + b, straight to the
     * row) (σ(x) = (1 + t) / 2); hn = rec_n + b_hn and n's pre-activation (g_n + b_in) + r⊙hn; n = tanh
     * of that; h' = n + z⊙(h - n) (the dispatchers copy it to y). With {@code keep} the row ends holding σ(r), σ(z), n
     * (what BPTT reads) and hn goes to hnOff unless -1; without, the row is scratch. Returns the bound, where the
     * scalar tail starts. Training and inference both run this, so their h is the same bit for bit.
     */
    private static int gruVectorPart(int n, MemorySegment ws, long gOff, long aOff, boolean keep, long recRzOff,
                                     long recNOff, MemorySegment w, long bOff, long bhnOff, long hnOff, long hOff) {
        int bound = F.loopBound(n);
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long aB = aOff * Float.BYTES;
        long rB = recRzOff * Float.BYTES;
        long bB = bOff * Float.BYTES;
        long end = (long) bound * Float.BYTES;
        if (recRzOff < 0) {
            // a joined row: t = tanh((j + b) / 2) straight from j and b, without a pass writing j + b first; the same
            // bits as that pass and tanh of (j + b) + (j + b) at scale 1/4 (both give the same y = |j + b| after the
            // clamp). W3, paired calls in both load orders: -0.5 and +0.2 ms of 170, no measurable gain, one pass less
            VectorActivations.tanhOfScaledSum(bound, ws, gOff, w, bOff, 0.5f, aOff);
            VectorActivations.tanhOfScaledSum(bound, ws, gOff + n, w, bOff + n, 0.5f, aOff + n);
        } else {
            for (long k = 0; k < 2 * blk; k += blk) {
                for (long q = k; q < k + end; q += F.vectorByteSize()) {
                    fromMemorySegment(F, ws, gB + q, ORDER).add(fromMemorySegment(F, w, bB + q, ORDER))
                            .add(fromMemorySegment(F, ws, rB + q, ORDER)).intoMemorySegment(ws, aB + q, ORDER);
                }
            }
            // tanh(x / 2) of a row: the row as both terms, scale 1/4 (see tanhOfScaledSum)
            VectorActivations.tanhOfScaledSum(bound, ws, aOff, ws, aOff, 0.25f, aOff);
            VectorActivations.tanhOfScaledSum(bound, ws, aOff + n, ws, aOff + n, 0.25f, aOff + n);
        }
        long bhnB = bhnOff * Float.BYTES;
        long hnB = hnOff * Float.BYTES;
        long rnB = recNOff * Float.BYTES;
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            FloatVector r = fromMemorySegment(F, ws, aB + q, ORDER).fma(0.5f, 0.5f);
            FloatVector hn = fromMemorySegment(F, ws, rnB + q, ORDER).add(fromMemorySegment(F, w, bhnB + q, ORDER));
            FloatVector gn = fromMemorySegment(F, ws, gB + 2 * blk + q, ORDER)
                    .add(fromMemorySegment(F, w, bB + 2 * blk + q, ORDER));
            r.fma(hn, gn).intoMemorySegment(ws, aB + 2 * blk + q, ORDER);
            if (keep) {
                r.intoMemorySegment(ws, aB + q, ORDER);
                if (hnOff >= 0) {
                    hn.intoMemorySegment(ws, hnB + q, ORDER);
                }
            }
        }
        VectorActivations.tanhOfScaledSum(bound, ws, aOff + 2L * n, ws, aOff + 2L * n, 0.5f, aOff + 2L * n);
        long hB = hOff * Float.BYTES;
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            FloatVector z = fromMemorySegment(F, ws, aB + blk + q, ORDER).fma(0.5f, 0.5f);
            FloatVector nn = fromMemorySegment(F, ws, aB + 2 * blk + q, ORDER);
            FloatVector h = z.fma(fromMemorySegment(F, ws, hB + q, ORDER).sub(nn), nn);
            h.intoMemorySegment(ws, hB + q, ORDER);
            if (keep) {
                z.intoMemorySegment(ws, aB + blk + q, ORDER);
            }
        }
        return bound;
    }

    @Override
    public void gruResetStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff, long rhOff) {
        // t = tanh((g + b) / 2) of r and z in the gate row, then σ = (1 + t) / 2 and rh = r⊙h
        int bound = F.loopBound(n);
        VectorActivations.tanhOfScaledSum(bound, ws, gOff, w, bOff, 0.5f, gOff);
        VectorActivations.tanhOfScaledSum(bound, ws, gOff + n, w, bOff + n, 0.5f, gOff + n);
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long hB = hOff * Float.BYTES;
        long rhB = rhOff * Float.BYTES;
        long end = (long) bound * Float.BYTES;
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            FloatVector r = fromMemorySegment(F, ws, gB + q, ORDER).fma(0.5f, 0.5f);
            fromMemorySegment(F, ws, gB + blk + q, ORDER).fma(0.5f, 0.5f).intoMemorySegment(ws, gB + blk + q, ORDER);
            r.intoMemorySegment(ws, gB + q, ORDER);
            r.mul(fromMemorySegment(F, ws, hB + q, ORDER)).intoMemorySegment(ws, rhB + q, ORDER);
        }
        gruResetTail(bound, n, ws, gOff, w, bOff, hOff, rhOff);
    }

    @Override
    public void gruRbrForwardStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                  long yOff) {
        int j = gruRbrLoop(n, ws, gOff, w, bOff, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        gruRbrForwardTail(j, n, ws, gOff, w, bOff, hOff, yOff);
    }

    @Override
    public void gruRbrInferenceStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                    long yOff) {
        // the same passes: n goes to the gate row's n block too, which is scratch here
        int j = gruRbrLoop(n, ws, gOff, w, bOff, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        gruRbrInferenceTail(j, n, ws, gOff, w, bOff, hOff, yOff);
    }

    /**
     * The vector part of a GRU reset-before-linear step's second half: n = tanh(g_n + b_n) into the gate row's n
     * block (a {@link VectorActivations} pass), then h' = n + z⊙(h - n) with z = g_z (σ'd by
     * {@link #gruResetStep}) (the dispatchers copy it to y). Returns where the scalar tail starts.
     */
    private static int gruRbrLoop(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff) {
        int bound = F.loopBound(n);
        VectorActivations.tanhOfScaledSum(bound, ws, gOff + 2L * n, w, bOff + 2L * n, 1f, gOff + 2L * n);
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long hB = hOff * Float.BYTES;
        long end = (long) bound * Float.BYTES;
        for (long q = 0; q < end; q += F.vectorByteSize()) {
            FloatVector nn = fromMemorySegment(F, ws, gB + 2 * blk + q, ORDER);
            FloatVector h = fromMemorySegment(F, ws, gB + blk + q, ORDER)
                    .fma(fromMemorySegment(F, ws, hB + q, ORDER).sub(nn), nn);
            h.intoMemorySegment(ws, hB + q, ORDER);
        }
        return bound;
    }

    @Override
    public void rnnBackwardStep(boolean relu, int n, MemorySegment ws, long gOff, long dhOff, long dgOff,
                                long dhPrevOff) {
        long gB = gOff * Float.BYTES;
        long dhB = dhOff * Float.BYTES;
        long dgB = dgOff * Float.BYTES;
        long dhPrevB = dhPrevOff * Float.BYTES;
        FloatVector zero = FloatVector.zero(F);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            FloatVector v = fromMemorySegment(F, ws, gB + q, ORDER);
            FloatVector dh = fromMemorySegment(F, ws, dhB + q, ORDER);
            FloatVector dg;
            if (relu) {
                VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
                dg = zero.blend(dh, pos);
            } else {
                dg = dh.mul(v.mul(v).neg().add(1f));
            }
            dg.intoMemorySegment(ws, dgB + q, ORDER);
            zero.intoMemorySegment(ws, dhPrevB + q, ORDER);
        }
        rnnBackwardTail(relu, j, n, ws, gOff, dhOff, dgOff, dhPrevOff);
    }

    /**
     * Two vector passes over the row, then the scalar tail for both (a split made while the loops still
     * called helpers, which C2 refused in one pass with every load and store of the step).
     */
    @Override
    public void lstmBackwardStep(int n, MemorySegment ws, long gOff, long cpOff, long dhOff, long dcOff, long dgOff,
                                 long dhPrevOff, MemorySegment w, long pOff, long dpOff) {
        int bound = F.loopBound(n);
        lstmBackwardCellPass(bound, n, ws, gOff, cpOff, dhOff, dcOff, dgOff, w, pOff, dpOff);
        lstmBackwardGatePass(bound, n, ws, gOff, cpOff, dcOff, dgOff, dhPrevOff, w, pOff, dpOff);
        lstmBackwardTail(bound, n, ws, gOff, cpOff, dhOff, dcOff, dgOff, dhPrevOff, w, pOff, dpOff);
    }

    /** j < bound: dpo = dh⊙tanh(c)⊙o(1-o) to the o block of dg; dc += dh⊙o⊙(1-tanh²c) (+ dpo⊙p_o), in place. */
    private static void lstmBackwardCellPass(int bound, int n, MemorySegment ws, long gOff, long cpOff, long dhOff,
                                             long dcOff, long dgOff, MemorySegment w, long pOff, long dpOff) {
        boolean peep = pOff >= 0;
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long cpB = cpOff * Float.BYTES;
        long dhB = dhOff * Float.BYTES;
        long dcB = dcOff * Float.BYTES;
        long dgB = dgOff * Float.BYTES;
        long pB = pOff * Float.BYTES;
        long dpB = dpOff * Float.BYTES;
        for (int j = 0; j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            FloatVector i = fromMemorySegment(F, ws, gB + q, ORDER);
            FloatVector f = fromMemorySegment(F, ws, gB + blk + q, ORDER);
            FloatVector g = fromMemorySegment(F, ws, gB + 2 * blk + q, ORDER);
            FloatVector o = fromMemorySegment(F, ws, gB + 3 * blk + q, ORDER);
            FloatVector cp = fromMemorySegment(F, ws, cpB + q, ORDER);
            FloatVector c = f.fma(cp, i.mul(g));
            // tc = tanh(c), VectorActivations.tanhOfScaledSum's arithmetic, which the forward step used for h = o⊙tanh(c)
            // (c as both terms, scale 1/2: y = |c + c| = 2|c|, as here): the same bits in both directions and in every
            // JIT tier (SVML's TANH, which this replaced, is not what runs before C2 compiles the loop)
            FloatVector y = c.abs().mul(2f);
            y = y.blend(Y_MAX, y.compare(VectorOperators.GT, Y_MAX));
            FloatVector shifted = y.fma(LOG2E, SHIFTER);
            FloatVector nn = shifted.sub(SHIFTER);
            FloatVector r = nn.fma(FloatVector.broadcast(F, -LN2_HI), y);
            r = nn.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector pow2n = shifted.reinterpretAsInts().add(127 - SHIFTER_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector r2 = r.mul(r);
            FloatVector p = r.fma(P5, P4).fma(r2.mul(r2), r.fma(P3, P2).fma(r2, r.fma(P1, P0)));
            FloatVector u = p.fma(r2, r).fma(pow2n, pow2n.sub(1f));
            FloatVector tc = c.reinterpretAsInts().and(0x80000000).or(u.div(u.add(2f)).reinterpretAsInts())
                    .reinterpretAsFloats();
            FloatVector dh = fromMemorySegment(F, ws, dhB + q, ORDER);
            FloatVector dpo = dh.mul(tc).mul(o).mul(o.neg().add(1f));
            FloatVector dc = dh.mul(o).fma(tc.mul(tc).neg().add(1f), fromMemorySegment(F, ws, dcB + q, ORDER));
            if (peep) {
                dc = dpo.fma(fromMemorySegment(F, w, pB + 2 * blk + q, ORDER), dc);
                dpo.fma(c, fromMemorySegment(F, ws, dpB + 2 * blk + q, ORDER))
                        .intoMemorySegment(ws, dpB + 2 * blk + q, ORDER);
            }
            dpo.intoMemorySegment(ws, dgB + 3 * blk + q, ORDER);
            dc.intoMemorySegment(ws, dcB + q, ORDER);
        }
    }

    /** j < bound, dc holding the gradient of c: the i, f, g blocks of dg, dc = gradient of c_prev, dhPrev = 0. */
    private static void lstmBackwardGatePass(int bound, int n, MemorySegment ws, long gOff, long cpOff, long dcOff,
                                             long dgOff, long dhPrevOff, MemorySegment w, long pOff, long dpOff) {
        boolean peep = pOff >= 0;
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long cpB = cpOff * Float.BYTES;
        long dcB = dcOff * Float.BYTES;
        long dgB = dgOff * Float.BYTES;
        long dhPrevB = dhPrevOff * Float.BYTES;
        long pB = pOff * Float.BYTES;
        long dpB = dpOff * Float.BYTES;
        FloatVector zero = FloatVector.zero(F);
        for (int j = 0; j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            FloatVector i = fromMemorySegment(F, ws, gB + q, ORDER);
            FloatVector f = fromMemorySegment(F, ws, gB + blk + q, ORDER);
            FloatVector g = fromMemorySegment(F, ws, gB + 2 * blk + q, ORDER);
            FloatVector cp = fromMemorySegment(F, ws, cpB + q, ORDER);
            FloatVector dc = fromMemorySegment(F, ws, dcB + q, ORDER);
            FloatVector dpi = dc.mul(g).mul(i).mul(i.neg().add(1f));
            FloatVector dpf = dc.mul(cp).mul(f).mul(f.neg().add(1f));
            FloatVector dpg = dc.mul(i).mul(g.mul(g).neg().add(1f));
            FloatVector dcp = dc.mul(f);
            if (peep) {
                dcp = dpi.fma(fromMemorySegment(F, w, pB + q, ORDER), dcp);
                dcp = dpf.fma(fromMemorySegment(F, w, pB + blk + q, ORDER), dcp);
                dpi.fma(cp, fromMemorySegment(F, ws, dpB + q, ORDER)).intoMemorySegment(ws, dpB + q, ORDER);
                dpf.fma(cp, fromMemorySegment(F, ws, dpB + blk + q, ORDER))
                        .intoMemorySegment(ws, dpB + blk + q, ORDER);
            }
            dpi.intoMemorySegment(ws, dgB + q, ORDER);
            dpf.intoMemorySegment(ws, dgB + blk + q, ORDER);
            dpg.intoMemorySegment(ws, dgB + 2 * blk + q, ORDER);
            dcp.intoMemorySegment(ws, dcB + q, ORDER);
            if (dhPrevOff >= 0) {
                zero.intoMemorySegment(ws, dhPrevB + q, ORDER);
            }
        }
    }

    @Override
    public void gruBackwardStep(int n, MemorySegment ws, long gOff, long hnOff, long hpOff, long dhOff, long dgOff,
                                long dgnOff, long dhPrevOff) {
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long hnB = hnOff * Float.BYTES;
        long hpB = hpOff * Float.BYTES;
        long dhB = dhOff * Float.BYTES;
        long dgB = dgOff * Float.BYTES;
        long dgnB = dgnOff * Float.BYTES;
        long dhPrevB = dhPrevOff * Float.BYTES;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            FloatVector r = fromMemorySegment(F, ws, gB + q, ORDER);
            FloatVector z = fromMemorySegment(F, ws, gB + blk + q, ORDER);
            FloatVector nn = fromMemorySegment(F, ws, gB + 2 * blk + q, ORDER);
            FloatVector hp = fromMemorySegment(F, ws, hpB + q, ORDER);
            FloatVector hn = fromMemorySegment(F, ws, hnB + q, ORDER);
            FloatVector dh = fromMemorySegment(F, ws, dhB + q, ORDER);
            FloatVector dn = dh.mul(z.neg().add(1f)).mul(nn.mul(nn).neg().add(1f));
            FloatVector dz = dh.mul(hp.sub(nn)).mul(z).mul(z.neg().add(1f));
            FloatVector dr = dn.mul(hn).mul(r).mul(r.neg().add(1f));
            dr.intoMemorySegment(ws, dgB + q, ORDER);
            dz.intoMemorySegment(ws, dgB + blk + q, ORDER);
            dn.intoMemorySegment(ws, dgB + 2 * blk + q, ORDER);
            dn.mul(r).intoMemorySegment(ws, dgnB + q, ORDER);
            dh.mul(z).intoMemorySegment(ws, dhPrevB + q, ORDER);
        }
        gruBackwardTail(j, n, ws, gOff, hnOff, hpOff, dhOff, dgOff, dgnOff, dhPrevOff);
    }

    @Override
    public void gruRbrBackwardStep(int n, MemorySegment ws, long gOff, long hpOff, long dhOff, long dgOff,
                                   long dhPrevOff) {
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long hpB = hpOff * Float.BYTES;
        long dhB = dhOff * Float.BYTES;
        long dgB = dgOff * Float.BYTES;
        long dhPrevB = dhPrevOff * Float.BYTES;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            FloatVector z = fromMemorySegment(F, ws, gB + blk + q, ORDER);
            FloatVector nn = fromMemorySegment(F, ws, gB + 2 * blk + q, ORDER);
            FloatVector hp = fromMemorySegment(F, ws, hpB + q, ORDER);
            FloatVector dh = fromMemorySegment(F, ws, dhB + q, ORDER);
            dh.mul(hp.sub(nn)).mul(z).mul(z.neg().add(1f)).intoMemorySegment(ws, dgB + blk + q, ORDER);
            dh.mul(z.neg().add(1f)).mul(nn.mul(nn).neg().add(1f)).intoMemorySegment(ws, dgB + 2 * blk + q, ORDER);
            dh.mul(z).intoMemorySegment(ws, dhPrevB + q, ORDER);
        }
        gruRbrBackwardTail(j, n, ws, gOff, hpOff, dhOff, dgOff, dhPrevOff);
    }

    @Override
    public void gruResetBackwardStep(int n, MemorySegment ws, long gOff, long hpOff, long drhOff, long dgOff,
                                     long dhPrevOff) {
        long gB = gOff * Float.BYTES;
        long hpB = hpOff * Float.BYTES;
        long drhB = drhOff * Float.BYTES;
        long dgB = dgOff * Float.BYTES;
        long dhPrevB = dhPrevOff * Float.BYTES;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            FloatVector r = fromMemorySegment(F, ws, gB + q, ORDER);
            FloatVector drh = fromMemorySegment(F, ws, drhB + q, ORDER);
            drh.mul(fromMemorySegment(F, ws, hpB + q, ORDER)).mul(r).mul(r.neg().add(1f))
                    .intoMemorySegment(ws, dgB + q, ORDER);
            drh.fma(r, fromMemorySegment(F, ws, dhPrevB + q, ORDER)).intoMemorySegment(ws, dhPrevB + q, ORDER);
        }
        gruResetBackwardTail(j, n, ws, gOff, hpOff, drhOff, dgOff, dhPrevOff);
    }

    @Override
    public void add(int n, MemorySegment ws, long srcOff, long dstOff) {
        long srcB = srcOff * Float.BYTES;
        long dstB = dstOff * Float.BYTES;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            fromMemorySegment(F, ws, dstB + q, ORDER).add(fromMemorySegment(F, ws, srcB + q, ORDER))
                    .intoMemorySegment(ws, dstB + q, ORDER);
        }
        addTail(j, n, ws, srcOff, dstOff);
    }
}
