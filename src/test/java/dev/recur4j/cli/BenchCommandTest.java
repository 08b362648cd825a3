package dev.recur4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import dev.recur4j.cli.CliFixture.Run;
import dev.recur4j.gemm.GemmTileOrder;
import dev.recur4j.gemm.JavaGemm;
import dev.recur4j.perf.BenchMode;
import dev.recur4j.perf.BenchReport;
import dev.recur4j.perf.BenchResult;
import dev.recur4j.perf.MachineLimits;
import dev.recur4j.perf.ReadBandwidth;
import dev.recur4j.perf.ReferenceCheck;
import dev.recur4j.ref.Agreement;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code recur4j bench} on tiny shapes with the reference implementation and short times. */
class BenchCommandTest {
    /** Tiny layer, no warm-up, short measuring and probes: the test checks the plumbing, not the speed. */
    private static final String[] QUICK = {"bench", "--batch", "2", "--seq", "3",
        "--input-size", "4", "--hidden", "5", "--impl", "reference", "--warmup-seconds", "0", "--seconds", "0.2",
        "--min-runs", "3", "--probe-seconds", "0.05"};

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** The quick LSTM run plus {@code more}. */
    private static String[] quick(String... more) {
        return quickCell("lstm", more);
    }

    private static String[] quickCell(String cell, String... more) {
        List<String> args = new ArrayList<>(List.of(QUICK));
        args.addAll(List.of("--cell", cell));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void jsonIsOneObjectWithTheKeys() {
        Run r = run(quick("--json"));
        assertEquals(0, r.exit(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "one line on stdout: " + r.out());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String key : List.of("median_ms", "min_ms", "max_ms", "p90_ms", "p99_ms", "gflops", "alloc_bytes_per_call", "impl", "gemm",
                "gemm_tile_order", "threads", "cell", "batch", "seq", "input_size", "hidden", "layers", "bidirectional",
                "proj", "peepholes",
                "mode", "sgemm_gflops", "fma_peak_gflops", "frac_sgemm", "frac_peak", "fma_now_gflops", "frac_peak_now",
                "openblas_core", "openblas_threads", "runs", "interval_ms")) {
            assertTrue(o.has(key), "missing key " + key + " in " + r.out());
        }
        assertEquals("reference", o.get("impl").getAsString());
        assertTrue(o.get("gemm").isJsonNull(), "the reference has no GEMM back end");
        assertTrue(o.get("gemm_tile_order").isJsonNull(), "nor a tile order");
        assertEquals("lstm", o.get("cell").getAsString());
        assertEquals(5, o.get("hidden").getAsInt());
        assertEquals("inference", o.get("mode").getAsString());
        assertTrue(o.get("runs").getAsInt() >= 3);
        double min = o.get("min_ms").getAsDouble();
        double median = o.get("median_ms").getAsDouble();
        double p90 = o.get("p90_ms").getAsDouble();
        double p99 = o.get("p99_ms").getAsDouble();
        assertTrue(min > 0 && min <= median && median <= p90 && p90 <= p99 && p99 <= o.get("max_ms").getAsDouble(),
                r.out());
        assertTrue(o.get("gflops").getAsDouble() > 0);
        assertTrue(o.get("fma_peak_gflops").getAsDouble() > 0);
        assertEquals(o.get("gflops").getAsDouble() / o.get("fma_peak_gflops").getAsDouble(),
                o.get("frac_peak").getAsDouble(), 1e-9);
        // the host's peak measured now, by the compiled loop (JavaFmaProbe waits for it: above 2 GFLOP/s)
        assertTrue(o.get("fma_now_gflops").getAsDouble() > 2, r.out());
        assertEquals(o.get("gflops").getAsDouble() / o.get("fma_now_gflops").getAsDouble(),
                o.get("frac_peak_now").getAsDouble(), 1e-9);
    }

    @Test
    void probeSecondsZeroSkipsTheProbeOfNow() {
        String[] args = quick("--json");
        args[List.of(args).indexOf("--probe-seconds") + 1] = "0";
        Run r = run(args);
        assertEquals(0, r.exit(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertTrue(o.get("fma_now_gflops").isJsonNull() && o.get("frac_peak_now").isJsonNull(), r.out());
        args = quick();
        args[List.of(args).indexOf("--probe-seconds") + 1] = "0";
        assertFalse(run(args).out().contains("right after"), "no line for a probe that did not run");
    }

    @Test
    void trainingCountsThreeTimesTheForwardFlops() {
        JsonObject fwd = JsonParser.parseString(run(quick("--json")).out()).getAsJsonObject();
        Run r = run(quickCell("gru", "--json", "--mode", "training", "--bidirectional"));
        assertEquals(0, r.exit(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("training", o.get("mode").getAsString());
        // LSTM: 4 gates x 2 directions; GRU: 3 gates; training = 3 x forward.
        assertEquals(fwd.get("flops_per_call").getAsDouble() * 3.0 / 4 * 2 * 3, o.get("flops_per_call").getAsDouble(),
                1e-6);
    }

    @Test
    void fastPipelineWithTwoThreads() {
        String[] args = quick("--json", "--threads", "2");
        args[List.of(args).indexOf("reference")] = "scalar";
        Run r = run(args);
        assertEquals(0, r.exit(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("scalar", o.get("impl").getAsString());
        assertTrue(o.get("gemm").isJsonPrimitive(), "the fast pipeline names its GEMM back end: " + r.out());
        GemmTileOrder order = o.get("gemm").getAsString().equals("java") ? JavaGemm.tileOrder() : null;
        assertEquals(order == null ? JsonNull.INSTANCE : new JsonPrimitive(order.cliName()), o.get("gemm_tile_order"),
                "the Java GEMM's tile order with 512-bit vectors, else null");
        assertEquals(2, o.get("threads").getAsInt());
        // the count itself depends on how far C2 got in this short run; the allocation tests check zero
        assertTrue(o.get("alloc_bytes_per_call").isJsonPrimitive(), "the bench reports its allocation counter");
    }

    @Test
    void checkComparesTheFastResultsWithTheReference() {
        String[] args = quickCell("gru", "--json", "--mode", "training", "--threads", "2", "--check");
        args[List.of(args).indexOf("reference")] = "simd";
        Run r = run(args);
        assertEquals(0, r.exit(), r.err());
        JsonObject check = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonObject("check");
        assertTrue(check.get("passed").getAsBoolean(), r.out());
        assertEquals("[0,1]", check.get("rows").toString());
        assertTrue(check.get("worst_ratio").getAsDouble() < 1, r.out());
        JsonObject tensors = check.getAsJsonObject("tensors");
        for (String t : List.of("output", "h_n", "grad.input", "grad.h0", "grad.weight_ih_l0", "grad.bias_hh_l0")) {
            assertTrue(tensors.has(t), "B = 2: every row and so the parameter gradients too; missing " + t + ": " + r.out());
        }
        assertEquals(0, tensors.getAsJsonObject("output").get("outside").getAsInt());

        String[] text = quick("--check");
        text[List.of(text).indexOf("reference")] = "scalar";
        text[List.of(text).indexOf("--batch") + 1] = "9";
        Run t = run(text);
        assertEquals(0, t.exit(), t.err());
        assertTrue(t.out().contains("check of batch rows [0, 3, 4, 8] against the float64 reference: agrees"), t.out());
        assertTrue(JsonParser.parseString(run(quick("--json")).out()).getAsJsonObject().get("check").isJsonNull(),
                "no check unless asked for");
    }

    /** A report whose check failed: printed whole, then each differing tensor on stderr, exit 1. */
    @Test
    void aFailedCheckPrintsTheReportAndExitsOne() {
        Agreement bad = Agreement.of("grad.input", new float[] {1, 2.5f}, new float[] {1, 2}, 1e-4, 1e-3);
        Agreement good = Agreement.of("output", new float[] {1}, new float[] {1}, 1e-4, 1e-3);
        BenchReport report = new BenchReport(RnnSpec.builder(CellKind.GRU, 4, 5).build(), 9, 3, BenchMode.TRAINING,
                "simd", "java", 2, BenchResult.of(new long[] {1_000_000}, 1, 2, 1e6, 0), null,
                new MachineLimits(100, 200, 2, ReadBandwidth.UNKNOWN, "test"), Double.NaN, "Haswell", 1,
                new ReferenceCheck.Result(new int[] {0, 3, 4, 8}, List.of(good, bad)));
        for (boolean json : new boolean[] {false, true}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            assertEquals(1, BenchCommand.print(report, json, new PrintWriter(out), new PrintWriter(err)));
            assertEquals(1, err.toString().strip().lines().count(), err.toString());
            assertTrue(err.toString().startsWith("recur4j: --check: DIFFERS  grad.input"), err.toString());
            if (json) {
                JsonObject check = JsonParser.parseString(out.toString()).getAsJsonObject().getAsJsonObject("check");
                assertFalse(check.get("passed").getAsBoolean());
                assertEquals(1, check.getAsJsonObject("tensors").getAsJsonObject("grad.input").get("outside").getAsInt());
            } else {
                assertTrue(out.toString().contains("median") && out.toString().contains(
                        "check of batch rows [0, 3, 4, 8] against the float64 reference: DIFFERS"), out.toString());
            }
        }
    }

    @Test
    void textBlockNamesTheFigures() {
        Run r = run(quick());
        assertEquals(0, r.exit(), r.err());
        for (String part : List.of("lstm B=2 T=3 I=4 H=5", "impl reference", "median", "GFLOP/s", "of FMA peak",
                "of the FMA peak the host gave right after", "recurrent weights", "allocated per call")) {
            assertTrue(r.out().contains(part), "missing '" + part + "' in:\n" + r.out());
        }
    }

    @Test
    void peepholesAreNamedInBothForms() {
        Run text = run(quick("--peepholes"));
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("lstm B=2 T=3 I=4 H=5 L=1 D=1 peepholes"), text.out());
        JsonObject o = JsonParser.parseString(run(quick("--peepholes", "--json")).out()).getAsJsonObject();
        assertTrue(o.get("peepholes").getAsBoolean(), o.toString());
    }

    /** --interval-ms: the report says how far apart the timed calls started, in the text and the JSON. */
    @Test
    void intervalIsReported() {
        JsonObject o = JsonParser.parseString(run(quick("--json", "--interval-ms", "20")).out()).getAsJsonObject();
        assertEquals(20.0, o.get("interval_ms").getAsDouble(), o.toString());
        assertTrue(o.get("runs").getAsInt() >= 3, o.toString());
        assertEquals(0.0, JsonParser.parseString(run(quick("--json")).out()).getAsJsonObject().get("interval_ms")
                .getAsDouble(), "back to back by default");
        Run text = run(quick("--interval-ms", "20"));
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("warm-up calls), started 20.000 ms apart: median"), text.out());
    }

    @Test
    void badArgumentsGiveOneLineAndExitTwo() {
        // Each case with a part of the message that only the check it is about writes (a case built on QUICK must
        // set, not repeat, an option QUICK has: picocli refuses a repeated option before any check runs).
        record Bad(String[] args, String says) {
        }
        List<Bad> bad = List.of(
                new Bad(quick("--mode", "fast"), "unknown mode 'fast'"),
                new Bad(quickSet("--batch", "0"), "--batch must be > 0, found 0"),
                new Bad(quickSet("--impl", "warp"), "unknown impl 'warp'"),
                new Bad(quickCell("lstmx"), "unknown cell 'lstmx'"),
                new Bad(quick("--proj", "9"), "--proj must be 0 (none) or 1..4 (below --hidden 5), found 9"),
                new Bad(quickCell("gru", "--peepholes"), "peepholes are only supported for LSTM"),
                new Bad(quick("--linear-before-reset", "false"), "--linear-before-reset false: only a GRU"),
                new Bad(quickSet("--seconds", "-1"), "--seconds must be 0..86400 seconds"),
                new Bad(quick("--threads", "2"), "the reference implementation runs on one thread and no GEMM; drop"
                        + " --threads 2, or"),
                new Bad(quick("--gemm", "java"), "runs on one thread and no GEMM; drop --gemm java, or"),
                new Bad(quick("--threads", "2", "--gemm", "java"), "drop --threads 2 and --gemm java, or"),
                new Bad(quick("--batch", "2"), "option '--batch' (B) should be specified only once"),
                new Bad(new String[] {"bench", "--cell", "lstm", "--batch", "2", "--seq", "3", "--input-size", "4"},
                        "Missing required option: '--hidden=H'"));
        for (Bad b : bad) {
            Run r = run(b.args());
            assertEquals(2, r.exit(), String.join(" ", b.args()) + " -> " + r.err());
            r.assertOneLineError(b.says());
        }
    }

    /** Each out-of-range value is refused by a message that names its option and the value found. */
    @Test
    void outOfRangeValuesAreNamed() {
        String[][] cases = {
            {"--batch", "0", "--batch must be > 0, found 0"},
            {"--seq", "0", "--seq must be > 0, found 0"},
            {"--threads", "0", "--threads must be > 0, found 0"},
            {"--min-runs", "0", "--min-runs must be > 0, found 0"},
            {"--seconds", "-1", "--seconds must be 0..86400 seconds, found -1.0"},
            {"--warmup-seconds", "-2", "--warmup-seconds must be 0..86400 seconds, found -2.0"},
            {"--probe-seconds", "-1", "--probe-seconds must be 0..86400 seconds, found -1.0"},
            // once accepted, and then ran until killed or ran out of memory
            {"--seconds", "Infinity", "--seconds must be 0..86400 seconds, found Infinity"},
            {"--warmup-seconds", "NaN", "--warmup-seconds must be 0..86400 seconds, found NaN"},
            {"--probe-seconds", "1e300", "--probe-seconds must be 0..86400 seconds, found 1.0E300"},
            {"--interval-ms", "-1", "--interval-ms must be 0..86400000 milliseconds, found -1.0"},
            {"--interval-ms", "NaN", "--interval-ms must be 0..86400000 milliseconds, found NaN"},
            {"--threads", "99999999", "threads must be 1..1024, found 99999999"},
            {"--min-runs", "2147483647", "--min-runs must be at most 10000000, found 2147483647"},
            // sizes whose element counts wrap in int arithmetic: named, not a NegativeArraySizeException
            {"--hidden", "100000", "weight_hh_l0: [400000, 100000] = 40000000000 elements, more than a Java array"},
            {"--batch", "2147483647", "input: [2147483647, 3, 4] = 25769803764 elements, more than a Java array"},
        };
        assertRefused(cases);
    }

    /** Each case {option, value, message part}: exit 2, nothing on stdout, one stderr line with the part. */
    private static void assertRefused(String[][] cases) {
        for (String[] c : cases) {
            Run r = run(quickSet(c[0], c[1]));
            assertEquals(2, r.exit(), c[0] + " " + c[1] + " -> " + r.err());
            r.assertOneLineError(c[2]);
        }
    }

    /**
     * The shape options were refused in the library's words ("hiddenSize must be > 0", "numLayers must be > 0",
     * "projSize must be < hiddenSize (5)", "projSize is only supported for LSTM, found cell GRU"), naming no option.
     */
    @Test
    void shapeErrorsNameTheirOption() {
        String[][] cases = {
            {"--hidden", "0", "--hidden must be > 0, found 0"},
            {"--input-size", "-3", "--input-size must be > 0, found -3"},
            {"--layers", "0", "--layers must be > 0, found 0"},
            {"--proj", "-1", "--proj must be 0 (none) or 1..4 (below --hidden 5), found -1"},
            {"--proj", "5", "--proj must be 0 (none) or 1..4 (below --hidden 5), found 5"},
        };
        assertRefused(cases);
        Run r = run(quickCell("gru", "--proj", "2"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--proj: only an LSTM has a projection, cell is gru"), r.err());
    }

    /** "bench --json > /dev/full" (or a closed pipe) lost the whole report and exited 0 with nothing on stderr. */
    @Test
    void aReportThatCannotBeWrittenIsAnError() {
        Writer full = new Writer() {
            @Override
            public void write(char[] c, int off, int len) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void flush() throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void close() {
            }
        };
        StringWriter err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(full)).setErr(new PrintWriter(err))
                .execute(quick("--json"));
        assertEquals(1, exit, err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("recur4j: ") && err.toString().contains("stdout"), err.toString());
        // as Main runs it: picocli's writer over System.out, a PrintStream that keeps the failure to itself
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        }));
        StringWriter err2 = new StringWriter();
        try {
            exit = Main.commandLine().setErr(new PrintWriter(err2)).execute(quick("--json"));
        } finally {
            System.setOut(stdout);
        }
        assertEquals(1, exit, err2.toString());
        assertTrue(err2.toString().startsWith("recur4j: could not write the report to stdout"), err2.toString());
    }

    /** The quick LSTM run with the given options set (replacing QUICK's value where it has one). */
    private static String[] quickSet(String... optionValues) {
        List<String> args = new ArrayList<>(List.of(QUICK));
        for (int i = 0; i < optionValues.length; i += 2) {
            int at = args.indexOf(optionValues[i]);
            if (at >= 0) {
                args.set(at + 1, optionValues[i + 1]);
            } else {
                args.addAll(List.of(optionValues[i], optionValues[i + 1]));
            }
        }
        args.addAll(List.of("--cell", "lstm"));
        return args.toArray(String[]::new);
    }
}
