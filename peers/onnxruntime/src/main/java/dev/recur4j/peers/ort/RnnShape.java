package dev.recur4j.peers.ort;

/**
 * One fp32 LSTM or GRU layer stack as compare_torch.py's workloads describe it. The GRU is PyTorch's
 * (linear-before-reset). Layer l > 0 takes the previous layer's output, both directions concatenated.
 */
record RnnShape(String cell, int batch, int seq, int inputSize, int hidden, int layers, boolean bidirectional) {

    RnnShape {
        if (!cell.equals("lstm") && !cell.equals("gru"))
            throw new IllegalArgumentException("cell: expected lstm or gru, found '" + cell + "'");
    }

    boolean isGru() {
        return cell.equals("gru");
    }

    int gates() {
        return isGru() ? 3 : 4;
    }

    int directions() {
        return bidirectional ? 2 : 1;
    }

    int layerInput(int layer) {
        return layer == 0 ? inputSize : directions() * hidden;
    }

    /** 2·B·T·G·H·(In+H) per layer and direction (the GEMMs): the count recur4j and onednn_rnn report. */
    double flopsPerCall() {
        double flops = 0;
        for (int l = 0; l < layers; l++)
            flops += directions() * 2.0 * batch * seq * gates() * hidden * ((double) layerInput(l) + hidden);
        return flops;
    }
}
