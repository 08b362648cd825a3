package dev.recur4j.cli;

import dev.recur4j.io.Safetensors;
import dev.recur4j.io.SafetensorsFile;
import dev.recur4j.io.Tensor;
import dev.recur4j.ref.Agreement;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code recur4j compare GOT WANT}: checks every tensor of WANT against the tensor of the same name
 * in GOT, element by element, with the tolerance |got − want| ≤ atol·max(1, max|want|) + rtol·|want|
 * (max|want| over the tensor's finite values; where want is ±∞ or NaN got must equal it), and prints one line
 * per tensor. Exit 0 when all agree, 1 when any
 * differs, 2 for bad input (missing file or tensor, shape mismatch).
 */
@Command(name = "compare", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Compare the tensors of two safetensors files within a tolerance.")
final class CompareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "GOT", description = "The file to check.")
    Path got;

    @Parameters(index = "1", paramLabel = "WANT", description = "The expected values (e.g. PyTorch's, in F64).")
    Path want;

    @Option(names = "--tensors", split = ",", description = "Compare only these tensors (default: all of WANT's).")
    List<String> tensors;

    @Option(names = "--atol", defaultValue = "" + Agreement.ATOL,
            description = "Absolute tolerance, scaled by max(1, max|want|) (default: ${DEFAULT-VALUE}).")
    double atol;

    @Option(names = "--rtol", defaultValue = "" + Agreement.RTOL,
            description = "Relative tolerance (default: ${DEFAULT-VALUE}).")
    double rtol;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        PrintWriter out = command.commandLine().getOut();
        return CommandErrors.run(command.commandLine().getErr(), false, () -> {
            requireTolerance("--atol", atol);
            requireTolerance("--rtol", rtol);
            SafetensorsFile g = Safetensors.read(got);
            SafetensorsFile w = Safetensors.read(want);
            List<String> names = tensors != null ? tensors : w.names();
            if (tensors != null && tensors.isEmpty()) {
                throw new IllegalArgumentException("--tensors names no tensor");
            }
            if (names.isEmpty()) { // else an empty or truncated WANT would agree with anything
                throw new IllegalArgumentException(want + ": holds no tensors to compare with");
            }
            // every tensor found, of the same shape and with values before the first line is printed
            for (String name : names) {
                Tensor gt = g.get(name);
                Tensor wt = w.get(name);
                requireSameShape(gt, wt);
                requireValues(got, gt);
                requireValues(want, wt);
            }
            boolean allAgree = true;
            for (String name : names) {
                allAgree &= compare(out, g.get(name), w.get(name));
            }
            out.flush();
            return allAgree ? 0 : 1;
        });
    }

    /** A negative, infinite or NaN tolerance would fail or pass everything. */
    private static void requireTolerance(String option, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + " must be finite and >= 0, found " + value);
        }
    }

    private static void requireSameShape(Tensor got, Tensor want) {
        if (!Arrays.equals(got.shape(), want.shape())) {
            throw new IllegalArgumentException(want.name() + ": shape expected " + Arrays.toString(want.shape())
                    + ", found " + Arrays.toString(got.shape()));
        }
    }

    /** Prints one line for the tensor and returns whether every element is within tolerance. */
    private boolean compare(PrintWriter out, Tensor got, Tensor want) {
        Agreement a = Agreement.of(want.name(), got.toDoubles(), want.toDoubles(), atol, rtol);
        out.println(a.line());
        return a.agrees();
    }

    /** A dtype that has no values to compare (an integer tensor) is named with its file, GOT or WANT. */
    private static void requireValues(Path file, Tensor t) {
        try {
            t.requireFloatingPoint();
        } catch (IllegalArgumentException e) {
            throw CommandErrors.inFile(file, e);
        }
    }
}
