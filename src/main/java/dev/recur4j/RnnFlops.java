package dev.recur4j;

/**
 * The FLOP count we report throughput against: the GEMM work of a call,
 * 2·B·T·G·H·(In + Hout) per layer and direction (In the layer's input size, Hout the recurrent
 * input size), plus the projection 2·B·T·H·P when there is one. Elementwise work is not counted,
 * so GFLOP/s figures compare directly with SGEMM throughput and the FMA peak. A backward pass
 * counts twice the forward (the input- and weight-gradient GEMMs), so training = 3 × forward.
 */
public final class RnnFlops {
    private RnnFlops() {
    }

    public static double forward(RnnSpec spec, int batch, int seqLen) {
        double total = 0;
        int g = spec.gates();
        int h = spec.hiddenSize();
        for (int l = 0; l < spec.numLayers(); l++) {
            double perDirection = 2.0 * batch * seqLen * g * h * (spec.layerInputSize(l) + spec.outputSize());
            if (spec.projSize() > 0) {
                perDirection += 2.0 * batch * seqLen * h * spec.projSize();
            }
            total += perDirection * spec.directions();
        }
        return total;
    }

    /** Forward plus backward: the forward FLOPs and twice them again. */
    public static double training(RnnSpec spec, int batch, int seqLen) {
        return 3 * forward(spec, batch, seqLen);
    }
}
