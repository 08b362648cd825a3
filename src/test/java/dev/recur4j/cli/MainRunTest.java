package dev.recur4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.Rnn;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.io.PyTorchWeights;
import dev.recur4j.io.Safetensors;
import dev.recur4j.io.SafetensorsFile;
import dev.recur4j.io.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The success path: the CLI's output file must hold exactly what the engine computes when called
 * directly on the same weights and inputs (same implementation, so bit-for-bit equal), under
 * PyTorch's names and shapes.
 */
class MainRunTest {
    private static final int B = 3;
    private static final int T = 4;

    @TempDir
    Path dir;
    private CliFixture cli;

    @BeforeEach
    void fixture() {
        cli = new CliFixture(dir);
    }

    /** IN tensors for {@code spec}: input, h0, c0 (LSTM) and lengths {4, 2, 1}. */
    private static List<Tensor> inputs(RnnSpec spec) {
        List<Tensor> in = new ArrayList<>();
        in.add(Tensor.ofFloats("input", CliFixture.random(B * T * spec.inputSize(), 5), B, T, spec.inputSize()));
        in.add(Tensor.ofFloats("h0", CliFixture.random(spec.slots() * B * spec.outputSize(), 6), spec.slots(), B,
                spec.outputSize()));
        if (spec.hasCellState()) {
            in.add(Tensor.ofFloats("c0", CliFixture.random(spec.slots() * B * spec.hiddenSize(), 7), spec.slots(), B,
                    spec.hiddenSize()));
        }
        in.add(Tensor.ofLongs("lengths", new long[] {4, 2, 1}, B));
        return in;
    }

    private static RnnBatch batch(SafetensorsFile in) {
        float[] c0 = in.find("c0").map(Tensor::toFloats).orElse(null);
        return new RnnBatch(B, T, in.get("input").toFloats(), in.get("lengths").toInts(),
                in.get("h0").toFloats(), c0);
    }

    private static List<Tensor> expectedForward(RnnWeights w, RnnBatch batch) {
        try (RnnEngine e = Rnn.create(w, Impl.REFERENCE, null, 1)) {
            RnnResult r = RnnResult.allocate(w.spec(), B, T);
            e.forward(batch, r);
            return ForwardCommand.resultTensors(w.spec(), r);
        }
    }

    @Test
    void forwardWritesWhatTheEngineComputes() throws IOException {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 5, 4).projSize(2).numLayers(2).bidirectional(true).build();
        RnnWeights w = RnnWeights.random(spec, 11);
        Path weights = cli.weights("w.safetensors", w, "encoder.rnn.");
        Path in = cli.write("in.safetensors", inputs(spec));

        CliFixture.Run run = cli.run(cli.args("forward", "lstm", weights, in, "--impl", "reference",
                "--prefix", "encoder.rnn.").toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        assertEquals("", run.out());
        assertEquals("", run.err());

        SafetensorsFile out = Safetensors.read(cli.out);
        assertEquals(List.of("output", "h_n", "c_n"), out.names());
        assertArrayEquals(new long[] {B, T, 2 * 2}, out.get("output").shape());
        assertArrayEquals(new long[] {4, B, 2}, out.get("h_n").shape());
        assertArrayEquals(new long[] {4, B, 4}, out.get("c_n").shape());
        assertEquals(expectedForward(w, batch(Safetensors.read(in))), out.tensors());
    }

    @Test
    void referenceSaysItIgnoresThreadsAndGemm() throws IOException {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 3, 4).build();
        RnnWeights w = RnnWeights.random(spec, 13);
        Path weights = cli.weights("w.safetensors", w, "");
        Path in = cli.write("in.safetensors", inputs(spec));
        for (String[] extra : new String[][] {{"--threads", "2"}, {"--gemm", "java"}}) {
            List<String> args = cli.args("forward", "gru", weights, in, "--impl", "reference");
            args.addAll(List.of(extra));
            CliFixture.Run run = cli.run(args.toArray(String[]::new));
            assertEquals(0, run.exit(), run.err());
            assertEquals("recur4j: note: the reference implementation runs on one thread and no GEMM; --threads and"
                    + " --gemm apply to scalar and simd", run.err().strip(), String.join(" ", extra));
            assertEquals(expectedForward(w, batch(Safetensors.read(in))), Safetensors.read(cli.out).tensors());
        }
    }

    @Test
    void backwardWritesForwardTensorsAndEveryGradient() throws IOException {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 3, 5).bidirectional(true).build();
        RnnWeights w = RnnWeights.random(spec, 12);
        Path weights = cli.weights("w.safetensors", w, "");
        Path in = cli.write("in.safetensors", inputs(spec));
        float[] gradOutput = CliFixture.random(B * T * 10, 8);
        float[] gradHn = CliFixture.random(2 * B * 5, 9);
        Path g = cli.write("g.safetensors", List.of(Tensor.ofFloats("grad_output", gradOutput, B, T, 10),
                Tensor.ofFloats("grad_h_n", gradHn, 2, B, 5)));

        CliFixture.Run run = cli.run(cli.args("backward", "gru", weights, in, "--grad-output", g.toString(),
                "--impl", "reference", "--linear-before-reset", "false", "--verbose").toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        assertEquals("", run.out());
        assertTrue(run.err().contains("impl reference"), run.err());

        RnnSpec ours = RnnSpec.builder(CellKind.GRU, 3, 5).bidirectional(true).linearBeforeReset(false).build();
        RnnWeights direct = PyTorchWeights.load(weights, CellKind.GRU, "", false);
        assertEquals(ours, direct.spec());
        RnnBatch batch = batch(Safetensors.read(in));
        List<Tensor> expected = new ArrayList<>();
        try (RnnEngine e = Rnn.create(direct, Impl.REFERENCE, null, 1)) {
            RnnResult r = RnnResult.allocate(ours, B, T);
            RnnGradients grads = RnnGradients.allocate(ours, B, T);
            e.forwardBackward(batch, new RnnGradOutput(gradOutput, gradHn, null), r, grads);
            expected.addAll(ForwardCommand.resultTensors(ours, r));
            expected.addAll(PyTorchWeights.gradientTensors(grads, B, T, true, false));
        }
        SafetensorsFile out = Safetensors.read(cli.out);
        assertEquals(List.of("output", "h_n", "grad.input", "grad.h0", "grad.weight_ih_l0", "grad.weight_hh_l0",
                "grad.bias_ih_l0", "grad.bias_hh_l0", "grad.weight_ih_l0_reverse", "grad.weight_hh_l0_reverse",
                "grad.bias_ih_l0_reverse", "grad.bias_hh_l0_reverse"), out.names());
        assertArrayEquals(new long[] {B, T, 3}, out.get("grad.input").shape());
        assertArrayEquals(new long[] {15, 3}, out.get("grad.weight_ih_l0_reverse").shape());
        assertEquals(expected, out.tensors());
    }

    @Test
    void inputsWithoutOptionalTensors() throws IOException {
        RnnSpec spec = RnnSpec.builder(CellKind.RNN_RELU, 2, 3).bias(false).build();
        RnnWeights w = RnnWeights.random(spec, 13);
        float[] x = CliFixture.random(B * T * 2, 14);
        Path in = cli.write("in.safetensors", List.of(Tensor.ofFloats("input", x, B, T, 2)));
        Path weights = cli.weights("w.safetensors", w, "");
        CliFixture.Run run = cli.run(cli.args("forward", "rnn_relu", weights, in, "--impl", "reference")
                .toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        assertEquals(expectedForward(w, RnnBatch.of(B, T, x)), Safetensors.read(cli.out).tensors());
    }
}
