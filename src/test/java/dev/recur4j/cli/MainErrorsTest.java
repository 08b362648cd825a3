package dev.recur4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.io.DType;
import dev.recur4j.io.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input gives a non-zero exit, one stderr line naming the problem, and no output file. */
class MainErrorsTest {
    // LSTM, I = 4, H = 3, one layer: input [B=2, T=5, 4], h0/c0 [1, 2, 3].
    private static final RnnSpec LSTM = RnnSpec.builder(CellKind.LSTM, 4, 3).build();

    @TempDir
    Path dir;
    private CliFixture cli;
    private Path weights;
    private Path input;

    @BeforeEach
    void files() throws IOException {
        cli = new CliFixture(dir);
        weights = cli.weights("w.safetensors", RnnWeights.random(LSTM, 1), "");
        input = inputWith();
    }

    /** An IN file with a valid input and h0, plus {@code extra} (replacing same-named tensors). */
    private Path inputWith(Tensor... extra) throws IOException {
        List<Tensor> ts = new ArrayList<>(List.of(
                Tensor.ofFloats("input", CliFixture.random(40, 2), 2, 5, 4),
                Tensor.ofFloats("h0", CliFixture.random(6, 3), 1, 2, 3)));
        for (Tensor t : extra) {
            ts.removeIf(x -> x.name().equals(t.name()));
            ts.add(t);
        }
        return cli.write("in" + extra.length + (extra.length > 0 ? extra[0].name() : "") + ".safetensors", ts);
    }

    private List<String> forward(Path in, String... extra) {
        return cli.args("forward", "lstm", weights, in, extra);
    }

    @Test
    void missingFiles() {
        cli.assertFails(cli.args("forward", "lstm", dir.resolve("nope.safetensors"), input),
                "file not found", "nope.safetensors");
        cli.assertFails(forward(dir.resolve("nin.safetensors")), "file not found", "nin.safetensors");
    }

    @Test
    void corruptWeights() throws IOException {
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        cli.assertFails(cli.args("forward", "lstm", bad, input), "bad.safetensors", "at least 8 bytes");
    }

    @Test
    void inputTensorShapeAndType() throws IOException {
        cli.assertFails(forward(inputWith(Tensor.ofFloats("input", new float[50], 2, 5, 5))),
                "input: dimension 2 expected 4 (input size from weight_ih_l0), found 5");
        cli.assertFails(forward(inputWith(Tensor.ofFloats("input", DType.F64, new float[40], 2, 5, 4))),
                "input: dtype expected F32, found F64");
        cli.assertFails(forward(inputWith(Tensor.ofFloats("input", new float[40], 10, 4))),
                "input: rank expected 3", "found 2");
        cli.assertFails(forward(inputWith(Tensor.ofFloats("input", new float[0], 2, 0, 4))),
                "input: dimension 1 expected >= 1", "found 0");
    }

    @Test
    void missingAndUnexpectedInputTensors() throws IOException {
        Path onlyH0 = cli.write("h0only.safetensors", List.of(Tensor.ofFloats("h0", new float[6], 1, 2, 3)));
        CliFixture.Run missing = cli.run(forward(onlyH0).toArray(String[]::new));
        missing.assertOneLineError("'input'", "h0only.safetensors");
        assertEquals(1, missing.err().split("h0only.safetensors", -1).length - 1, missing.err()); // named once
        cli.assertFails(forward(inputWith(Tensor.ofFloats("h_0", new float[6], 1, 2, 3))),
                "h_0: unexpected tensor", "expected c0, h0, input, lengths");
    }

