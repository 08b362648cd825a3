package dev.recur4j;

/**
 * The architecture of a (possibly stacked, possibly bidirectional) recurrent layer, the same
 * information as the constructor of PyTorch's {@code nn.RNN} / {@code nn.LSTM} / {@code nn.GRU}
 * plus the variants PyTorch lacks (LSTM peepholes, reset-before-linear GRU).
 *
 * @param cell              the cell
 * @param inputSize         I, features of the layer-0 input
 * @param hiddenSize        H, size of the cell state and of the gates
 * @param projSize          P, LSTM projection size ({@code weight_hr}), or 0 for none
 * @param numLayers         L, stacked layers
 * @param bidirectional     D = 2 when true: each layer's output is [forward | reverse]
 * @param bias              whether b_ih and b_hh exist
 * @param peepholes         LSTM only: i and f see c(t-1), o sees c(t)
 * @param linearBeforeReset GRU only: n = tanh(W_in x + b_in + r*(W_hn h + b_hn)) when true
 *                          (PyTorch, the default); n = tanh(W_in x + b_in + W_hn (r*h) + b_hn) when false;
 *                          true (the default) for every other cell
 */
public record RnnSpec(CellKind cell, int inputSize, int hiddenSize, int projSize, int numLayers,
                      boolean bidirectional, boolean bias, boolean peepholes, boolean linearBeforeReset) {

    public RnnSpec {
        if (cell == null) {
            throw new IllegalArgumentException("cell must not be null");
        }
        positive("inputSize", inputSize);
        positive("hiddenSize", hiddenSize);
        positive("numLayers", numLayers);
        if (projSize < 0) {
            throw new IllegalArgumentException("projSize must be >= 0, found " + projSize);
        }
        if (projSize > 0 && cell != CellKind.LSTM) {
            throw new IllegalArgumentException("projSize is only supported for LSTM, found cell " + cell);
        }
        if (projSize >= hiddenSize && projSize > 0) {
            throw new IllegalArgumentException("projSize must be < hiddenSize (" + hiddenSize + "), found " + projSize);
        }
        if (peepholes && cell != CellKind.LSTM) {
            throw new IllegalArgumentException("peepholes are only supported for LSTM, found cell " + cell);
        }
        requireGruForResetBeforeLinear(cell, linearBeforeReset);
        // the products this record hands out as ints (slots, a layer's input size, a weight's rows) must not wrap
        int d = bidirectional ? 2 : 1;
        fits("numLayers x directions", (long) numLayers * d);
        fits("directions x output size", (long) d * (projSize > 0 ? projSize : hiddenSize));
        fits("gates x hiddenSize", (long) cell.gates() * hiddenSize);
    }

    /**
     * linearBeforeReset = false names a GRU variant; other cells must keep the default, so that two specs of the same
     * LSTM or RNN are never unequal by a flag that changes nothing, and a caller asking for the variant of a cell
     * that has none hears of it.
     */
    public static void requireGruForResetBeforeLinear(CellKind cell, boolean linearBeforeReset) {
        if (!linearBeforeReset && cell != CellKind.GRU) {
            throw new IllegalArgumentException("linearBeforeReset = false (reset-before-linear) is only supported for GRU,"
                    + " found cell " + cell);
        }
    }

    private static void fits(String what, long n) {
        if (n > Shapes.MAX_ARRAY) {
            throw new IllegalArgumentException(what + " = " + n + ", more than a Java array holds (" + Shapes.MAX_ARRAY
                    + ")");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, found " + v);
        }
    }

    /** G, gate blocks per weight matrix. */
    public int gates() {
        return cell.gates();
    }

    /** D, 1 or 2. */
    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** Hout: the size of h (the projection size when there is one). */
    public int outputSize() {
        return projSize > 0 ? projSize : hiddenSize;
    }

    /** Features of the input of {@code layer}: I for layer 0, D*Hout above. */
    public int layerInputSize(int layer) {
        return layer == 0 ? inputSize : directions() * outputSize();
    }

    public boolean hasCellState() {
        return cell == CellKind.LSTM;
    }

    /** Index of (layer, direction) in h0/h_n and in {@link RnnWeights#layer(int, int)}: layer*D + dir. */
    public int slot(int layer, int direction) {
        return layer * directions() + direction;
    }

    /** L*D, the first dimension of h0, c0, h_n and c_n. */
    public int slots() {
        return numLayers * directions();
    }

    public static Builder builder(CellKind cell, int inputSize, int hiddenSize) {
        return new Builder(cell, inputSize, hiddenSize);
    }

    /** Builder with PyTorch's defaults: 1 layer, unidirectional, with bias, linear-before-reset. */
    public static final class Builder {
        private final CellKind cell;
        private final int inputSize;
        private final int hiddenSize;
        private int projSize;
        private int numLayers = 1;
        private boolean bidirectional;
        private boolean bias = true;
        private boolean peepholes;
        private boolean linearBeforeReset = true;

        private Builder(CellKind cell, int inputSize, int hiddenSize) {
            this.cell = cell;
            this.inputSize = inputSize;
            this.hiddenSize = hiddenSize;
        }

        public Builder projSize(int v) { this.projSize = v; return this; }
        public Builder numLayers(int v) { this.numLayers = v; return this; }
        public Builder bidirectional(boolean v) { this.bidirectional = v; return this; }
        public Builder bias(boolean v) { this.bias = v; return this; }
        public Builder peepholes(boolean v) { this.peepholes = v; return this; }
        public Builder linearBeforeReset(boolean v) { this.linearBeforeReset = v; return this; }

        public RnnSpec build() {
            return new RnnSpec(cell, inputSize, hiddenSize, projSize, numLayers, bidirectional, bias, peepholes,
                    linearBeforeReset);
        }
    }
}
