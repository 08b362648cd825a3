package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Array sizes from shapes: exact, or an error naming the tensor, never a wrapped int. */
class ShapesTest {
    private static final RnnSpec WIDE = RnnSpec.builder(CellKind.LSTM, 1, 1024).build();

    @Test
    void arrayLengthIsTheProductOrANamedError() {
        assertEquals(24, Shapes.arrayLength("t", 2, 3, 4));
        assertEquals(0, Shapes.arrayLength("t", 2, 0, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shapes.arrayLength("output", 4096, 1024, 1024));
        assertEquals("output: [4096, 1024, 1024] = 4294967296 elements, more than a Java array holds (2147483639)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shapes.arrayLength("x", 1L << 40, 1L << 40));
        assertTrue(e.getMessage().contains("more than 2^63"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shapes.arrayLength("x", 3, -1));
        assertTrue(e.getMessage().contains("dimension -1"), e.getMessage());
    }

    @Test
    void resultsTooLargeForAnArrayAreRefusedNotWrapped() {
        // [4096, 1024, 1024] wrapped to a 0-element output (2048 rows: a NegativeArraySizeException)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RnnResult.allocate(WIDE, 4096, 1024));
        assertTrue(e.getMessage().startsWith("output: [4096, 1024, 1024]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RnnGradients.allocate(
                RnnSpec.builder(CellKind.LSTM, 1024, 8).build(), 4096, 1024));
        assertTrue(e.getMessage().startsWith("grad_input: [4096, 1024, 1024]"), e.getMessage());
    }

    @Test
    void weightsWhoseExpectedSizeWrapsAreChecked() {
        RnnSpec huge = RnnSpec.builder(CellKind.LSTM, 32768, 32768).build();
        // 4 * 32768 * 32768 = 2^32 wrapped to 0 in int, so empty arrays once passed the check
        LayerParams empty = new LayerParams(new float[0], new float[0], new float[4 * 32768], new float[4 * 32768],
                null, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> empty.check(huge, 0, "_l0"));
        assertTrue(e.getMessage().startsWith("weight_ih_l0: expected 131072x32768 = 4294967296 elements, found 0"),
                e.getMessage());
    }

    @Test
    void expectLengthReportsAnOverflowingShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shapes.expectLength("input", 8, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("= more than 2^63 elements, found 8"), e.getMessage());
    }
}
