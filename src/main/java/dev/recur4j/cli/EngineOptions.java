package dev.recur4j.cli;

import dev.recur4j.CellKind;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options {@code forward} and {@code backward} share. Enumerated values are kept as strings
 * and parsed by our own types ({@code CellKind.fromCliName}, ...), so a bad value gives their
 * one-line message listing the accepted names.
 */
final class EngineOptions {
    @Option(names = "--cell", required = true, paramLabel = "CELL",
            description = "lstm, gru, rnn_tanh or rnn_relu")
    String cell;

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors",
            description = "PyTorch state dict of the RNN module (weight_ih_l0, ...)")
    Path weights;

    @Option(names = "--input", required = true, paramLabel = "IN.safetensors",
            description = "input [B,T,I] F32; optional h0, c0, lengths")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "OUT.safetensors", converter = OutputFileConverter.class,
            description = "where to write output, h_n (and c_n); backward adds the gradients")
    Path out;

    @Mixin
    BackendOptions backend;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "threads (default: 1)")
    int threads;

    @Option(names = "--linear-before-reset", arity = "1", paramLabel = "BOOL", defaultValue = "true",
            description = "GRU only: true (PyTorch, default) or false (ONNX's default)")
    boolean linearBeforeReset;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "",
            description = "state-dict prefix of the RNN module, e.g. encoder.rnn.")
    String prefix;

    @Option(names = "--verbose", description = "report the implementation used; stack traces on errors")
    boolean verbose;

    /** --linear-before-reset false names a GRU variant: with another cell it is a slip, not a no-op. */
    static void requireGruForResetVariant(CellKind cell, boolean linearBeforeReset) {
        if (!linearBeforeReset && cell != CellKind.GRU) {
            throw new IllegalArgumentException("--linear-before-reset false: only a GRU has that variant, cell is "
                    + cell.cliName());
        }
    }
}
