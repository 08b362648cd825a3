package dev.recur4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PyTorchWeightsTest {
    private static final Path FILE = Path.of("w.safetensors");

    static Stream<RnnSpec> specs() {
        return Stream.of(
                RnnSpec.builder(CellKind.LSTM, 5, 7).build(),
                RnnSpec.builder(CellKind.LSTM, 5, 7).projSize(3).numLayers(2).bidirectional(true).peepholes(true)
                        .build(),
                RnnSpec.builder(CellKind.GRU, 4, 6).numLayers(3).bias(false).build(),
                RnnSpec.builder(CellKind.GRU, 4, 6).bidirectional(true).linearBeforeReset(false).build(),
                RnnSpec.builder(CellKind.RNN_TANH, 3, 2).numLayers(2).build(),
                RnnSpec.builder(CellKind.RNN_RELU, 1, 9).bidirectional(true).bias(false).build());
    }

    private static SafetensorsFile file(List<Tensor> tensors) {
        return new SafetensorsFile(FILE, tensors, Map.of());
    }

    private static RnnWeights load(List<Tensor> tensors, CellKind cell) {
        return PyTorchWeights.fromFile(file(tensors), cell, "", true);
    }

    private static String error(List<Tensor> tensors, CellKind cell) {
        return assertThrows(IllegalArgumentException.class, () -> load(tensors, cell)).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "message '" + message + "' should mention '" + p + "'");
        }
    }

    private static List<Tensor> without(List<Tensor> ts, String name) {
        List<Tensor> out = new ArrayList<>(ts);
        assertTrue(out.removeIf(t -> t.name().equals(name)), name);
        return out;
    }

    private static List<Tensor> replaced(List<Tensor> ts, Tensor t) {
        List<Tensor> out = new ArrayList<>(ts);
        out.replaceAll(x -> x.name().equals(t.name()) ? t : x);
        return out;
    }

    private static void assertSameWeights(RnnWeights expected, RnnWeights actual) {
        assertEquals(expected.spec(), actual.spec());
        assertEquals(PyTorchWeights.toTensors(expected), PyTorchWeights.toTensors(actual));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void infersEveryArchitectureFeature(RnnSpec spec) {
        RnnWeights w = RnnWeights.random(spec, 42);
        List<Tensor> tensors = PyTorchWeights.toTensors(w);
        RnnWeights back = PyTorchWeights.fromFile(file(tensors), spec.cell(), "", spec.linearBeforeReset());
        assertSameWeights(w, back);
        assertArrayEquals(w.layer(spec.numLayers() - 1, spec.directions() - 1).wHh(),
                back.layer(spec.numLayers() - 1, spec.directions() - 1).wHh());
    }

    @Test
    void namesAndShapesArePyTorchs() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 5, 7).projSize(3).numLayers(2).bidirectional(true).build();
        List<Tensor> ts = PyTorchWeights.toTensors(RnnWeights.random(spec, 1));
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
                "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                "weight_hr_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
                "weight_hr_l1_reverse"), ts.stream().map(Tensor::name).toList());
        SafetensorsFile f = file(ts);
        assertArrayEquals(new long[] {28, 5}, f.get("weight_ih_l0").shape());
        assertArrayEquals(new long[] {28, 3}, f.get("weight_hh_l0").shape());
        assertArrayEquals(new long[] {28, 6}, f.get("weight_ih_l1").shape());
        assertArrayEquals(new long[] {3, 7}, f.get("weight_hr_l1_reverse").shape());
        assertArrayEquals(new long[] {28}, f.get("bias_hh_l1").shape());
    }

    @Test
    void acceptsOtherFloatingTypes() {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 2, 2).build();
        List<Tensor> ts = new ArrayList<>();
        for (Tensor t : PyTorchWeights.toTensors(RnnWeights.random(spec, 3))) {
            ts.add(Tensor.ofFloats(t.name(), DType.F64, t.toFloats(), t.shape()));
        }
        assertEquals(spec, load(ts, CellKind.GRU).spec());
    }

    @Test
    void prefixPicksOneModule(@TempDir Path dir) throws IOException {
        RnnSpec enc = RnnSpec.builder(CellKind.LSTM, 5, 4).bidirectional(true).build();
        RnnSpec dec = RnnSpec.builder(CellKind.LSTM, 8, 6).numLayers(2).build();
        RnnWeights encW = RnnWeights.random(enc, 1);
        List<Tensor> all = new ArrayList<>(PyTorchWeights.toTensors(encW, "encoder.rnn."));
        all.addAll(PyTorchWeights.toTensors(RnnWeights.random(dec, 2), "decoder.rnn."));
        all.add(Tensor.ofFloats("decoder.fc.weight", new float[6], 1, 6));
        Path p = dir.resolve("model.safetensors");
        Safetensors.write(p, all, Map.of());
        assertSameWeights(encW, PyTorchWeights.load(p, CellKind.LSTM, "encoder.rnn.", true));
        assertEquals(dec, PyTorchWeights.load(p, CellKind.LSTM, "decoder.rnn.", true).spec());

        String m = assertThrows(IllegalArgumentException.class,
                () -> PyTorchWeights.load(p, CellKind.LSTM, "", true)).getMessage();
        assertMentions(m, "model.safetensors", "no tensor weight_ih_l0", "'encoder.rnn.'", "'decoder.rnn.'", "prefix");
        m = assertThrows(IllegalArgumentException.class,
                () -> PyTorchWeights.load(p, CellKind.LSTM, "encoder.", true)).getMessage();
        assertMentions(m, "no tensor encoder.weight_ih_l0", "'encoder.rnn.'");
    }

    @Test
    void rejectsUnknownNamesAndMissingWeights() {
        List<Tensor> ts = PyTorchWeights.toTensors(RnnWeights.random(RnnSpec.builder(CellKind.GRU, 2, 3).build(), 1));
        List<Tensor> extra = new ArrayList<>(ts);
        extra.add(Tensor.ofFloats("weight_xh_l0", new float[1], 1));
        assertMentions(error(extra, CellKind.GRU), "w.safetensors", "unexpected tensor 'weight_xh_l0'");
        assertMentions(error(without(ts, "weight_hh_l0"), CellKind.GRU), "weight_hh_l0: missing");
        assertMentions(error(List.of(), CellKind.GRU), "no tensor weight_ih_l0", "holds no tensors");
    }

    @Test
    void biasesComeInPairs() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 2, 3).numLayers(2).build();
        List<Tensor> ts = PyTorchWeights.toTensors(RnnWeights.random(spec, 1));
        assertMentions(error(without(ts, "bias_hh_l1"), CellKind.LSTM), "bias_hh_l1: missing", "both biases");
        assertMentions(error(without(ts, "bias_hh_l0"), CellKind.LSTM), "bias_hh_l0: missing");
        List<Tensor> noBias0 = without(without(ts, "bias_ih_l0"), "bias_hh_l0");
        assertMentions(error(noBias0, CellKind.LSTM), "bias_ih_l1: unexpected", "bias_ih_l0 and bias_hh_l0 are absent");
    }

    @Test
    void everyLayerAndDirectionNeedsItsWeights() {
        RnnSpec spec = RnnSpec.builder(CellKind.RNN_TANH, 2, 3).numLayers(2).bidirectional(true).build();
        List<Tensor> ts = PyTorchWeights.toTensors(RnnWeights.random(spec, 1));
        assertMentions(error(without(ts, "weight_ih_l1_reverse"), CellKind.RNN_TANH),
                "weight_ih_l1_reverse: missing", "l0..l1 with _reverse");
        // one stray layer index must not size anything: it once allocated an array of two billion layers (8 GB of
        // references, an OutOfMemoryError here) before the gap at layer 2 was named
        List<Tensor> stray = new ArrayList<>(ts);
        stray.add(Tensor.ofFloats("weight_ih_l999999999_reverse", new float[3], 3, 1));
        assertMentions(error(stray, CellKind.RNN_TANH), "weight_ih_l2: missing", "l0..l999999999 with _reverse");
    }

    @Test
    void resetBeforeLinearIsRefusedForCellsOtherThanGru() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 3, 4).build();
        SafetensorsFile lstm = file(PyTorchWeights.toTensors(RnnWeights.random(spec, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PyTorchWeights.fromFile(lstm, CellKind.LSTM, "", false));
        assertMentions(e.getMessage(), "linearBeforeReset = false", "only supported for GRU", "LSTM");
        assertEquals(spec, PyTorchWeights.fromFile(lstm, CellKind.LSTM, "", true).spec());
    }

    @Test
    void shapeErrorsNameTensorDimensionExpectedAndFound() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 5, 4).numLayers(2).bidirectional(true).build();
        List<Tensor> ts = PyTorchWeights.toTensors(RnnWeights.random(spec, 1));
        assertMentions(error(replaced(ts, Tensor.ofFloats("weight_hh_l1", new float[15 * 4], 15, 4)), CellKind.LSTM),
                "weight_hh_l1: dimension 0 expected 16", "4 gates x hidden size 4", "found 15");
        assertMentions(error(replaced(ts, Tensor.ofFloats("weight_ih_l1", new float[16 * 4], 16, 4)), CellKind.LSTM),
                "weight_ih_l1: dimension 1 expected 8", "2 directions x output size 4 of layer 0", "found 4");
        assertMentions(error(replaced(ts, Tensor.ofFloats("weight_ih_l0_reverse", new float[16 * 6], 16, 6)),
                CellKind.LSTM), "weight_ih_l0_reverse: dimension 1 expected 5", "input size", "found 6");
        assertMentions(error(replaced(ts, Tensor.ofFloats("bias_ih_l0", new float[16], 4, 4)), CellKind.LSTM),
                "bias_ih_l0: rank expected 1, found 2");
        assertMentions(error(replaced(ts, Tensor.ofFloats("bias_ih_l0", new float[1])), CellKind.LSTM),
                "bias_ih_l0: rank expected 1, found 0 (shape [])");
        assertMentions(error(replaced(ts, Tensor.ofLongs("bias_ih_l0", new long[16], 16)), CellKind.LSTM),
                "bias_ih_l0: dtype expected a floating-point type", "found I64");
        // a size the spec refuses names the tensors it was read from
        List<Tensor> noInput = replaced(ts, Tensor.ofFloats("weight_ih_l0", new float[0], 16, 0));
        assertMentions(error(noInput, CellKind.LSTM), "inputSize must be > 0", "weight_ih_l0 [16, 0]");
    }

    @Test
    void wrongCellIsDiagnosed() {
        List<Tensor> lstm = PyTorchWeights.toTensors(
                RnnWeights.random(RnnSpec.builder(CellKind.LSTM, 5, 4).build(), 1));
        assertMentions(error(lstm, CellKind.GRU), "weight_hh_l0: dimension 0", "multiple of 3", "found 16",
                "fits lstm");
        assertMentions(error(lstm, CellKind.RNN_TANH), "weight_hh_l0: dimension 1 expected 16", "found 4",
                "fits lstm");
        List<Tensor> proj = PyTorchWeights.toTensors(
                RnnWeights.random(RnnSpec.builder(CellKind.LSTM, 5, 6).projSize(3).build(), 1));
        // weight_hh_l0 is [24, 3]: 24 = 3 gates x 8 for gru, so the projection is what gives it away.
        assertMentions(error(proj, CellKind.GRU), "weight_hr_l0", "only exists for LSTM", "gru");
        List<Tensor> peep = PyTorchWeights.toTensors(
                RnnWeights.random(RnnSpec.builder(CellKind.LSTM, 2, 3).peepholes(true).build(), 1));
        assertMentions(error(replaced(peep, Tensor.ofFloats("weight_peephole_l0", new float[8], 8)), CellKind.LSTM),
                "weight_peephole_l0: dimension 0 expected 9", "3 gates (i, f, o)", "found 8");
    }

    @Test
    void projectionShapesAreChecked() {
        List<Tensor> proj = PyTorchWeights.toTensors(
                RnnWeights.random(RnnSpec.builder(CellKind.LSTM, 5, 6).projSize(3).build(), 1));
        assertMentions(error(replaced(proj, Tensor.ofFloats("weight_hr_l0", new float[15], 3, 5)), CellKind.LSTM),
                "weight_hr_l0: dimension 1 expected 6", "found 5");
        assertMentions(error(replaced(proj, Tensor.ofFloats("weight_hr_l0", new float[12], 2, 6)), CellKind.LSTM),
                "weight_hh_l0: dimension 1 expected 2", "weight_hr_l0", "found 3");
    }

    @Test
    void gradientTensorsUsePyTorchNamesAndShapes() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 5, 4).bidirectional(true).build();
        RnnGradients g = RnnGradients.allocate(spec, 3, 7);
        g.gradInput()[1] = 2f;
        List<Tensor> ts = PyTorchWeights.gradientTensors(g, true, true);
        SafetensorsFile f = file(ts);
        assertEquals(List.of("grad.input", "grad.h0", "grad.c0", "grad.weight_ih_l0", "grad.weight_hh_l0",
                "grad.bias_ih_l0", "grad.bias_hh_l0", "grad.weight_ih_l0_reverse", "grad.weight_hh_l0_reverse",
                "grad.bias_ih_l0_reverse", "grad.bias_hh_l0_reverse"), f.names());
        assertArrayEquals(new long[] {3, 7, 5}, f.get("grad.input").shape());
        assertEquals(2f, f.get("grad.input").toFloats()[1]);
        assertArrayEquals(new long[] {2, 3, 4}, f.get("grad.c0").shape());
        assertEquals(List.of("grad.input", "grad.weight_ih_l0"),
                PyTorchWeights.gradientTensors(g, false, false).stream().map(Tensor::name).limit(2).toList());
    }
}
