package dev.recur4j.peers.ort;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Function;

/**
 * Writes an ONNX model (opset 14) of one LSTM / GRU stack, time-major like the oneDNN peer:
 * <pre>
 *   x [T, B, In] -> LSTM|GRU -> Y [T, D, B, H] -> (D = 2: Transpose 0,2,1,3) -> Reshape [T, B, D*H] -> next layer
 * </pre>
 * The last layer's [T, B, D*H] is the graph output "y", directions concatenated as in PyTorch's output.
 * Each layer's weights are initializers: W [D, G*H, In], R [D, G*H, H], B [D, 2*G*H] (= [Wb, Rb]), in ONNX's gate
 * order (LSTM i o f c, GRU z r h); GRU has linear_before_reset = 1, PyTorch's GRU. Initial states are zero
 * (not given) and only Y is asked for, as in compare_torch.py's other sides.
 * ONNX Runtime's CPU kernels take only layout = 0 (time-major), hence the time-major input.
 * Field numbers are onnx.proto's (github.com/onnx/onnx, onnx/onnx.proto).
 */
final class OnnxRnnModel {
    static final String INPUT = "x", OUTPUT = "y";
    static final int OPSET = 14;

    // Where ONNX's gate k comes from in PyTorch's order: LSTM i o f c <- i f g o, GRU z r h <- r z n.
    private static final int[] LSTM_FROM_PYTORCH = {0, 3, 1, 2}, GRU_FROM_PYTORCH = {1, 0, 2};
    private static final int FLOAT = 1, INT64 = 7;  // TensorProto.DataType
    private static final int ATTR_INT = 2, ATTR_STRING = 3, ATTR_INTS = 7;  // AttributeProto.AttributeType

    private OnnxRnnModel() {}

    /** The serialized ModelProto; {@code weights} holds every layer's directions, layer-major (see LayerWeights). */
    static byte[] build(RnnShape s, List<LayerWeights> weights) {
        if (weights.size() != s.layers() * s.directions())
            throw new IllegalArgumentException("expected " + s.layers() * s.directions() + " layer weights, found "
                    + weights.size());
        int T = s.seq(), B = s.batch(), H = s.hidden(), D = s.directions();
        ProtoWriter graph = new ProtoWriter().string(2, "recur4j_" + s.cell());  // GraphProto.name
        graph.message(5, int64Tensor("out_shape", new long[] {3}, new long[] {T, B, (long) D * H}));
        String layerInput = INPUT;
        for (int l = 0; l < s.layers(); l++) {
            List<LayerWeights> layer = weights.subList(l * D, (l + 1) * D);
            String w = "W" + l, r = "R" + l, b = "B" + l, y = "Y" + l;
            graph.message(5, floatTensor(w, new long[] {D, (long) s.gates() * H, s.layerInput(l)},
                    gateRows(s, layer, LayerWeights::weightIh)));
            graph.message(5, floatTensor(r, new long[] {D, (long) s.gates() * H, H},
                    gateRows(s, layer, LayerWeights::weightHh)));
            graph.message(5, floatTensor(b, new long[] {D, 2L * s.gates() * H}, biases(s, layer)));
            ProtoWriter rnn = node(s.isGru() ? "GRU" : "LSTM", List.of(layerInput, w, r, b), y)
                    .message(5, attribute("hidden_size", ATTR_INT).varint(3, H))  // AttributeProto.i
                    .message(5, attribute("direction", ATTR_STRING)
                            .string(4, s.bidirectional() ? "bidirectional" : "forward"));  // AttributeProto.s
            if (s.isGru()) rnn.message(5, attribute("linear_before_reset", ATTR_INT).varint(3, 1));
            graph.message(1, rnn);
            String joined = y;
            if (D == 2) {  // [T, 2, B, H] -> [T, B, 2, H], so that the reshape concatenates the directions
                joined = "Yt" + l;
                graph.message(1, node("Transpose", List.of(y), joined)
                        .message(5, attribute("perm", ATTR_INTS).varints(8, 0, 2, 1, 3)));  // AttributeProto.ints
            }
            layerInput = l == s.layers() - 1 ? OUTPUT : "H" + l;
            graph.message(1, node("Reshape", List.of(joined, "out_shape"), layerInput));
        }
        graph.message(11, valueInfo(INPUT, T, B, s.inputSize()));  // GraphProto.input
        graph.message(12, valueInfo(OUTPUT, T, B, (long) D * H));  // GraphProto.output
        return new ProtoWriter()
                .varint(1, 8)  // ModelProto.ir_version: IR 8 (ONNX 1.10+)
                .string(2, "recur4j-ort-peer")  // producer_name
                .message(8, new ProtoWriter().string(1, "").varint(2, OPSET))  // opset_import: default domain
                .message(7, graph)
                .toByteArray();
    }

    /** Rows of [D, G*H, cols] from PyTorch's [G*H, cols] per direction, gates reordered to ONNX's. */
    private static float[] gateRows(RnnShape s, List<LayerWeights> layer, Function<LayerWeights, float[]> part) {
        int[] from = s.isGru() ? GRU_FROM_PYTORCH : LSTM_FROM_PYTORCH;
        int block = part.apply(layer.get(0)).length / s.gates();  // H rows of one gate
        float[] out = new float[layer.size() * s.gates() * block];
        int o = 0;
        for (LayerWeights dir : layer)
            for (int k = 0; k < s.gates(); k++, o += block)
                System.arraycopy(part.apply(dir), from[k] * block, out, o, block);
        return out;
    }

    /** [D, 2*G*H]: per direction the input biases (ONNX Wb), then the recurrent ones (Rb), gates reordered. */
    private static float[] biases(RnnShape s, List<LayerWeights> layer) {
        float[] wb = gateRows(s, layer, LayerWeights::biasIh), rb = gateRows(s, layer, LayerWeights::biasHh);
        int n = s.gates() * s.hidden();
        float[] out = new float[2 * wb.length];
        for (int d = 0; d < layer.size(); d++) {
            System.arraycopy(wb, d * n, out, 2 * d * n, n);
            System.arraycopy(rb, d * n, out, 2 * d * n + n, n);
        }
        return out;
    }

    // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
    private static ProtoWriter node(String opType, List<String> inputs, String output) {
        ProtoWriter n = new ProtoWriter();
        for (String in : inputs) n.string(1, in);
        return n.string(2, output).string(3, output + "_" + opType).string(4, opType);
    }

    // AttributeProto: name 1, type 20; the value field follows (i 3, s 4, ints 8).
    private static ProtoWriter attribute(String name, int type) {
        return new ProtoWriter().string(1, name).varint(20, type);
    }

    // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian).
    private static ProtoWriter floatTensor(String name, long[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return new ProtoWriter().varints(1, dims).varint(2, FLOAT).string(8, name).bytes(9, raw.array());
    }

    private static ProtoWriter int64Tensor(String name, long[] dims, long[] values) {
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return new ProtoWriter().varints(1, dims).varint(2, INT64).string(8, name).bytes(9, raw.array());
    }

    // ValueInfoProto{name 1, type 2: TypeProto{tensor_type 1: {elem_type 1, shape 2: {dim 1: {dim_value 1}}}}}.
    private static ProtoWriter valueInfo(String name, long... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (long d : dims) shape.message(1, new ProtoWriter().varint(1, d));
        ProtoWriter tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
    }
}
