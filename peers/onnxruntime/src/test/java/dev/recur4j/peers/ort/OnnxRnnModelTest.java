package dev.recur4j.peers.ort;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX Runtime running OnnxRnnModel's graph gives PyTorch's LSTM / GRU outputs: checked against a plain double
 * loop over PyTorch's equations (nn.LSTM, nn.GRU docs), so the gate reordering, the [Wb, Rb] bias, the GRU's
 * linear-before-reset, the reverse direction and the joining of layers are all right. Odd sizes on purpose.
 */
class OnnxRnnModelTest {

    static List<RnnShape> shapes() {
        return List.of(new RnnShape("lstm", 3, 5, 7, 11, 1, false), new RnnShape("gru", 2, 6, 5, 9, 1, false),
                new RnnShape("lstm", 2, 4, 5, 6, 2, true), new RnnShape("gru", 2, 3, 4, 7, 3, true),
                new RnnShape("lstm", 1, 1, 3, 5, 2, false));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void ortMatchesPyTorchEquations(RnnShape s) throws OrtException {
        List<LayerWeights> weights = LayerWeights.random(s, 7);
        float[] x = LayerWeights.uniform(new SplittableRandom(3), s.seq() * s.batch() * s.inputSize(), 1);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] actual;
        try (OrtSession session = env.createSession(OnnxRnnModel.build(s, weights), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
                     new long[] {s.seq(), s.batch(), s.inputSize()});
             OrtSession.Result result = session.run(Map.of(OnnxRnnModel.INPUT, input))) {
            FloatBuffer y = ((OnnxTensor) result.get(OnnxRnnModel.OUTPUT).orElseThrow()).getFloatBuffer();
            actual = new float[y.remaining()];
            y.get(actual);
        }
        double[] expected = pytorchStack(s, weights, x);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        assertTrue(actual.length == expected.length && worst < 1e-5,
                s + ": " + actual.length + " outputs, expected " + expected.length + "; max |diff| " + worst);
    }

    /** The stack's output [T, B, D*H], time-major, for input x [T, B, In] and zero initial states. */
    static double[] pytorchStack(RnnShape s, List<LayerWeights> weights, float[] x) {
        int T = s.seq(), B = s.batch(), H = s.hidden(), D = s.directions();
        double[] in = new double[x.length];
        for (int i = 0; i < x.length; i++) in[i] = x[i];
        for (int l = 0; l < s.layers(); l++) {
            int n = s.layerInput(l);
            double[] out = new double[T * B * D * H];
            for (int d = 0; d < D; d++) {
                LayerWeights w = weights.get(l * D + d);
                double[][] h = new double[B][H], c = new double[B][H];
                for (int step = 0; step < T; step++) {
                    int t = d == 0 ? step : T - 1 - step;
                    for (int b = 0; b < B; b++) {
                        double[] gi = affine(w.weightIh(), w.biasIh(), in, (t * B + b) * n, n);
                        double[] gh = affine(w.weightHh(), w.biasHh(), h[b], 0, H);
                        for (int j = 0; j < H; j++) {
                            if (s.isGru()) {  // r z n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
                                double r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[H + j] + gh[H + j]);
                                double nn = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
                                h[b][j] = (1 - z) * nn + z * h[b][j];
                            } else {  // i f g o
                                double i = sigmoid(gi[j] + gh[j]), f = sigmoid(gi[H + j] + gh[H + j]);
                                double g = Math.tanh(gi[2 * H + j] + gh[2 * H + j]);
                                double o = sigmoid(gi[3 * H + j] + gh[3 * H + j]);
                                c[b][j] = f * c[b][j] + i * g;
                                h[b][j] = o * Math.tanh(c[b][j]);
                            }
                        }
                        System.arraycopy(h[b], 0, out, (t * B + b) * D * H + d * H, H);
                    }
                }
            }
            in = out;
        }
        return in;
    }

    // weight [rows, n] · v[off .. off+n) + bias
    private static double[] affine(float[] weight, float[] bias, double[] v, int off, int n) {
        double[] out = new double[bias.length];
        for (int r = 0; r < bias.length; r++) {
            double sum = bias[r];
            for (int k = 0; k < n; k++) sum += (double) weight[r * n + k] * v[off + k];
            out[r] = sum;
        }
        return out;
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }
}
