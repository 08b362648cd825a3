package dev.recur4j.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Growth, and a failed growth that leaves the workspace usable rather than closed. */
class WorkspaceTest {
    @Test
    void growsOnlyWhenAskedForMore() {
        try (Workspace w = new Workspace()) {
            w.ensure(100);
            var first = w.segment();
            w.ensure(50);
            assertTrue(first == w.segment(), "no reallocation for less");
            w.ensure(1000);
            assertEquals(1000, w.capacity());
            assertEquals(0, w.segment().address() % 64, "64-byte aligned");
        }
    }

    @Test
    void aFailedGrowthLeavesItEmptyNotBroken() {
        try (Workspace w = new Workspace()) {
            w.ensure(100);
            // 2^60 floats: no machine gives that; once, the failure left a closed arena behind and every later call
            // threw "Already closed"
            assertThrows(OutOfMemoryError.class, () -> w.ensure(1L << 60));
            assertEquals(0, w.capacity());
            assertEquals(java.lang.foreign.MemorySegment.NULL, w.segment(), "no stale segment of the freed arena");
            w.ensure(100);
            w.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 99, 1f);
            assertEquals(1f, w.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 99));
        }
    }

    @Test
    void aCountPastALongOfBytesIsRefused() {
        try (Workspace w = new Workspace()) {
            assertThrows(IllegalArgumentException.class, () -> w.ensure(Long.MAX_VALUE / 2));
        }
    }
}
