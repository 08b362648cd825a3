package dev.recur4j.gemm;

import java.lang.foreign.MemorySegment;

/**
 * Packing buffers for one thread's {@link JavaGemm} calls: the packed A block [MC x KC], the
 * packed B block [KC x NC] and one spill tile [MR x NR] for edge tiles (below 512 bits, for every tile). About
 * {@code 4 * (MC*KC + KC*NC)} bytes with 512-bit vectors: 0.8 MB, plus 4 MB for the B block,
 * allocated on the first product whose B was not packed beforehand (inference never needs it).
 *
 * <p>Not thread-safe: one per thread. Create it once and pass it to
 * {@link JavaGemm#sgemm(Transpose, Transpose, int, int, int, float, java.lang.foreign.MemorySegment, long, int,
 * java.lang.foreign.MemorySegment, long, int, float, java.lang.foreign.MemorySegment, long, int, GemmScratch)},
 * or let the {@link Gemm} overload keep one per thread.
 */
public final class GemmScratch {
    final float[] packA = new float[JavaGemm.MC * JavaGemm.KC];
    final float[] tile = new float[JavaGemm.MR * JavaGemm.NR];
    /** packA as a segment, for {@link NarrowKernels}'s reads of A: made once, so a call allocates nothing. */
    final MemorySegment packASegment = MemorySegment.ofArray(packA);
    /** One stored row of a B block being packed (up to NC floats), see {@link GemmPacking}. */
    final float[] stage = new float[JavaGemm.NC];
    /** How this scratch's products walk their tiles: the machine's order unless a test asks for the other. */
    final GemmTileOrder tileOrder;
    private float[] packB;

    public GemmScratch() {
        this(JavaGemm.TILE_ORDER);
    }

    /** With the tile order given (tests compare the two). */
    GemmScratch(GemmTileOrder tileOrder) {
        this.tileOrder = tileOrder;
    }

    /** The packed B block, allocated on first use. */
    float[] packB() {
        if (packB == null) {
            packB = new float[JavaGemm.KC * JavaGemm.NC];
        }
        return packB;
    }
}
