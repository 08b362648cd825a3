package dev.recur4j.cli;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.Rnn;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.Shapes;
import dev.recur4j.exec.FastRnn;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;
import dev.recur4j.gemm.OpenBlasGemm;
import dev.recur4j.perf.BenchCall;
import dev.recur4j.perf.BenchMode;
import dev.recur4j.perf.BenchReport;
import dev.recur4j.perf.BenchResult;
import dev.recur4j.perf.BenchRunner;
import dev.recur4j.perf.BenchSettings;
import dev.recur4j.perf.MachineLimits;
import dev.recur4j.perf.ReferenceCheck;
import dev.recur4j.perf.SgemmProbe;
import java.io.PrintWriter;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code recur4j bench}: times one layer shape on random (seeded) weights and inputs and prints
 * the result next to the machine's SGEMM throughput and FMA peak (see {@link dev.recur4j.perf}).
 * With {@code --json}, stdout is exactly one JSON object. Errors are one line on stderr with exit
 * code 2 (bad arguments) or 1 (unexpected), like {@code forward} and {@code backward}. With {@code --check},
 * results that differ from the reference's still print the report, then one line per differing tensor on
 * stderr, and exit 1.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Time forward (or forward+backward) of one layer shape; report ms, GFLOP/s,"
                + " fraction of SGEMM throughput and of FMA peak, bytes allocated per call.")
final class BenchCommand implements Callable<Integer> {
    /** The most seconds any phase takes: a day, past which a value is a slip (Infinity ran until killed). */
    private static final double MAX_SECONDS = 86_400;
    /** Timed calls' times are kept in an array: at most this many. */
    private static final int MAX_MIN_RUNS = 10_000_000;

    /** The SGEMM probe's shape: square and large enough to reach a back end's steady throughput. */
    private static final int PROBE_SIZE = 1024;

    @Option(names = "--cell", required = true, paramLabel = "CELL", description = "lstm, gru, rnn_tanh or rnn_relu")
    String cell;

    @Option(names = "--batch", required = true, paramLabel = "B", description = "batch size")
    int batch;

    @Option(names = "--seq", required = true, paramLabel = "T", description = "sequence length")
    int seqLen;

    @Option(names = "--input-size", required = true, paramLabel = "I", description = "input features")
    int inputSize;

    @Option(names = "--hidden", required = true, paramLabel = "H", description = "hidden size")
    int hiddenSize;

    @Option(names = "--layers", defaultValue = "1", paramLabel = "L", description = "stacked layers (default: 1)")
    int layers;

    @Option(names = "--bidirectional", description = "two directions per layer")
    boolean bidirectional;

    @Option(names = "--proj", defaultValue = "0", paramLabel = "P", description = "LSTM projection size (default: 0, none)")
    int proj;

    @Option(names = "--peepholes", description = "LSTM only: i and f see c(t-1), o sees c(t)")
    boolean peepholes;

    @Option(names = "--linear-before-reset", arity = "1", defaultValue = "true", paramLabel = "BOOL",
            description = "GRU only: true (PyTorch, default) or false")
    boolean linearBeforeReset;

