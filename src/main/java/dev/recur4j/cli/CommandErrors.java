package dev.recur4j.cli;

import dev.recur4j.ShortText;
import dev.recur4j.io.OutputWriteException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * How every command turns a failure into one line on stderr and an exit code: bad input
 * ({@link IllegalArgumentException}, {@link IOException}) exits 2, anything else 1 (an output that could not be
 * written, {@link OutputWriteException}, too); the stack
 * trace is printed only with {@code --verbose}.
 */
final class CommandErrors {
    static final int EXIT_INPUT = 2;
    static final int EXIT_UNEXPECTED = 1;
    /** Longest message printed: a hostile header can put megabytes of shape, names or dtype into one. */
    static final int MAX_LINE = 2000;

    /** The body of a command; returns its exit code on success. */
    interface Body {
        int run() throws IOException;
    }

    private CommandErrors() {
    }

    static int run(PrintWriter err, boolean verbose, Body body) {
        try {
            return body.run();
        } catch (IllegalArgumentException | IOException e) {
            err.println("recur4j: " + oneLine(describe(e)));
            if (verbose) {
                e.printStackTrace(err);
            }
            return e instanceof OutputWriteException ? EXIT_UNEXPECTED : EXIT_INPUT; // a full disk is no bad input
        } catch (OutOfMemoryError e) {
            err.println("recur4j: out of memory: " + oneLine(String.valueOf(e.getMessage()))
                    + " (a smaller model, batch or sequence, or for Java arrays a larger -Xmx in RECUR4J_JAVA_OPTS)");
            if (verbose) {
                e.printStackTrace(err);
            }
            return EXIT_UNEXPECTED;
        } catch (RuntimeException | Error e) {
            err.println("recur4j: unexpected error: " + oneLine(e.toString())
                    + (verbose ? "" : " (--verbose shows the stack trace)"));
            if (verbose) {
                e.printStackTrace(err);
            }
            return EXIT_UNEXPECTED;
        } finally {
            err.flush();
        }
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException n) {
            return "file not found: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof OutputWriteException) {
            return e.getMessage(); // names the file and the system's reason
        }
        if (e instanceof IOException) {
            return e.toString();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * {@code e} with {@code file} in front of its message, for an error about a tensor of that file; unchanged when
     * the message starts with the file already (the reader's own errors, a missing tensor).
     */
    static IllegalArgumentException inFile(Path file, IllegalArgumentException e) {
        String name = file.toString();
        return e.getMessage() != null && e.getMessage().startsWith(name) ? e
                : new IllegalArgumentException(name + ": " + e.getMessage(), e);
    }

    private static String oneLine(String s) {
        return ShortText.cut(s.replace('\n', ' ').replace('\r', ' '), MAX_LINE);
    }
}
