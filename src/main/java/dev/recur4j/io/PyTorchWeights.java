package dev.recur4j.io;

import dev.recur4j.CellKind;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.io.PyTorchName.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts between PyTorch RNN state dicts (as safetensors) and {@link RnnWeights}.
 *
 * <p>Names are PyTorch's: {@code weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k},
 * weight_hr_l{k}}, plus our {@code weight_peephole_l{k}} ({@code [3H]}, order i, f, o), each with
 * an optional {@code _reverse}. Shapes and gate order are PyTorch's, which are ours, so tensors are
 * used as stored (no permutation; see {@link GateOrder} for other frameworks).
 *
 * <p>The architecture is inferred from the names and shapes, given the cell kind:
 * <pre>
 * L     = number of l{k}                    D = 2 if any _reverse name exists
 * H     = rows(weight_hh_l0) / G            Hout = cols(weight_hh_l0)
 * I     = cols(weight_ih_l0)                P = rows(weight_hr_l0) if present (then Hout = P)
 * bias  = bias_ih_l0 / bias_hh_l0 present   peepholes = weight_peephole_l0 present
 * </pre>
 * and every tensor is then checked against it, with messages naming the tensor, the dimension,
 * the expected value and where it comes from, and the value found.
 */
public final class PyTorchWeights {
    private PyTorchWeights() {
    }

    /**
     * Reads an RNN module's weights from a safetensors file.
     *
     * @param prefix            selects one module of a larger state dict, e.g. {@code "encoder.rnn."}; "" for none
     * @param linearBeforeReset GRU only (PyTorch's GRU is linear-before-reset); must be true for other cells
     */
    public static RnnWeights load(Path file, CellKind cell, String prefix, boolean linearBeforeReset)
            throws IOException {
        return fromFile(Safetensors.read(file), cell, prefix, linearBeforeReset);
    }

    /** As {@link #load}, from tensors already read. */
    public static RnnWeights fromFile(SafetensorsFile file, CellKind cell, String prefix, boolean linearBeforeReset) {
        RnnSpec.requireGruForResetBeforeLinear(cell, linearBeforeReset);
        return new WeightsInference(file, cell, prefix == null ? "" : prefix, linearBeforeReset).infer();
    }

    /** The weights as F32 tensors with PyTorch's names and shapes, in state-dict order. */
    public static List<Tensor> toTensors(RnnWeights weights) {
        return toTensors(weights, "");
    }

