package dev.recur4j.kernel;

import static dev.recur4j.kernel.Activations.sigmoid;
import static dev.recur4j.kernel.Activations.tanh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain-Java kernels ({@code Impl.SCALAR}), one loop over j < n per row; also the tails and
 * fallbacks of {@link VectorKernels}. Equations are on {@link Kernels}; the backward derivatives
 * used are σ' = σ(1-σ), tanh' = 1 - tanh², relu' = [v > 0].
 */
public class ScalarKernels implements Kernels {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** Floats in {@link #ZEROS}: 4 KB, small enough to stay in L1 while {@link #zero} copies it out. */
    private static final int ZERO_FLOATS = 1024;
    /** A block of zeros that {@link #zero} copies from (never written, never freed). */
    private static final MemorySegment ZEROS = Arena.global().allocate((long) ZERO_FLOATS * Float.BYTES, 64);

    static float get(MemorySegment s, long i) {
        return s.getAtIndex(F32, i);
    }

    static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(F32, i, v);
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void rnnForwardStep(boolean relu, int n, MemorySegment ws, long gOff, MemorySegment w, long bOff,
                               long hOff, long yOff) {
        rnnForwardTail(relu, 0, n, ws, gOff, w, bOff, hOff, yOff);
    }

    final void rnnForwardTail(boolean relu, int j0, int n, MemorySegment ws, long gOff, MemorySegment w, long bOff,
                              long hOff, long yOff) {
        for (int j = j0; j < n; j++) {
            float a = get(ws, gOff + j) + get(w, bOff + j);
            float v = relu ? Math.max(a, 0f) : tanh(a);
            set(ws, gOff + j, v);
            set(ws, hOff + j, v);
            if (yOff >= 0) {
                set(ws, yOff + j, v);
            }
        }
    }

    @Override
    public void lstmForwardStep(int n, MemorySegment ws, long gOff, long aOff, MemorySegment w, long bOff, long pOff,
                                long cOff, long hOff, long yOff) {
        lstmForwardTail(0, n, ws, gOff, aOff, w, bOff, pOff, cOff, hOff, yOff);
    }

    final void lstmForwardTail(int j0, int n, MemorySegment ws, long gOff, long aOff, MemorySegment w, long bOff,
                               long pOff, long cOff, long hOff, long yOff) {
        boolean peep = pOff >= 0;
        for (int j = j0; j < n; j++) {
            float cp = get(ws, cOff + j);
            float ai = get(ws, gOff + j) + get(w, bOff + j);
            float af = get(ws, gOff + n + j) + get(w, bOff + n + j);
            float ag = get(ws, gOff + 2L * n + j) + get(w, bOff + 2L * n + j);
            float ao = get(ws, gOff + 3L * n + j) + get(w, bOff + 3L * n + j);
            if (peep) {
                ai += get(w, pOff + j) * cp;
                af += get(w, pOff + n + j) * cp;
            }
            float i = sigmoid(ai);
            float f = sigmoid(af);
            float g = tanh(ag);
            float c = f * cp + i * g;
            if (peep) {
                ao += get(w, pOff + 2L * n + j) * c;
            }
            float o = sigmoid(ao);
            float h = o * tanh(c);
            set(ws, aOff + j, i);
            set(ws, aOff + n + j, f);
            set(ws, aOff + 2L * n + j, g);
            set(ws, aOff + 3L * n + j, o);
            set(ws, cOff + j, c);
            set(ws, hOff + j, h);
            if (yOff >= 0) {
                set(ws, yOff + j, h);
            }
        }
    }

    @Override
    public void lstmInferenceStep(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w, long bOff,
                                  long cOff, long hOff, long yOff) {
        lstmInferenceTail(0, n, ws, gOff, recOff, w, bOff, cOff, hOff, yOff);
    }

