package dev.recur4j.bench;

import dev.recur4j.Impl;
import dev.recur4j.kernel.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fused elementwise (post-GEMM) step, scalar vs SIMD: one step of {@code rows} batch rows of
 * hidden size {@code hidden}, the work the pipeline does between two recurrent GEMMs.
 * LSTM: gates → i,f,g,o, c update, h; GRU: linear-before-reset update; {@code mode} picks the training
 * kernels (activations written back for BPTT) or the inference ones (h and c only).
 *
 * <p>Which rows a step overwrites ({@link Kernels}): the training kernels write the activations over the gate
 * rows; the LSTM inference kernel (without a rec row) may work in the gate rows; the GRU inference kernel works
 * in the rec rows, after reading them, and only reads the gate rows. Those rows are restored from pristine
 * copies before each call by {@link #restoreInputs}, a {@code @Setup(Level.Invocation)} method, so the copy
 * (rows·G·H floats: 384 KB for the GRU, 512 KB for the LSTM at the defaults) stays out of the measured time,
 * and every call, scalar or SIMD, starts from the same gates and rec. What is restored depends on the cell and
 * mode only, never on the implementation, so both enter their calls with the same rows freshly written into
 * the cache (as the pipeline's GEMM has just written them). c and h are the recurrent state, carried from call
 * to call as in a time loop. A per-invocation setup costs JMH two clock reads per call, small next to a step
 * of ~50 µs.
 *
 * <p>Before timing, setup runs one step and checks a few rows of its results (h, y, c and, in training, the
 * activations kept for BPTT and the GRU's hn) against the cell equations evaluated in double precision here
 * ({@link #validateAgainstEquations}), so both implementations are held to the same independent standard.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class CellStepBench {

    @Param({"lstm", "gru"})
    public String cell;

    @Param({"scalar", "simd"})
    public String impl;

    /** training: the kernels that keep the activations for BPTT; inference: those that only make h (and c). */
    @Param({"training", "inference"})
    public String mode;

    @Param({"512"})
    public int hidden;

    @Param({"64"})
    public int rows;

    /**
     * The largest |got − want| / max(1, |want|) the validation accepts. The operands are O(1): the workspace is
     * drawn from [-2, 2), the biases from [-0.5, 0.5). A pre-activation is a float sum of two or three of them,
     * rounded to within about 3e-7; σ' ≤ 1/4 and tanh' ≤ 1 pass that on, the SIMD tanh adds at most 2.5e-7
     * relative and its σ(x) = (1 + tanh(x/2)) / 2 about 6e-8 absolute, so each activation is within ~6e-7;
     * c' = f·c + i·g with |c| < 2 within ~2e-6, h = o·tanh(c') likewise. 1e-5 leaves a margin of about 5 over
     * that, while a wrong gate block, bias or row offset moves results by O(0.1).
     */
    private static final double TOLERANCE = 1e-5;

    private Kernels kernels;
    private Arena arena;
    private MemorySegment ws;
    private MemorySegment w;
    /** The gate rows, then the rec rows, as setup filled them: what {@link #restoreInputs} copies back. */
    private MemorySegment pristine;
    private long gates;
    private long rec;
    private long hn;
    private long c;
    private long h;
    private long y;
    private int g;
    private boolean training;
    /** Whether a step may overwrite the gate rows, and the rec rows (see the class comment). */
    private boolean restoreGates;
    private boolean restoreRec;
    /** The validation's largest |got − want| / max(1, |want|), which it prints: the margin left under TOLERANCE. */
    private double worstError;

    @Setup(Level.Trial)
    public void setUp() {
        g = switch (cell) {
            case "lstm" -> 4;
            case "gru" -> 3;
            default -> throw new IllegalArgumentException("cell=" + cell + ": expected lstm or gru");
        };
        training = switch (mode) {
            case "training" -> true;
            case "inference" -> false;
            default -> throw new IllegalArgumentException("mode=" + mode + ": expected training or inference");
        };
        // training kernels write the activations over the gate rows; the LSTM inference kernel (no rec row) may
        // work in them; the GRU inference kernel works in the rec rows and only reads the gate rows
        restoreGates = training || g == 4;
        restoreRec = !training && g == 3;
        arena = Arena.ofConfined();
        int gh = g * hidden;
        // layout in floats: gates | rec | hn | c | h | y
        gates = 0;
        rec = gates + (long) rows * gh;
        hn = rec + (long) rows * gh;
        c = hn + (long) rows * hidden;
        h = c + (long) rows * hidden;
        y = h + (long) rows * hidden;
        long total = y + (long) rows * hidden;
        ws = arena.allocate(total * Float.BYTES, 64);
        w = arena.allocate((long) (gh + hidden) * Float.BYTES, 64); // bias [G*H], b_hn [H]
        Random rnd = new Random(0);
        for (long i = 0; i < total; i++) {
            ws.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() * 4 - 2);
        }
        for (long i = 0; i < gh + hidden; i++) {
            w.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() - 0.5f);
        }
        // gates and rec are adjacent: one copy keeps both
        pristine = arena.allocate(2L * rows * gh * Float.BYTES, 64);
        MemorySegment.copy(ws, gates * Float.BYTES, pristine, 0, pristine.byteSize());
        kernels = Kernels.of(Impl.fromCliName(impl));
        validateAgainstEquations();
        System.out.println("# running " + kernels.name() + " " + cell + " " + mode + " H=" + hidden + " rows="
                + rows);
    }

    /**
     * One step with these kernels, its results in rows 0, rows/2 and rows−1 checked against the cell equations in
     * double precision on the same operands (the gate pre-activations without bias, the bias [G·H] and for the
     * GRU the rec rows W_hh·h [3H] and b_hn [H], laid out as {@link Kernels} says), then the workspace put back.
     */
    private void validateAgainstEquations() {
        MemorySegment saved = Arena.ofAuto().allocate(ws.byteSize(), 64).copyFrom(ws);
        step(kernels);
        int gh = g * hidden;
        for (int b : new int[] {0, rows / 2, rows - 1}) {
            long gRow = gates + (long) b * gh;
            long recRow = rec + (long) b * gh;
            for (int j = 0; j < hidden; j++) {
                double hPrev = at(saved, h + (long) b * hidden + j);
                double hWant;
                if (g == 4) {
                    double i = sigmoid(at(saved, gRow + j) + at(w, j));
                    double f = sigmoid(at(saved, gRow + hidden + j) + at(w, hidden + j));
                    double gg = Math.tanh(at(saved, gRow + 2L * hidden + j) + at(w, 2L * hidden + j));
                    double o = sigmoid(at(saved, gRow + 3L * hidden + j) + at(w, 3L * hidden + j));
                    double cWant = f * at(saved, c + (long) b * hidden + j) + i * gg;
                    hWant = o * Math.tanh(cWant);
                    expect("c", b, j, at(ws, c + (long) b * hidden + j), cWant);
                    if (training) {
                        expect("i", b, j, at(ws, gRow + j), i);
                        expect("f", b, j, at(ws, gRow + hidden + j), f);
                        expect("g", b, j, at(ws, gRow + 2L * hidden + j), gg);
                        expect("o", b, j, at(ws, gRow + 3L * hidden + j), o);
                    }
                } else {
                    // linear-before-reset; the r and z biases hold b_i + b_h, b_hn sits after the G·H biases
                    double r = sigmoid(at(saved, gRow + j) + at(w, j) + at(saved, recRow + j));
                    double z = sigmoid(at(saved, gRow + hidden + j) + at(w, hidden + j)
                            + at(saved, recRow + hidden + j));
                    double hnWant = at(saved, recRow + 2L * hidden + j) + at(w, gh + j);
                    double n = Math.tanh(at(saved, gRow + 2L * hidden + j) + at(w, 2L * hidden + j) + r * hnWant);
                    hWant = (1 - z) * n + z * hPrev;
                    if (training) {
                        expect("r", b, j, at(ws, gRow + j), r);
                        expect("z", b, j, at(ws, gRow + hidden + j), z);
                        expect("n", b, j, at(ws, gRow + 2L * hidden + j), n);
                        expect("hn", b, j, at(ws, hn + (long) b * hidden + j), hnWant);
                    }
                }
                expect("h", b, j, at(ws, h + (long) b * hidden + j), hWant);
                expect("y", b, j, at(ws, y + (long) b * hidden + j), hWant);
            }
        }
        ws.copyFrom(saved);
        System.out.printf(Locale.ROOT, "# checked against the cell equations in double: worst |diff| / max(1, |want|)"
                + " %.2e (tolerance %.0e)%n", worstError, TOLERANCE);
    }

    private void expect(String what, int row, int j, double got, double want) {
        double error = Math.abs(got - want) / Math.max(1, Math.abs(want));
        worstError = Math.max(worstError, error);
        if (!(error <= TOLERANCE)) { // NaN fails too
            throw new IllegalStateException(kernels.name() + " " + cell + " " + mode + ": " + what + " of row " + row
                    + " at " + j + " is " + got + ", the cell equations in double give " + want + " (tolerance "
                    + TOLERANCE + " · max(1, |want|))");
        }
    }

    private static double at(MemorySegment s, long i) {
        return s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** Puts back what the last step overwrote (see the class comment); not part of the measured time. */
    @Setup(Level.Invocation)
    public void restoreInputs() {
        long rowsBytes = (long) rows * g * hidden * Float.BYTES;
        if (restoreGates) {
            MemorySegment.copy(pristine, 0, ws, gates * Float.BYTES, rowsBytes);
        }
        if (restoreRec) {
            MemorySegment.copy(pristine, rowsBytes, ws, rec * Float.BYTES, rowsBytes);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment step() {
        step(kernels);
        return ws;
    }

    private void step(Kernels k) {
        int gh = g * hidden;
        for (int b = 0; b < rows; b++) {
            long gRow = gates + (long) b * gh;
            long hRow = h + (long) b * hidden;
            long yRow = y + (long) b * hidden;
            if (g == 4 && training) {
                k.lstmForwardStep(hidden, ws, gRow, gRow, w, 0, -1, c + (long) b * hidden, hRow, yRow);
            } else if (g == 4) {
                k.lstmInferenceStep(hidden, ws, gRow, -1, w, 0, c + (long) b * hidden, hRow, yRow);
            } else if (training) {
                k.gruForwardStep(hidden, ws, gRow, gRow, rec + (long) b * gh, w, 0, gh, hn + (long) b * hidden, hRow, yRow);
            } else {
                k.gruInferenceStep(hidden, ws, gRow, rec + (long) b * gh, w, 0, gh, hRow, yRow);
            }
        }
    }
}
