package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an allocation probe's {@code main(cells, impls)} in a fresh JVM with this JVM's module flags and class
 * path, and checks its output: one line per case, {@code <case> <bytes>} or {@code <case> skipped}.
 * Every measured case must report 0 bytes, and at least two cases (the java gemm's) must have run.
 */
public final class ProbeJvm {
    /**
     * Flags that make C2 inline every method of VectorKernels into its caller: the loops into the step
     * kernels and those into ForwardPass / BackwardPass, so each loop ends up in a method past C2's node
     * budget for inlining, as happens by itself when C2 compiles a caller before the kernels (the order
     * varies from run to run, and a deoptimization can change it). A loop that hands vectors to a helper
     * C2 then refuses allocates in every run here, as the LSTM and GRU loops did while they had helpers.
     */
    static final List<String> KERNELS_INLINED = List.of("-XX:CompileCommand=quiet",
            "-XX:CompileCommand=inline,dev.recur4j.kernel.VectorKernels::*");

    /** How long a probe JVM may run: under JUnit's timeout, so a slow probe fails with this message. */
    private static final long PROBE_SECONDS = 270;

    private ProbeJvm() {
    }

    /**
     * The command running {@code main} with {@code args} in a child JVM of this one's java, module flags and class
     * path, with {@code jvmFlags} besides.
     */
    public static List<String> javaCommand(List<String> jvmFlags, Class<?> main, String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-modules") || a.startsWith("--enable-native-access")
                        || a.equals("jdk.incubator.vector"))
                .toList());
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The SIMD and the scalar kernels ({@link AllocationProbeCases#impls}). */
    static void assertNoAllocation(Class<?> probe, String cells, String what) throws Exception {
        assertNoAllocation(probe, cells, "simd,scalar", what, List.of());
    }

    /** As above for the kernel sets {@code impls}, with extra flags for the probe JVM (e.g. {@code -Xint}). */
    static void assertNoAllocation(Class<?> probe, String cells, String impls, String what, List<String> jvmFlags)
            throws Exception {
        List<String> cmd = javaCommand(jvmFlags, probe, cells, impls);
        // Its output to a file, read once it has ended: reading a pipe would block until it ends, so the wait could
        // not be bounded, and a probe hung or slowed by allocating calls would outlive the test on a core of its own.
        Path output = Files.createTempFile("recur4j-probe", ".txt");
        List<String> lines;
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(output.toFile()).start();
            try {
                assertTrue(p.waitFor(PROBE_SECONDS, TimeUnit.SECONDS), "probe JVM did not finish in " + PROBE_SECONDS
                        + " s");
            } finally {
                p.destroyForcibly(); // nothing once it has ended
            }
            assertEquals(0, p.exitValue(), "probe JVM failed");
            lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(output);
        }
        List<String> failures = new ArrayList<>();
        int measured = 0;
        for (String line : lines) {
            String[] f = line.trim().split(" ");
            if (f.length != 2 || f[1].equals("skipped")) {
                continue;
            }
            measured++;
            if (Long.parseLong(f[1]) != 0) {
                failures.add(line);
            }
        }
        assertTrue(measured >= 2, "at least two cases (the java gemm's, or both kernel sets') must have run, measured "
                + measured);
        assertEquals(List.of(), failures, "cases whose " + what + " calls allocated after warm-up (bytes as the probe"
                + " counts them: see its javadoc)");
    }
}