    final void lstmInferenceTail(int j0, int n, MemorySegment ws, long gOff, long recOff, MemorySegment w,
                                 long bOff, long cOff, long hOff, long yOff) {
        for (int j = j0; j < n; j++) {
            float ai = get(ws, gOff + j);
            float af = get(ws, gOff + n + j);
            float ag = get(ws, gOff + 2L * n + j);
            float ao = get(ws, gOff + 3L * n + j);
            if (recOff >= 0) { // (g + rec) + b, the order of the vector loop and of add-then-step
                ai += get(ws, recOff + j);
                af += get(ws, recOff + n + j);
                ag += get(ws, recOff + 2L * n + j);
                ao += get(ws, recOff + 3L * n + j);
            }
            ai += get(w, bOff + j);
            af += get(w, bOff + n + j);
            ag += get(w, bOff + 2L * n + j);
            ao += get(w, bOff + 3L * n + j);
            float c = sigmoid(af) * get(ws, cOff + j) + sigmoid(ai) * tanh(ag);
            float h = sigmoid(ao) * tanh(c);
            set(ws, cOff + j, c);
            set(ws, hOff + j, h);
            if (yOff >= 0) {
                set(ws, yOff + j, h);
            }
        }
    }

    @Override
    public void gruForwardStep(int n, MemorySegment ws, long gOff, long aOff, long recOff, MemorySegment w, long bOff,
                               long bhnOff, long hnOff, long hOff, long yOff) {
        gruForwardTail(0, n, ws, gOff, aOff, recOff, recOff + 2L * n, w, bOff, bhnOff, hnOff, hOff, yOff);
    }

    @Override
    public void gruJoinedForwardStep(int n, MemorySegment ws, long jOff, long aOff, MemorySegment w, long bOff,
                                     long bhnOff, long hnOff, long hOff, long yOff) {
        gruForwardTail(0, n, ws, jOff, aOff, -1, jOff + 3L * n, w, bOff, bhnOff, hnOff, hOff, yOff);
    }

    /**
     * Columns [j0, n) of {@link #gruForwardStep} (W_h{r,z} h at recRzOff) or, with recRzOff -1, of
     * {@link #gruJoinedForwardStep} (g's r, z blocks hold it already); W_hn h at recNOff.
     */
    final void gruForwardTail(int j0, int n, MemorySegment ws, long gOff, long aOff, long recRzOff, long recNOff,
                              MemorySegment w, long bOff, long bhnOff, long hnOff, long hOff, long yOff) {
        for (int j = j0; j < n; j++) {
            float r = sigmoid(rzPreActivation(ws, gOff + j, w, bOff + j, recRzOff, j));
            float z = sigmoid(rzPreActivation(ws, gOff + n + j, w, bOff + n + j, recRzOff, n + j));
            float hn = get(ws, recNOff + j) + get(w, bhnOff + j);
            float nn = tanh(get(ws, gOff + 2L * n + j) + get(w, bOff + 2L * n + j) + r * hn);
            float hp = get(ws, hOff + j);
            float h = nn + z * (hp - nn);
            set(ws, aOff + j, r);
            set(ws, aOff + n + j, z);
            set(ws, aOff + 2L * n + j, nn);
            if (hnOff >= 0) {
                set(ws, hnOff + j, hn);
            }
            set(ws, hOff + j, h);
            if (yOff >= 0) {
                set(ws, yOff + j, h);
            }
        }
    }

    @Override
    public void gruInferenceStep(int n, MemorySegment ws, long gOff, long recOff, MemorySegment w, long bOff,
                                 long bhnOff, long hOff, long yOff) {
        gruInferenceTail(0, n, ws, gOff, recOff, recOff + 2L * n, w, bOff, bhnOff, hOff, yOff);
    }

    @Override
    public void gruJoinedInferenceStep(int n, MemorySegment ws, long jOff, MemorySegment w, long bOff, long bhnOff,
                                       long hOff, long yOff) {
        gruInferenceTail(0, n, ws, jOff, -1, jOff + 3L * n, w, bOff, bhnOff, hOff, yOff);
    }

