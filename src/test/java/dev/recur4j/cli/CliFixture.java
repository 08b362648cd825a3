package dev.recur4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.RnnWeights;
import dev.recur4j.io.PyTorchWeights;
import dev.recur4j.io.Safetensors;
import dev.recur4j.io.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import picocli.CommandLine;

/** Runs the CLI in-process on files in a temporary folder and captures what it prints. */
final class CliFixture {
    /** What one run returned and printed. */
    record Run(int exit, String out, String err) {
        /** Asserts a bad-input failure: non-zero exit, exactly one stderr line mentioning every part, no stdout. */
        void assertOneLineError(String... parts) {
            assertNotEquals(0, exit, err);
            assertEquals("", out);
            List<String> lines = err.lines().toList();
            assertEquals(1, lines.size(), "expected one stderr line, got: " + err);
            assertTrue(lines.get(0).startsWith("recur4j: "), lines.get(0));
            for (String p : parts) {
                assertTrue(lines.get(0).contains(p), "'" + lines.get(0) + "' should mention '" + p + "'");
            }
        }
    }

    final Path dir;
    final Path out;

    CliFixture(Path dir) {
        this.dir = dir;
        this.out = dir.resolve("out.safetensors");
    }

    /** Runs {@code new CommandLine(new Main())}, or {@link Main#commandLine()} when {@code asMain}. */
    Run run(boolean asMain, String... args) {
        CommandLine cl = asMain ? Main.commandLine() : new CommandLine(new Main());
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(out));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    Run run(String... args) {
        return run(false, args);
    }

    /** Runs and asserts the one-line error and that no output file appeared. */
    void assertFails(List<String> args, String... parts) {
        run(args.toArray(String[]::new)).assertOneLineError(parts);
        assertFalse(Files.exists(out), "no output file may be written on error");
    }

    Path write(String name, List<Tensor> tensors) throws IOException {
        Path p = dir.resolve(name);
        Safetensors.write(p, tensors, Map.of());
        return p;
    }

    Path weights(String name, RnnWeights w, String prefix) throws IOException {
        return write(name, PyTorchWeights.toTensors(w, prefix));
    }

    /** The argument list of a command over these files, followed by {@code extra}. */
    List<String> args(String command, String cell, Path weights, Path input, String... extra) {
        List<String> a = new ArrayList<>(List.of(command, "--cell", cell, "--weights", weights.toString(),
                "--input", input.toString(), "--out", out.toString()));
        a.addAll(Arrays.asList(extra));
        return a;
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }
}
