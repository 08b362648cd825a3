package dev.recur4j;

import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Chooses the implementation and the GEMM back end, in one place. An explicit argument wins,
 * then the system properties {@code recur4j.impl} ({@code auto|reference|scalar|simd}) and
 * {@code recur4j.gemm} ({@code auto|openblas|java}), then the automatic choice: the fastest that
 * loads (SIMD if {@code jdk.incubator.vector} is readable; the java gemm then too, else OpenBLAS,
 * see {@code AutoGemm} for the measurements behind that order).
 * A forced choice that cannot load throws; an automatic one falls back and logs why, once.
 */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());

    private Backends() {
    }

    /** Whether the Vector API module is present in the boot layer (needs --add-modules jdk.incubator.vector). */
    public static boolean vectorApiAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    public static Impl impl(Impl requested) {
        Impl forced = requested;
        if (forced == null) {
            String p = System.getProperty("recur4j.impl", "auto").trim().toLowerCase(Locale.ROOT);
            if (!p.equals("auto")) {
                forced = Impl.fromCliName(p);
            }
        }
        if (forced != null) {
            if (forced == Impl.SIMD && !vectorApiAvailable()) {
                throw new IllegalStateException("impl simd was requested but module jdk.incubator.vector is not readable:"
                        + " run java with --add-modules jdk.incubator.vector");
            }
            return forced;
        }
        return AutoImpl.CHOICE;
    }

    public static GemmKind gemm(GemmKind requested) {
        Gemms.checkSettings(); // before the automatic choice, which would take a malformed one for a missing back end
        GemmKind forced = requested;
        if (forced == null) {
            String p = System.getProperty("recur4j.gemm", "auto").trim().toLowerCase(Locale.ROOT);
            if (!p.equals("auto")) {
                forced = GemmKind.fromCliName(p);
            }
        }
        if (forced != null) {
            Gemms.get(forced); // throws with the reason if it cannot load
            return forced;
        }
        return AutoGemm.CHOICE;
    }

    /** Holder classes: the automatic choice is made and logged once, lazily, without class-init deadlocks. */
    private static final class AutoImpl {
        static final Impl CHOICE = choose();

        private static Impl choose() {
            if (vectorApiAvailable()) {
                LOG.fine("recur4j: using impl simd");
                return Impl.SIMD;
            }
            LOG.info("recur4j: jdk.incubator.vector is not readable (add --add-modules jdk.incubator.vector);"
                    + " falling back to impl scalar");
            return Impl.SCALAR;
        }
    }

    private static final class AutoGemm {
        static final GemmKind CHOICE = choose();

        /**
         * The java gemm when the Vector API is readable, else OpenBLAS, else java (whose load error then
         * says why). Why java first: it packs the recurrent weights once per engine and runs the
         * per-step products on them, while OpenBLAS re-packs B on every cblas_sgemm call. Measured on the
         * 2-core AVX-512 reference machine, inference, 1 thread (median ms, java / openblas AVX2 kernels
         * as the environment's OPENBLAS_CORETYPE=Haswell selects / openblas AVX-512 with it unset):
         * LSTM B=64 T=100 I=256 H=512: 130 / 287 / 152; GRU same shape: 88 / 208 / 131;
         * LSTM 2 layers bi B=32 T=50 I=128 H=256: 62 / 105 / 65; LSTM B=128 T=50 I=H=1024: 739 / 1231 / 745.
         */
        private static GemmKind choose() {
            if (vectorApiAvailable() && Gemms.available(GemmKind.JAVA)) {
                LOG.fine("recur4j: using gemm java (packed weights; faster than openblas for RNN steps)");
                return GemmKind.JAVA;
            }
            try {
                Gemms.get(GemmKind.OPENBLAS);
                LOG.info("recur4j: jdk.incubator.vector is not readable; using gemm openblas");
                return GemmKind.OPENBLAS;
            } catch (RuntimeException | LinkageError e) {
                LOG.info("recur4j: neither the Vector API nor OpenBLAS loaded (" + e + "); trying gemm java");
                return GemmKind.JAVA;
            }
        }
    }
}
