package dev.recur4j.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import org.junit.jupiter.api.Test;

class RecurrentWeightsTest {

    @Test
    void aStepReadsWhhOfEveryLayerAndDirection() {
        // W1: W_hh [4·256, 256] fp32 is 1 MiB; W4: two layers, two directions of W_hh [4·256, 256]
        assertEquals(1 << 20, RecurrentWeights.bytesPerStep(RnnSpec.builder(CellKind.LSTM, 64, 256).build()));
        assertEquals(4 << 20, RecurrentWeights.bytesPerStep(
                RnnSpec.builder(CellKind.LSTM, 128, 256).numLayers(2).bidirectional(true).build()));
        assertEquals(3 * 5 * 5 * 4, RecurrentWeights.bytesPerStep(RnnSpec.builder(CellKind.GRU, 7, 5).build()));
        assertEquals(5 * 5 * 4, RecurrentWeights.bytesPerStep(RnnSpec.builder(CellKind.RNN_TANH, 7, 5).build()));
        // a projection: W_hh [4·8, 3] and W_hr [3, 8]
        assertEquals((4 * 8 * 3 + 3 * 8) * 4,
                RecurrentWeights.bytesPerStep(RnnSpec.builder(CellKind.LSTM, 7, 8).projSize(3).build()));
    }

    @Test
    void trainingReadsThemTwiceAStep() {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 7, 5).build();
        assertEquals(300.0 * 10, RecurrentWeights.bytesPerCall(spec, 10, BenchMode.INFERENCE));
        assertEquals(2 * 300.0 * 10, RecurrentWeights.bytesPerCall(spec, 10, BenchMode.TRAINING));
    }

    /**
     * The report's rate and its fractions of the probed bandwidth, in both forms, and without the probe; the text
     * names the buffer sizes the probe read each level with.
     */
    @Test
    void theReportStatesTheRateAgainstTheProbedBandwidth() {
        RnnSpec w1 = RnnSpec.builder(CellKind.LSTM, 64, 256).build();
        // 100 steps of 1 MiB in a median of 1 ms: 104.8576 GB/s
        BenchResult oneMs = BenchResult.of(new long[] {1_000_000}, 1, 2, 1e6, 0);
        MachineLimits probed = new MachineLimits(200, 400, 2,
                new ReadBandwidth(100, 150, 50, 80, 10, 12, 640 << 10, 10 << 20, 4064L << 20), "test");
        BenchReport two = report(w1, oneMs, probed, 2);
        assertEquals(104.8576, two.recurrentReadGbs(), 1e-9);
        assertEquals(104.8576 / 150, two.fracRead(ReadBandwidth.Level.L2), 1e-12); // all threads: the _all figure
        assertEquals(104.8576 / 80, two.fracRead(ReadBandwidth.Level.L3), 1e-12);
        assertEquals(104.8576 / 100, report(w1, oneMs, probed, 1).fracRead(ReadBandwidth.Level.L2), 1e-12);
        JsonObject o = JsonParser.parseString(two.toJson()).getAsJsonObject();
        assertEquals(1 << 20, o.get("recurrent_weight_bytes_per_step").getAsLong());
        assertEquals(150.0, o.get("l2_read_gbs").getAsDouble());
        assertEquals(104.8576 / 12, o.get("frac_dram_read").getAsDouble(), 1e-12);
        assertEquals(640 << 10, o.get("l2_read_buffer_bytes").getAsLong());
        assertEquals(4064L << 20, o.get("dram_read_buffer_bytes").getAsLong());
        assertTrue(two.toText().contains("recurrent weights 1.000 MiB a step, at least 104.9 GB/s read by the median "
                + "time: 69.9% of the L2 read bandwidth (150.0 GB/s for threads 2, 640 KiB buffers), 131.1% of the L3 "
                + "read bandwidth (80.0 GB/s for threads 2, 10 MiB buffers)"), two.toText());

        // a limits file whose bandwidth probe measured L2 alone: L3 is left out, not printed as NaN
        MachineLimits l2Only = new MachineLimits(200, 400, 2,
                new ReadBandwidth(100, 150, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 1280 << 10, 0, 0), "test");
        String text = report(w1, oneMs, l2Only, 1).toText();
        assertTrue(text.contains("time: 104.9% of the L2 read bandwidth (100.0 GB/s for threads 1, 1.25 MiB buffers)\n"),
                text);
        assertFalse(text.contains("NaN"), text);

        BenchReport unknown = report(w1, oneMs, new MachineLimits(200, 400, 2, ReadBandwidth.UNKNOWN, "test"), 1);
        JsonObject u = JsonParser.parseString(unknown.toJson()).getAsJsonObject();
        assertEquals(104.8576, u.get("recurrent_read_gbs").getAsDouble(), 1e-9);
        assertTrue(u.get("l2_read_gbs").isJsonNull() && u.get("frac_l3_read").isJsonNull()
                && u.get("l2_read_buffer_bytes").isJsonNull(), u.toString());
        assertTrue(unknown.toText().contains("(read bandwidth unknown: run scripts/native-build --run)"),
                unknown.toText());
    }

    @Test
    void aTrainingReportCountsTheBackwardRead() {
        RnnSpec w6 = RnnSpec.builder(CellKind.LSTM, 256, 512).build();
        BenchResult oneMs = BenchResult.of(new long[] {1_000_000}, 1, 2, 1e6, 0);
        BenchReport r = new BenchReport(w6, 64, 100, BenchMode.TRAINING, "simd", "java", 1, oneMs, null,
                new MachineLimits(200, 400, 2, ReadBandwidth.UNKNOWN, "test"), Double.NaN, "Haswell", 1, null);
        assertEquals(2 * 100 * 4.0 * (1 << 20) / 1e6, r.recurrentReadGbs(), 1e-9);
        assertTrue(r.toText().contains("recurrent weights 4.000 MiB a step read twice (forward, backward), at least"
                + " 838.9 GB/s read by the median time (read bandwidth unknown"), r.toText());
        JsonObject o = JsonParser.parseString(r.toJson()).getAsJsonObject();
        assertEquals(2 * 100 * 4.0 * (1 << 20), o.get("recurrent_weight_bytes_per_call").getAsDouble());
    }

    private static BenchReport report(RnnSpec spec, BenchResult result, MachineLimits limits, int threads) {
        return new BenchReport(spec, 1, 100, BenchMode.INFERENCE, "simd", "java", threads, result, null, limits,
                Double.NaN, "Haswell", 1, null);
    }
}
