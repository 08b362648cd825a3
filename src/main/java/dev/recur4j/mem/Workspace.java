package dev.recur4j.mem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Native memory for the regions of a {@link WorkspacePlan}: one shared {@link Arena}, one
 * 64-byte aligned segment, grown (reallocated) only when a plan needs more than it holds, so
 * steady-state calls allocate nothing. Shared, so worker threads may touch it; one engine still
 * runs one call at a time.
 */
public final class Workspace implements AutoCloseable {
    private Arena arena;
    private MemorySegment segment = MemorySegment.NULL;
    private long capacity;

    /** Makes room for {@code plan}; contents are not preserved when it grows. */
    public void ensure(WorkspacePlan plan) {
        try {
            ensure(plan.totalElements());
        } catch (OutOfMemoryError e) {
            OutOfMemoryError named = new OutOfMemoryError("the workspace of " + plan.totalElements() * Float.BYTES
                    + " bytes for batch " + plan.batch() + ", sequence length " + plan.seqLen() + ", "
                    + (plan.training() ? "training" : "inference") + " could not be allocated: " + e.getMessage());
            named.initCause(e);
            throw named;
        }
    }

    /**
     * Makes room for {@code elements} floats. The old memory goes first (a grown workspace replaces it); if the new
     * allocation fails the workspace is left empty, not closed, so a later smaller call still works.
     */
    public void ensure(long elements) {
        if (elements <= capacity && arena != null) {
            return;
        }
        close();
        long n = Math.max(elements, 1);
        if (n > Long.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("workspace: " + n + " floats overflow a byte count");
        }
        Arena fresh = Arena.ofShared();
        try {
            segment = fresh.allocate(n * Float.BYTES, 64);
        } catch (RuntimeException | Error e) {
            fresh.close();
            throw e;
        }
        arena = fresh;
        capacity = n;
    }

    /** The whole workspace (offsets of {@link Region}s are relative to it, in floats). */
    public MemorySegment segment() {
        return segment;
    }

    public long capacity() {
        return capacity;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
            arena = null;
        }
        segment = MemorySegment.NULL;
        capacity = 0;
    }
}