    @Test
    void initialStates() throws IOException {
        cli.assertFails(forward(inputWith(Tensor.ofFloats("h0", new float[12], 2, 2, 3))),
                "h0: dimension 0 expected 1 (1 layers x 1 direction from the weights), found 2");
        cli.assertFails(forward(inputWith(Tensor.ofFloats("c0", new float[9], 1, 3, 3))),
                "c0: dimension 1 expected 2 (batch from input), found 3");
        Path gru = cli.weights("gru.safetensors", RnnWeights.random(RnnSpec.builder(CellKind.GRU, 4, 3).build(), 1),
                "");
        cli.assertFails(cli.args("forward", "gru", gru, inputWith(Tensor.ofFloats("c0", new float[6], 1, 2, 3))),
                "c0: only LSTM has a cell state");
    }

    @Test
    void lengths() throws IOException {
        // the file is named, as the weights' errors name theirs (it was not)
        cli.assertFails(forward(inputWith(Tensor.ofLongs("lengths", new long[] {5, 6}, 2))),
                "in1lengths.safetensors: lengths[1]: expected 1..5", "found 6");
        cli.assertFails(forward(inputWith(Tensor.ofInts("lengths", new int[] {0, 1}, 2))),
                "lengths[0]: expected 1..5", "found 0");
        cli.assertFails(forward(inputWith(Tensor.ofFloats("lengths", new float[] {1, 1}, 2))),
                "lengths: dtype expected I64 or I32, found F32");
        cli.assertFails(forward(inputWith(Tensor.ofInts("lengths", new int[] {1, 1, 1}, 3))),
                "lengths: shape expected [2]", "found [3]");
    }

    @Test
    void unknownNames() {
        cli.assertFails(cli.args("forward", "lstmx", weights, input), "unknown cell 'lstmx'", "rnn_tanh");
        cli.assertFails(forward(input, "--impl", "fast"), "unknown impl 'fast'");
        cli.assertFails(forward(input, "--impl", "reference", "--gemm", "mkl"), "unknown gemm 'mkl'");
        cli.assertFails(forward(input, "--threads", "0"), "threads", "found 0");
    }

    @Test
    void weightsInconsistentWithCell() {
        // weight_hh_l0 is [12, 3]: 12 rows are 3 gates x 4 for gru, so the columns disagree.
        cli.assertFails(cli.args("forward", "gru", weights, input), "weight_hh_l0: dimension 1 expected 4",
                "3 gates of gru", "found 3", "fits lstm");
        cli.assertFails(forward(input, "--prefix", "enc."), "no tensor enc.weight_ih_l0", "''");
    }

    @Test
    void gradOutput() throws IOException {
        Path g = cli.write("g.safetensors", List.of(Tensor.ofFloats("grad_output", new float[24], 2, 4, 3)));
        List<String> forwardWithG = forward(input, "--grad-output", g.toString());
        cli.run(true, forwardWithG.toArray(String[]::new)).assertOneLineError("Unknown option", "--grad-output");
        cli.assertFails(cli.args("backward", "lstm", weights, input, "--grad-output", g.toString()),
                "grad_output: dimension 1 expected 5 (sequence length from input), found 4");
        Path gc = cli.write("gc.safetensors", List.of(Tensor.ofFloats("grad_output", new float[30], 2, 5, 3),
                Tensor.ofFloats("grad_c_n", new float[6], 1, 2, 3), Tensor.ofFloats("grad_h_n", new float[3], 1, 1, 3)));
        cli.assertFails(cli.args("backward", "lstm", weights, input, "--grad-output", gc.toString()),
                "grad_h_n: dimension 1 expected 2 (batch from input), found 1");
    }

    @Test
    void outputFolderMustExist() {
        List<String> a = forward(input);
        a.set(a.indexOf("--out") + 1, dir.resolve("missing/out.safetensors").toString());
        cli.run(a.toArray(String[]::new)).assertOneLineError("out: folder", "missing", "does not exist");
    }

