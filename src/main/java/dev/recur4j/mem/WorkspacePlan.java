package dev.recur4j.mem;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every buffer one call of the fast pipeline needs, sized from (spec, batch, seqLen, training)
 * before anything is allocated (oneDNN's {@code set_workspace_sizes} / {@code set_offsets}).
 *
 * <p>Names and shapes (B batch, T steps, G gates, H hidden, P projection, Hout = P or H, D
 * directions, In_l layer input width, s = slot l*D+d):
 * <pre>
 * x             [B*T, I]        layer-0 input, copied from the caller (not with the input projection in the steps:
 *                               each step copies x_t from the caller's array into its step operand)
 * y.l{l}        [B*T, D*Hout]   outputs of the layers below the last, which writes into the caller's result
 *                               (inference: up to two ping-pong buffers y.l0, y.l1)
 * gates         [B*T, G*H]      inference: gate pre-activations of the running (layer, direction), ld gateLd(G*H)
 * xhstep        [B, In+Hout]    inference, input projection in the steps, instead of gates:
 *                               [x_t | h] of one step (ld In_l+Hout of the running layer)
 * gates.s{s}    [B*T, G*H]      training: gate activations of each (layer, direction), kept for BPTT, ld gateLd(G*H)
 *                               (BPTT then writes the pre-activation gate gradients dG over them)
 * h, c          [B, Hout], [B, H]  running state
 * rec           [B, G*H]        W_hh h of one step (not GRU reset-before-linear); with the input projection in the
 *                               steps [B, 4H], the step's product over [x_t | h]: an LSTM's 4 gates, a GRU's
 *                               [W_i{r,z} x + W_h{r,z} h, W_in x, W_hn h]
 * rh            [B, H]          GRU reset-before-linear: r*h of one step (inference)
 * hf, proj      [B, H], [B, P]  LSTM projection: h before and after W_hr (inference)
 * hprev.s{s}    [B*T, Hout]     training (not with xh.s{s}): h entering each step (kept rows, and x's rows, are zeros
 *                               at padded steps, t >= lengths[b])
 * xh.s{s}       [B*T, In_l+Hout] training with the input projection in the steps (LSTM, GRU lbr), instead of
 *                               hprev.s{s} and xh: [x_t | h entering step t], the steps' GEMM operand and BPTT's
 *                               [X | H_prev]
 * cprev.s{s}    [B*T, H]        training, LSTM: c entering each step
 * hn.s{s}       [B*T, H]        training, GRU lbr: W_hn h + b_hn per step (BPTT then writes dG_n⊙r over it)
 * rh.s{s}       [B*T, H]        training, GRU rbl: r*h per step
 * hf.s{s}       [B*T, H]        training, projection: h before W_hr per step
 * dy0, dy1      [B*T, D*Hout]   backward: gradient of a layer's output (ping-pong between layers)
 * dx            [B*T, I]        backward: gradient of the layer-0 input
 * dh, dc        [B, Hout], [B, H] backward: running state gradients
 * dhf, dhseq    [B, H], [B*T, P] backward, projection
 * drh           [B, H]          backward, GRU rbl: gradient of r*h
 * xh            [B*T, In_l+Hout] backward: [X | H_prev] side by side (ld In_l+Hout), so dG^T is packed once
 *                               (without xh.s{s}: copied there per (layer, direction) before the weight gradients)
 * dw            [threads*G*H, In_l+Hout] backward: [dW_ih | dW_hh] of one (layer, direction), ld In_l+Hout,
 *               one partial sum per row chunk (threads of them; chunk 0's rows end up holding the total)
 * dbih, dbhh, dwhr   [threads, G*H], [threads, G*H], [threads*P, H]: the other parameter gradients, per chunk too
 * dpeep         [threads, 3H]   peephole gradient, one accumulator per row chunk; dpeep.sum [3H] their sum
 * </pre>
 * With {@code scratchSets} = 2 (a bidirectional layer whose two directions run at once, one per
 * thread) the running-step buffers h, c, rec, proj and, in inference, gates, rh, hf get a second
 * copy for direction 1 (so does xhstep), named with the suffix {@code .d1} (e.g. {@code h.d1}).
 *
 * @param regions       in allocation order
 * @param totalElements floats the workspace must hold
 */
public record WorkspacePlan(int batch, int seqLen, boolean training, List<Region> regions, long totalElements) {
    /** 64 bytes = 16 floats: every region starts on a cache line (and a full AVX-512 vector). */
    public static final int ALIGN_FLOATS = 16;

    public WorkspacePlan {
        regions = List.copyOf(regions);
    }

    /** The region called {@code name}; throws if the plan has none. */
    public Region region(String name) {
        for (Region r : regions) {
            if (r.name().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("workspace plan has no region '" + name + "'");
    }

    public boolean has(String name) {
        for (Region r : regions) {
            if (r.name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    public static WorkspacePlan of(RnnSpec spec, int batch, int seqLen, boolean training) {
        return of(spec, batch, seqLen, training, 1);
    }

    /** As {@link #of(RnnSpec, int, int, boolean)}, with per-thread accumulators for {@code threads} row chunks. */
    public static WorkspacePlan of(RnnSpec spec, int batch, int seqLen, boolean training, int threads) {
        return of(spec, batch, seqLen, training, threads, 1);
    }

    /**
     * As {@link #of(RnnSpec, int, int, boolean, int)}, with {@code scratchSets} (1, or the number of
     * directions) copies of the running-step buffers, one per direction that runs concurrently.
     */
    public static WorkspacePlan of(RnnSpec spec, int batch, int seqLen, boolean training, int threads,
                                   int scratchSets) {
        return of(spec, batch, seqLen, training, threads, scratchSets, false);
    }

    /**
     * How many y.l{l} buffers a call needs: one per layer below the last when training (BPTT reads each as
     * the input of the layer above), else up to two that the layers below the last alternate between.
     */
    public static int outputBuffers(RnnSpec spec, boolean training) {
        int below = spec.numLayers() - 1;
        return training ? below : Math.min(2, below);
    }

    /**
     * As {@link #of(RnnSpec, int, int, boolean, int, int)}; with {@code fusedInput} inference plans the
     * one-step buffer [x_t | h] ({@code xhstep}) instead of the [B*T, G*H] gate buffer, training keeps every step's
     * [x_t | h] ({@code xh.s*}), and rec is [B, 4H], the step product's row.
     */
    public static WorkspacePlan of(RnnSpec spec, int batch, int seqLen, boolean training, int threads,
                                   int scratchSets, boolean fusedInput) {
        if (fusedInput && !takesStepInput(spec)) {
            throw new IllegalArgumentException("fusedInput applies only to an LSTM without peepholes or projection"
                    + " or a GRU linear-before-reset; found " + spec);
        }
        if (scratchSets < 1 || scratchSets > spec.directions()) {
            throw new IllegalArgumentException("scratchSets must be in [1, " + spec.directions() + "], found "
                    + scratchSets);
        }
        Builder b = new Builder();
        long bt = (long) batch * seqLen;
        int g = spec.gates();
        int h = spec.hiddenSize();
        int p = spec.projSize();
        int hout = spec.outputSize();
        int d = spec.directions();
        int gh = g * h;
        boolean lstm = spec.cell() == CellKind.LSTM;
        boolean gru = spec.cell() == CellKind.GRU;
        boolean lbr = gru && spec.linearBeforeReset();
        // training with the input projection in the steps: the steps' operand [x_t | h_prev] is kept per (layer,
        // direction) as BPTT's [X | H_prev] (xh.s{s}), in place of hprev.s{s}, xh and (layer 0 copying x_t from the
        // caller's array) x. Less memory for one layer (W7: 117.6 -> 97.9 MB), more for deeper or bidirectional
        // stacks, which keep each slot's X where xh held one slot's at a time (2 bidirectional layers, I = H = 512:
        // 1024 floats more per B*T row)
        boolean keepsXh = training && fusedInput;
        if (!fusedInput) {
            b.addStrided("x", bt, spec.inputSize());
        }
        int outputs = outputBuffers(spec, training);
        for (int l = 0; l < outputs; l++) {
            b.addStrided("y.l" + l, bt, d * hout);
        }
        int maxIn = Math.max(spec.inputSize(), spec.numLayers() > 1 ? d * hout : 0);
        for (int set = 0; set < scratchSets; set++) {
            String sfx = set == 0 ? "" : ".d" + set;
            b.add("h" + sfx, batch, hout);
            if (lstm) {
                b.add("c" + sfx, batch, h);
            }
            if (!gru || lbr) {
                b.add("rec" + sfx, batch, fusedInput ? 4 * h : gh);
            }
            if (p > 0) {
                b.add("proj" + sfx, batch, p);
            }
            if (!training && fusedInput) {
                b.add("xhstep" + sfx, batch, maxIn + hout);
            } else if (!training) {
                b.addStrided("gates" + sfx, bt, gateLd(gh));
                if (gru && !lbr) {
                    b.add("rh" + sfx, batch, h);
                }
                if (p > 0) {
                    b.add("hf" + sfx, batch, h);
                }
            }
        }
        if (training) {
            for (int s = 0; s < spec.slots(); s++) {
                b.addStrided("gates.s" + s, bt, gateLd(gh));
                if (keepsXh) {
                    b.addStrided("xh.s" + s, bt, spec.layerInputSize(s / d) + hout);
                } else {
                    b.add("hprev.s" + s, bt, hout);
                }
                if (lstm) {
                    b.add("cprev.s" + s, bt, h);
                }
                if (lbr) {
                    b.addStrided("hn.s" + s, bt, h);
                }
                if (gru && !lbr) {
                    b.addStrided("rh.s" + s, bt, h);
                }
                if (p > 0) {
                    b.addStrided("hf.s" + s, bt, h);
                }
            }
            b.add("dy0", bt, d * hout);
            if (spec.numLayers() > 1) {
                b.add("dy1", bt, d * hout);
            }
            b.add("dx", bt, spec.inputSize());
            b.add("dh", batch, hout);
            if (lstm) {
                b.add("dc", batch, h);
            }
            if (p > 0) {
                b.add("dhf", batch, h);
                b.addStrided("dhseq", bt, p);
                b.add("dwhr", (long) threads * p, h);
            }
            if (gru && !lbr) {
                b.add("drh", batch, h);
            }
            if (!keepsXh) {
                b.add("xh", bt, maxIn + hout);
            }
            // one partial sum per row chunk of the parameter gradients (BackwardPass adds them up)
            b.add("dw", (long) threads * gh, maxIn + hout);
            b.add("dbih", threads, gh);
            b.add("dbhh", threads, gh);
            if (spec.peepholes()) {
                b.add("dpeep", threads, 3 * h);
                b.add("dpeep.sum", 1, 3 * h);
            }
        }
        b.requireIntRowStride(seqLen);
        return new WorkspacePlan(batch, seqLen, training, b.regions, b.next);
    }

    /**
     * Whether a layer of this cell can take its input projection in the steps ({@code fusedInput}, inference
     * and training) instead of one GEMM into the gate buffer up front: an LSTM without peepholes or
     * projection, whose kernel reads nothing but the step's gates, or a GRU linear-before-reset. Which of
     * them do is the engine's choice (InputFusion).
     */
    public static boolean takesStepInput(RnnSpec spec) {
        return spec.cell() == CellKind.LSTM && !spec.peepholes() && spec.projSize() == 0
                || spec.cell() == CellKind.GRU && spec.linearBeforeReset();
    }

    /**
     * Leading dimension of the inference gate buffer: G*H rounded up to 16 floats (64 bytes), plus 16
     * when that is a multiple of 256 floats (oneDNN's {@code get_good_ld}). Each step's recurrent GEMM
     * updates rows T*ld apart; with ld = G*H = 2048 and T = 100 they are 800 KB apart, a multiple of
     * 4 KB, so all rows map to the same cache sets and alias in the load/store unit.
     */
    public static int gateLd(int gh) {
        int ld = (gh + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        return ld % 256 == 0 ? ld + ALIGN_FLOATS : ld;
    }

    private static final class Builder {
        final List<Region> regions = new ArrayList<>();
        /** The widest region added by {@link #addStrided}: name and ld. */
        String widestName;
        int widestLd;
        long next;

        void add(String name, long rows, int ld) {
            long n = rows * ld;
            regions.add(new Region(name, n, next, ld));
            next += (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        }

        /** A [B*T, ld] region whose batch rows some GEMM takes T*ld floats apart, as its int leading dimension. */
        void addStrided(String name, long rows, int ld) {
            add(name, rows, ld);
            if (ld > widestLd) {
                widestName = name;
                widestLd = ld;
            }
        }

        /**
         * The GEMMs take a [B, T, ld] region's batch rows as rows T*ld apart, an int leading dimension: past 2^31 - 1
         * floats (8 GiB a batch row) it would wrap and rows overlap, so such a call is refused before anything is
         * allocated.
         */
        void requireIntRowStride(int seqLen) {
            if ((long) seqLen * widestLd > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("seqLen " + seqLen + " is too long for the workspace: its region "
                        + widestName + " would hold " + (long) seqLen * widestLd + " floats per batch row (seqLen x "
                        + widestLd + "), more than the " + Integer.MAX_VALUE + " a GEMM's row stride can address;"
                        + " run the sequence in parts, carrying h_n (and c_n) from one call to the next");
            }
        }
    }

    /** The table: name, elements, offset, ld, and the total in floats and MiB. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "WorkspacePlan batch=%d seqLen=%d training=%b%n%-12s %12s %12s %8s%n",
                batch, seqLen, training, "region", "elements", "offset", "ld"));
        for (Region r : regions) {
            sb.append(String.format(Locale.ROOT, "%-12s %12d %12d %8d%n", r.name(), r.elements(), r.offset(), r.ld()));
        }
        sb.append(String.format(Locale.ROOT, "total %d floats (%.2f MiB)", totalElements,
                totalElements * 4.0 / (1 << 20)));
        return sb.toString();
    }

}
