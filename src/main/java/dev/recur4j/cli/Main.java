package dev.recur4j.cli;

import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code recur4j} command line: {@code forward} and {@code backward} over safetensors files
 * holding PyTorch-named weights and {@code batch_first} tensors. Stdout stays empty; errors are one
 * line on stderr with a non-zero exit code (2 for bad input or usage, 1 for unexpected failures).
 */
@Command(name = "recur4j", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Run RNN/LSTM/GRU layers on PyTorch weights stored as safetensors.",
        subcommands = {ForwardCommand.class, BackwardCommand.class, CompareCommand.class, BenchCommand.class})
public final class Main implements Callable<Integer> {
    /** What --version prints, the subcommands' too (their -V printed nothing). */
    static final String VERSION = "recur4j 0.1.0";

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        command.commandLine().getErr().println("recur4j: missing command: forward, backward, compare or bench (see recur4j --help)");
        command.commandLine().getErr().flush();
        return CommandErrors.EXIT_INPUT;
    }

    /** The command line with one-line usage errors (exit code 2), as {@link #main} runs it. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println("recur4j: " + e.getMessage().replace('\n', ' ')
                    + " (see " + failed.getCommandSpec().qualifiedName() + " --help)");
            failed.getErr().flush();
            return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
        return cl;
    }

    /** Held strongly: java.util.logging keeps loggers weakly, and a collected logger forgets its level. */
    private static final Logger LIBRARY_LOG = Logger.getLogger("dev.recur4j");

    public static void main(String[] args) {
        // The library logs its back-end choice at INFO; on the command line stderr is kept for the one-line
        // error, so those messages show only with --verbose (which also prints the choice itself).
        if (!Arrays.asList(args).contains("--verbose")) {
            LIBRARY_LOG.setLevel(Level.WARNING);
        }
        System.exit(commandLine().execute(args));
    }
}