    /**
     * A GRU's r or z pre-activation: (g + b) + rec, rec at {@code recRz + j}; with recRz -1 (a joined row, whose r, z
     * blocks are W_i x + W_h h already) g + b.
     */
    private static float rzPreActivation(MemorySegment ws, long g, MemorySegment w, long b, long recRz, int j) {
        float sum = get(ws, g) + get(w, b);
        return recRz < 0 ? sum : sum + get(ws, recRz + j);
    }

    /**
     * Columns [j0, n) of {@link #gruInferenceStep}, with x-side g = W_i x, rec = W_h h (r, z parts at recRzOff, n's at
     * recNOff): r = σ(g_r + b_r + rec_r), z = σ(g_z + b_z + rec_z) (b_r, b_z hold b_i + b_h),
     * n = tanh(g_n + b_in + r⊙(rec_n + b_hn)), h' = (1 - z)⊙n + z⊙h = n + z⊙(h - n); or of
     * {@link #gruJoinedInferenceStep} with recRzOff -1: g_r, g_z hold W_i x + W_h h, so r = σ(g_r + b_r).
     * Sums in the order of {@link #gruForwardTail}, so both give the same bits.
     */
    final void gruInferenceTail(int j0, int n, MemorySegment ws, long gOff, long recRzOff, long recNOff,
                                MemorySegment w, long bOff, long bhnOff, long hOff, long yOff) {
        for (int j = j0; j < n; j++) {
            float r = sigmoid(rzPreActivation(ws, gOff + j, w, bOff + j, recRzOff, j));
            float z = sigmoid(rzPreActivation(ws, gOff + n + j, w, bOff + n + j, recRzOff, n + j));
            float hn = get(ws, recNOff + j) + get(w, bhnOff + j);
            float nn = tanh(get(ws, gOff + 2L * n + j) + get(w, bOff + 2L * n + j) + r * hn);
            float hp = get(ws, hOff + j);
            float h = nn + z * (hp - nn);
            set(ws, hOff + j, h);
            if (yOff >= 0) {
                set(ws, yOff + j, h);
            }
        }
    }

    @Override
    public void gruResetStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff, long rhOff) {
        gruResetTail(0, n, ws, gOff, w, bOff, hOff, rhOff);
    }

    final void gruResetTail(int j0, int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                            long rhOff) {
        for (int j = j0; j < n; j++) {
            float r = sigmoid(get(ws, gOff + j) + get(w, bOff + j));
            float z = sigmoid(get(ws, gOff + n + j) + get(w, bOff + n + j));
            set(ws, gOff + j, r);
            set(ws, gOff + n + j, z);
            set(ws, rhOff + j, r * get(ws, hOff + j));
        }
    }

