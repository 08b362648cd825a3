package dev.recur4j.peers.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ONNX Runtime peer of scripts/compare_torch.py: times one fp32 LSTM / GRU stack (inference) with ONNX Runtime's
 * CPU LSTM and GRU kernels and prints one JSON line with the median, min and max milliseconds per call, the
 * fields of native/onednn_rnn.cpp's line. The model is written in memory by OnnxRnnModel (random weights).
 * Session: intra-op threads = --threads (the calling thread is one of them), inter-op 1, sequential execution,
 * every graph optimisation. Input and output tensors are direct buffers created once; only session.run is timed.
 * Bad arguments: a message on stderr and exit 2.
 */
public final class OrtRnnBench {

    private OrtRnnBench() {}

    public static void main(String[] args) throws OrtException {
        BenchOptions o;
        try {
            o = BenchOptions.parse(args);
        } catch (BenchOptions.BadArguments e) {
            System.err.println("ort_rnn: " + e.getMessage() + " (" + BenchOptions.USAGE + ")");
            System.exit(2);
            return;
        }
        RnnShape s = o.shape();
        OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "ort_rnn");
        try (SessionOptions options = new SessionOptions()) {
            options.setIntraOpNumThreads(o.threads());
            options.setInterOpNumThreads(1);
            options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
            byte[] model = OnnxRnnModel.build(s, LayerWeights.random(s, 0));
            FloatBuffer x = directFloats((long) s.seq() * s.batch() * s.inputSize());
            SplittableRandom rng = new SplittableRandom(1);
            while (x.hasRemaining()) x.put((float) rng.nextDouble(-1, 1));
            FloatBuffer y = directFloats((long) s.seq() * s.batch() * s.directions() * s.hidden());
            try (OrtSession session = env.createSession(model, options);
                 OnnxTensor input = OnnxTensor.createTensor(env, x.rewind(),
                         new long[] {s.seq(), s.batch(), s.inputSize()});
                 OnnxTensor output = OnnxTensor.createTensor(env, y,
                         new long[] {s.seq(), s.batch(), (long) s.directions() * s.hidden()})) {
                Map<String, OnnxTensor> inputs = Map.of(OnnxRnnModel.INPUT, input);
                Map<String, OnnxTensor> outputs = Map.of(OnnxRnnModel.OUTPUT, output);  // pinned: ORT writes into y
                long start = System.nanoTime();
                int warmupCalls = 0;
                while (warmupCalls < 2 || seconds(System.nanoTime() - start) < o.warmupSeconds()) {
                    session.run(inputs, outputs).close();
                    warmupCalls++;
                }
                String bad = checkOutput(y);
                if (bad != null) {
                    System.err.println("ort_rnn: output check failed: " + bad);
                    System.exit(1);
                }
                List<Double> times = new ArrayList<>();
                start = System.nanoTime();
                while (times.size() < 10 || seconds(System.nanoTime() - start) < o.seconds()) {
                    long t0 = System.nanoTime();
                    OrtSession.Result result = session.run(inputs, outputs);
                    times.add((System.nanoTime() - t0) / 1e6);
                    result.close();
                }
                System.out.println(json(o, times, warmupCalls, env.getVersion()));
            }
        }
    }

    private static FloatBuffer directFloats(long n) {
        return ByteBuffer.allocateDirect(Math.toIntExact(4 * n)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** A wrong model shows as NaN, all zeros, or |h| > 1 (LSTM h = o·tanh(c); GRU h mixes tanh and the last h). */
    private static String checkOutput(FloatBuffer y) {
        float largest = 0;
        for (int i = 0; i < y.capacity(); i++) {
            float v = y.get(i);
            if (!Float.isFinite(v)) return "y has a non-finite value";
            largest = Math.max(largest, Math.abs(v));
        }
        if (largest == 0) return "y is all zeros";
        if (largest > 1) return "y has |value| " + largest + " > 1";
        return null;
    }

    private static String json(BenchOptions o, List<Double> times, int warmupCalls, String version) {
        List<Double> sorted = new ArrayList<>(times);
        Collections.sort(sorted);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        RnnShape s = o.shape();
        return String.format(Locale.ROOT, "{\"peer\":\"ort\",\"median_ms\":%.6f,\"min_ms\":%.6f,\"max_ms\":%.6f,"
                        + "\"runs\":%d,\"warmup_calls\":%d,\"threads\":%d,\"cell\":\"%s\",\"batch\":%d,\"seq\":%d,"
                        + "\"input_size\":%d,\"hidden\":%d,\"layers\":%d,\"bidirectional\":%b,\"mode\":\"inference\","
                        + "\"flops_per_call\":%.0f,\"gflops\":%.3f,\"opset\":%d,\"ort_version\":\"%s\"}",
                median, sorted.getFirst(), sorted.getLast(), n, warmupCalls, o.threads(), s.cell(), s.batch(), s.seq(),
                s.inputSize(), s.hidden(), s.layers(), s.bidirectional(), s.flopsPerCall(),
                s.flopsPerCall() / (median * 1e6), OnnxRnnModel.OPSET, version);
    }
}
