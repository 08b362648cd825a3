package dev.recur4j.cli;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.Rnn;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnWeights;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.io.PyTorchWeights;
import dev.recur4j.io.Safetensors;
import dev.recur4j.io.SafetensorsFile;
import dev.recur4j.io.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Logger;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What {@code forward} and {@code backward} share: reading the weights and inputs, creating the
 * engine, writing the output atomically, and turning every failure into one line on stderr and
 * an exit code (2 for bad input or usage, 1 for anything unexpected), with no output file.
 */
abstract class RnnCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(RnnCommand.class.getName());

    @Mixin
    EngineOptions options;

    @Spec
    CommandSpec command;

    /** Runs the command; any {@link IllegalArgumentException} or {@link IOException} is a bad input. */
    abstract void run() throws IOException;

    @Override
    public final Integer call() {
        return CommandErrors.run(command.commandLine().getErr(), options.verbose, () -> {
            run();
            return 0;
        });
    }

    CellKind cell() {
        return CellKind.fromCliName(options.cell);
    }

    RnnWeights weights() throws IOException {
        EngineOptions.requireGruForResetVariant(cell(), options.linearBeforeReset);
        return PyTorchWeights.load(options.weights, cell(), options.prefix, options.linearBeforeReset);
    }

    static SafetensorsFile read(Path path) throws IOException {
        return Safetensors.read(path);
    }

    /**
     * Fails before any work if the output could not be written: its folder missing or read-only, or the path an
     * existing folder, device, FIFO or read-only file ({@link Safetensors#replaceableTarget}), or the same file as
     * one of {@code inputs} (the move would replace it: the weights, silently, with the outputs).
     */
    void checkOutputFolder(Path... inputs) {
        Path target;
        try {
            target = Safetensors.replaceableTarget(options.out);
        } catch (IOException e) {
            throw new IllegalArgumentException("out: " + e.getMessage(), e);
        }
        if (!Files.exists(target)) {
            return; // a new file replaces nothing
        }
        for (Path in : inputs) {
            try {
                if (Files.exists(in) && Files.isSameFile(target, in)) {
                    throw new IllegalArgumentException("out: " + options.out + " is the same file as the input "
                            + in + "; it is not replaced");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("out: " + e.getMessage(), e);
            }
        }
    }

    /** The engine the options ask for; a forced back end that cannot load is a usage error. */
    RnnEngine engine(RnnWeights weights, String verb) {
        BackendChoice choice = options.backend.resolve();
        Impl impl = choice.impl();
        GemmKind gemm = choice.gemm();
        RnnEngine engine = Rnn.create(weights, impl, gemm, options.threads); // checks --threads first
        String used = verb + ": cell " + weights.spec().cell().cliName() + ", impl " + impl.cliName()
                + (gemm == null ? "" : ", gemm " + gemm.cliName()) + ", threads "
                + (impl == Impl.REFERENCE ? 1 : options.threads) + ", " + weights.spec();
        LOG.fine(used);
        if (!options.backend.ignoredBy(impl, options.threads).isEmpty()) {
            // Not an error: scripts pass one --gemm to every --impl they compare. But say it, not ignore it silently.
            command.commandLine().getErr().println("recur4j: note: the reference implementation runs on one thread"
                    + " and no GEMM; --threads and --gemm apply to scalar and simd");
        }
        if (options.verbose) {
            command.commandLine().getErr().println("recur4j: " + used);
        }
        return engine;
    }

    /** Writes the output file atomically, with a note of what produced it. */
    void write(List<Tensor> tensors, RnnEngine engine) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("producer", "recur4j " + command.name());
        metadata.put("impl", engine.impl().cliName());
        Safetensors.write(options.out, tensors, metadata);
    }
}