    @Override
    public void gruRbrForwardStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                  long yOff) {
        gruRbrForwardTail(0, n, ws, gOff, w, bOff, hOff, yOff);
    }

    final void gruRbrForwardTail(int j0, int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                 long yOff) {
        for (int j = j0; j < n; j++) {
            float z = get(ws, gOff + n + j);
            float nn = tanh(get(ws, gOff + 2L * n + j) + get(w, bOff + 2L * n + j));
            float hp = get(ws, hOff + j);
            float h = nn + z * (hp - nn);
            set(ws, gOff + 2L * n + j, nn);
            set(ws, hOff + j, h);
            if (yOff >= 0) {
                set(ws, yOff + j, h);
            }
        }
    }

    @Override
    public void gruRbrInferenceStep(int n, MemorySegment ws, long gOff, MemorySegment w, long bOff, long hOff,
                                    long yOff) {
        gruRbrInferenceTail(0, n, ws, gOff, w, bOff, hOff, yOff);
    }

    /**
     * Columns [j0, n) of {@link #gruRbrInferenceStep}: z = g_z (already σ'd by {@link #gruResetStep}),
     * n = tanh(g_n + b_n) where g_n = W_in x + W_hn (r⊙h) and b_n = b_in + b_hn, h' = n + z⊙(h - n).
     */
    final void gruRbrInferenceTail(int j0, int n, MemorySegment ws, long gOff, MemorySegment w, long bOff,
                                   long hOff, long yOff) {
        for (int j = j0; j < n; j++) {
            float z = get(ws, gOff + n + j);
            float nn = tanh(get(ws, gOff + 2L * n + j) + get(w, bOff + 2L * n + j));
            float h = nn + z * (get(ws, hOff + j) - nn);
            set(ws, hOff + j, h);
            if (yOff >= 0) {
                set(ws, yOff + j, h);
            }
        }
    }

    @Override
    public void rnnBackwardStep(boolean relu, int n, MemorySegment ws, long gOff, long dhOff, long dgOff,
                                long dhPrevOff) {
        rnnBackwardTail(relu, 0, n, ws, gOff, dhOff, dgOff, dhPrevOff);
    }

    final void rnnBackwardTail(boolean relu, int j0, int n, MemorySegment ws, long gOff, long dhOff, long dgOff,
                               long dhPrevOff) {
        for (int j = j0; j < n; j++) {
            float v = get(ws, gOff + j);
            float dh = get(ws, dhOff + j);
            set(ws, dgOff + j, relu ? (v > 0f ? dh : 0f) : dh * (1f - v * v));
            set(ws, dhPrevOff + j, 0f);
        }
    }

    @Override
    public void lstmBackwardStep(int n, MemorySegment ws, long gOff, long cpOff, long dhOff, long dcOff, long dgOff,
                                 long dhPrevOff, MemorySegment w, long pOff, long dpOff) {
        lstmBackwardTail(0, n, ws, gOff, cpOff, dhOff, dcOff, dgOff, dhPrevOff, w, pOff, dpOff);
    }

    final void lstmBackwardTail(int j0, int n, MemorySegment ws, long gOff, long cpOff, long dhOff, long dcOff,
                                long dgOff, long dhPrevOff, MemorySegment w, long pOff, long dpOff) {
        boolean peep = pOff >= 0;
        for (int j = j0; j < n; j++) {
            float i = get(ws, gOff + j);
            float f = get(ws, gOff + n + j);
            float g = get(ws, gOff + 2L * n + j);
            float o = get(ws, gOff + 3L * n + j);
            float cp = get(ws, cpOff + j);
            float c = f * cp + i * g;
            float tc = tanh(c);
            float dh = get(ws, dhOff + j);
            float dpo = dh * tc * o * (1f - o);
            float dc = get(ws, dcOff + j) + dh * o * (1f - tc * tc);
            if (peep) {
                dc += dpo * get(w, pOff + 2L * n + j);
            }
            float dpi = dc * g * i * (1f - i);
            float dpf = dc * cp * f * (1f - f);
            float dpg = dc * i * (1f - g * g);
            float dcp = dc * f;
            if (peep) {
                dcp += dpi * get(w, pOff + j) + dpf * get(w, pOff + n + j);
                set(ws, dpOff + j, get(ws, dpOff + j) + dpi * cp);
                set(ws, dpOff + n + j, get(ws, dpOff + n + j) + dpf * cp);
                set(ws, dpOff + 2L * n + j, get(ws, dpOff + 2L * n + j) + dpo * c);
            }
            set(ws, dgOff + j, dpi);
            set(ws, dgOff + n + j, dpf);
            set(ws, dgOff + 2L * n + j, dpg);
            set(ws, dgOff + 3L * n + j, dpo);
            set(ws, dcOff + j, dcp);
            if (dhPrevOff >= 0) {
                set(ws, dhPrevOff + j, 0f);
            }
        }
    }

    @Override
    public void gruBackwardStep(int n, MemorySegment ws, long gOff, long hnOff, long hpOff, long dhOff, long dgOff,
                                long dgnOff, long dhPrevOff) {
        gruBackwardTail(0, n, ws, gOff, hnOff, hpOff, dhOff, dgOff, dgnOff, dhPrevOff);
    }

    final void gruBackwardTail(int j0, int n, MemorySegment ws, long gOff, long hnOff, long hpOff, long dhOff,
                               long dgOff, long dgnOff, long dhPrevOff) {
        for (int j = j0; j < n; j++) {
            float r = get(ws, gOff + j);
            float z = get(ws, gOff + n + j);
            float nn = get(ws, gOff + 2L * n + j);
            float hp = get(ws, hpOff + j);
            float hn = get(ws, hnOff + j);
            float dh = get(ws, dhOff + j);
            float dn = dh * (1f - z) * (1f - nn * nn);
            float dz = dh * (hp - nn) * z * (1f - z);
            float dr = dn * hn * r * (1f - r);
            set(ws, dgOff + j, dr);
            set(ws, dgOff + n + j, dz);
            set(ws, dgOff + 2L * n + j, dn);
            set(ws, dgnOff + j, dn * r);
            set(ws, dhPrevOff + j, dh * z);
        }
    }

    @Override
    public void gruRbrBackwardStep(int n, MemorySegment ws, long gOff, long hpOff, long dhOff, long dgOff,
                                   long dhPrevOff) {
        gruRbrBackwardTail(0, n, ws, gOff, hpOff, dhOff, dgOff, dhPrevOff);
    }

    final void gruRbrBackwardTail(int j0, int n, MemorySegment ws, long gOff, long hpOff, long dhOff, long dgOff,
                                  long dhPrevOff) {
        for (int j = j0; j < n; j++) {
            float z = get(ws, gOff + n + j);
            float nn = get(ws, gOff + 2L * n + j);
            float hp = get(ws, hpOff + j);
            float dh = get(ws, dhOff + j);
            set(ws, dgOff + n + j, dh * (hp - nn) * z * (1f - z));
            set(ws, dgOff + 2L * n + j, dh * (1f - z) * (1f - nn * nn));
            set(ws, dhPrevOff + j, dh * z);
        }
    }

    @Override
    public void gruResetBackwardStep(int n, MemorySegment ws, long gOff, long hpOff, long drhOff, long dgOff,
                                     long dhPrevOff) {
        gruResetBackwardTail(0, n, ws, gOff, hpOff, drhOff, dgOff, dhPrevOff);
    }

    final void gruResetBackwardTail(int j0, int n, MemorySegment ws, long gOff, long hpOff, long drhOff, long dgOff,
                                    long dhPrevOff) {
        for (int j = j0; j < n; j++) {
            float r = get(ws, gOff + j);
            float drh = get(ws, drhOff + j);
            set(ws, dgOff + j, drh * get(ws, hpOff + j) * r * (1f - r));
            set(ws, dhPrevOff + j, get(ws, dhPrevOff + j) + drh * r);
        }
    }

    @Override
    public void add(int n, MemorySegment ws, long srcOff, long dstOff) {
        addTail(0, n, ws, srcOff, dstOff);
    }

    final void addTail(int j0, int n, MemorySegment ws, long srcOff, long dstOff) {
        for (int j = j0; j < n; j++) {
            set(ws, dstOff + j, get(ws, dstOff + j) + get(ws, srcOff + j));
        }
    }

    /**
     * Copies from a block of zeros, {@link #ZERO_FLOATS} at a time: a bulk copy allocates nothing at any
     * compilation tier, whereas this kernel runs only a few times per call (state init, column sums),
     * too rarely for C2 to compile it whole, and a Vector API loop running interpreted or in C1 code
     * allocates each vector (96 bytes per 16 floats).
     */
    @Override
    public void zero(int n, MemorySegment ws, long off) {
        for (int j = 0; j < n; j += ZERO_FLOATS) {
            long len = Math.min(ZERO_FLOATS, n - j);
            MemorySegment.copy(ZEROS, 0, ws, (off + j) * Float.BYTES, len * Float.BYTES);
        }
    }

    @Override
    public void columnSums(int rows, int n, MemorySegment ws, long srcOff, int ld, long dstOff) {
        zero(n, ws, dstOff);
        for (int r = 0; r < rows; r++) {
            add(n, ws, srcOff + (long) r * ld, dstOff);
        }
    }
}
