package dev.recur4j.gemm;

/** Hands out the GEMM back ends, loading each once. */
public final class Gemms {
    private Gemms() {
    }

    private static final class JavaHolder {
        static final Gemm INSTANCE = new JavaGemm();
    }

    /** The back end of this kind; throws {@link IllegalStateException} with the reason if it cannot load. */
    public static Gemm get(GemmKind kind) {
        return switch (kind) {
            case JAVA -> JavaHolder.INSTANCE;
            case OPENBLAS -> throw new IllegalStateException("openblas: not wired yet");
        };
    }

    /** Whether this back end loads on this machine (never throws). */
    public static boolean available(GemmKind kind) {
        try {
            get(kind);
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
