package dev.recur4j.gemm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * OpenBLAS {@code cblas_sgemm} through JavaCPP, zero copy: the native segments' addresses are
 * passed as {@link FloatPointer}s. Only native segments are accepted; heap segments
 * ({@code MemorySegment.ofArray}) are rejected because JNI would have to copy the array
 * (bytedeco/javacpp#253). No allocation per call: each thread re-targets its own three pointer
 * views (javacpp#628 discusses the cost of one Pointer per call).
 *
 * <p>The native library ({@code openblas_nolapack}) is loaded once, on first use of this class.
 * The BLAS thread count is 1 unless {@code -Drecur4j.openblasThreads=N} says otherwise: recur4j
 * runs its own threads ({@code --threads}), each calling the GEMM on its share of the rows, and
 * OpenBLAS threads inside them would oversubscribe the cores. It can be changed with
 * {@link #setThreads(int)} and is reported by {@link #describe()}. The preset does not map
 * {@code openblas_get_corename/config/num_threads} or {@code openblas_set_num_threads}, so those
 * are called through FFM downcalls on the addresses JavaCPP resolves.
 */
public final class OpenBlasGemm implements Gemm {
    private static final ThreadLocal<Pointers> POINTERS = ThreadLocal.withInitial(Pointers::new);

    private OpenBlasGemm() {
    }

    /** Loads the native library (once) and returns a back end; throws {@link IllegalStateException} if it cannot. */
    static OpenBlasGemm load() {
        Native.requireLoaded();
        return new OpenBlasGemm();
    }

    @Override
    public String name() {
        return "openblas";
    }

    /** "core Haswell, 2 threads, config OpenBLAS 0.3.30 ..."; throws {@link IllegalStateException} if not loaded. */
    public static String describe() {
        Native.requireLoaded();
        return "core " + corename() + ", " + threads() + " threads, config " + config();
    }

    /** The CPU kernel set OpenBLAS picked (honours {@code OPENBLAS_CORETYPE}). */
    public static String corename() {
        Native.requireLoaded();
        return Native.string(Native.GET_CORENAME);
    }

    /** OpenBLAS's build configuration string. */
    public static String config() {
        Native.requireLoaded();
        return Native.string(Native.GET_CONFIG);
    }

    /** The number of threads OpenBLAS uses per call. */
    public static int threads() {
        Native.requireLoaded();
        try {
            return (int) Native.GET_NUM_THREADS.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_num_threads failed", t);
        }
    }

    /** Sets the number of threads OpenBLAS uses per call (process-wide; it competes with our own threads). */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, found " + threads);
        }
        Native.requireLoaded();
        Native.setThreads(threads);
    }

    @Override
    public void sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                      float beta, MemorySegment c, long cOff, int ldc) {
        GemmChecks.check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        Pointers p = POINTERS.get();
        // With k == 0, A and B are empty (and may be null); BLAS does not read them.
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, cblas(transA), cblas(transB), m, n, k,
                alpha, p.a.at(k == 0 ? 0 : address("A", a, aOff)), lda,
                p.b.at(k == 0 ? 0 : address("B", b, bOff)), ldb,
                beta, p.c.at(address("C", c, cOff)), ldc);
    }

    private static int cblas(Transpose t) {
        return t == Transpose.NO ? openblas_nolapack.CblasNoTrans : openblas_nolapack.CblasTrans;
    }

    /** The native address of float {@code off} of {@code s}, after checking native code may touch it now. */
    private static long address(String name, MemorySegment s, long off) {
        if (!s.isNative()) {
            throw new IllegalArgumentException("openblas: " + name + " is a heap segment (MemorySegment.ofArray);"
                    + " native code needs off-heap memory: allocate it from an Arena, or use the java gemm");
        }
        if (!s.scope().isAlive()) {
            throw new IllegalStateException("openblas: " + name + " belongs to a closed arena");
        }
        if (!s.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalStateException("openblas: " + name + " is confined to another thread");
        }
        return s.address() + off * Float.BYTES;
    }

    /** One thread's pointer views, re-targeted on every call. */
    private static final class Pointers {
        final View a = new View();
        final View b = new View();
        final View c = new View();
    }

    /** A FloatPointer whose address we set: JavaCPP's {@code address} field is protected, so a subclass may. */
    private static final class View extends FloatPointer {
        View at(long nativeAddress) {
            address = nativeAddress;
            position = 0;
            return this;
        }
    }

    /** Holder: loading happens once, on first use, and its failure is kept and rethrown with the cause. */
    private static final class Native {
        static final Throwable FAILURE;
        static final MethodHandle GET_CORENAME;
        static final MethodHandle GET_CONFIG;
        static final MethodHandle GET_NUM_THREADS;
        static final MethodHandle SET_NUM_THREADS;

        static {
            Throwable failure = null;
            MethodHandle corename = null;
            MethodHandle config = null;
            MethodHandle getThreads = null;
            MethodHandle setThreads = null;
            try {
                Loader.load(openblas_nolapack.class);
                corename = downcall("openblas_get_corename", FunctionDescriptor.of(ValueLayout.ADDRESS));
                config = downcall("openblas_get_config", FunctionDescriptor.of(ValueLayout.ADDRESS));
                getThreads = downcall("openblas_get_num_threads", FunctionDescriptor.of(ValueLayout.JAVA_INT));
                setThreads = downcall("openblas_set_num_threads", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
                String forced = System.getProperty("recur4j.openblasThreads", "1").trim();
                setThreads.invokeExact(Integer.parseInt(forced));
            } catch (Throwable t) {
                failure = t;
            }
            FAILURE = failure;
            GET_CORENAME = corename;
            GET_CONFIG = config;
            GET_NUM_THREADS = getThreads;
            SET_NUM_THREADS = setThreads;
        }

        static void requireLoaded() {
            if (FAILURE != null) {
                throw new IllegalStateException("openblas could not load: " + FAILURE, FAILURE);
            }
        }

        private static MethodHandle downcall(String symbol, FunctionDescriptor fd) {
            Pointer fn = Loader.addressof(symbol);
            if (fn == null || fn.isNull()) {
                throw new UnsatisfiedLinkError("symbol " + symbol + " not found in the loaded OpenBLAS");
            }
            return Linker.nativeLinker().downcallHandle(MemorySegment.ofAddress(fn.address()), fd);
        }

        static String string(MethodHandle fn) {
            try {
                MemorySegment s = (MemorySegment) fn.invokeExact();
                return s.equals(MemorySegment.NULL) ? "?" : s.reinterpret(Long.MAX_VALUE).getString(0).trim();
            } catch (Throwable t) {
                throw new IllegalStateException("openblas info call failed", t);
            }
        }

        static void setThreads(int threads) {
            try {
                SET_NUM_THREADS.invokeExact(threads);
            } catch (Throwable t) {
                throw new IllegalStateException("openblas_set_num_threads failed", t);
            }
        }
    }
}
