package dev.recur4j.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every step kernel of {@link VectorKernels} against its {@link ScalarKernels} twin, at widths
 * below, at and around the lane count (1, 15, 16, 17, 33, 100), with rows at unaligned offsets.
 * Both start from the same random workspace; afterwards the whole workspace must agree, so a
 * wrong lane, a skipped tail or a write outside the row also fails.
 *
 * <p>Tolerance 2e-6 · max(1, |scalar|): the two differ only by FMA contraction and by the vector
 * activations (the TANH lanewise op, ~1 ulp = 6e-8 relative, or {@link VectorActivations}' arithmetic,
 * within 2.5e-7) versus Math.exp / Math.tanh, compounded over at most a dozen float operations per
 * element; an indexing error is off by O(0.1).
 *
 * <p>The forward kernels read pre-activations, drawn from [-2, 2). The backward kernels read the
 * gate activations σ ∈ (0, 1) and tanh ∈ (-1, 1), so their workspace is drawn from [-1, 1): outside
 * that domain factors such as i(1 - i) reach 6 and a backward step amplifies the ~1 ulp difference
 * of the two tanh implementations up to 5e-6 (measured over 6000 random workspaces with C2-compiled
 * Vector API code; in the domain the worst was 3.6e-7).
 */
class VectorVsScalarKernelsTest {
    private static final int WS = 64 * 100 + 64;
    private static final Kernels SCALAR = new ScalarKernels();
    private static final Kernels VECTOR = new VectorKernels();

    /** Row offsets (in floats) inside the workspace and the weights; deliberately not 16-float aligned. */
    private static final long G = 3;          // 4n gates
    private static final long REC = 3 + 4 * 100 + 5;     // 3n
    private static final long C = REC + 3 * 100 + 7;     // n
    private static final long H = C + 100 + 1;           // n
    private static final long Y = H + 100 + 2;           // n
    private static final long HN = Y + 100 + 3;          // n
    private static final long HP = HN + 100 + 4;         // n
    private static final long DH = HP + 100 + 5;         // n
    private static final long DC = DH + 100 + 6;         // n
    private static final long DG = DC + 100 + 7;         // 4n
    private static final long DGREC = DG + 4 * 100 + 8;  // 3n
    private static final long DP = DGREC + 3 * 100 + 9;  // 3n
    private static final long DHP = DP + 3 * 100 + 10;   // n
    private static final long B = 1;                     // 4n bias in the weights
    private static final long BHN = 1 + 4 * 100 + 2;     // n
    private static final long P = BHN + 100 + 3;         // 3n peepholes

    /** Range of the backward kernels' workspace: gate activations lie in (0, 1) or (-1, 1). */
    private static final float ACTIVATIONS = 1f;

    interface Step {
        void run(Kernels k, MemorySegment ws, MemorySegment w, int n);
    }

    private static void same(String name, int n, Step step) {
        same(name, n, 2f, step);
    }

    /** As {@link #same(String, int, Step)} with the workspace drawn from [-range, range). */
    private static void same(String name, int n, float range, Step step) {
        same(name, n, range, -1, 0, step);
    }

