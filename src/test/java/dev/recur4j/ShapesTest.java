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

    /**
     * Every call checks its arrays, so the checks must allocate nothing in any JIT tier: once a varargs product
     * made each check allocate a long[], which C2 removed in the allocation tests' long runs but the bench's counter
     * read as 160 bytes a W2 call. Measured on the calling thread from the first calls (interpreted and C1 code,
     * which remove no allocation), in windows of 1000 rounds of four checks: each window must stay under one byte
     * per check. An allocation per check is 16 bytes or more (64 000 a window); what a window may see besides is a
     * one-off of the JIT's (a few hundred bytes to a few KB when a loop is compiled on stack), not the checks'.
     */
    @Test
    void theChecksOfACallAllocateNothingEvenInterpreted() {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported()
                && mx.isThreadAllocatedMemoryEnabled(), "thread allocation counting is not available");
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 3, 5).build();
        RnnBatch in = new RnnBatch(2, 4, new float[2 * 4 * 3], new int[] {4, 2}, new float[2 * 5], new float[2 * 5]);
        RnnResult out = RnnResult.allocate(spec, 2, 4);
        RnnGradOutput go = new RnnGradOutput(new float[2 * 4 * 5], new float[2 * 5], new float[2 * 5]);
        RnnGradients grads = RnnGradients.allocate(spec, 2, 4);
        long id = Thread.currentThread().threadId();
        in.check(spec); // class loading and linking allocate once
        out.check(spec, 2, 4);
        go.check(spec, 2, 4);
        grads.check(spec, 2, 4);
        long[] windows = new long[5];
        for (int w = 0; w < windows.length; w++) {
            long before = mx.getThreadAllocatedBytes(id);
            for (int i = 0; i < 1000; i++) {
                in.check(spec);
                out.check(spec, 2, 4);
                go.check(spec, 2, 4);
                grads.check(spec, 2, 4);
            }
            windows[w] = mx.getThreadAllocatedBytes(id) - before;
        }
        for (long bytes : windows) {
            assertTrue(bytes < 3000, "bytes allocated by windows of 4000 checks: " + java.util.Arrays.toString(windows));
        }
    }

    @Test
    void specsWhoseIntProductsWouldWrapAreRefused() {
        // numLayers 2^30, bidirectional: slots() wrapped to -2^31 and an array of that many layers was asked for
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RnnSpec.builder(CellKind.GRU, 4, 5).numLayers(1 << 30).bidirectional(true).build());
        assertEquals("numLayers x directions = 2147483648, more than a Java array holds (2147483639)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RnnSpec.builder(CellKind.LSTM, 4, 1 << 29).build());
        assertTrue(e.getMessage().startsWith("gates x hiddenSize = 2147483648"), e.getMessage());
    }

    @Test
    void expectLengthReportsAnOverflowingShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shapes.expectLength("input", 8, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("= more than 2^63 elements, found 8"), e.getMessage());
    }
}
