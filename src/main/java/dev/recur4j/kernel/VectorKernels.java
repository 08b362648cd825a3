package dev.recur4j.kernel;

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
 * the same index. Activations use the Vector API's {@code TANH} lanewise operation (accurate to
 * about 1 ulp, like {@link Activations}); σ(x) is computed as (1 + tanh(x/2)) / 2, which agrees with
 * the scalar 1 / (1 + e^-x) to ~6e-8 absolute and tends to 0 (not NaN) as x → -∞.
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

    private static FloatVector ld(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(F, s, i * Float.BYTES, ORDER);
    }

    private static void st(FloatVector v, MemorySegment s, long i) {
        v.intoMemorySegment(s, i * Float.BYTES, ORDER);
    }

    /**
     * σ(x) = (1 + tanh(x/2)) / 2: one TANH and an FMA instead of EXP, an add and a vector divide (the
     * divide is the slow part: 3 of them per LSTM element). Equal to 1 / (1 + e^-x) up to ~1 ulp of
     * tanh, i.e. ~6e-8 absolute (not relative: for x below about -17 it gives 0 where the exact value
     * is a tiny positive number); the scalar twin ({@link Activations#sigmoid}) is the exact form.
     */
    private static FloatVector sigmoid(FloatVector x) {
        FloatVector half = FloatVector.broadcast(F, 0.5f);
        return x.mul(half).lanewise(VectorOperators.TANH).fma(half, half);
    }

    /** 1 - x², the derivative of tanh at tanh(a) = x. */
    private static FloatVector oneMinusSq(FloatVector x) {
        return x.mul(x).neg().add(1f);
    }

    private static FloatVector tanh(FloatVector x) {
        return x.lanewise(VectorOperators.TANH);
    }

    @Override
    public void rnnForwardStep(boolean relu, int n, MemorySegment ws, long gOff, MemorySegment w, long bOff,
                               long hOff, long yOff) {
        // One loop per activation: a vector chosen by a branch inside the loop (a phi) gets boxed by C2.
        int j = relu ? rnnReluLoop(n, ws, gOff, w, bOff, hOff, yOff) : rnnTanhLoop(n, ws, gOff, w, bOff, hOff, yOff);
        rnnForwardTail(relu, j, n, ws, gOff, w, bOff, hOff, yOff);
    }

    /** The vector part of {@link #rnnForwardStep} with relu; returns where the scalar tail starts. */
    private static int rnnReluLoop(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                   long yOff) {
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector v = ld(ws, gOff + j).add(ld(w, bOff + j)).max(0f);
            st(v, ws, gOff + j);
            st(v, ws, hOff + j);
            if (yOff >= 0) {
                st(v, ws, yOff + j);
            }
        }
        return j;
    }

    /** The vector part of {@link #rnnForwardStep} with tanh; returns where the scalar tail starts. */
    private static int rnnTanhLoop(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                   long yOff) {
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector v = tanh(ld(ws, gOff + j).add(ld(w, bOff + j)));
            st(v, ws, gOff + j);
            st(v, ws, hOff + j);
            if (yOff >= 0) {
                st(v, ws, yOff + j);
            }
        }
        return j;
    }

    @Override
    public void lstmForwardStep(int n, MemorySegment ws, long gOff, long aOff, MemorySegment w, long bOff, long pOff,
                                long cOff, long hOff, long yOff) {
        // Peepholes get their own loop rather than `if (peep) ai = ...`: that phi of vectors gets boxed by C2.
        int j = pOff >= 0 ? lstmPeepholeLoop(n, ws, gOff, aOff, w, bOff, pOff, cOff, hOff)
                : lstmLoop(n, ws, gOff, aOff, w, bOff, cOff, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        lstmForwardTail(j, n, ws, gOff, aOff, w, bOff, pOff, cOff, hOff, yOff);
    }

    /**
     * y[0, j) = h[0, j) unless yOff is -1. Called by the dispatchers, not in the loops: when yOff = -1 first
     * comes after C2 compiled this branch as never taken (a projection after a bidirectional LSTM), the
     * trap drops the compiled code that holds the branch, so a loop compiled on its own keeps its code.
     */
    private static void copyVectorPart(int j, MemorySegment ws, long hOff, long yOff) {
        if (yOff >= 0 && j > 0) {
            MemorySegment.copy(ws, hOff * Float.BYTES, ws, yOff * Float.BYTES, (long) j * Float.BYTES);
        }
    }

    /** The vector part of {@link #lstmForwardStep} without peepholes; returns where the scalar tail starts. */
    private static int lstmLoop(int n, MemorySegment ws, long gOff, long aOff, MemorySegment w, long bOff, long cOff,
                                long hOff) {
        long n1 = n;
        long n2 = 2L * n;
        long n3 = 3L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector cp = ld(ws, cOff + j);
            FloatVector i = sigmoid(ld(ws, gOff + j).add(ld(w, bOff + j)));
            FloatVector f = sigmoid(ld(ws, gOff + n1 + j).add(ld(w, bOff + n1 + j)));
            FloatVector g = tanh(ld(ws, gOff + n2 + j).add(ld(w, bOff + n2 + j)));
            FloatVector o = sigmoid(ld(ws, gOff + n3 + j).add(ld(w, bOff + n3 + j)));
            FloatVector c = f.fma(cp, i.mul(g));
            FloatVector h = o.mul(tanh(c));
            st(i, ws, aOff + j);
            st(f, ws, aOff + n1 + j);
            st(g, ws, aOff + n2 + j);
            st(o, ws, aOff + n3 + j);
            st(c, ws, cOff + j);
            st(h, ws, hOff + j);
        }
        return j;
    }

    @Override
    public void lstmInferenceStep(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w, long bOff,
                                  long cOff, long hOff, long yOff) {
        // Two loops rather than `if (rec) a = a.add(...)` inside one: a phi of vectors gets boxed by C2.
        int j = recOff >= 0 ? lstmInferenceRecLoop(n, ws, gOff, recOff, w, bOff, cOff, hOff)
                : lstmInferenceLoop(n, ws, gOff, w, bOff, cOff, hOff);
        copyVectorPart(j, ws, hOff, yOff);
        lstmInferenceTail(j, n, ws, gOff, recOff, w, bOff, cOff, hOff, yOff);
    }

    /** The vector part of {@link #lstmInferenceStep} with the recurrent part already in g. */
    private static int lstmInferenceLoop(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long cOff,
                                         long hOff) {
        long n1 = n;
        long n2 = 2L * n;
        long n3 = 3L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector i = sigmoid(ld(ws, gOff + j).add(ld(w, bOff + j)));
            FloatVector f = sigmoid(ld(ws, gOff + n1 + j).add(ld(w, bOff + n1 + j)));
            FloatVector g = tanh(ld(ws, gOff + n2 + j).add(ld(w, bOff + n2 + j)));
            FloatVector o = sigmoid(ld(ws, gOff + n3 + j).add(ld(w, bOff + n3 + j)));
            FloatVector c = f.fma(ld(ws, cOff + j), i.mul(g));
            st(c, ws, cOff + j);
            st(o.mul(tanh(c)), ws, hOff + j);
        }
        return j;
    }

    /** The vector part of {@link #lstmInferenceStep} adding rec [4n] (W_hh h) to g. */
    private static int lstmInferenceRecLoop(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w,
                                            long bOff, long cOff, long hOff) {
        long n1 = n;
        long n2 = 2L * n;
        long n3 = 3L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector i = sigmoid(ld(ws, gOff + j).add(ld(ws, recOff + j)).add(ld(w, bOff + j)));
            FloatVector f = sigmoid(ld(ws, gOff + n1 + j).add(ld(ws, recOff + n1 + j)).add(ld(w, bOff + n1 + j)));
            FloatVector g = tanh(ld(ws, gOff + n2 + j).add(ld(ws, recOff + n2 + j)).add(ld(w, bOff + n2 + j)));
            FloatVector o = sigmoid(ld(ws, gOff + n3 + j).add(ld(ws, recOff + n3 + j)).add(ld(w, bOff + n3 + j)));
            FloatVector c = f.fma(ld(ws, cOff + j), i.mul(g));
            st(c, ws, cOff + j);
            st(o.mul(tanh(c)), ws, hOff + j);
        }
        return j;
    }

    /**
     * The vector part of {@link #lstmForwardStep} with peepholes p [3n] (i, f, o); returns where the scalar
     * tail starts. One loop that calls the Vector API directly, with σ and tanh written out as in
     * {@link #sigmoid} and {@link #tanh}, and no {@link #ld} / {@link #st}: its twelve loads and five
     * activations take C2 past its node budget for inlining (NodeCountInliningCutoff, 18000 nodes), after
     * which C2 refuses every callee longer than 6 bytecodes except {@code @ForceInline} ones, as all of
     * the Vector API's are, and those it inlines later (incrementally) instead. A refused helper gets its
     * vectors boxed, i.e. allocated, on every row-step. Two passes (c, then o and h) do not avoid that: the
     * second called from the first was inlined into it in every run, and both called from one method were
     * inlined into it whenever C2 compiled that method before them (2 of 20 fresh JVMs).
     */
    private static int lstmPeepholeLoop(int n, MemorySegment ws, long gOff, long aOff, MemorySegment w, long bOff,
                                        long pOff, long cOff, long hOff) {
        // byte offsets: a gate block (n floats), and where each row starts; blocks i, f, g, o follow each other
        long blk = (long) n * Float.BYTES;
        long gB = gOff * Float.BYTES;
        long aB = aOff * Float.BYTES;
        long bB = bOff * Float.BYTES;
        long pB = pOff * Float.BYTES;
        long cB = cOff * Float.BYTES;
        long hB = hOff * Float.BYTES;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            long q = (long) j * Float.BYTES;
            FloatVector half = FloatVector.broadcast(F, 0.5f);
            FloatVector cp = FloatVector.fromMemorySegment(F, ws, cB + q, ORDER);
            FloatVector ai = FloatVector.fromMemorySegment(F, w, pB + q, ORDER).fma(cp,
                    FloatVector.fromMemorySegment(F, ws, gB + q, ORDER)
                            .add(FloatVector.fromMemorySegment(F, w, bB + q, ORDER)));
            FloatVector af = FloatVector.fromMemorySegment(F, w, pB + blk + q, ORDER).fma(cp,
                    FloatVector.fromMemorySegment(F, ws, gB + blk + q, ORDER)
                            .add(FloatVector.fromMemorySegment(F, w, bB + blk + q, ORDER)));
            FloatVector ag = FloatVector.fromMemorySegment(F, ws, gB + 2 * blk + q, ORDER)
                    .add(FloatVector.fromMemorySegment(F, w, bB + 2 * blk + q, ORDER));
            FloatVector i = ai.mul(half).lanewise(VectorOperators.TANH).fma(half, half);
            FloatVector f = af.mul(half).lanewise(VectorOperators.TANH).fma(half, half);
            FloatVector g = ag.lanewise(VectorOperators.TANH);
            FloatVector c = f.fma(cp, i.mul(g));
            // o's pre-activation is read before the stores below: a may be g itself (aOff == gOff)
            FloatVector ao = FloatVector.fromMemorySegment(F, w, pB + 2 * blk + q, ORDER).fma(c,
                    FloatVector.fromMemorySegment(F, ws, gB + 3 * blk + q, ORDER)
                            .add(FloatVector.fromMemorySegment(F, w, bB + 3 * blk + q, ORDER)));
            FloatVector o = ao.mul(half).lanewise(VectorOperators.TANH).fma(half, half);
            i.intoMemorySegment(ws, aB + q, ORDER);
            f.intoMemorySegment(ws, aB + blk + q, ORDER);
            g.intoMemorySegment(ws, aB + 2 * blk + q, ORDER);
            o.intoMemorySegment(ws, aB + 3 * blk + q, ORDER);
            c.intoMemorySegment(ws, cB + q, ORDER);
            o.mul(c.lanewise(VectorOperators.TANH)).intoMemorySegment(ws, hB + q, ORDER);
        }
        return j;
    }

    @Override
    public void gruForwardStep(int n, MemorySegment ws, long gOff, long aOff, long recOff, MemorySegment w, long bOff,
                               long bhnOff, long hnOff, long hOff, long yOff) {
        long n1 = n;
        long n2 = 2L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector r = sigmoid(ld(ws, gOff + j).add(ld(w, bOff + j)).add(ld(ws, recOff + j)));
            FloatVector z = sigmoid(ld(ws, gOff + n1 + j).add(ld(w, bOff + n1 + j)).add(ld(ws, recOff + n1 + j)));
            FloatVector hn = ld(ws, recOff + n2 + j).add(ld(w, bhnOff + j));
            FloatVector nn = tanh(r.fma(hn, ld(ws, gOff + n2 + j).add(ld(w, bOff + n2 + j))));
            FloatVector hp = ld(ws, hOff + j);
            FloatVector h = z.fma(hp.sub(nn), nn);
            st(r, ws, aOff + j);
            st(z, ws, aOff + n1 + j);
            st(nn, ws, aOff + n2 + j);
            if (hnOff >= 0) {
                st(hn, ws, hnOff + j);
            }
            st(h, ws, hOff + j);
            if (yOff >= 0) {
                st(h, ws, yOff + j);
            }
        }
        gruForwardTail(j, n, ws, gOff, aOff, recOff, w, bOff, bhnOff, hnOff, hOff, yOff);
    }

    @Override
    public void gruInferenceStep(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w, long bOff,
                                 long bhnOff, long hOff, long yOff) {
        // r = σ(g_r + b_r + rec_r), z = σ(g_z + b_z + rec_z), n = tanh(g_n + b_in + r⊙(rec_n + b_hn)),
        // h' = n + z⊙(h - n); the gate row is only read (see ScalarKernels#gruInferenceTail)
        long n1 = n;
        long n2 = 2L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector r = sigmoid(ld(ws, gOff + j).add(ld(w, bOff + j)).add(ld(ws, recOff + j)));
            FloatVector z = sigmoid(ld(ws, gOff + n1 + j).add(ld(w, bOff + n1 + j)).add(ld(ws, recOff + n1 + j)));
            FloatVector hn = ld(ws, recOff + n2 + j).add(ld(w, bhnOff + j));
            FloatVector nn = tanh(r.fma(hn, ld(ws, gOff + n2 + j).add(ld(w, bOff + n2 + j))));
            FloatVector h = z.fma(ld(ws, hOff + j).sub(nn), nn);
            st(h, ws, hOff + j);
            if (yOff >= 0) {
                st(h, ws, yOff + j);
            }
        }
        gruInferenceTail(j, n, ws, gOff, recOff, w, bOff, bhnOff, hOff, yOff);
    }

    @Override
    public void gruResetStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff, long rhOff) {
        long n1 = n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector r = sigmoid(ld(ws, gOff + j).add(ld(w, bOff + j)));
            FloatVector z = sigmoid(ld(ws, gOff + n1 + j).add(ld(w, bOff + n1 + j)));
            st(r, ws, gOff + j);
            st(z, ws, gOff + n1 + j);
            st(r.mul(ld(ws, hOff + j)), ws, rhOff + j);
        }
        gruResetTail(j, n, ws, gOff, w, bOff, hOff, rhOff);
    }

    @Override
    public void gruRbrForwardStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                  long yOff) {
        long n1 = n;
        long n2 = 2L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector z = ld(ws, gOff + n1 + j);
            FloatVector nn = tanh(ld(ws, gOff + n2 + j).add(ld(w, bOff + n2 + j)));
            FloatVector hp = ld(ws, hOff + j);
            FloatVector h = z.fma(hp.sub(nn), nn);
            st(nn, ws, gOff + n2 + j);
            st(h, ws, hOff + j);
            if (yOff >= 0) {
                st(h, ws, yOff + j);
            }
        }
        gruRbrForwardTail(j, n, ws, gOff, w, bOff, hOff, yOff);
    }

    @Override
    public void gruRbrInferenceStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                    long yOff) {
        // z = g_z (σ'd by gruResetStep), n = tanh(g_n + b_n), h' = n + z⊙(h - n); n is not written back
        long n1 = n;
        long n2 = 2L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector nn = tanh(ld(ws, gOff + n2 + j).add(ld(w, bOff + n2 + j)));
            FloatVector h = ld(ws, gOff + n1 + j).fma(ld(ws, hOff + j).sub(nn), nn);
            st(h, ws, hOff + j);
            if (yOff >= 0) {
                st(h, ws, yOff + j);
            }
        }
        gruRbrInferenceTail(j, n, ws, gOff, w, bOff, hOff, yOff);
    }

    @Override
    public void rnnBackwardStep(boolean relu, int n, MemorySegment ws, long gOff, long dhOff, long dgOff,
                                long dhPrevOff) {
        FloatVector zero = FloatVector.zero(F);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector v = ld(ws, gOff + j);
            FloatVector dh = ld(ws, dhOff + j);
            FloatVector dg;
            if (relu) {
                VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
                dg = zero.blend(dh, pos);
            } else {
                dg = dh.mul(oneMinusSq(v));
            }
            st(dg, ws, dgOff + j);
            st(zero, ws, dhPrevOff + j);
        }
        rnnBackwardTail(relu, j, n, ws, gOff, dhOff, dgOff, dhPrevOff);
    }

    /**
     * Two vector passes over the row, then the scalar tail for both: one pass with every load and
     * store of the step makes C2 stop inlining the Vector API calls (NodeCountInliningCutoff), and a
     * vector handed to a call that is not inlined is boxed, i.e. allocated, on every iteration.
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
        long n1 = n;
        long n2 = 2L * n;
        long n3 = 3L * n;
        for (int j = 0; j < bound; j += F.length()) {
            FloatVector i = ld(ws, gOff + j);
            FloatVector f = ld(ws, gOff + n1 + j);
            FloatVector g = ld(ws, gOff + n2 + j);
            FloatVector o = ld(ws, gOff + n3 + j);
            FloatVector cp = ld(ws, cpOff + j);
            FloatVector c = f.fma(cp, i.mul(g));
            FloatVector tc = tanh(c);
            FloatVector dh = ld(ws, dhOff + j);
            FloatVector dpo = dh.mul(tc).mul(o).mul(o.neg().add(1f));
            FloatVector dc = dh.mul(o).fma(oneMinusSq(tc), ld(ws, dcOff + j));
            if (peep) {
                dc = dpo.fma(ld(w, pOff + n2 + j), dc);
                st(dpo.fma(c, ld(ws, dpOff + n2 + j)), ws, dpOff + n2 + j);
            }
            st(dpo, ws, dgOff + n3 + j);
            st(dc, ws, dcOff + j);
        }
    }

    /** j < bound, dc holding the gradient of c: the i, f, g blocks of dg, dc = gradient of c_prev, dhPrev = 0. */
    private static void lstmBackwardGatePass(int bound, int n, MemorySegment ws, long gOff, long cpOff, long dcOff,
                                             long dgOff, long dhPrevOff, MemorySegment w, long pOff, long dpOff) {
        boolean peep = pOff >= 0;
        long n1 = n;
        long n2 = 2L * n;
        FloatVector zero = FloatVector.zero(F);
        for (int j = 0; j < bound; j += F.length()) {
            FloatVector i = ld(ws, gOff + j);
            FloatVector f = ld(ws, gOff + n1 + j);
            FloatVector g = ld(ws, gOff + n2 + j);
            FloatVector cp = ld(ws, cpOff + j);
            FloatVector dc = ld(ws, dcOff + j);
            FloatVector dpi = dc.mul(g).mul(i).mul(i.neg().add(1f));
            FloatVector dpf = dc.mul(cp).mul(f).mul(f.neg().add(1f));
            FloatVector dpg = dc.mul(i).mul(oneMinusSq(g));
            FloatVector dcp = dc.mul(f);
            if (peep) {
                dcp = dpi.fma(ld(w, pOff + j), dcp);
                dcp = dpf.fma(ld(w, pOff + n1 + j), dcp);
                st(dpi.fma(cp, ld(ws, dpOff + j)), ws, dpOff + j);
                st(dpf.fma(cp, ld(ws, dpOff + n1 + j)), ws, dpOff + n1 + j);
            }
            st(dpi, ws, dgOff + j);
            st(dpf, ws, dgOff + n1 + j);
            st(dpg, ws, dgOff + n2 + j);
            st(dcp, ws, dcOff + j);
            if (dhPrevOff >= 0) {
                st(zero, ws, dhPrevOff + j);
            }
        }
    }

    @Override
    public void gruBackwardStep(int n, MemorySegment ws, long gOff, long hnOff, long hpOff, long dhOff, long dgOff,
                                long dgnOff, long dhPrevOff) {
        long n1 = n;
        long n2 = 2L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector r = ld(ws, gOff + j);
            FloatVector z = ld(ws, gOff + n1 + j);
            FloatVector nn = ld(ws, gOff + n2 + j);
            FloatVector hp = ld(ws, hpOff + j);
            FloatVector hn = ld(ws, hnOff + j);
            FloatVector dh = ld(ws, dhOff + j);
            FloatVector dn = dh.mul(z.neg().add(1f)).mul(oneMinusSq(nn));
            FloatVector dz = dh.mul(hp.sub(nn)).mul(z).mul(z.neg().add(1f));
            FloatVector dr = dn.mul(hn).mul(r).mul(r.neg().add(1f));
            st(dr, ws, dgOff + j);
            st(dz, ws, dgOff + n1 + j);
            st(dn, ws, dgOff + n2 + j);
            st(dn.mul(r), ws, dgnOff + j);
            st(dh.mul(z), ws, dhPrevOff + j);
        }
        gruBackwardTail(j, n, ws, gOff, hnOff, hpOff, dhOff, dgOff, dgnOff, dhPrevOff);
    }

    @Override
    public void gruRbrBackwardStep(int n, MemorySegment ws, long gOff, long hpOff, long dhOff, long dgOff,
                                   long dhPrevOff) {
        long n1 = n;
        long n2 = 2L * n;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector z = ld(ws, gOff + n1 + j);
            FloatVector nn = ld(ws, gOff + n2 + j);
            FloatVector hp = ld(ws, hpOff + j);
            FloatVector dh = ld(ws, dhOff + j);
            st(dh.mul(hp.sub(nn)).mul(z).mul(z.neg().add(1f)), ws, dgOff + n1 + j);
            st(dh.mul(z.neg().add(1f)).mul(oneMinusSq(nn)), ws, dgOff + n2 + j);
            st(dh.mul(z), ws, dhPrevOff + j);
        }
        gruRbrBackwardTail(j, n, ws, gOff, hpOff, dhOff, dgOff, dhPrevOff);
    }

    @Override
    public void gruResetBackwardStep(int n, MemorySegment ws, long gOff, long hpOff, long drhOff, long dgOff,
                                     long dhPrevOff) {
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            FloatVector r = ld(ws, gOff + j);
            FloatVector drh = ld(ws, drhOff + j);
            st(drh.mul(ld(ws, hpOff + j)).mul(r).mul(r.neg().add(1f)), ws, dgOff + j);
            st(drh.fma(r, ld(ws, dhPrevOff + j)), ws, dhPrevOff + j);
        }
        gruResetBackwardTail(j, n, ws, gOff, hpOff, drhOff, dgOff, dhPrevOff);
    }

    @Override
    public void add(int n, MemorySegment ws, long srcOff, long dstOff) {
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += F.length()) {
            st(ld(ws, dstOff + j).add(ld(ws, srcOff + j)), ws, dstOff + j);
        }
        addTail(j, n, ws, srcOff, dstOff);
    }
}
