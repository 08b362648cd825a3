package dev.recur4j.gemm;

import java.util.Locale;

/** The GEMM back ends. */
public enum GemmKind {
    /** OpenBLAS through JavaCPP. */
    OPENBLAS,
    /** Pure Java, Vector API. */
    JAVA;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static GemmKind fromCliName(String name) {
        for (GemmKind g : values()) {
            if (g.cliName().equals(name)) {
                return g;
            }
        }
        throw new IllegalArgumentException("unknown gemm '" + name + "': expected one of openblas, java");
    }
}
