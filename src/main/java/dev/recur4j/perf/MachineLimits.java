package dev.recur4j.perf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The machine's single-precision FMA peak and, when known, its read bandwidth per memory level: the roofline
 * our throughput is a fraction of.
 *
 * <p>Read from {@code native/build/limits.json}, which {@code scripts/native-build --run} writes
 * (a JSON array of the {@code fma_peak} and {@code bandwidth} probes' objects): the file named by
 * {@code -Drecur4j.limits=path}, else the first {@code native/build/limits.json} found in the
 * current directory or above the jar (or classes folder) this class was loaded from. Without it,
 * {@link #measureInJava} measures the peak with {@link JavaFmaProbe}, and {@link #source()} says so.
 *
 * @param fmaGflops1t   peak GFLOP/s of one thread (widest ISA the probe found)
 * @param fmaGflopsAll  peak GFLOP/s of {@code threadsAll} threads
 * @param threadsAll    the thread count of {@code fmaGflopsAll}
 * @param bandwidth     read GB/s from L2, L3 and DRAM, {@link ReadBandwidth#UNKNOWN} without the bandwidth probe
 * @param source        where the numbers come from, for reports
 */
public record MachineLimits(double fmaGflops1t, double fmaGflopsAll, int threadsAll, ReadBandwidth bandwidth,
                            String source) {
    private static final Logger LOG = Logger.getLogger(MachineLimits.class.getName());
    private static final String RELATIVE = "native/build/limits.json";
    /** The least time {@link #load} measures the peak in, without a limits file, whatever it is asked. */
    static final double FALLBACK_MIN_SECONDS = 0.5;
    /** How {@link #source()} of {@link #measureInJava} begins. */
    private static final String MEASURED_IN_JAVA = "measured in Java";

    /**
     * The peak of {@code threads} threads: the one-thread peak times the threads, capped by the
     * all-threads measurement (which includes frequency drop and shared ports).
     */
    public double fmaPeak(int threads) {
        return forThreads(fmaGflops1t, fmaGflopsAll, threads, threadsAll);
    }

    /**
     * A probe's figure for {@code threads} threads from its one-thread and all-threads ({@code threadsAll})
     * measurements: the first times the threads, capped by the second, which shared resources hold down.
     */
    static double forThreads(double one, double all, int threads, int threadsAll) {
        if (threads <= 1) {
            return one;
        }
        if (threads >= threadsAll) {
            return all;
        }
        return Math.min(one * threads, all);
    }

    /**
     * The read bandwidth of {@code threads} threads from {@code level} (see {@link ReadBandwidth#gbs}), NaN if unknown.
     * Both probes of {@code scripts/native-build --run} use every processor, so the FMA probe's {@code threadsAll}
     * is the bandwidth probe's too.
     */
    public double readGbs(ReadBandwidth.Level level, int threads) {
        return bandwidth.gbs(level, threads, threadsAll);
    }

    /**
     * The limits file, or the Java measurement (about {@code seconds}, at least {@link #FALLBACK_MIN_SECONDS}) for
     * {@code threads} threads.
     */
    public static MachineLimits load(int threads, double seconds) {
        Optional<Path> file = findFile();
        if (file.isPresent()) {
            try {
                return read(file.get());
            } catch (IOException | RuntimeException e) {
                LOG.warning("recur4j: could not read " + file.get() + " (" + e + "); measuring the FMA peak in Java");
            }
        }
        // the fractions of the peak divide by this: never measured in less than FALLBACK_MIN_SECONDS (a zero-length
        // window would read 0 GFLOP/s and make every fraction infinite)
        return measureInJava(threads, Math.max(seconds, FALLBACK_MIN_SECONDS));
    }

    /** Parses the file {@code scripts/native-build --run} writes. */
    public static MachineLimits read(Path file) throws IOException {
        JsonElement root = JsonParser.parseString(Files.readString(file));
        JsonObject fma = null;
        JsonObject bandwidth = null;
        for (JsonElement e : root.isJsonArray() ? root.getAsJsonArray().asList() : java.util.List.of(root)) {
            JsonObject o = e.getAsJsonObject();
            String probe = o.has("probe") ? o.get("probe").getAsString() : "";
            if (probe.equals("fma_peak")) {
                fma = o;
            } else if (probe.equals("bandwidth")) {
                bandwidth = o;
            }
        }
        if (fma == null) {
            throw new IllegalArgumentException(file + ": no object with \"probe\":\"fma_peak\"");
        }
        // The widest ISA the CPU has gives the peak; avx512 reads 0 where it is missing.
        boolean avx512 = number(fma, "avx512_gflops_1t") > 0;
        String isa = avx512 ? "avx512" : "avx2";
        return new MachineLimits(peak(fma, isa + "_gflops_1t"), peak(fma, isa + "_gflops_all"),
                (int) number(fma, "threads_all"), bandwidth == null ? ReadBandwidth.UNKNOWN : readBandwidth(bandwidth, file),
                file + " (" + isa + ")");
    }

    /**
     * The bandwidth probe's figures; a level the object lacks reads NaN. A file without a level's buffer size was
     * written by the probe before it sized its buffers from the caches, so that level was read with the fixed size.
     */
    private static ReadBandwidth readBandwidth(JsonObject o, Path file) {
        return new ReadBandwidth(gbs(o, "l2_gbs_1t", file), gbs(o, "l2_gbs_all", file), gbs(o, "l3_gbs_1t", file),
                gbs(o, "l3_gbs_all", file), gbs(o, "dram_gbs_1t", file), gbs(o, "dram_gbs_all", file),
                bufferBytes(o, ReadBandwidth.Level.L2, file), bufferBytes(o, ReadBandwidth.Level.L3, file),
                bufferBytes(o, ReadBandwidth.Level.DRAM, file));
    }

    /**
     * A read bandwidth figure, NaN (unknown) when absent; one that is not a finite number above 0 is unknown too,
     * with a warning, so that a bad figure neither discards the file's good ones nor prints an infinite fraction.
     */
    private static double gbs(JsonObject o, String key, Path file) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return Double.NaN;
        }
        double v = e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? e.getAsDouble() : Double.NaN;
        if (!(v > 0 && Double.isFinite(v))) {
            LOG.warning("recur4j: " + file + ": \"" + key + "\" is " + e + ", not a bandwidth in GB/s above 0; taken"
                    + " as unknown");
            return Double.NaN;
        }
        return v;
    }

    /** Smallest and largest buffer a probe could have read a level with: a page, and far beyond any cache. */
    private static final long MIN_BUFFER = 4 << 10;
    private static final long MAX_BUFFER = 1L << 40;

    /**
     * A level's probe buffer in bytes: the old fixed size when absent (a file of the probe before it read the
     * caches), 0 (unknown) when null, and with a warning when it is not a whole number of bytes in [4 KiB, 1 TiB].
     */
    private static long bufferBytes(JsonObject o, ReadBandwidth.Level level, Path file) {
        String key = level.name().toLowerCase(Locale.ROOT) + "_buffer_bytes";
        JsonElement e = o.get(key);
        if (e == null) {
            return level.fixedBytes();
        }
        if (e.isJsonNull()) {
            return 0; // the probe writes a size for each level: whatever wrote null did not say what it read
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            try {
                long bytes = e.getAsBigDecimal().longValueExact();
                if (bytes >= MIN_BUFFER && bytes <= MAX_BUFFER) {
                    return bytes;
                }
            } catch (ArithmeticException | NumberFormatException notWhole) {
                // not a whole number, or beyond a long: refused below
            }
        }
        LOG.warning("recur4j: " + file + ": \"" + key + "\" is " + e + ", not a whole number of bytes in [" + MIN_BUFFER
                + ", " + MAX_BUFFER + "]; the buffer size is taken as unknown");
        return 0;
    }

    /** The fallback: the FMA peak of 1 and of {@code threads} threads, measured in Java, bandwidth unknown. */
    public static MachineLimits measureInJava(int threads, double seconds) {
        double share = threads > 1 ? seconds / 2 : seconds;
        double one = JavaFmaProbe.gflops(1, share);
        double all = threads > 1 ? JavaFmaProbe.gflops(threads, share) : one;
        return new MachineLimits(one, all, Math.max(1, threads), ReadBandwidth.UNKNOWN,
                MEASURED_IN_JAVA + " (" + JavaFmaProbe.vectorBits() + "-bit vectors; run scripts/native-build --run"
                        + " for the native probe)");
    }

    /**
     * The FMA peak of {@code threads} threads that the host gives right now, measured in Java in about {@code seconds}
     * ({@link JavaFmaProbe}, within a few per cent of the native probe here), unless these limits were themselves
     * just measured in Java ({@link #load} without a limits file: one thread and {@code threadsAll}), whose figure
     * for one thread or for {@code threadsAll} is then the answer.
     * A shared host's speed drifts: on the Zen 5 of issue 3 the native probe read 130 to 212 GFLOP/s on one core
     * within an hour, against the 221.8 of quiet hours that the limits file holds, so a benchmark also reports its
     * rate against this.
     */
    public double hostFmaNow(int threads, double seconds) {
        if (source.startsWith(MEASURED_IN_JAVA) && (threads <= 1 || threads == threadsAll)) {
            return fmaPeak(threads);
        }
        return JavaFmaProbe.gflops(Math.max(1, threads), seconds);
    }

    /** A peak of the file: every fraction divides by it, so it must be finite and above 0. */
    private static double peak(JsonObject o, String key) {
        double gflops = number(o, key);
        if (!(gflops > 0 && Double.isFinite(gflops))) {
            throw new IllegalArgumentException("limits: \"" + key + "\" is " + o.get(key) + ", not a peak above 0");
        }
        return gflops;
    }

    private static double number(JsonObject o, String key) {
        if (!o.has(key)) {
            throw new IllegalArgumentException("limits: missing \"" + key + "\"");
        }
        return o.get(key).getAsDouble();
    }

    /** -Drecur4j.limits, else native/build/limits.json in or above the working directory or the code's location. */
    static Optional<Path> findFile() {
        String forced = System.getProperty("recur4j.limits");
        if (forced != null && !forced.isBlank()) {
            Path p = Path.of(forced.trim());
            if (!Files.isRegularFile(p)) {
                LOG.warning("recur4j: -Drecur4j.limits=" + forced + " is not a file");
                return Optional.empty();
            }
            return Optional.of(p);
        }
        Optional<Path> fromCwd = searchUp(Path.of("").toAbsolutePath());
        return fromCwd.isPresent() ? fromCwd : codeLocation().flatMap(MachineLimits::searchUp);
    }

    private static Optional<Path> searchUp(Path start) {
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(RELATIVE);
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The jar or classes folder this class came from (target/recur4j-*.jar, target/classes). */
    private static Optional<Path> codeLocation() {
        try {
            var src = MachineLimits.class.getProtectionDomain().getCodeSource();
            return src == null ? Optional.empty() : Optional.of(Path.of(src.getLocation().toURI()));
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