    @Option(names = "--mode", defaultValue = "inference", paramLabel = "MODE",
            description = "inference (forward) or training (forward+backward); default inference")
    String mode;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
            description = "threads of the engine, and of the SGEMM probe (default: 1)")
    int threads;

    @Mixin
    BackendOptions backend;

    @Option(names = "--warmup-seconds", defaultValue = "2", paramLabel = "S", description = "warm-up time (default: 2)")
    double warmupSeconds;

    @Option(names = "--seconds", defaultValue = "3", paramLabel = "S",
            description = "measuring time; at least --min-runs calls are timed anyway (default: 3)")
    double seconds;

    @Option(names = "--interval-ms", defaultValue = "0", paramLabel = "MS",
            description = "start the timed calls this far apart, idle in between, as a service's requests come (an"
                    + " engine's threads may park between them); default 0: back to back")
    double intervalMs;

    @Option(names = "--min-runs", defaultValue = "10", paramLabel = "N", description = "fewest timed calls (default: 10)")
    int minRuns;

    @Option(names = "--probe-seconds", defaultValue = "0.5", paramLabel = "S",
            description = "time for each probe after the timing: SGEMM, the FMA peak the host gives now, and (without"
                    + " native/build/limits.json) the FMA peak, that one for at least 0.5 s; 0 skips the FMA probe of now"
                    + " (default: 0.5)")
    double probeSeconds;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "seed of the weights and inputs")
    long seed;

    @Option(names = "--check", description = "after the timing, compare batch rows 0, B/2-1, B/2 and B-1 of the"
            + " results with the float64 reference's (outputs, states, input gradients; parameter gradients when"
            + " B <= 4); exit 1 if they differ")
    boolean check;

    @Option(names = "--json", description = "print one JSON object instead of the text block")
    boolean json;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        return CommandErrors.run(command.commandLine().getErr(), verbose, () -> {
            BenchReport report = run();
            return print(report, json, command.commandLine().getOut(), command.commandLine().getErr());
        });
    }

    /** Prints the report; when a {@code --check} failed, then also each differing tensor on stderr, and returns 1. */
    static int print(BenchReport report, boolean json, PrintWriter out, PrintWriter err) {
        out.print(json ? report.toJson() + "\n" : report.toText());
        out.flush();
        // PrintWriter and PrintStream keep an IOException (a full disk, a closed pipe) to themselves; picocli's writer
        // wraps System.out, whose own flag holds the failure
        if (out.checkError() || System.out.checkError()) {
            err.println("recur4j: could not write the report to stdout (a full disk or a closed pipe?)");
            err.flush();
            return CommandErrors.EXIT_UNEXPECTED;
        }
        if (report.check() == null || report.check().passed()) {
            return 0;
        }
        report.check().tensors().stream().filter(a -> !a.agrees())
                .forEach(a -> err.println("recur4j: --check: " + a.line()));
        err.flush();
        return CommandErrors.EXIT_UNEXPECTED;
    }

    private BenchReport run() {
        BenchMode benchMode = BenchMode.fromCliName(mode);
        CellKind cellKind = CellKind.fromCliName(cell);
        EngineOptions.requireGruForResetVariant(cellKind, linearBeforeReset);
        // in the options' own names: RnnSpec's messages name its parameters (hiddenSize, projSize, numLayers)
        positive("--input-size", inputSize);
        positive("--hidden", hiddenSize);
        positive("--layers", layers);
        if (proj != 0 && cellKind != CellKind.LSTM) {
            throw new IllegalArgumentException("--proj: only an LSTM has a projection, cell is " + cellKind.cliName());
        }
        if (proj < 0 || proj >= hiddenSize) {
            String range = hiddenSize > 1 ? " or 1.." + (hiddenSize - 1) : "";
            throw new IllegalArgumentException("--proj must be 0 (none)" + range + " (below --hidden " + hiddenSize
                    + "), found " + proj);
        }
        RnnSpec spec = RnnSpec.builder(cellKind, inputSize, hiddenSize).numLayers(layers)
                .bidirectional(bidirectional).projSize(proj).peepholes(peepholes).linearBeforeReset(linearBeforeReset)
                .build();
        positive("--min-runs", minRuns);
        seconds("--warmup-seconds", warmupSeconds);
        seconds("--seconds", seconds);
        seconds("--probe-seconds", probeSeconds);
        if (minRuns > MAX_MIN_RUNS) {
            throw new IllegalArgumentException("--min-runs must be at most " + MAX_MIN_RUNS + ", found " + minRuns);
        }
        if (!(intervalMs >= 0 && intervalMs <= MAX_SECONDS * 1000)) {
            throw new IllegalArgumentException("--interval-ms must be 0.." + (long) (MAX_SECONDS * 1000)
                    + " milliseconds, found " + intervalMs);
        }
        BenchSettings settings = BenchSettings.defaults().withWarmupSeconds(warmupSeconds).withSeconds(seconds)
                .withMinRuns(minRuns).withIntervalSeconds(intervalMs / 1000);
        positive("--batch", batch);
        positive("--seq", seqLen);
        positive("--threads", threads);
        FastRnn.checkThreads(threads);
        BackendChoice choice = backend.resolve();
        Impl chosenImpl = choice.impl();
        GemmKind chosenGemm = choice.gemm();
        // The reference runs on the calling thread and no GEMM: a report headed "threads 2" or "gemm openblas"
        // (and its fraction of the 2-thread FMA peak) would misstate what was timed.
        List<String> ignored = backend.ignoredBy(chosenImpl, threads);
        if (!ignored.isEmpty()) {
            throw new IllegalArgumentException("the reference implementation runs on one thread and no GEMM; drop "
                    + String.join(" and ", ignored) + ", or bench --impl scalar or simd");
        }

        RnnWeights weights = RnnWeights.random(spec, seed);
        Random rnd = new Random(seed + 1);
        RnnBatch in = RnnBatch.of(batch, seqLen, randoms(rnd, Shapes.arrayLength("input", batch, seqLen, inputSize)));
        in.check(spec);
        RnnResult result = RnnResult.allocate(spec, batch, seqLen);
        RnnGradOutput gradOut = null;
        RnnGradients grads = null;
        if (benchMode == BenchMode.TRAINING) {
            gradOut = new RnnGradOutput(randoms(rnd, result.output().length), null, null);
            grads = RnnGradients.allocate(spec, batch, seqLen);
        }

        boolean openBlas = Gemms.available(GemmKind.OPENBLAS);
        // The engine runs its own threads and OpenBLAS keeps the library's setting (1 unless
        // -Drecur4j.openblasThreads says otherwise); the report says which.
        String core = openBlas ? SgemmProbe.openBlasCore() : "unavailable";
        int blasThreads = openBlas ? OpenBlasGemm.threads() : -1;
        BenchResult timing;
        BenchCall call;
        try (RnnEngine engine = Rnn.create(weights, chosenImpl, chosenGemm, threads)) {
            call = new BenchCall(engine, in, result, gradOut, grads, benchMode);
            timing = new BenchRunner(settings, threads > 1).run(call);
        }
        // Probes run after the timing, so they cannot disturb it; the reference point is OpenBLAS when it loads. The
        // Java GEMM's one call runs on the calling thread, so its probe says threads 1 whatever --threads is.
        GemmKind probeKind = openBlas ? GemmKind.OPENBLAS : (Gemms.available(GemmKind.JAVA) ? GemmKind.JAVA : null);
        SgemmProbe.Measurement sgemm = probeKind == null ? null
                : SgemmProbe.measure(probeKind, PROBE_SIZE, PROBE_SIZE, PROBE_SIZE,
                        probeKind == GemmKind.OPENBLAS ? threads : 1, probeSeconds);
        MachineLimits limits = MachineLimits.load(threads, probeSeconds);
        // what the host gives now, beside the limits file's quiet-hour peak: on a shared host they can differ by tens
        // of per cent, and a run is read against both
        double fmaNow = probeSeconds > 0 ? limits.hostFmaNow(threads, probeSeconds) : Double.NaN;
        // on the arrays the engine's last call left; last, so the reference's run disturbs no measurement
        ReferenceCheck.Result agreement = check ? ReferenceCheck.check(weights, call) : null;
        return new BenchReport(spec, batch, seqLen, benchMode, chosenImpl.cliName(),
                chosenGemm == null ? null : chosenGemm.cliName(), threads, timing, sgemm, limits, fmaNow, core,
                blasThreads, agreement);
    }

    /** Values in [-1, 1), seeded. */
    private static float[] randoms(Random rnd, int count) {
        float[] a = new float[count];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return a;
    }

    private static void seconds(String option, double value) {
        if (!(value >= 0 && value <= MAX_SECONDS)) {
            throw new IllegalArgumentException(option + " must be 0.." + (long) MAX_SECONDS + " seconds, found " + value);
        }
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be > 0, found " + value);
        }
    }
}
