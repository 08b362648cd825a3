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
        ensure(plan.totalElements());
    }

    public void ensure(long elements) {
        if (elements <= capacity && arena != null) {
            return;
        }
        if (arena != null) {
            arena.close();
        }
        arena = Arena.ofShared();
        long n = Math.max(elements, 1);
        segment = arena.allocate(n * Float.BYTES, 64);
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
