package dev.recur4j.perf;

import dev.recur4j.RnnFlops;
import dev.recur4j.RnnSpec;

/** What a benchmark call does: the forward pass only, or forward plus BPTT. */
public enum BenchMode {
    /** {@code RnnEngine.forward}. */
    INFERENCE,
    /** {@code RnnEngine.forwardBackward}. */
    TRAINING;

    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static BenchMode fromCliName(String name) {
        for (BenchMode m : values()) {
            if (m.cliName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + name + "': expected one of inference, training");
    }

    /** The FLOPs one call counts (see {@link RnnFlops}). */
    public double flops(RnnSpec spec, int batch, int seqLen) {
        return this == INFERENCE ? RnnFlops.forward(spec, batch, seqLen) : RnnFlops.training(spec, batch, seqLen);
    }
}
