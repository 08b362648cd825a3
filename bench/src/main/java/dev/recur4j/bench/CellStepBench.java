package dev.recur4j.bench;

import dev.recur4j.Impl;
import dev.recur4j.kernel.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * <p>Before timing, setup checks that the two implementations agree on one step.
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
        validateAgainstScalar();
        System.out.println("# running " + kernels.name() + " " + cell + " " + mode + " H=" + hidden + " rows="
                + rows);
    }

    /** One step with these kernels and with the scalar kernels, on copies; they must agree closely. */
    private void validateAgainstScalar() {
        MemorySegment saved = Arena.ofAuto().allocate(ws.byteSize(), 64).copyFrom(ws);
        step(kernels);
        MemorySegment mine = Arena.ofAuto().allocate(ws.byteSize(), 64).copyFrom(ws);
        ws.copyFrom(saved);
        step(Kernels.of(Impl.SCALAR));
        long n = ws.byteSize() / Float.BYTES;
        // the inference kernels work in the gate rows (LSTM) or the rec rows (GRU), whose content is then
        // unspecified (Kernels#lstmInferenceStep, #gruInferenceStep): those are not compared
        boolean inference = mode.equals("inference");
        long scratchFrom = g == 4 ? gates : rec;
        long scratchTo = scratchFrom + (long) rows * g * hidden;
        for (long i = 0; i < n; i++) {
            if (inference && i >= scratchFrom && i < scratchTo) {
                continue;
            }
            float a = mine.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            float b = ws.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            // exact activations on both sides: a few ulps apart at most
            if (Math.abs(a - b) > 1e-5f * Math.max(1f, Math.abs(b))) {
                throw new IllegalStateException(kernels.name() + " disagrees with scalar at float " + i + ": " + a
                        + " vs " + b);
            }
        }
        ws.copyFrom(saved);
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
