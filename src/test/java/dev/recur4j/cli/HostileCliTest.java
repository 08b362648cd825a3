package dev.recur4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.io.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line on hostile arguments and files: a clear one-line error, and no input replaced. */
class HostileCliTest {
    private static final RnnSpec LSTM = RnnSpec.builder(CellKind.LSTM, 4, 3).build();

    @TempDir
    Path dir;

    /** A forward run's arguments over small LSTM weights and an input written to the folder. */
    private static List<String> forwardArgs(CliFixture cli) throws Exception {
        Path weights = cli.weights("w.safetensors", RnnWeights.random(LSTM, 1), "");
        Path input = cli.write("in.safetensors", List.of(Tensor.ofFloats("input", CliFixture.random(40, 2), 2, 5, 4)));
        return cli.args("forward", "lstm", weights, input);
    }

    /** --out naming the weights (or the input) replaced them with the outputs, exit 0. */
    @Test
    void outputMayNotReplaceAnInput() throws Exception {
        CliFixture cli = new CliFixture(dir);
        Path weights = cli.weights("w.safetensors", RnnWeights.random(LSTM, 1), "");
        Path input = cli.write("in.safetensors", List.of(Tensor.ofFloats("input", CliFixture.random(40, 2), 2, 5, 4)));
        byte[] before = Files.readAllBytes(weights);
        List<String> a = cli.args("forward", "lstm", weights, input);
        int at = a.indexOf("--out") + 1;
        a.set(at, weights.toString());
        cli.run(a.toArray(String[]::new)).assertOneLineError("out:", "same file", "w.safetensors");
        assertArrayEquals(before, Files.readAllBytes(weights), "the weights are left as they were");
        byte[] inputBefore = Files.readAllBytes(input);
        Path link = Files.createSymbolicLink(dir.resolve("link.st"), input);
        a.set(at, link.toString());
        cli.run(a.toArray(String[]::new)).assertOneLineError("out:", "same file");
        Path hard = Files.createLink(dir.resolve("hard.st"), input);
        a.set(at, hard.toString());
        cli.run(a.toArray(String[]::new)).assertOneLineError("out:", "same file");
        assertArrayEquals(inputBefore, Files.readAllBytes(input), "the input is left as it was");
    }

    /**
     * "--out runs/" wrote a file called runs (the path drops the slash), and "--out ''" failed naming an empty file:
     * both are refused before anything runs, and nothing is written.
     */
    @Test
    void outputNamingAFolderIsRefused() throws Exception {
        CliFixture cli = new CliFixture(dir);
        List<String> a = forwardArgs(cli);
        int at = a.indexOf("--out") + 1;
        a.set(at, dir.resolve("runs") + "/");
        cli.run(true, a.toArray(String[]::new)).assertOneLineError("--out", "runs/", "names a folder");
        assertTrue(Files.notExists(dir.resolve("runs")), "no file called runs");
        a.set(at, "");
        cli.run(true, a.toArray(String[]::new)).assertOneLineError("--out", "empty");
    }

    /** A folder as --input printed "java.io.IOException: Is a directory", naming no file. */
    @Test
    void folderAsInputIsNamed() throws Exception {
        CliFixture cli = new CliFixture(dir);
        Path weights = cli.weights("w.safetensors", RnnWeights.random(LSTM, 1), "");
        Path sub = Files.createDirectories(dir.resolve("sub"));
        cli.assertFails(cli.args("forward", "lstm", weights, sub), sub.toString(), "is a folder");
    }

    /** A rank-100000 input shape made a 600 kB stderr "line" (90 MB for a 30M-dimension shape). */
    @Test
    void errorLineIsBounded() throws Exception {
        CliFixture cli = new CliFixture(dir);
        Path weights = cli.weights("w.safetensors", RnnWeights.random(LSTM, 1), "");
        long[] shape = new long[100_000];
        Arrays.fill(shape, 1);
        Path in = cli.write("in.safetensors", List.of(Tensor.ofFloats("input", new float[1], shape)));
        CliFixture.Run r = cli.run(cli.args("forward", "lstm", weights, in).toArray(String[]::new));
        r.assertOneLineError("input: rank expected 3");
        assertTrue(r.err().length() < 3000, "stderr has " + r.err().length() + " characters");
    }

    /** "recur4j bench --version" (and forward, backward, compare) printed nothing and exited 0; -V is in their help. */
    @Test
    void everySubcommandPrintsTheVersion() {
        CliFixture cli = new CliFixture(dir);
        for (String command : List.of("forward", "backward", "compare", "bench")) {
            for (String flag : List.of("--version", "-V")) {
                CliFixture.Run r = cli.run(true, command, flag);
                assertEquals(0, r.exit(), command + " " + flag + ": " + r.err());
                assertEquals("recur4j 0.1.0", r.out().strip(), command + " " + flag);
            }
        }
    }

    /**
     * An --out name of 234..255 bytes is legal, but the temporary file next to it (".NAME.<16 hex>.tmp") was 22 bytes
     * longer: "FileSystemException: /dir/.aaa...tmp: File name too long", naming a file the user never gave.
     */
    @Test
    void aLongButLegalOutputNameIsWritten() throws Exception {
        CliFixture cli = new CliFixture(dir);
        Path out = dir.resolve("a".repeat(240) + ".safetensors"); // 252 bytes: within the 255 of ext4, tmpfs, xfs
        List<String> a = forwardArgs(cli);
        a.set(a.indexOf("--out") + 1, out.toString());
        CliFixture.Run r = cli.run(a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.isRegularFile(out), "the output is written");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList(),
                    "no temporary file is left");
        }
    }

    /**
     * A name past 255 bytes ran the whole call, then failed moving the temporary file, naming it. Now before any
     * work.
     */
    @Test
    void anOutputNameTooLongForTheSystemIsRefusedFirst() throws Exception {
        CliFixture cli = new CliFixture(dir);
        List<String> a = forwardArgs(cli);
        a.set(a.indexOf("--out") + 1, dir.resolve("a".repeat(300) + ".st").toString()); // 303 bytes
        cli.run(a.toArray(String[]::new)).assertOneLineError("out: ", "the file name has 303 bytes, more than the 255");
    }
}
