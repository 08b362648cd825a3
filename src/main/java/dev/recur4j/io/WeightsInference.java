package dev.recur4j.io;

import dev.recur4j.CellKind;
import dev.recur4j.LayerParams;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.io.PyTorchName.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Infers an {@link RnnSpec} from a PyTorch state dict's names and shapes (see
 * {@link PyTorchWeights}), then checks every tensor against it and builds the {@link RnnWeights}.
 * Each instance does one inference.
 */
final class WeightsInference {
    private final SafetensorsFile file;
    private final CellKind cell;
    private final String prefix;
    private final boolean linearBeforeReset;
    private final String where;
    private Map<PyTorchName, Tensor> params;

    /** One dimension the file must have, and why: "(4 gates x hidden size 16 from weight_hh_l0)". */
    private record Dim(long size, String why) {
    }

    /** Whether every (layer, direction) must have a tensor kind (else none may), and why. */
    private record Presence(boolean required, String why) {
    }

    WeightsInference(SafetensorsFile file, CellKind cell, String prefix, boolean linearBeforeReset) {
        this.file = file;
        this.cell = cell;
        this.prefix = prefix;
        this.linearBeforeReset = linearBeforeReset;
        this.where = SafetensorsFile.describe(file.path());
    }

    RnnWeights infer() {
        params = PyTorchWeights.select(file, prefix);
        Tensor ih0 = params.get(PyTorchName.of(Kind.WEIGHT_IH, 0, 0));
        if (ih0 == null) {
            throw noWeights();
        }
        Tensor hh0 = params.get(PyTorchName.of(Kind.WEIGHT_HH, 0, 0));
        if (hh0 == null) {
            throw error(prefix + "weight_hh_l0: missing (" + prefix + "weight_ih_l0 is present)");
        }
        rank(ih0, 2, "[gates*hidden, input_size]");
        rank(hh0, 2, "[gates*hidden, hidden or proj size]");
        int g = cell.gates();
        long rows = hh0.dim(0);
        long hout = hh0.dim(1);
        if (rows == 0 || rows % g != 0) {
            throw error(hh0.name() + ": dimension 0 expected a positive multiple of " + g + " (gates of "
                    + cell.cliName() + "), found " + rows + cellHint(rows, hout));
        }
        long hidden = rows / g;
        String hiddenWhy = "hidden size: " + rows + " rows of " + hh0.name() + " / " + g + " gates of " + cell.cliName();
        long proj = 0;
        Tensor hr0 = params.get(PyTorchName.of(Kind.WEIGHT_HR, 0, 0));
        if (hr0 != null) {
            if (cell != CellKind.LSTM) {
                throw error(hr0.name() + ": a projection only exists for LSTM, cell is " + cell.cliName());
            }
            rank(hr0, 2, "[proj_size, hidden]");
            proj = hr0.dim(0);
            if (hr0.dim(1) != hidden) {
                throw error(hr0.name() + ": dimension 1 expected " + hidden + " (" + hiddenWhy + "), found "
                        + hr0.dim(1));
            }
            if (hout != proj) {
                throw error(hh0.name() + ": dimension 1 expected " + proj + " (projection size: rows of " + hr0.name()
                        + "), found " + hout);
            }
        } else if (hout != hidden) {
            throw error(hh0.name() + ": dimension 1 expected " + hidden + " (" + hiddenWhy + "), found " + hout
                    + cellHint(rows, hout));
        }
        int layers = 0;
        boolean bidirectional = false;
        for (PyTorchName n : params.keySet()) {
            layers = Math.max(layers, n.layer() + 1);
            bidirectional |= n.direction() == 1;
        }
        requireEveryLayer(layers, bidirectional);
        boolean bias = params.containsKey(PyTorchName.of(Kind.BIAS_IH, 0, 0))
                || params.containsKey(PyTorchName.of(Kind.BIAS_HH, 0, 0));
        Tensor peep0 = params.get(PyTorchName.of(Kind.WEIGHT_PEEPHOLE, 0, 0));
        if (peep0 != null && cell != CellKind.LSTM) {
            throw error(peep0.name() + ": peepholes only exist for LSTM, cell is " + cell.cliName());
        }
        RnnSpec spec;
        try {
            spec = new RnnSpec(cell, toInt(ih0, 1), toInt(hh0, 0) / g, (int) proj, layers, bidirectional, bias,
                    peep0 != null, linearBeforeReset);
        } catch (IllegalArgumentException e) {
            // name the tensors the sizes came from: input size from ih0's columns, hidden size from hh0's rows
            // over the gate count, projection size from hr0's rows
            throw error(e.getMessage() + " (sizes from " + ih0.name() + " " + java.util.Arrays.toString(ih0.shape())
                    + ", " + hh0.name() + " " + java.util.Arrays.toString(hh0.shape())
                    + (proj > 0 ? ", weight_hr rows " + proj : "") + ")");
        }
        LayerParams[] all = new LayerParams[spec.slots()];
        for (int l = 0; l < layers; l++) {
            for (int d = 0; d < spec.directions(); d++) {
                all[spec.slot(l, d)] = layer(spec, l, d);
            }
        }
        return new RnnWeights(spec, all);
    }

