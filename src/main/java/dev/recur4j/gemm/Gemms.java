package dev.recur4j.gemm;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hands out the GEMM back ends as singletons. Each is loaded once, lazily, in its own holder
 * class (no class-init deadlock, and a missing native library only matters to who asks for it);
 * the one that loads logs "Using ..." once, a load failure is kept (stack trace at FINE) and
 * rethrown on every {@link #get} with the cause chained.
 */
public final class Gemms {
    private static final Logger LOG = Logger.getLogger(Gemms.class.getName());

    private Gemms() {
    }

    private static final class JavaHolder {
        static final Gemm INSTANCE = new JavaGemm();

        static {
            LOG.info("recur4j: using java gemm (Vector API, " + JavaGemm.vectorBits() + "-bit vectors)");
        }
    }

    private static final class OpenBlasHolder {
        static final Gemm INSTANCE;
        static final Throwable FAILURE;

        static {
            Gemm loaded = null;
            Throwable failure = null;
            try {
                loaded = OpenBlasGemm.load();
                LOG.info("recur4j: using openblas (" + OpenBlasGemm.describe() + ")");
            } catch (RuntimeException | LinkageError e) {
                failure = e instanceof IllegalStateException && e.getCause() != null ? e.getCause() : e;
                LOG.log(Level.FINE, "recur4j: openblas did not load", failure);
            }
            INSTANCE = loaded;
            FAILURE = failure;
        }
    }

    /** The back end of this kind; throws {@link IllegalStateException} with the reason if it cannot load. */
    public static Gemm get(GemmKind kind) {
        return switch (kind) {
            case JAVA -> java();
            case OPENBLAS -> openBlas();
        };
    }

    /**
     * Throws {@link IllegalArgumentException} for a malformed Java GEMM setting ({@code -Drecur4j.gemmTileOrder},
     * {@code -Drecur4j.vectorBits}): the user's mistake, said as such. Thrown inside JavaGemm's class initialisation
     * it would read as "could not load", and the automatic choice would quietly take OpenBLAS.
     */
    public static void checkSettings() {
        GemmTileOrder.fromProperty();
        vectorBitsProperty();
    }

    /** {@code -Drecur4j.vectorBits}: 64, 128, 256 or 512, or 0 when unset (the CPU's preferred width). */
    static int vectorBitsProperty() {
        String bits = System.getProperty("recur4j.vectorBits");
        if (bits == null || bits.isBlank()) {
            return 0;
        }
        if (!List.of("64", "128", "256", "512").contains(bits.trim())) {
            throw new IllegalArgumentException("recur4j.vectorBits=" + bits + ": expected 64, 128, 256 or 512");
        }
        return Integer.parseInt(bits.trim());
    }

    private static Gemm java() {
        checkSettings();
        try {
            return JavaHolder.INSTANCE;
        } catch (LinkageError e) {
            throw new IllegalStateException("java gemm could not load (is jdk.incubator.vector readable?"
                    + " run java with --add-modules jdk.incubator.vector): " + e, e);
        }
    }

    private static Gemm openBlas() {
        Throwable failure;
        try {
            if (OpenBlasHolder.INSTANCE != null) {
                return OpenBlasHolder.INSTANCE;
            }
            failure = OpenBlasHolder.FAILURE;
        } catch (LinkageError e) {
            failure = e;
        }
        throw new IllegalStateException("openblas could not load: " + failure, failure);
    }

    /** Whether this back end loads on this machine; throws only for a malformed setting of it. */
    public static boolean available(GemmKind kind) {
        try {
            get(kind);
            return true;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
