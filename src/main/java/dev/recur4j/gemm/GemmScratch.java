package dev.recur4j.gemm;

/**
 * Packing buffers for one thread's {@link JavaGemm} calls: the packed A block [MC x KC], the
 * packed B block [KC x NC] and one spill tile [MR x NR] for edge tiles. About
 * {@code 4 * (MC*KC + KC*NC)} bytes (~1.2 MB with 512-bit vectors).
 *
 * <p>Not thread-safe: one per thread. Create it once and pass it to
 * {@link JavaGemm#sgemm(Transpose, Transpose, int, int, int, float, java.lang.foreign.MemorySegment, long, int,
 * java.lang.foreign.MemorySegment, long, int, float, java.lang.foreign.MemorySegment, long, int, GemmScratch)},
 * or let the {@link Gemm} overload keep one per thread.
 */
public final class GemmScratch {
    final float[] packA = new float[JavaGemm.MC * JavaGemm.KC];
    final float[] packB = new float[JavaGemm.KC * JavaGemm.NC];
    final float[] tile = new float[JavaGemm.MR * JavaGemm.NR];

    public GemmScratch() {
    }
}