    /**
     * Layers 0..layers-1 (both directions when bidirectional) each have their weight_ih, before anything is sized
     * from the layer count: one stray name such as weight_ih_l999999999 would otherwise size an array of a billion
     * layers (22 s and 4 GB, or a heap error, before the missing layer 1 was named). The walk stops at the first
     * gap, so it is no longer than the file's tensor count.
     */
    private void requireEveryLayer(int layers, boolean bidirectional) {
        for (int l = 0; l < layers; l++) {
            for (int d = 0; d < (bidirectional ? 2 : 1); d++) {
                PyTorchName ih = PyTorchName.of(Kind.WEIGHT_IH, l, d);
                if (!params.containsKey(ih)) {
                    throw error(prefix + ih + ": missing (" + everyLayerNeeds(layers, bidirectional) + ")");
                }
            }
        }
    }

    private static String everyLayerNeeds(int layers, boolean bidirectional) {
        return "the file has layers l0..l" + (layers - 1) + (bidirectional ? " with _reverse" : "")
                + ", each needs weight_ih and weight_hh";
    }

    /** Checks and converts the tensors of one (layer, direction). */
    private LayerParams layer(RnnSpec spec, int l, int d) {
        float[][] arrays = new float[Kind.values().length][];
        for (Kind k : Kind.values()) {
            PyTorchName name = PyTorchName.of(k, l, d);
            Tensor t = params.get(name);
            Presence expected = presence(spec, k);
            if (expected.required) {
                if (t == null) {
                    throw error(prefix + name + ": missing (" + expected.why + ")");
                }
                arrays[k.ordinal()] = checked(t, dims(spec, k, l));
            } else if (t != null) {
                throw error(t.name() + ": unexpected (" + expected.why + ")");
            }
        }
        return new LayerParams(arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5]);
    }

    private Presence presence(RnnSpec spec, Kind k) {
        String p = prefix;
        return switch (k) {
            case WEIGHT_IH, WEIGHT_HH -> new Presence(true, everyLayerNeeds(spec.numLayers(), spec.bidirectional()));
            case BIAS_IH, BIAS_HH -> new Presence(spec.bias(), spec.bias()
                    ? p + "bias_ih_l0 or " + p + "bias_hh_l0 is present, so every layer has both biases"
                    : p + "bias_ih_l0 and " + p + "bias_hh_l0 are absent, so no layer has biases");
            case WEIGHT_HR -> new Presence(spec.projSize() > 0, spec.projSize() > 0
                    ? p + "weight_hr_l0 is present, so every layer has a projection"
                    : p + "weight_hr_l0 is absent, so no layer has a projection");
            case WEIGHT_PEEPHOLE -> new Presence(spec.peepholes(), spec.peepholes()
                    ? p + "weight_peephole_l0 is present, so every layer has peepholes"
                    : p + "weight_peephole_l0 is absent, so no layer has peepholes");
        };
    }

    /** The expected shape of tensor {@code k} of {@code layer}, each dimension with its source. */
    private Dim[] dims(RnnSpec spec, Kind k, int layer) {
        long[] shape = PyTorchWeights.shape(spec, k, layer);
        String p = prefix;
        String hiddenFrom = "hidden size " + spec.hiddenSize() + " from " + p + "weight_hh_l0";
        Dim gatesTimesHidden = new Dim(shape[0], spec.gates() + " gates x " + hiddenFrom);
        return switch (k) {
            case WEIGHT_IH -> new Dim[] {gatesTimesHidden, new Dim(shape[1], layer == 0
                    ? "input size from " + p + "weight_ih_l0"
                    : (spec.bidirectional() ? "2 directions x " : "") + "output size " + spec.outputSize()
                            + " of layer " + (layer - 1))};
            case WEIGHT_HH -> new Dim[] {gatesTimesHidden,
                    new Dim(shape[1], "output size from " + p + "weight_hh_l0")};
            case BIAS_IH, BIAS_HH -> new Dim[] {gatesTimesHidden};
            case WEIGHT_HR -> new Dim[] {new Dim(shape[0], "projection size from " + p + "weight_hr_l0"),
                    new Dim(shape[1], hiddenFrom)};
            case WEIGHT_PEEPHOLE -> new Dim[] {new Dim(shape[0], "3 gates (i, f, o) x " + hiddenFrom)};
        };
    }

    private float[] checked(Tensor t, Dim[] expected) {
        rank(t, expected.length, null);
        for (int i = 0; i < expected.length; i++) {
            if (t.dim(i) != expected[i].size) {
                throw error(t.name() + ": dimension " + i + " expected " + expected[i].size + " (" + expected[i].why
                        + "), found " + t.dim(i));
            }
        }
        if (!t.dtype().isFloatingPoint()) {
            throw error(t.name() + ": dtype expected a floating-point type (F32, F64, F16, BF16, F8), found " + t.dtype());
        }
        return t.toFloats();
    }

    private void rank(Tensor t, int rank, String layout) {
        if (t.rank() != rank) {
            throw error(t.name() + ": rank expected " + rank + (layout == null ? "" : " (" + layout + ")")
                    + ", found " + t.rank() + " (shape " + PyTorchWeights.shapeString(t.shape()) + ")");
        }
    }

    private int toInt(Tensor t, int dim) {
        if (t.dim(dim) > Integer.MAX_VALUE) {
            throw error(t.name() + ": dimension " + dim + " is " + t.dim(dim) + ", more than an int");
        }
        return (int) t.dim(dim);
    }

    /** "; the shape fits gru (3 gates x 16): is the cell right?" when rows = G' x cols for another cell. */
    private String cellHint(long rows, long cols) {
        if (cols == 0 || rows % cols != 0) {
            return "";
        }
        String fits = switch ((int) Math.min(rows / cols, 5)) {
            case 1 -> "rnn_tanh or rnn_relu";
            case 3 -> "gru";
            case 4 -> "lstm";
            default -> null;
        };
        if (fits == null || rows / cols == cell.gates()) {
            return "";
        }
        return "; the shape [" + rows + ", " + cols + "] fits " + fits + " (" + rows / cols + " gates x " + cols
                + "): is the cell right?";
    }

    private IllegalArgumentException noWeights() {
        StringBuilder msg = new StringBuilder(where + ": no tensor " + prefix + "weight_ih_l0");
        if (!params.isEmpty()) {
            List<String> names = new ArrayList<>();
            params.values().forEach(t -> names.add(t.name()));
            msg.append(" (found ").append(String.join(", ", names)).append(")");
        }
        Set<String> hints = PyTorchWeights.prefixesWithWeights(file);
        hints.remove(prefix);
        if (!hints.isEmpty()) {
            List<String> quoted = new ArrayList<>();
            hints.forEach(h -> quoted.add("'" + h + "'"));
            msg.append("; the file has RNN weights under prefix ").append(String.join(", ", quoted))
                    .append(": select one with the prefix option");
        } else if (file.names().isEmpty()) {
            msg.append("; the file holds no tensors");
        } else if (params.isEmpty()) {
            List<String> names = file.names();
            msg.append("; the file holds ").append(String.join(", ", names.subList(0, Math.min(8, names.size()))))
                    .append(names.size() > 8 ? ", ..." : "");
        }
        return error(msg.substring(where.length() + 2));
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(where + ": " + message);
    }
}
