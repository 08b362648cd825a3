package dev.recur4j.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.Backends;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

/** Which CPU gets which tile order, read from /proc/cpuinfo's text. */
class GemmTileOrderTest {
    private static String cpu(String vendor, int family, int model) {
        return "processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: " + family + "\nmodel\t\t: " + model
                + "\nmodel name\t: some CPU\nflags\t\t: fpu avx512f\n\n";
    }

    private static GemmTileOrder order(String cpuinfo) throws IOException {
        return GemmTileOrder.forCpu(new StringReader(cpuinfo));
    }

    @Test
    void aZen4StreamsBAndOtherCpusKeepBlisOrder() throws IOException {
        assertEquals(GemmTileOrder.A_PANEL_OUTER, order(cpu("AuthenticAMD", 25, 17)), "Zen 4 (EPYC 9004)");
        assertEquals(GemmTileOrder.B_PANEL_OUTER, order(cpu("AuthenticAMD", 26, 2)), "Zen 5");
        assertEquals(GemmTileOrder.B_PANEL_OUTER, order(cpu("GenuineIntel", 6, 143)), "Sapphire Rapids");
        assertEquals(GemmTileOrder.B_PANEL_OUTER, order(cpu("GenuineIntel", 25, 1)), "family 25 from another vendor");
        assertEquals(GemmTileOrder.B_PANEL_OUTER, order(""), "no entry at all");
        assertEquals(GemmTileOrder.B_PANEL_OUTER, order("vendor_id\t: AuthenticAMD\n"), "no family");
    }

    /** Only the first processor's entry counts (every core of a machine is alike). */
    @Test
    void theFirstEntryDecides() throws IOException {
        assertEquals(GemmTileOrder.B_PANEL_OUTER, order(cpu("GenuineIntel", 6, 85) + cpu("AuthenticAMD", 25, 17)));
        assertEquals(GemmTileOrder.A_PANEL_OUTER, order(cpu("AuthenticAMD", 25, 17) + cpu("GenuineIntel", 6, 85)));
    }

    /**
     * A malformed property is the user's error wherever the GEMM is asked for: thrown from JavaGemm's class
     * initialisation it read as "could not load", and the automatic choice quietly ran OpenBLAS.
     */
    @Test
    void aMalformedPropertyIsNotAMissingBackEnd() {
        withProperty(GemmTileOrder.PROPERTY, "columns", () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Gemms.available(GemmKind.JAVA));
            assertTrue(e.getMessage().startsWith("recur4j.gemmTileOrder=columns: expected"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Gemms.get(GemmKind.JAVA));
            assertThrows(IllegalArgumentException.class, () -> Backends.gemm(null), "the automatic choice too");
        });
        withProperty(GemmTileOrder.PROPERTY, "A-Panel-Outer",
                () -> assertEquals(GemmTileOrder.A_PANEL_OUTER, GemmTileOrder.fromProperty(), "case does not matter"));
    }

    /** The same for the vector width, whose check lived only in JavaGemm's class initialisation. */
    @Test
    void aMalformedVectorWidthIsNotAMissingBackEnd() {
        withProperty("recur4j.vectorBits", "300", () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Gemms.available(GemmKind.JAVA));
            assertEquals("recur4j.vectorBits=300: expected 64, 128, 256 or 512", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Backends.gemm(null), "the automatic choice too");
        });
    }

    /** Runs {@code body} with the system property set, then puts back what was there (the 256-bit run sets one). */
    private static void withProperty(String name, String value, Runnable body) {
        String before = System.getProperty(name);
        System.setProperty(name, value);
        try {
            body.run();
        } finally {
            if (before == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, before);
            }
        }
    }

    @Test
    void thePropertyNamesAnOrder() {
        assertEquals(GemmTileOrder.A_PANEL_OUTER, GemmTileOrder.fromCliName("a-panel-outer"));
        assertEquals(GemmTileOrder.B_PANEL_OUTER, GemmTileOrder.fromCliName("b-panel-outer"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmTileOrder.fromCliName("columns"));
        assertTrue(e.getMessage().startsWith("recur4j.gemmTileOrder=columns: expected"), e.getMessage());
    }
}
