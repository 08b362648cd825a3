package dev.recur4j.io;

import java.io.IOException;

/**
 * An output file that could not be written once its writing began (a full disk, an I/O error): not bad input, so
 * the command line exits 1 for it, not 2. The message names the file.
 */
public final class OutputWriteException extends IOException {
    public OutputWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
