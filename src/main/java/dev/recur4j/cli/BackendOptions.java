package dev.recur4j.cli;

import dev.recur4j.Impl;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --impl} and {@code --gemm}, shared by every command that runs an engine ({@code forward},
 * {@code backward}, {@code bench}). Kept as strings and parsed by {@link BackendChoice}, so a bad value
 * gives our one-line message listing the accepted names.
 */
final class BackendOptions {
    @Option(names = "--impl", paramLabel = "IMPL", description = "reference, scalar or simd (default: automatic)")
    String impl;

    @Option(names = "--gemm", paramLabel = "GEMM", description = "openblas or java (default: automatic)")
    String gemm;

    /** What the two options ask for, resolved; a forced back end that cannot load is a usage error. */
    BackendChoice resolve() {
        return BackendChoice.resolve(impl, gemm);
    }

    /**
     * The options given that {@code chosen} ignores ("--threads 2", "--gemm java"): the reference runs on the calling
     * thread and no GEMM. Empty for the fast implementations.
     */
    List<String> ignoredBy(Impl chosen, int threads) {
        List<String> ignored = new ArrayList<>();
        if (chosen == Impl.REFERENCE) {
            if (threads != 1) {
                ignored.add("--threads " + threads);
            }
            if (gemm != null) {
                ignored.add("--gemm " + gemm);
            }
        }
        return ignored;
    }
}
