package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.gemm.GemmKind;
import dev.recur4j.io.PyTorchWeights;
import dev.recur4j.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java examples, kept here so that they compile and run, and checked to be the README's. */
class ReadmeExampleTest {
    private static final Path SOURCE = Path.of("src/test/java/dev/recur4j/ReadmeExampleTest.java");
    private static final Path README = Path.of("README.md");

    /** A copy that only compiles here would go stale unnoticed when the README's code is edited. */
    @Test
    void theExamplesHereAreTheReadmes() throws IOException {
        Set<String> readme = new HashSet<>(codeLines(javaBlocks(Files.readAllLines(README))));
        List<String> examples = codeLines(betweenMarkers(Files.readAllLines(SOURCE)));
        assertTrue(examples.size() >= 15, "the markers below enclose the examples: " + examples);
        for (String line : examples) {
            String asInReadme = line.replace("load(file,", "load(Path.of(\"lstm.safetensors\"),");
            assertTrue(readme.contains(asInReadme), "README.md's Java examples have no line '" + asInReadme + "'");
        }
    }

    private static List<String> javaBlocks(List<String> lines) {
        List<String> code = new ArrayList<>();
        boolean in = false;
        for (String l : lines) {
            if (l.startsWith("```")) {
                in = !in && l.equals("```java");
            } else if (in) {
                code.add(l);
            }
        }
        return code;
    }

    private static List<String> betweenMarkers(List<String> lines) {
        List<String> code = new ArrayList<>();
        boolean in = false;
        for (String l : lines) {
            if (l.trim().startsWith("// --- README")) {
                in = true;
            } else if (l.trim().startsWith("// --- end of the README")) {
                in = false;
            } else if (in) {
                code.add(l);
            }
        }
        return code;
    }

    /** Lines without comments and surrounding space, blank ones dropped (the README's comments differ). */
    private static List<String> codeLines(List<String> lines) {
        return lines.stream().map(l -> l.replaceAll("\\s*//.*$", "").trim()).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void readmeExampleRuns(@TempDir Path dir) throws Exception {
        // A state dict like nn.LSTM(input_size=8, hidden_size=16, num_layers=2, bidirectional=True) saves.
        RnnSpec saved = RnnSpec.builder(CellKind.LSTM, 8, 16).numLayers(2).bidirectional(true).build();
        Path file = dir.resolve("lstm.safetensors");
        Safetensors.write(file, PyTorchWeights.toTensors(RnnWeights.random(saved, 1)), Map.of());
        assertEquals(true, Files.exists(file));

        // --- README example, verbatim apart from the file name ---
        RnnWeights weights = PyTorchWeights.load(file, CellKind.LSTM, "", true);
        RnnSpec spec = weights.spec();

        int batch = 4, seqLen = 20;
        float[] x = new float[batch * seqLen * spec.inputSize()];
        int[] lengths = {20, 17, 9, 1};

        try (RnnEngine rnn = Rnn.create(weights)) {
            RnnResult out = RnnResult.allocate(spec, batch, seqLen);
            rnn.forward(new RnnBatch(batch, seqLen, x, lengths, null, null), out);
            float[] y = out.output();
            float[] hN = out.hN();
            float[] cN = out.cN();
            // --- end of the README example ---
            assertEquals(saved, spec);
            assertEquals(batch * seqLen * 2 * 16, y.length);
            assertEquals(4 * batch * 16, hN.length);
            assertEquals(4 * batch * 16, cN.length);
        }

        // --- README training example, verbatim ---
        try (RnnEngine rnn = Rnn.create(weights, Impl.SIMD, GemmKind.JAVA, 2)) {
            RnnBatch in = new RnnBatch(batch, seqLen, x, lengths, null, null);
            RnnResult out = RnnResult.allocate(spec, batch, seqLen);
            RnnGradients grads = RnnGradients.allocate(spec, batch, seqLen);   // reuse across calls
            float[] gradOutput = new float[out.output().length];              // dLoss/dy, [B, T, D*Hout]
            rnn.forwardBackward(in, new RnnGradOutput(gradOutput, null, null), out, grads); // null: no grad of h_n, c_n
            float[] dx = grads.gradInput();                          // [B, T, I]; also gradH0(), gradC0()
            float[] dWih = grads.params().layer(0, 1).wIh();         // the gradient of weight_ih_l0_reverse
            // --- end of the README training example ---
            assertEquals(batch * seqLen * 8, dx.length);
            assertEquals(4 * 16 * 8, dWih.length);
        }
    }
}