    /**
     * As {@link #same(String, int, float, Step)}, not comparing ws[scratch, scratch + scratchLen): a row the
     * kernel may use as scratch (the inference kernels' gate or rec row), whose content afterwards is unspecified.
     */
    private static void same(String name, int n, float range, long scratch, long scratchLen, Step step) {
        Random rnd = new Random(31L * n + name.hashCode());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment wsS = arena.allocate((long) WS * Float.BYTES, 64);
            MemorySegment wsV = arena.allocate((long) WS * Float.BYTES, 64);
            MemorySegment w = arena.allocate((long) WS * Float.BYTES, 64);
            for (long i = 0; i < WS; i++) {
                float v = (rnd.nextFloat() * 2 - 1) * range;
                wsS.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                wsV.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                w.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() - 0.5f);
            }
            MemorySegment before = arena.allocate((long) WS * Float.BYTES, 64).copyFrom(wsS);
            step.run(SCALAR, wsS, w, n);
            step.run(VECTOR, wsV, w, n);
            List<String> bad = new ArrayList<>();
            boolean changed = false;
            for (long i = 0; i < WS; i++) {
                float s = wsS.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                float v = wsV.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                changed |= s != before.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                if (i >= scratch && i < scratch + scratchLen) {
                    continue;
                }
                if (!(Math.abs(s - v) <= 2e-6 * Math.max(1, Math.abs(s))) && bad.size() < 5) {
                    bad.add("[" + i + "] scalar " + s + " vector " + v);
                }
            }
            assertTrue(changed, name + " n=" + n + ": the kernel wrote nothing");
            if (!bad.isEmpty()) {
                fail(name + " n=" + n + " (" + VECTOR.name() + "): " + bad);
            }
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 15, 16, 17, 33, 100})
    void forwardSteps(int n) {
        same("rnnForwardStep tanh", n, (k, ws, w, m) -> k.rnnForwardStep(false, m, ws, G, w, B, H, Y));
        same("rnnForwardStep relu", n, (k, ws, w, m) -> k.rnnForwardStep(true, m, ws, G, w, B, H, -1));
        same("lstmForwardStep", n, (k, ws, w, m) -> k.lstmForwardStep(m, ws, G, G, w, B, -1, C, H, Y));
        // activations to another row (training with the input projection in the steps); DG is a 4n region
        same("lstmForwardStep to a row", n, (k, ws, w, m) -> k.lstmForwardStep(m, ws, G, DG, w, B, -1, C, H, Y));
        // DG is a 4n region, used here as this row's rec = W_hh h
        // (the rec row, or the gate row without rec, is scratch)
        same("lstmInferenceStep rec", n, 2f, DG, 4L * n,
                (k, ws, w, m) -> k.lstmInferenceStep(m, ws, G, DG, w, B, C, H, Y));
        same("lstmInferenceStep", n, 2f, G, 4L * n, (k, ws, w, m) -> k.lstmInferenceStep(m, ws, G, -1, w, B, C, H, -1));
        same("lstmForwardStep peepholes", n, (k, ws, w, m) -> k.lstmForwardStep(m, ws, G, G, w, B, P, C, H, -1));
        same("lstmForwardStep peepholes with y", n, (k, ws, w, m) -> k.lstmForwardStep(m, ws, G, G, w, B, P, C, H, Y));
        same("lstmForwardStep peepholes to a row", n,
                (k, ws, w, m) -> k.lstmForwardStep(m, ws, G, DG, w, B, P, C, H, -1));
        same("gruForwardStep", n, (k, ws, w, m) -> k.gruForwardStep(m, ws, G, G, REC, w, B, BHN, HN, H, Y));
        same("gruForwardStep to a row", n, (k, ws, w, m) -> k.gruForwardStep(m, ws, G, DG, REC, w, B, BHN, HN, H, Y));
        same("gruForwardStep inference", n,
                (k, ws, w, m) -> k.gruForwardStep(m, ws, G, G, REC, w, B, BHN, -1, H, -1));
        // (the rec row is scratch)
        same("gruInferenceStep", n, 2f, REC, 3L * n,
                (k, ws, w, m) -> k.gruInferenceStep(m, ws, G, REC, w, B, BHN, H, Y));
        same("gruInferenceStep no y", n, 2f, REC, 3L * n,
                (k, ws, w, m) -> k.gruInferenceStep(m, ws, G, REC, w, B, BHN, H, -1));
        // G as the joined row [4n]; DG a 4n region, the kept gate row (3n) of training
        same("gruJoinedForwardStep", n,
                (k, ws, w, m) -> k.gruJoinedForwardStep(m, ws, G, DG, w, B, BHN, HN, H, Y));
        same("gruJoinedForwardStep in place, no hn", n,
                (k, ws, w, m) -> k.gruJoinedForwardStep(m, ws, G, G, w, B, BHN, -1, H, -1));
        // (the joined row is scratch)
        same("gruJoinedInferenceStep", n, 2f, G, 4L * n,
                (k, ws, w, m) -> k.gruJoinedInferenceStep(m, ws, G, w, B, BHN, H, Y));
        same("gruJoinedInferenceStep no y", n, 2f, G, 4L * n,
                (k, ws, w, m) -> k.gruJoinedInferenceStep(m, ws, G, w, B, BHN, H, -1));
        // (the gate row's n block is scratch)
        same("gruRbrInferenceStep", n, 2f, G + 2L * n, n, (k, ws, w, m) -> k.gruRbrInferenceStep(m, ws, G, w, B, H, Y));
        same("gruResetStep", n, (k, ws, w, m) -> k.gruResetStep(m, ws, G, w, B, H, HN));
        same("gruRbrForwardStep", n, (k, ws, w, m) -> k.gruRbrForwardStep(m, ws, G, w, B, H, Y));
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 15, 16, 17, 33, 100})
    void backwardSteps(int n) {
        same("rnnBackwardStep tanh", n, ACTIVATIONS, (k, ws, w, m) -> k.rnnBackwardStep(false, m, ws, G, DH, DG, DH));
        same("rnnBackwardStep relu", n, ACTIVATIONS, (k, ws, w, m) -> k.rnnBackwardStep(true, m, ws, G, DH, DG, DHP));
        same("lstmBackwardStep", n, ACTIVATIONS, (k, ws, w, m) -> k.lstmBackwardStep(m, ws, G, C, DH, DC, DG, DH, w, -1, -1));
        same("lstmBackwardStep peepholes", n, ACTIVATIONS,
                (k, ws, w, m) -> k.lstmBackwardStep(m, ws, G, C, DH, DC, DG, -1, w, P, DP));
        same("gruBackwardStep", n, ACTIVATIONS, (k, ws, w, m) -> k.gruBackwardStep(m, ws, G, HN, HP, DH, DG, DGREC, DH));
        // in place, as BPTT runs them: dG over the activations, dG_n⊙r over hn
        same("lstmBackwardStep in place", n, ACTIVATIONS,
                (k, ws, w, m) -> k.lstmBackwardStep(m, ws, G, C, DH, DC, G, DH, w, -1, -1));
        same("gruBackwardStep in place", n, ACTIVATIONS,
                (k, ws, w, m) -> k.gruBackwardStep(m, ws, G, HN, HP, DH, G, HN, DH));
        same("gruRbrBackwardStep", n, ACTIVATIONS, (k, ws, w, m) -> k.gruRbrBackwardStep(m, ws, G, HP, DH, DG, DHP));
        same("gruResetBackwardStep", n, ACTIVATIONS, (k, ws, w, m) -> k.gruResetBackwardStep(m, ws, G, HP, DH, DG, DHP));
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 15, 16, 17, 33, 100})
    void utilities(int n) {
        same("add", n, (k, ws, w, m) -> k.add(m, ws, H, Y));
        same("zero", n, (k, ws, w, m) -> k.zero(m, ws, Y));
        same("columnSums", n, (k, ws, w, m) -> k.columnSums(5, m, ws, G, m + 3, DP));
    }

    /**
     * columnSums is inherited by VectorKernels (it calls the overridden add), so comparing the two kernel sets
     * cannot catch a fault in its own loop: here each set against the sum written out, in double. Tolerance: a
     * float sum of `rows` terms in [-2, 2) is within rows·2^-24·Σ|terms| of the exact one.
     */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 15, 16, 17, 33, 100})
    void columnSumsAddEveryRow(int n) {
        int rows = 5;
        int ld = n + 3;
        for (Kernels k : List.of(SCALAR, VECTOR)) {
            Random rnd = new Random(17L * n);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ws = arena.allocate((long) WS * Float.BYTES, 64);
                for (long i = 0; i < WS; i++) {
                    ws.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() * 4 - 2);
                }
                k.columnSums(rows, n, ws, G, ld, DP);
                for (int j = 0; j < n; j++) {
                    double want = 0;
                    double bound = 0;
                    for (int r = 0; r < rows; r++) {
                        float v = ws.getAtIndex(ValueLayout.JAVA_FLOAT, G + (long) r * ld + j);
                        want += v;
                        bound += Math.abs(v);
                    }
                    float got = ws.getAtIndex(ValueLayout.JAVA_FLOAT, DP + j);
                    assertTrue(Math.abs(got - want) <= rows * 0x1p-24 * bound,
                            k.getClass().getSimpleName() + " n=" + n + " column " + j + ": " + got + " vs " + want);
                }
            }
        }
    }
}
