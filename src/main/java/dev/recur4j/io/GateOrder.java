package dev.recur4j.io;

import dev.recur4j.CellKind;
import java.util.List;

/**
 * The order of the gate blocks inside the stacked weight matrices and biases of each framework.
 * A weight of G gates is {@code [G*H, cols]} row-major, so each gate is one contiguous block of
 * {@code H*cols} values, and converting between frameworks permutes whole blocks.
 *
 * <pre>
 *            LSTM              GRU
 * recur4j    i f g o           r z n      (= PyTorch, so PyTorch weights load unpermuted)
 * PyTorch    i f g o           r z n
 * ONNX       i o f c           z r h      (c = g, the cell candidate; h = n, the new gate)
 * oneDNN     i f c~ o          u r o      (c~ = g; u = z, the update gate; o = n)
 * Keras      i f c o           z r h
 * </pre>
 * RNN cells have one block, so every order is {@code [N]}.
 */
public final class GateOrder {
    /** A gate, named by what it computes rather than by any framework's letter. */
    public enum Gate {
        /** LSTM input gate i. */
        INPUT,
        /** LSTM forget gate f. */
        FORGET,
        /** LSTM cell candidate g (ONNX c, oneDNN c~). */
        CELL,
        /** LSTM output gate o. */
        OUTPUT,
        /** GRU reset gate r. */
        RESET,
        /** GRU update gate z (oneDNN u). */
        UPDATE,
        /** GRU new / candidate gate n (ONNX h, oneDNN o). */
        NEW,
        /** The single block of a plain RNN. */
        RNN
    }

    /** Frameworks whose weights we may import. */
    public enum Framework { PYTORCH, ONNX, ONEDNN, KERAS }

    private static final List<Gate> IFGO = List.of(Gate.INPUT, Gate.FORGET, Gate.CELL, Gate.OUTPUT);
    private static final List<Gate> IOFC = List.of(Gate.INPUT, Gate.OUTPUT, Gate.FORGET, Gate.CELL);
    private static final List<Gate> RZN = List.of(Gate.RESET, Gate.UPDATE, Gate.NEW);
    private static final List<Gate> ZRN = List.of(Gate.UPDATE, Gate.RESET, Gate.NEW);
    private static final List<Gate> ONE = List.of(Gate.RNN);

    private GateOrder() {
    }

    /** Our internal order for {@code cell}, which is PyTorch's. */
    public static List<Gate> internal(CellKind cell) {
        return of(Framework.PYTORCH, cell);
    }

    /** {@code framework}'s block order for {@code cell}. */
    public static List<Gate> of(Framework framework, CellKind cell) {
        return switch (cell) {
            case RNN_TANH, RNN_RELU -> ONE;
            case LSTM -> framework == Framework.ONNX ? IOFC : IFGO;
            case GRU -> framework == Framework.PYTORCH ? RZN : ZRN;
        };
    }

    /**
     * For each position of {@code to}, the index in {@code from} of the same gate:
     * block {@code k} of the result is block {@code perm[k]} of the source.
     */
    public static int[] permutation(List<Gate> from, List<Gate> to) {
        if (from.size() != to.size() || !from.containsAll(to)) {
            throw new IllegalArgumentException("gate orders " + from + " and " + to + " hold different gates");
        }
        int[] perm = new int[to.size()];
        for (int k = 0; k < perm.length; k++) {
            perm[k] = from.indexOf(to.get(k));
        }
        return perm;
    }

    /**
     * Reorders the gate blocks of a stacked weight or bias ({@code [G*H, cols]} or {@code [G*H]},
     * row-major) from order {@code from} to order {@code to}; returns a new array.
     */
    public static float[] reorder(float[] stacked, List<Gate> from, List<Gate> to) {
        int[] perm = permutation(from, to);
        int g = perm.length;
        if (stacked.length % g != 0) {
            throw new IllegalArgumentException("reorder: " + stacked.length + " values do not split into " + g
                    + " gate blocks");
        }
        int block = stacked.length / g;
        float[] out = new float[stacked.length];
        for (int k = 0; k < g; k++) {
            System.arraycopy(stacked, perm[k] * block, out, k * block, block);
        }
        return out;
    }
}
