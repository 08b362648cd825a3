package dev.recur4j.io;

/** A safetensors file that does not follow the format; the message names the file, the tensor and the problem. */
public final class SafetensorsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
