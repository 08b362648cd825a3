package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * After warm-up, a forward call allocates nothing on the Java heap, on the caller or on the row
 * team's workers (counted with {@code com.sun.management.ThreadMXBean}), for each cell, both GEMM
 * back ends, 1 and 2 threads. The measurement runs in a fresh JVM per cell family ({@link ForwardAllocationProbe}):
 * in this one, other tests have fed heap segments and scalar kernels to the same call sites, and
 * such polluted profiles can keep C2 from intrinsifying vector operations (which then allocate).
 */
class ForwardAllocationTest {

    @ParameterizedTest
    @ValueSource(strings = {"lstm", "lstm-proj", "gru", "gru-rbl", "rnn"})
    void forwardAllocatesNothingAfterWarmUp(String cells) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-modules") || a.startsWith("--enable-native-access")
                        || a.equals("jdk.incubator.vector"))
                .toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ForwardAllocationProbe.class.getName(),
                cells));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> failures = new ArrayList<>();
        int measured = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.trim().split(" ");
                if (f.length != 2 || f[1].equals("skipped")) {
                    continue;
                }
                measured++;
                if (Long.parseLong(f[1]) != 0) {
                    failures.add(line);
                }
            }
        }
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "probe JVM did not finish");
        assertEquals(0, p.exitValue(), "probe JVM failed");
        assertTrue(measured >= 2, "the java gemm cases must have run, measured " + measured);
        assertEquals(List.of(), failures, "bytes allocated by 20 forward calls after warm-up");
    }
}
