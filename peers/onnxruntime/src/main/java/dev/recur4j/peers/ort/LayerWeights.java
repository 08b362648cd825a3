package dev.recur4j.peers.ort;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One layer and direction's parameters in PyTorch's layout and gate order (LSTM i f g o, GRU r z n):
 * weight_ih [G*H, In], weight_hh [G*H, H], bias_ih [G*H], bias_hh [G*H], rows gate-major.
 * OnnxRnnModel reorders them into ONNX's gate order.
 */
record LayerWeights(float[] weightIh, float[] weightHh, float[] biasIh, float[] biasHh) {

    /** Uniform in ±1/sqrt(H) like PyTorch's initialisation, for every layer then direction. */
    static List<LayerWeights> random(RnnShape shape, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float scale = (float) (1 / Math.sqrt(shape.hidden()));
        int rows = shape.gates() * shape.hidden();
        List<LayerWeights> all = new ArrayList<>();
        for (int l = 0; l < shape.layers(); l++)
            for (int d = 0; d < shape.directions(); d++)
                all.add(new LayerWeights(uniform(rng, rows * shape.layerInput(l), scale),
                        uniform(rng, rows * shape.hidden(), scale), uniform(rng, rows, scale),
                        uniform(rng, rows, scale)));
        return all;
    }

    static float[] uniform(SplittableRandom rng, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextDouble(-scale, scale);
        return v;
    }
}
