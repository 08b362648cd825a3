package dev.recur4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.recur4j.CellKind;
import dev.recur4j.io.GateOrder.Framework;
import dev.recur4j.io.GateOrder.Gate;
import java.util.List;
import org.junit.jupiter.api.Test;

class GateOrderTest {

    @Test
    void onnxLstmIofcMapsToIfgoAndBack() {
        // Two rows per gate (H = 2) of one column: values 10*k + row identify ONNX block k = i, o, f, c.
        float[] onnx = {0, 1, 10, 11, 20, 21, 30, 31};
        List<Gate> from = GateOrder.of(Framework.ONNX, CellKind.LSTM);
        List<Gate> to = GateOrder.internal(CellKind.LSTM);
        assertArrayEquals(new int[] {0, 2, 3, 1}, GateOrder.permutation(from, to));
        float[] ours = GateOrder.reorder(onnx, from, to);
        assertArrayEquals(new float[] {0, 1, 20, 21, 30, 31, 10, 11}, ours); // i, f, g(=c), o
        assertArrayEquals(onnx, GateOrder.reorder(ours, to, from));
    }

    @Test
    void gruOrdersDifferByTheFirstTwoGates() {
        float[] onnx = {1, 2, 3}; // z, r, h with H = 1
        float[] ours = GateOrder.reorder(onnx, GateOrder.of(Framework.ONNX, CellKind.GRU),
                GateOrder.internal(CellKind.GRU));
        assertArrayEquals(new float[] {2, 1, 3}, ours); // r, z, n
        assertArrayEquals(new int[] {0, 1, 2, 3}, GateOrder.permutation(GateOrder.of(Framework.PYTORCH, CellKind.LSTM),
                GateOrder.of(Framework.ONEDNN, CellKind.LSTM)));
    }
}
