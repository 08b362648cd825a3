package dev.recur4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code recur4j} command line: {@code forward} and {@code backward} over safetensors files
 * holding PyTorch-named weights and {@code batch_first} tensors. Stdout stays empty; errors are one
 * line on stderr with a non-zero exit code (2 for bad input or usage, 1 for unexpected failures).
 */
@Command(name = "recur4j", mixinStandardHelpOptions = true, version = "recur4j 0.1.0",
        description = "Run RNN/LSTM/GRU layers on PyTorch weights stored as safetensors.",
        subcommands = {ForwardCommand.class, BackwardCommand.class, CompareCommand.class})
public final class Main implements Callable<Integer> {

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        command.commandLine().getErr().println("recur4j: missing command: forward or backward (see recur4j --help)");
        command.commandLine().getErr().flush();
        return RnnCommand.EXIT_INPUT;
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

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
