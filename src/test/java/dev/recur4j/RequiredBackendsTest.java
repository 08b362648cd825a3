package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tests of the fast back ends skip (JUnit Assumptions) where a back end cannot load. So that such
 * a skip cannot hide a broken install, {@code -Drecur4j.test.require=simd,openblas} (set by
 * scripts/test) turns "not available" into a failure here, and checks the automatic choice
 * picks them (the java gemm when the Vector API is readable, else OpenBLAS).
 */
class RequiredBackendsTest {

    private static List<String> required() {
        String p = System.getProperty("recur4j.test.require", "").trim();
        return p.isEmpty() ? List.of() : Arrays.asList(p.split(","));
    }

    @Test
    void requiredBackendsLoad() {
        List<String> req = required();
        System.out.println("recur4j.test.require = " + req);
        if (req.contains("simd")) {
            assertTrue(Backends.vectorApiAvailable(), "simd required but jdk.incubator.vector is not readable");
            assertEquals(Impl.SIMD, Backends.impl(null), "automatic impl choice");
            assertTrue(Gemms.available(GemmKind.JAVA), "the java gemm (Vector API) must load with simd");
            assertEquals(GemmKind.JAVA, Backends.gemm(null), "automatic gemm choice: java wherever the Vector API is");
        }
        if (req.contains("openblas")) {
            assertTrue(Gemms.available(GemmKind.OPENBLAS), () -> "openblas required but does not load: "
                    + failure(GemmKind.OPENBLAS));
            if (!Backends.vectorApiAvailable()) {
                assertEquals(GemmKind.OPENBLAS, Backends.gemm(null), "automatic gemm choice without the Vector API");
            }
        }
    }

    private static String failure(GemmKind kind) {
        try {
            Gemms.get(kind);
            return "(loads now)";
        } catch (RuntimeException | LinkageError e) {
            return e.toString();
        }
    }
}
