package dev.recur4j.cli;

import dev.recur4j.RnnBatch;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnSpec;
import dev.recur4j.io.DType;
import dev.recur4j.io.SafetensorsFile;
import dev.recur4j.io.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Turns the tensors of the CLI's input files into engine arguments, checking each against the
 * weights with messages that say where every expected size comes from:
 * <pre>
 * IN   input [B, T, I] F32;  h0 [L*D, B, Hout], c0 [L*D, B, H] (LSTM) F32;  lengths [B] I32/I64, each 1..T
 * G    grad_output [B, T, D*Hout] F32;  grad_h_n [L*D, B, Hout], grad_c_n [L*D, B, H] (LSTM) F32
 * </pre>
 */
final class InputTensors {
    /** One expected dimension and where its size comes from; {@code size < 0} means any size >= 1. */
    private record Dim(long size, String why) {
    }

    private final RnnSpec spec;
    private final String hiddenWhy;
    private final String outputWhy;
    private final String slotsWhy;
    private final String inputWhy;

    /** @param prefix the weights' state-dict prefix, to name the tensors sizes come from */
    InputTensors(RnnSpec spec, String prefix) {
        this.spec = spec;
        this.hiddenWhy = "hidden size from " + prefix + "weight_hh_l0";
        this.outputWhy = spec.projSize() > 0 ? "projection size from " + prefix + "weight_hr_l0" : hiddenWhy;
        this.slotsWhy = spec.numLayers() + " layers x " + spec.directions() + " direction"
                + (spec.directions() == 2 ? "s" : "") + " from the weights";
        this.inputWhy = "input size from " + prefix + "weight_ih_l0";
    }

    /** IN's tensors as a batch; an error names the file, as the weights' do. */
    RnnBatch batch(SafetensorsFile in) {
        try {
            return batchOf(in);
        } catch (IllegalArgumentException e) {
            throw CommandErrors.inFile(in.path(), e);
        }
    }

    /** G's tensors; an error names the file. */
    RnnGradOutput gradOutput(SafetensorsFile g, int batch, int seqLen) {
        try {
            return gradOutputOf(g, batch, seqLen);
        } catch (IllegalArgumentException e) {
            throw CommandErrors.inFile(g.path(), e);
        }
    }

    private RnnBatch batchOf(SafetensorsFile in) {
        onlyKnown(in, Set.of("input", "h0", "c0", "lengths"));
        Tensor x = in.get("input");
        float[] input = floats(x, "[batch, seq_len, input_size]",
                new Dim(-1, "batch"), new Dim(-1, "sequence length"), new Dim(spec.inputSize(), inputWhy));
        int batch = (int) x.dim(0);
        int seqLen = (int) x.dim(1);
        Dim b = new Dim(batch, "batch from input");
        float[] h0 = in.find("h0").map(t -> floats(t, "[layers*directions, batch, hidden]",
                new Dim(spec.slots(), slotsWhy), b, new Dim(spec.outputSize(), outputWhy))).orElse(null);
        float[] c0 = null;
        if (in.contains("c0")) {
            if (!spec.hasCellState()) {
                throw new IllegalArgumentException("c0: only LSTM has a cell state, cell is " + spec.cell().cliName());
            }
            c0 = floats(in.get("c0"), "[layers*directions, batch, hidden]",
                    new Dim(spec.slots(), slotsWhy), b, new Dim(spec.hiddenSize(), hiddenWhy));
        }
        int[] lengths = in.find("lengths").map(t -> lengths(t, batch, seqLen)).orElse(null);
        return new RnnBatch(batch, seqLen, input, lengths, h0, c0);
    }

    private RnnGradOutput gradOutputOf(SafetensorsFile g, int batch, int seqLen) {
        onlyKnown(g, Set.of("grad_output", "grad_h_n", "grad_c_n"));
        Dim b = new Dim(batch, "batch from input");
        float[] gradOutput = floats(g.get("grad_output"), "[batch, seq_len, directions*hidden]", b,
                new Dim(seqLen, "sequence length from input"),
                new Dim((long) spec.directions() * spec.outputSize(), spec.directions() == 2
                        ? "2 directions x " + outputWhy : outputWhy));
        float[] gradHn = g.find("grad_h_n").map(t -> floats(t, "[layers*directions, batch, hidden]",
                new Dim(spec.slots(), slotsWhy), b, new Dim(spec.outputSize(), outputWhy))).orElse(null);
        float[] gradCn = null;
        if (g.contains("grad_c_n")) {
            if (!spec.hasCellState()) {
                throw new IllegalArgumentException("grad_c_n: only LSTM has a cell state, cell is "
                        + spec.cell().cliName());
            }
            gradCn = floats(g.get("grad_c_n"), "[layers*directions, batch, hidden]",
                    new Dim(spec.slots(), slotsWhy), b, new Dim(spec.hiddenSize(), hiddenWhy));
        }
        return new RnnGradOutput(gradOutput, gradHn, gradCn);
    }

    private static void onlyKnown(SafetensorsFile f, Set<String> known) {
        for (String name : f.names()) {
            if (!known.contains(name)) {
                List<String> sorted = known.stream().sorted().toList();
                throw new IllegalArgumentException(name + ": unexpected tensor (expected "
                        + String.join(", ", sorted) + ")");
            }
        }
    }

    private static float[] floats(Tensor t, String layout, Dim... dims) {
        if (t.rank() != dims.length) {
            throw new IllegalArgumentException(t.name() + ": rank expected " + dims.length + " (" + layout
                    + "), found " + t.rank() + " (shape " + Arrays.toString(t.shape()) + ")");
        }
        for (int i = 0; i < dims.length; i++) {
            long found = t.dim(i);
            if (dims[i].size < 0 ? found < 1 || found > Integer.MAX_VALUE : found != dims[i].size) {
                throw new IllegalArgumentException(t.name() + ": dimension " + i + " expected "
                        + (dims[i].size < 0 ? ">= 1" : String.valueOf(dims[i].size)) + " (" + dims[i].why
                        + "), found " + found);
            }
        }
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(t.name() + ": dtype expected F32, found " + t.dtype());
        }
        return t.toFloats();
    }

    private static int[] lengths(Tensor t, int batch, int seqLen) {
        if (t.rank() != 1 || t.dim(0) != batch) {
            throw new IllegalArgumentException("lengths: shape expected [" + batch + "] (batch from input), found "
                    + Arrays.toString(t.shape()));
        }
        if (t.dtype() != DType.I64 && t.dtype() != DType.I32) {
            throw new IllegalArgumentException("lengths: dtype expected I64 or I32, found " + t.dtype());
        }
        long[] v = t.toLongs();
        int[] out = new int[batch];
        for (int b = 0; b < batch; b++) {
            if (v[b] < 1 || v[b] > seqLen) {
                throw new IllegalArgumentException("lengths[" + b + "]: expected 1.." + seqLen
                        + " (sequence length from input), found " + v[b]);
            }
            out[b] = (int) v[b];
        }
        return out;
    }
}
