package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recur4j.gemm.GemmKind;
import dev.recur4j.io.PyTorchWeights;
import dev.recur4j.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java examples, kept here so that they compile and run. */
class ReadmeExampleTest {

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
