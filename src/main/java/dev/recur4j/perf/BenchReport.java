package dev.recur4j.perf;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.recur4j.RnnSpec;
import dev.recur4j.gemm.GemmTileOrder;
import dev.recur4j.gemm.JavaGemm;
import dev.recur4j.ref.Agreement;
import java.util.Arrays;
import java.util.Locale;

/**
 * One benchmark's result next to its yardsticks, as a human-readable block or one JSON object.
 *
 * @param spec         the layer
 * @param batch        B
 * @param seqLen       T
 * @param mode         inference or training
 * @param impl         the implementation's CLI name
 * @param gemm         the GEMM back end's CLI name, or null for the reference (which has none)
 * @param threads      threads asked for (engine and OpenBLAS)
 * @param result       the timings
 * @param sgemm        the SGEMM probe, or null when no back end could be measured
 * @param limits       the FMA peak and the read bandwidth per memory level
 * @param fmaNowGflops the FMA peak of {@code threads} threads the host gave right after the timing
 *                     ({@link MachineLimits#hostFmaNow}), NaN when not measured ({@code --probe-seconds 0})
 * @param openBlasCore OpenBLAS's core and OPENBLAS_CORETYPE, or why OpenBLAS is unavailable
 * @param openBlasThreads OpenBLAS's own thread count while the engine was timed, -1 if unavailable
 * @param check        the results against the float64 reference ({@code --check}), or null when not asked for
 */
