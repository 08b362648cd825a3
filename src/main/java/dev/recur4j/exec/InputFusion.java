package dev.recur4j.exec;

import dev.recur4j.RnnSpec;
import dev.recur4j.mem.WorkspacePlan;

/**
 * Whether a layer moves the input projection into the steps, so each step's gate
 * pre-activations are made in a [B, 4H] block that stays in L2 until the cell kernel reads it,
 * instead of one GEMM of all B*T input rows up front into a [B, T, G*H] gate buffer that the steps
 * read back from memory (W2: 52 MB written, then read, one step's rows at a time). One product per step
 * over {@code [x_t | h]}:
 * <ul>
 *   <li>LSTM without peepholes or projection (its kernel reads nothing but the step's gates):
 *       {@code [x_t | h] · [W_ih | W_hh]^T};</li>
 *   <li>GRU linear-before-reset, whose n gate needs {@code W_in x} and {@code W_hn h} apart: a product whose
 *       column blocks read their own part of {@code [x_t | h]} ({@link dev.recur4j.gemm.DepthRangedB}), r and z
 *       all of it, W_in x_t, W_hn h. Against {@code x_t · W_ih^T} and {@code h · W_hh^T} apart, r and z are summed in
 *       the product's tiles and written once, one row of 4H instead of two of 3H, in one call: W3 on a Zen 4,
 *       paired calls, 1 thread about 2 % faster (-3.1 to -3.9 ms of 172), 2 threads 2.6 %; W7 the same
 *       (docs/performance-log.md, twenty-seventh session).</li>
 * </ul>
 * Only while a layer's [W_ih | W_hh] is at most {@code -Drecur4j.fusedInputMaxBytes} (default 8 MiB):
 * each step streams those weights from L3, so they must stay there. Measured on a Zen 4 (32 MB L3),
 * simd / java gemm, medians: W2 (6 MB) 2 threads 104.5 -> 99.0 ms, W4 (1.5 and 3 MB) 80.1 -> 75.5
 * (1 thread) and 41.2 -> 38.9 ms; W5 (32 MB) 1037 -> 1164 ms, 1 thread, so it keeps the up-front
 * projection.
 *
 * <p>Training too: the kernels then write the step's activations from that block to the gate rows
 * BPTT reads, and each step's [x_t | h], the step product's operand, is kept as BPTT's [X | H_prev], so BPTT need
 * not stack X and H_prev side by side. W6 (simd / java, 1 thread,
 * alternating runs, medians): 633 -> 611 ms, 2 threads 316 -> 306; W7 unchanged (465 vs 466 ms, 241 vs 240)
 * while the GRU still kept h_prev apart and BPTT stacked [X | H_prev] (1.3-2.1 ms of a 255-300 ms W7 call on
 * the Zen 5, timed per phase; the GRU keeps [x_t | h] since).
 */
final class InputFusion {
    /** Largest [W_ih | W_hh] of one layer and direction, in bytes, that is fused, unless an engine is given another. */
    static final long MAX_WEIGHT_BYTES = Long.getLong("recur4j.fusedInputMaxBytes", 8L << 20);

    private InputFusion() {
    }

    static boolean applies(RnnSpec spec) {
        return applies(spec, MAX_WEIGHT_BYTES);
    }

    /** With layers of at most {@code maxBytes} of [W_ih | W_hh] (0: never). */
    static boolean applies(RnnSpec spec, long maxBytes) {
        return WorkspacePlan.takesStepInput(spec) && weightsFit(spec, maxBytes);
    }

    private static boolean weightsFit(RnnSpec spec, long maxBytes) {
        long gh = (long) spec.gates() * spec.hiddenSize();
        for (int l = 0; l < spec.numLayers(); l++) {
            if (gh * (spec.layerInputSize(l) + spec.outputSize()) * Float.BYTES > maxBytes) {
                return false;
            }
        }
        return true;
    }
}
