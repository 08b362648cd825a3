package dev.recur4j.exec;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The streamed recurrent weights: packed as on the heap, 64-byte aligned, freed by close. */
class SmallBatchWeightsTest {

    @Test
    void recurrentWeightsAreAlignedCopiesOfThePackedMatrix() {
        // GRU reset-before-linear has both native matrices (W_hr|W_hz and W_hn); H = 40 pads the last block.
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 3, 40).linearBeforeReset(false).build();
        RnnWeights w = RnnWeights.random(spec, 7);
        int v = 16;
        SmallBatchWeights packed = new SmallBatchWeights(spec, 0, w.layer(0, 0), v);
        try {
            assertSame(SmallBatchWeights.packMatrix(w.layer(0, 0).wHh(), 40, 40, 0, 2, v), packed.wHh);
            assertSame(SmallBatchWeights.packMatrix(w.layer(0, 0).wHh(), 40, 40, 2, 1, v), packed.wHhN);
        } finally {
            packed.close();
        }
        assertFalse(packed.wHh.scope().isAlive());
        assertThrows(IllegalStateException.class, () -> packed.wHh.getAtIndex(JAVA_FLOAT, 0));
    }

    private static void assertSame(float[] expected, MemorySegment actual) {
        assertEquals(0, actual.address() % 64, "address of the native copy mod 64");
        assertEquals((long) expected.length * Float.BYTES, actual.byteSize(), "bytes of the native copy");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.getAtIndex(JAVA_FLOAT, i), "element " + i);
        }
    }
}
