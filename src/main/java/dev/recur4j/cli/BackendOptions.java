package dev.recur4j.cli;

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
}