    /**
     * --out never replaces what is not a regular file it may write (a FIFO here: moving over it would leave a
     * regular file in its place, as it once did to /dev/null), nor a read-only file; a symbolic link is written
     * through, the link itself left in place.
     */
    @Test
    void outputReplacesOnlyWritableRegularFiles() throws Exception {
        List<String> a = forward(input);
        int at = a.indexOf("--out") + 1;
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        if (mkfifo.waitFor() == 0) {
            a.set(at, fifo.toString());
            cli.run(a.toArray(String[]::new)).assertOneLineError("out:", "not a regular file");
            assertFalse(Files.isRegularFile(fifo), "the FIFO is still a FIFO");
        }
        a.set(at, dir.toString());
        cli.run(a.toArray(String[]::new)).assertOneLineError("out:", "not a regular file");
        Path readOnly = Files.writeString(dir.resolve("ro.safetensors"), "keep");
        if (readOnly.toFile().setWritable(false) && !Files.isWritable(readOnly)) { // root may write anyway
            a.set(at, readOnly.toString());
            cli.run(a.toArray(String[]::new)).assertOneLineError("out:", "not writable");
            assertEquals("keep", Files.readString(readOnly));
        }
        Path real = dir.resolve("real.safetensors");
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), real.getFileName());
        a.set(at, link.toString());
        CliFixture.Run ok = cli.run(a.toArray(String[]::new));
        assertEquals(0, ok.exit(), ok.err());
        assertTrue(Files.isSymbolicLink(link), "the link stays a link");
        assertTrue(Files.isRegularFile(real) && Files.size(real) > 0, "the file it names was written");
    }

    /**
     * Links followed as the OS follows them: an absolute link to an existing file, a chain, a ".." inside a folder
     * reached through a linked folder (resolved against the real folder, not the path's text), and a dangling link
     * into a missing folder (refused, nothing written).
     */
    @Test
    void outputFollowsSymbolicLinksAsTheSystemDoes() throws Exception {
        List<String> a = forward(input);
        int at = a.indexOf("--out") + 1;
        Path data = Files.createDirectories(dir.resolve("data/r1"));
        Files.createDirectories(dir.resolve("data/shared"));
        Path run = Files.createSymbolicLink(dir.resolve("run"), data); // dir/run -> dir/data/r1
        Files.createSymbolicLink(data.resolve("out.st"), Path.of("../shared/out.st"));
        a.set(at, run.resolve("out.st").toString());
        CliFixture.Run r = cli.run(a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.isRegularFile(dir.resolve("data/shared/out.st")), "the file the kernel's resolution names");
        assertFalse(Files.exists(dir.resolve("shared/out.st")), "not the textual normalisation's");

        Path existing = Files.writeString(dir.resolve("existing.st"), "old");
        Path chain = Files.createSymbolicLink(dir.resolve("chain1"),
                Files.createSymbolicLink(dir.resolve("chain2"), existing.toAbsolutePath()));
        a.set(at, chain.toString());
        r = cli.run(a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.isSymbolicLink(chain) && Files.isSymbolicLink(dir.resolve("chain2")), "links kept");
        assertTrue(Files.size(existing) > 3, "the file at the end of the chain was replaced");

        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere/out.st"));
        a.set(at, dangling.toString());
        cli.run(a.toArray(String[]::new)).assertOneLineError("out:", "nowhere", "does not exist");
    }

    @Test
    void usageErrorsAreOneLineThroughMain() {
        CliFixture.Run r = cli.run(true, "forward", "--cell", "lstm");
        r.assertOneLineError("Missing required options", "--weights", "recur4j forward --help");
        assertEquals(2, r.exit());
        r = cli.run(true);
        r.assertOneLineError("missing command");
        assertEquals(2, r.exit());
        List<String> a = forward(input, "--linear-before-reset", "maybe");
        r = cli.run(true, a.toArray(String[]::new));
        r.assertOneLineError("--linear-before-reset", "maybe");
        assertFalse(Files.exists(cli.out));
    }

    @Test
    void inputErrorsExitWithTwo() {
        CliFixture.Run r = cli.run(cli.args("forward", "lstmx", weights, input).toArray(String[]::new));
        assertEquals(CommandErrors.EXIT_INPUT, r.exit());
        assertTrue(r.err().startsWith("recur4j: unknown cell"), r.err());
    }
}
