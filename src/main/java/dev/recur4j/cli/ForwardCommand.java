package dev.recur4j.cli;

import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.io.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code recur4j forward}: runs the RNN over IN and writes output, h_n (and c_n) to OUT. */
@Command(name = "forward", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Run the RNN forward; OUT gets output [B,T,D*Hout], h_n [L*D,B,Hout] and for LSTM c_n [L*D,B,H].")
final class ForwardCommand extends RnnCommand {

    @Override
    void run() throws IOException {
        checkOutputFolder(options.weights, options.input);
        RnnWeights weights = weights();
        RnnBatch batch = new InputTensors(weights.spec(), options.prefix).batch(read(options.input));
        try (RnnEngine engine = engine(weights, "forward")) {
            RnnResult result = RnnResult.allocate(weights.spec(), batch.batch(), batch.seqLen());
            engine.forward(batch, result);
            write(resultTensors(weights.spec(), result), engine);
        }
    }

    /** output [B,T,D*Hout], h_n [L*D,B,Hout], c_n [L*D,B,H] (LSTM): PyTorch's tensors with batch_first=True. */
    static List<Tensor> resultTensors(RnnSpec spec, RnnResult r) {
        List<Tensor> out = new ArrayList<>();
        out.add(Tensor.ofFloats("output", r.output(), r.batch(), r.seqLen(),
                (long) spec.directions() * spec.outputSize()));
        out.add(Tensor.ofFloats("h_n", r.hN(), spec.slots(), r.batch(), spec.outputSize()));
        if (spec.hasCellState()) {
            out.add(Tensor.ofFloats("c_n", r.cN(), spec.slots(), r.batch(), spec.hiddenSize()));
        }
        return out;
    }
}
