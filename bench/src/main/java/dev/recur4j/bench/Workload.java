package dev.recur4j.bench;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;

/**
 * The standard workloads of the performance issue (fp32), and W1B4. FLOPs: see {@link dev.recur4j.RnnFlops}.
 */
public enum Workload {
    /** Latency: LSTM, 1 layer, B=1, T=100, I=64, H=256, inference. */
    W1(CellKind.LSTM, 1, false, 1, 100, 64, 256, false),
    /** LSTM, B=64, T=100, I=256, H=512, inference. */
    W2(CellKind.LSTM, 1, false, 64, 100, 256, 512, false),
    /** GRU (linear-before-reset), W2's shapes, inference. */
    W3(CellKind.GRU, 1, false, 64, 100, 256, 512, false),
    /** LSTM, 2 layers, bidirectional, B=32, T=50, I=128, H=256, inference. */
    W4(CellKind.LSTM, 2, true, 32, 50, 128, 256, false),
    /** LSTM, B=128, T=50, I=1024, H=1024, inference. */
    W5(CellKind.LSTM, 1, false, 128, 50, 1024, 1024, false),
    /** W2's LSTM, forward + backward. */
    W6(CellKind.LSTM, 1, false, 64, 100, 256, 512, true),
    /** W3's GRU, forward + backward. */
    W7(CellKind.GRU, 1, false, 64, 100, 256, 512, true),
    /** Not one of the issue's: W1 with 4 rows, the small-batch path's GEMV feeding 4 rows per pass over W_hh. */
    W1B4(CellKind.LSTM, 1, false, 4, 100, 64, 256, false);

    public final CellKind cell;
    public final int layers;
    public final boolean bidirectional;
    public final int batch;
    public final int seqLen;
    public final int inputSize;
    public final int hiddenSize;
    public final boolean training;

    Workload(CellKind cell, int layers, boolean bidirectional, int batch, int seqLen, int inputSize, int hiddenSize,
             boolean training) {
        this.cell = cell;
        this.layers = layers;
        this.bidirectional = bidirectional;
        this.batch = batch;
        this.seqLen = seqLen;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.training = training;
    }

    public RnnSpec spec() {
        return RnnSpec.builder(cell, inputSize, hiddenSize).numLayers(layers).bidirectional(bidirectional).build();
    }
}
