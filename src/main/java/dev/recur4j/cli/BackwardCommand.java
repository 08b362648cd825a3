package dev.recur4j.cli;

import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnWeights;
import dev.recur4j.io.PyTorchWeights;
import dev.recur4j.io.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code recur4j backward}: forward plus BPTT. OUT gets forward's tensors, {@code grad.input},
 * {@code grad.h0} / {@code grad.c0} (only when IN has h0 / c0) and {@code grad.<name>} for every
 * parameter, in PyTorch's shapes.
 */
@Command(name = "backward", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Run forward and backward; OUT gets forward's tensors, grad.input, grad.h0 and grad.c0 (when IN"
                + " has h0 and c0) and grad.<parameter> for every weight.")
final class BackwardCommand extends RnnCommand {

    @Option(names = "--grad-output", required = true, paramLabel = "G.safetensors",
            description = "grad_output [B,T,D*Hout] F32; optional grad_h_n, grad_c_n")
    Path gradOutputFile;

    @Override
    void run() throws IOException {
        checkOutputFolder(options.weights, options.input, gradOutputFile);
        RnnWeights weights = weights();
        InputTensors inputs = new InputTensors(weights.spec(), options.prefix);
        RnnBatch batch = inputs.batch(read(options.input));
        RnnGradOutput gradOut = inputs.gradOutput(read(gradOutputFile), batch.batch(), batch.seqLen());
        try (RnnEngine engine = engine(weights, "backward")) {
            RnnResult result = RnnResult.allocate(weights.spec(), batch.batch(), batch.seqLen());
            RnnGradients grads = RnnGradients.allocate(weights.spec(), batch.batch(), batch.seqLen());
            engine.forwardBackward(batch, gradOut, result, grads);
            List<Tensor> tensors = new ArrayList<>(ForwardCommand.resultTensors(weights.spec(), result));
            tensors.addAll(PyTorchWeights.gradientTensors(grads, batch.batch(), batch.seqLen(),
                    batch.h0() != null, batch.c0() != null));
            write(tensors, engine);
        }
    }
}
