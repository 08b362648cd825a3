package dev.recur4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.io.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code recur4j compare GOT WANT}: exit 0 when every tensor agrees, 1 when one differs, 2 for bad input. */
class CompareCommandTest {
    @TempDir
    Path dir;

    private CliFixture.Run compare(float[] got, float[] want, String... extra) throws IOException {
        CliFixture cli = new CliFixture(dir);
        Path g = cli.write("got.safetensors", List.of(Tensor.ofFloats("t", got, got.length)));
        Path w = cli.write("want.safetensors", List.of(Tensor.ofFloats("t", want, want.length)));
        String[] args = new String[3 + extra.length];
        args[0] = "compare";
        args[1] = g.toString();
        args[2] = w.toString();
        System.arraycopy(extra, 0, args, 3, extra.length);
        return cli.run(args);
    }

    @Test
    void agreeingAndDifferingTensors() throws IOException {
        CliFixture.Run r = compare(new float[] {1, 2.0001f}, new float[] {1, 2});
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("ok"), r.out());
        r = compare(new float[] {1, 2.1f}, new float[] {1, 2});
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.out().startsWith("DIFFERS"), r.out());
    }

    @Test
    void nonFiniteValuesMustMatchExactly() throws IOException {
        float inf = Float.POSITIVE_INFINITY;
        assertEquals(1, compare(new float[] {0, 1000}, new float[] {inf, 1}).exit(), "an ∞ in want passed everything");
        assertEquals(0, compare(new float[] {inf, Float.NaN, 3}, new float[] {inf, Float.NaN, 3}).exit(),
                "a file agrees with itself, ∞ and NaN included");
    }

    @Test
    void anEmptyWantIsAnErrorNotAnAgreement() throws IOException {
        CliFixture cli = new CliFixture(dir);
        Path g = cli.write("got.safetensors", List.of(Tensor.ofFloats("t", new float[] {1}, 1)));
        Path w = cli.write("empty.safetensors", List.of());
        cli.run("compare", g.toString(), w.toString()).assertOneLineError("empty.safetensors", "holds no tensors");
    }

    /** An integer tensor has no values to compare; the error named the tensor but not which of the two files. */
    @Test
    void anIntegerTensorIsNamedWithItsFile() throws IOException {
        CliFixture cli = new CliFixture(dir);
        Path g = cli.write("got.safetensors", List.of(Tensor.ofLongs("t", new long[] {1}, 1)));
        Path w = cli.write("want.safetensors", List.of(Tensor.ofFloats("t", new float[] {1}, 1)));
        cli.run("compare", g.toString(), w.toString()).assertOneLineError("got.safetensors: ", "t: dtype", "I64");
        cli.run("compare", w.toString(), g.toString()).assertOneLineError(g + ": ", "t: dtype", "I64");
    }

    /** An integer tensor after a float one: "ok" was printed for the first before the error of the second. */
    @Test
    void anIntegerTensorFailsBeforeAnyLine() throws IOException {
        CliFixture cli = new CliFixture(dir);
        Path g = cli.write("got.safetensors", List.of(Tensor.ofFloats("a", new float[] {1}, 1),
                Tensor.ofLongs("b", new long[] {1}, 1)));
        Path w = cli.write("want.safetensors", List.of(Tensor.ofFloats("a", new float[] {1}, 1),
                Tensor.ofFloats("b", new float[] {1}, 1)));
        cli.run("compare", g.toString(), w.toString()).assertOneLineError("got.safetensors: ", "b: dtype", "I64");
    }

    /** A tensor named by a million characters printed them all on its "ok" line. */
    @Test
    void aHugeTensorNameIsCutOnItsLine() throws IOException {
        CliFixture cli = new CliFixture(dir);
        String name = "n".repeat(1_000_000);
        Path g = cli.write("got.safetensors", List.of(Tensor.ofFloats(name, new float[] {1}, 1)));
        Path w = cli.write("want.safetensors", List.of(Tensor.ofFloats(name, new float[] {1}, 1)));
        CliFixture.Run r = cli.run("compare", g.toString(), w.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("ok") && r.out().contains("999800 more characters") && r.out().length() < 400,
                r.out().substring(0, Math.min(400, r.out().length())));
    }

    @Test
    void equalValuesAtZeroToleranceReadZero() throws IOException {
        CliFixture.Run r = compare(new float[] {1, 2}, new float[] {1, 2}, "--atol", "0", "--rtol", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("worst diff/tol 0"), "0 / 0 once printed NaN: " + r.out());
    }

    @Test
    void tolerancesMustBeFiniteAndNonNegative() throws IOException {
        for (String bad : new String[] {"-1", "NaN", "Infinity"}) {
            compare(new float[] {1}, new float[] {1}, "--atol", bad).assertOneLineError("--atol", "finite and >= 0");
            compare(new float[] {1}, new float[] {1}, "--rtol", bad).assertOneLineError("--rtol", "finite and >= 0");
        }
    }

    /**
     * "--tensors output, h_n" printed output's line on stdout, then failed on " h_n" (exit 2 with a partial result);
     * "--tensors ,," blamed WANT ("holds no tensors to compare with") for an empty list.
     */
    @Test
    void aBadTensorListFailsBeforeAnyLine() throws IOException {
        CliFixture cli = new CliFixture(dir);
        Path g = cli.write("got.safetensors", List.of(Tensor.ofFloats("a", new float[] {1}, 1),
                Tensor.ofFloats("b", new float[] {2}, 1)));
        cli.run("compare", g.toString(), g.toString(), "--tensors", "a, b").assertOneLineError("' b'");
        cli.run("compare", g.toString(), g.toString(), "--tensors", ",,").assertOneLineError("--tensors", "no tensor");
    }
}
