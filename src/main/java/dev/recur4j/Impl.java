package dev.recur4j;

/** The three implementations of the same math. */
public enum Impl {
    /** Naive loops in double precision, written to be checked line by line against the equations. */
    REFERENCE,
    /** The fast fp32 pipeline with plain Java elementwise kernels. */
    SCALAR,
    /** The fast fp32 pipeline with fused Vector API elementwise kernels. */
    SIMD;

    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Impl fromCliName(String name) {
        for (Impl i : values()) {
            if (i.cliName().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown impl '" + name + "': expected one of reference, scalar, simd");
    }
}
