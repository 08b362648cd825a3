package dev.recur4j.exec;

import dev.recur4j.RnnSpec;
import dev.recur4j.mem.WorkspacePlan;

/**
 * The float offsets of a {@link WorkspacePlan}'s regions, looked up once per plan so the step
 * loops read fields instead of searching names; -1 for a region the plan does not have. Shapes
 * and meanings are listed on {@link WorkspacePlan}.
 */
final class Buffers {
    final WorkspacePlan plan;
    final long x;
    private final long[] y;
    /** The running-step buffers: one set, or one per direction when the directions run concurrently. */
    final Scratch[] scratch;
    /**
     * Leading dimension of the gate buffers (gates, gates.s*: padded, see {@link WorkspacePlan#gateLd});
     * -1 without.
     */
    final int gatesLd;
    final long[] gatesS;
    final long[] hprevS;
    /** Training with {@link InputFusion}: [x_t | h_prev] per (layer, direction), ld In_l + Hout; -1 without. */
    final long[] xhS;
    final long[] cprevS;
    final long[] hnS;
    final long[] rhS;
    final long[] hfS;
    final long dy0;
    final long dy1;
    final long dx;
    final long dh;
    final long dc;
    final long dhf;
    final long dhseq;
    final long drh;
    final long xh;
    final long dw;
    final long dbih;
    final long dbhh;
    final long dwhr;
    final long dpeep;
    final long dpeepSum;

    Buffers(RnnSpec spec, WorkspacePlan plan) {
        this.plan = plan;
        x = off(plan, "x");
        y = new long[WorkspacePlan.outputBuffers(spec, plan.training())];
        for (int l = 0; l < y.length; l++) {
            y[l] = off(plan, "y.l" + l);
        }
        scratch = new Scratch[plan.has("h.d1") ? 2 : 1];
        for (int set = 0; set < scratch.length; set++) {
            String sfx = set == 0 ? "" : ".d" + set;
            scratch[set] = new Scratch(off(plan, "gates" + sfx), off(plan, "h" + sfx), off(plan, "c" + sfx),
                    off(plan, "rec" + sfx), off(plan, "rh" + sfx), off(plan, "hf" + sfx), off(plan, "proj" + sfx),
                    off(plan, "xhstep" + sfx));
        }
        String gateRegion = plan.has("gates") ? "gates" : "gates.s0";
        gatesLd = plan.has(gateRegion) ? plan.region(gateRegion).ld() : -1;
        gatesS = perSlot(spec, plan, "gates.s");
        hprevS = perSlot(spec, plan, "hprev.s");
        xhS = perSlot(spec, plan, "xh.s");
        cprevS = perSlot(spec, plan, "cprev.s");
        hnS = perSlot(spec, plan, "hn.s");
        rhS = perSlot(spec, plan, "rh.s");
        hfS = perSlot(spec, plan, "hf.s");
        dy0 = off(plan, "dy0");
        dy1 = off(plan, "dy1");
        dx = off(plan, "dx");
        dh = off(plan, "dh");
        dc = off(plan, "dc");
        dhf = off(plan, "dhf");
        dhseq = off(plan, "dhseq");
        drh = off(plan, "drh");
        xh = off(plan, "xh");
        dw = off(plan, "dw");
        dbih = off(plan, "dbih");
        dbhh = off(plan, "dbhh");
        dwhr = off(plan, "dwhr");
        dpeep = off(plan, "dpeep");
        dpeepSum = off(plan, "dpeep.sum");
    }

    /**
     * Offsets of one set of running-step buffers (shapes on {@link WorkspacePlan}); -1 when absent.
     *
     * @param gates  inference gate pre-activations [B*T, G*H] (training uses gates.s{s} instead)
     * @param xhStep inference with {@link InputFusion}: [x_t | h] of one step, instead of gates
     */
    record Scratch(long gates, long h, long c, long rec, long rh, long hf, long proj, long xhStep) {
    }

    /**
     * The step operand [x_t | h] with {@link InputFusion}: slot s's rows of xh.s{s} when training, direction d's
     * xhstep in inference; -1 when the layer projects its input up front.
     */
    long fusedStepOperand(int d, int s) {
        return xhS[s] >= 0 ? xhS[s] : scratch(d).xhStep();
    }

    /**
     * Where training keeps the h entering the step of B*T row {@code row} of slot s (layer input width inW): after
     * x_t in that row of xh.s{s}, else in hprev.s{s}.
     */
    long hPrevRow(int s, long row, int inW, int hout) {
        return xhS[s] >= 0 ? xhS[s] + row * (inW + hout) + inW : hprevS[s] + row * hout;
    }

    /** BPTT's [X | H_prev] of slot s: the rows the forward pass kept (xh.s{s}), else the shared xh it is copied to. */
    long stackedInputs(int s) {
        return xhS[s] >= 0 ? xhS[s] : xh;
    }

    /** The running-step buffers of direction {@code d}: its own set when there is one per direction. */
    Scratch scratch(int d) {
        return scratch[d < scratch.length ? d : 0];
    }

    /**
     * Output [B*T, D*Hout] of {@code layer}, a layer below the last (the last writes the caller's result;
     * inference alternates between two buffers).
     */
    long y(int layer) {
        return y[layer % y.length];
    }

    private static long off(WorkspacePlan plan, String name) {
        return plan.has(name) ? plan.region(name).offset() : -1;
    }

    private static long[] perSlot(RnnSpec spec, WorkspacePlan plan, String prefix) {
        long[] o = new long[spec.slots()];
        for (int s = 0; s < o.length; s++) {
            o[s] = off(plan, prefix + s);
        }
        return o;
    }
}