public record BenchReport(RnnSpec spec, int batch, int seqLen, BenchMode mode, String impl, String gemm, int threads,
                          BenchResult result, SgemmProbe.Measurement sgemm, MachineLimits limits,
                          double fmaNowGflops, String openBlasCore, int openBlasThreads, ReferenceCheck.Result check) {

    /** Measured GFLOP/s over the SGEMM probe's, or NaN without a probe. */
    public double fracSgemm() {
        return sgemm == null ? Double.NaN : result.gflops() / sgemm.gflops();
    }

    /** Measured GFLOP/s over the FMA peak of {@code threads} threads. */
    public double fracPeak() {
        return result.gflops() / limits.fmaPeak(threads);
    }

    /** Measured GFLOP/s over the peak the host gave right after the timing, or NaN when that was not measured. */
    public double fracPeakNow() {
        return result.gflops() / fmaNowGflops;
    }

    /**
     * The rate at which the call must at least read recurrent weights, GB/s at the median time
     * ({@link RecurrentWeights}): the memory side of the roofline, which bounds calls with few batch rows (W1).
     */
    public double recurrentReadGbs() {
        return RecurrentWeights.bytesPerCall(spec, seqLen, mode) / (result.medianMs() * 1e6);
    }

    /** {@link #recurrentReadGbs} over the read bandwidth of {@code threads} threads from {@code level}; NaN if unknown. */
    public double fracRead(ReadBandwidth.Level level) {
        return recurrentReadGbs() / limits.readGbs(level, threads);
    }

    public String shape() {
        return "B=" + batch + " T=" + seqLen + " I=" + spec.inputSize() + " H=" + spec.hiddenSize()
                + " L=" + spec.numLayers() + " D=" + spec.directions() + (spec.projSize() > 0 ? " P=" + spec.projSize() : "")
                + (spec.peepholes() ? " peepholes" : "");
    }

    /**
     * The Java GEMM's tile order on this machine ({@link GemmTileOrder}), or null when another back end ran or the
     * vectors are narrower than 512 bits.
     */
    public String tileOrder() {
        GemmTileOrder order = "java".equals(gemm) ? JavaGemm.tileOrder() : null;
        return order == null ? null : order.cliName();
    }

    public String toText() {
        StringBuilder s = new StringBuilder();
        line(s, "recur4j bench: %s %s, %s", spec.cell().cliName(), shape(), mode.cliName());
        String tiles = tileOrder();
        line(s, "  impl %s, gemm %s, threads %d, OpenBLAS core %s%s", impl,
                gemm == null ? "-" : tiles == null ? gemm : gemm + " (" + tiles + " tiles)", threads,
                openBlasCore, openBlasThreads < 0 ? "" : ", OpenBLAS threads " + openBlasThreads);
        String spacing = result.intervalMs() > 0
                ? String.format(Locale.ROOT, ", started %.3f ms apart", result.intervalMs()) : "";
        line(s, "  %d runs (after %d warm-up calls)%s: median %.3f ms, min %.3f ms, max %.3f ms (p90 %.3f, p99 %.3f)",
                result.runs(), result.warmupCalls(), spacing, result.medianMs(), result.minMs(), result.maxMs(),
                result.p90Ms(), result.p99Ms());
        line(s, "  %.2f GFLOP/s (%.4g GFLOP per call)", result.gflops(), result.flopsPerCall() / 1e9);
        if (sgemm == null) {
            line(s, "  SGEMM throughput: not measured (no GEMM back end loads)");
        } else {
            line(s, "  %.1f%% of SGEMM: %s %s, threads %d, %.2f GFLOP/s", 100 * fracSgemm(), sgemm.backend(),
                    sgemm.shape(), sgemm.threads(), sgemm.gflops());
        }
        line(s, "  %.1f%% of FMA peak: %.1f GFLOP/s for threads %d, %s", 100 * fracPeak(), limits.fmaPeak(threads),
                threads, limits.source());
        if (!Double.isNaN(fmaNowGflops)) {
            line(s, "  %.1f%% of the FMA peak the host gave right after: %.1f GFLOP/s for threads %d (Java probe; a"
                    + " shared host's speed drifts)", 100 * fracPeakNow(), fmaNowGflops, threads);
        }
        line(s, "  recurrent weights %.3f MiB a step%s, at least %.1f GB/s read by the median time%s",
                RecurrentWeights.bytesPerStep(spec) / (double) (1 << 20),
                mode == BenchMode.TRAINING ? " read twice (forward, backward)" : "", recurrentReadGbs(),
                readFractions());
        line(s, "  allocated per call: %d bytes (least of the measured calls; mean %d)%s", result.allocBytesPerCall(),
                result.allocBytesMeanPerCall(), threads > 1 ? ", summed over all threads" : "");
        if (!result.allocBytesByThread().isEmpty()) {
            line(s, "  allocated by thread over the measured calls, bytes: %s", result.allocBytesByThread());
        }
        if (check != null) {
            check.toString().lines().forEach(l -> line(s, "  %s", l));
        }
        return s.toString();
    }

    /**
     * The read rate's fractions of the L2 and L3 bandwidth for the text block, each level only where the limits
     * file has it (threads' read bandwidth: see {@link ReadBandwidth#gbs}).
     */
    private String readFractions() {
        StringBuilder s = new StringBuilder();
        for (ReadBandwidth.Level level : new ReadBandwidth.Level[] {ReadBandwidth.Level.L2, ReadBandwidth.Level.L3}) {
            double gbs = limits.readGbs(level, threads);
            if (!Double.isNaN(gbs)) {
                s.append(s.isEmpty() ? ": " : ", ").append(String.format(Locale.ROOT,
                        "%.1f%% of the %s read bandwidth (%.1f GB/s for threads %d, %s buffers)",
                        100 * fracRead(level), level, gbs, threads, limits.bandwidth().probeBuffer(level)));
            }
        }
        return s.isEmpty() ? " (read bandwidth unknown: run scripts/native-build --run)" : s.toString();
    }

    /** One JSON object (no line breaks) with the keys scripts/compare_torch.py reads; unknowns are null. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("cell", spec.cell().cliName());
        o.addProperty("batch", batch);
        o.addProperty("seq", seqLen);
        o.addProperty("input_size", spec.inputSize());
        o.addProperty("hidden", spec.hiddenSize());
        o.addProperty("layers", spec.numLayers());
        o.addProperty("bidirectional", spec.bidirectional());
        o.addProperty("proj", spec.projSize());
        o.addProperty("peepholes", spec.peepholes());
        o.addProperty("mode", mode.cliName());
        o.addProperty("impl", impl);
        o.addProperty("gemm", gemm);
        o.addProperty("gemm_tile_order", tileOrder());
        o.addProperty("threads", threads);
        o.addProperty("runs", result.runs());
        o.addProperty("warmup_calls", result.warmupCalls());
        o.addProperty("interval_ms", result.intervalMs());
        o.addProperty("median_ms", result.medianMs());
        o.addProperty("min_ms", result.minMs());
        o.addProperty("max_ms", result.maxMs());
        o.addProperty("p90_ms", result.p90Ms());
        o.addProperty("p99_ms", result.p99Ms());
        o.addProperty("flops_per_call", result.flopsPerCall());
        o.addProperty("gflops", result.gflops());
        o.addProperty("alloc_bytes_per_call", result.allocBytesPerCall());
        o.addProperty("alloc_bytes_mean_per_call", result.allocBytesMeanPerCall());
        JsonObject byThread = new JsonObject(); // where a mean above 0 came from: the engine's threads or another's
        result.allocBytesByThread().forEach(byThread::addProperty);
        o.add("alloc_bytes_by_thread", byThread);
        o.addProperty("sgemm_gflops", sgemm == null ? null : sgemm.gflops());
        o.addProperty("sgemm_backend", sgemm == null ? null : sgemm.backend());
        o.addProperty("sgemm_shape", sgemm == null ? null : sgemm.shape());
        o.addProperty("fma_peak_gflops", limits.fmaPeak(threads));
        o.addProperty("fma_peak_source", limits.source());
        o.addProperty("frac_sgemm", sgemm == null ? null : fracSgemm());
        o.addProperty("frac_peak", fracPeak());
        o.addProperty("fma_now_gflops", Double.isNaN(fmaNowGflops) ? null : fmaNowGflops);
        o.addProperty("frac_peak_now", Double.isNaN(fmaNowGflops) ? null : fracPeakNow());
        o.addProperty("recurrent_weight_bytes_per_step", RecurrentWeights.bytesPerStep(spec));
        o.addProperty("recurrent_weight_bytes_per_call", RecurrentWeights.bytesPerCall(spec, seqLen, mode));
        o.addProperty("recurrent_read_gbs", recurrentReadGbs());
        for (ReadBandwidth.Level level : ReadBandwidth.Level.values()) {
            String key = level.name().toLowerCase(Locale.ROOT);
            double gbs = limits.readGbs(level, threads);
            o.addProperty(key + "_read_gbs", Double.isNaN(gbs) ? null : gbs);
            o.addProperty("frac_" + key + "_read", Double.isNaN(gbs) ? null : fracRead(level));
            long buffer = limits.bandwidth().probeBytes(level); // what the figure was measured on: it moves with it
            o.addProperty(key + "_read_buffer_bytes", Double.isNaN(gbs) || buffer <= 0 ? null : buffer);
        }
        o.addProperty("openblas_core", openBlasCore);
        o.addProperty("openblas_threads", openBlasThreads < 0 ? null : openBlasThreads);
        o.add("check", check == null ? JsonNull.INSTANCE : checkJson());
        return new GsonBuilder().disableHtmlEscaping().serializeNulls().serializeSpecialFloatingPointValues().create().toJson(o);
    }

    private JsonObject checkJson() {
        JsonObject c = new JsonObject();
        JsonArray rows = new JsonArray();
        Arrays.stream(check.rows()).forEach(rows::add);
        c.add("rows", rows);
        c.addProperty("passed", check.passed());
        c.addProperty("worst_ratio", check.worstRatio());
        JsonObject tensors = new JsonObject();
        for (Agreement a : check.tensors()) {
            JsonObject t = new JsonObject();
            t.addProperty("max_abs_diff", a.maxDiff());
            t.addProperty("worst_ratio", a.worstRatio());
            t.addProperty("outside", a.outside());
            tensors.add(a.name(), t);
        }
        c.add("tensors", tensors);
        return c;
    }

    private static void line(StringBuilder s, String format, Object... args) {
        s.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