    /** As {@link #toTensors(RnnWeights)}, each name preceded by {@code prefix}. */
    public static List<Tensor> toTensors(RnnWeights weights, String prefix) {
        RnnSpec spec = weights.spec();
        List<Tensor> out = new ArrayList<>();
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                LayerParams p = weights.layer(l, d);
                for (Kind k : Kind.values()) {
                    float[] a = array(p, k);
                    if (a != null) {
                        String name = prefix + PyTorchName.of(k, l, d);
                        out.add(Tensor.ofFloats(name, a, shape(spec, k, l)));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The gradients as F32 tensors: {@code grad.input [B, T, I]}, {@code grad.h0 [L*D, B, Hout]}
     * (when {@code withH0}), {@code grad.c0 [L*D, B, H]} (when {@code withC0}) and
     * {@code grad.<name>} for every parameter, in PyTorch's shapes. B is recovered from the length
     * of {@code gradH0} and T from that of {@code gradInput}.
     */
    public static List<Tensor> gradientTensors(RnnGradients grads, boolean withH0, boolean withC0) {
        RnnSpec spec = grads.params().spec();
        int perBatch = spec.slots() * spec.outputSize();
        int batch = grads.gradH0().length / perBatch;
        if (batch == 0 || grads.gradH0().length % perBatch != 0) {
            throw new IllegalArgumentException("grad.h0: " + grads.gradH0().length
                    + " elements is not a positive multiple of L*D*Hout = " + perBatch);
        }
        int perStep = batch * spec.inputSize();
        if (grads.gradInput().length == 0 || grads.gradInput().length % perStep != 0) {
            throw new IllegalArgumentException("grad.input: " + grads.gradInput().length
                    + " elements is not a positive multiple of B*I = " + perStep);
        }
        return gradientTensors(grads, batch, grads.gradInput().length / perStep, withH0, withC0);
    }

    /** As {@link #gradientTensors(RnnGradients, boolean, boolean)} with the batch and sequence length given. */
    public static List<Tensor> gradientTensors(RnnGradients grads, int batch, int seqLen, boolean withH0,
                                               boolean withC0) {
        RnnSpec spec = grads.params().spec();
        List<Tensor> out = new ArrayList<>();
        out.add(Tensor.ofFloats("grad.input", grads.gradInput(), batch, seqLen, spec.inputSize()));
        if (withH0) {
            out.add(Tensor.ofFloats("grad.h0", grads.gradH0(), spec.slots(), batch, spec.outputSize()));
        }
        if (withC0) {
            if (grads.gradC0() == null) {
                throw new IllegalArgumentException("grad.c0: requested but the gradients have none (cell "
                        + spec.cell().cliName() + ")");
            }
            out.add(Tensor.ofFloats("grad.c0", grads.gradC0(), spec.slots(), batch, spec.hiddenSize()));
        }
        out.addAll(toTensors(grads.params(), "grad."));
        return out;
    }

    static float[] array(LayerParams p, Kind k) {
        return switch (k) {
            case WEIGHT_IH -> p.wIh();
            case WEIGHT_HH -> p.wHh();
            case BIAS_IH -> p.bIh();
            case BIAS_HH -> p.bHh();
            case WEIGHT_HR -> p.wHr();
            case WEIGHT_PEEPHOLE -> p.wPeep();
        };
    }

    /** PyTorch's shape of tensor {@code k} of {@code layer}. */
    static long[] shape(RnnSpec spec, Kind k, int layer) {
        long gh = (long) spec.gates() * spec.hiddenSize();
        return switch (k) {
            case WEIGHT_IH -> new long[] {gh, spec.layerInputSize(layer)};
            case WEIGHT_HH -> new long[] {gh, spec.outputSize()};
            case BIAS_IH, BIAS_HH -> new long[] {gh};
            case WEIGHT_HR -> new long[] {spec.projSize(), spec.hiddenSize()};
            case WEIGHT_PEEPHOLE -> new long[] {3L * spec.hiddenSize()};
        };
    }

    /** The state-dict prefixes under which {@code file} holds a {@code weight_ih_l0}, for hints. */
    static Set<String> prefixesWithWeights(SafetensorsFile file) {
        Set<String> found = new LinkedHashSet<>();
        for (String n : file.names()) {
            if (n.endsWith("weight_ih_l0")) {
                found.add(n.substring(0, n.length() - "weight_ih_l0".length()));
            }
        }
        return found;
    }

    /** Groups the tensors under {@code prefix} by parsed name; names with a further '.' belong to submodules. */
    static Map<PyTorchName, Tensor> select(SafetensorsFile file, String prefix) {
        Map<PyTorchName, Tensor> params = new LinkedHashMap<>();
        for (Tensor t : file.tensors()) {
            if (!t.name().startsWith(prefix)) {
                continue;
            }
            String rest = t.name().substring(prefix.length());
            if (rest.contains(".")) {
                continue;
            }
            PyTorchName n = PyTorchName.parse(rest);
            if (n == null) {
                throw new IllegalArgumentException(SafetensorsFile.describe(file.path()) + ": unexpected tensor '"
                        + t.name() + "'" + (prefix.isEmpty() ? "" : " under prefix '" + prefix + "'")
                        + ": expected weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k}"
                        + " or weight_peephole_l{k}, optionally with _reverse");
            }
            params.put(n, t);
        }
        return params;
    }

    static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }
}
