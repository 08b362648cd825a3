package dev.recur4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One PyTorch golden case, read from {@code src/test/resources/golden/<case>/} (written by
 * {@code scripts/gen_fixtures.py}): the weights, the inputs, the output gradients and the
 * float64 results torch computed for them.
 *
 * <pre>
 * weights.safetensors   weight_ih_l0, weight_hh_l0, bias_*, weight_hr_l0, ..._reverse   F32
 * input.safetensors     input [B,T,I], h0, c0 F32; lengths [B] I64                     (h0, c0, lengths optional)
 * grad.safetensors      grad_output [B,T,D*Hout], grad_h_n, grad_c_n F32                (last two optional)
 * expected.safetensors  output, h_n, c_n, grad.input, grad.h0, grad.c0, grad.&lt;param&gt; F64 + metadata
 * </pre>
 */
record GoldenCase(String name, Map<String, String> metadata, RnnWeights weights, RnnBatch batch,
                  RnnGradOutput gradOut, Map<String, double[]> expected) {

    static final Path ROOT = Path.of("src", "test", "resources", "golden");
    static final String MAGIC = "recur4j-golden";
    static final String VERSION = "1";

    /** The case folders, sorted by name. */
    static List<Path> folders() {
        try (Stream<Path> s = Files.list(ROOT)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list golden fixtures under " + ROOT.toAbsolutePath(), e);
        }
    }

    static GoldenCase load(Path folder) {
        try {
            SafetensorsTestReader.File expectedFile = SafetensorsTestReader.read(folder.resolve("expected.safetensors"));
            CellKind cell = CellKind.fromCliName(expectedFile.metadata().getOrDefault("cell", "?"));
            RnnWeights weights = weights(cell, SafetensorsTestReader.read(folder.resolve("weights.safetensors")));
            RnnBatch batch = batch(SafetensorsTestReader.read(folder.resolve("input.safetensors")));
            RnnGradOutput gradOut = gradOut(SafetensorsTestReader.read(folder.resolve("grad.safetensors")));
            Map<String, double[]> expected = new LinkedHashMap<>();
            expectedFile.tensors().forEach((n, t) -> expected.put(n, t.values()));
            return new GoldenCase(folder.getFileName().toString(), expectedFile.metadata(), weights, batch, gradOut,
                    expected);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read golden case " + folder, e);
        }
    }

    /** Infers the spec from PyTorch's parameter names and shapes, the way nn.RNN/LSTM/GRU name them. */
    private static RnnWeights weights(CellKind cell, SafetensorsTestReader.File f) {
        Map<String, SafetensorsTestReader.Entry> t = f.tensors();
        int layers = 0;
        while (t.containsKey("weight_ih_l" + layers)) {
            layers++;
        }
        long[] ih = f.get("weight_ih_l0").shape();
        long[] hr = t.containsKey("weight_hr_l0") ? t.get("weight_hr_l0").shape() : null;
        RnnSpec spec = RnnSpec.builder(cell, (int) ih[1], (int) ih[0] / cell.gates())
                .numLayers(layers)
                .bidirectional(t.containsKey("weight_ih_l0_reverse"))
                .bias(t.containsKey("bias_ih_l0"))
                .projSize(hr == null ? 0 : (int) hr[0])
                .build();
        LayerParams[] params = new LayerParams[spec.slots()];
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                String sfx = RnnWeights.suffix(l, d);
                params[spec.slot(l, d)] = new LayerParams(
                        f.get("weight_ih" + sfx).toFloats(), f.get("weight_hh" + sfx).toFloats(),
                        floatsOrNull(f, "bias_ih" + sfx), floatsOrNull(f, "bias_hh" + sfx),
                        floatsOrNull(f, "weight_hr" + sfx), null);
            }
        }
        List<String> unused = new ArrayList<>(t.keySet());
        unused.removeIf(n -> n.matches("(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l\\d+(_reverse)?"));
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("unexpected weights " + unused);
        }
        return new RnnWeights(spec, params);
    }

    private static RnnBatch batch(SafetensorsTestReader.File f) {
        SafetensorsTestReader.Entry input = f.get("input");
        Map<String, SafetensorsTestReader.Entry> t = f.tensors();
        return new RnnBatch((int) input.shape()[0], (int) input.shape()[1], input.toFloats(),
                t.containsKey("lengths") ? t.get("lengths").toInts() : null,
                floatsOrNull(f, "h0"), floatsOrNull(f, "c0"));
    }

    private static RnnGradOutput gradOut(SafetensorsTestReader.File f) {
        return new RnnGradOutput(f.get("grad_output").toFloats(), floatsOrNull(f, "grad_h_n"),
                floatsOrNull(f, "grad_c_n"));
    }

    private static float[] floatsOrNull(SafetensorsTestReader.File f, String name) {
        return f.tensors().containsKey(name) ? f.get(name).toFloats() : null;
    }

    RnnSpec spec() {
        return weights.spec();
    }

    private static final Pattern PARAM_GRAD =
            Pattern.compile("grad\\.(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\\d+)(_reverse)?");

    /** The array of {@code result}/{@code grads} that the expected tensor {@code name} describes. */
    static float[] actual(String name, RnnResult result, RnnGradients grads) {
        switch (name) {
            case "output": return result.output();
            case "h_n": return result.hN();
            case "c_n": return result.cN();
            case "grad.input": return grads.gradInput();
            case "grad.h0": return grads.gradH0();
            case "grad.c0": return grads.gradC0();
            default: break;
        }
        Matcher m = PARAM_GRAD.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("unknown expected tensor " + name);
        }
        LayerParams p = grads.params().layer(Integer.parseInt(m.group(2)), m.group(3) == null ? 0 : 1);
        return switch (m.group(1)) {
            case "weight_ih" -> p.wIh();
            case "weight_hh" -> p.wHh();
            case "bias_ih" -> p.bIh();
            case "bias_hh" -> p.bHh();
            default -> p.wHr();
        };
    }
}
