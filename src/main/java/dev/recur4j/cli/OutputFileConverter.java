package dev.recur4j.cli;

import java.io.File;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --out}'s value as a path, refusing what names no file: {@code Path.of("runs/")} is {@code runs}, so a
 * name meant as a folder would have been written as a file called {@code runs}; and the empty name is the
 * working folder.
 */
final class OutputFileConverter implements ITypeConverter<Path> {
    @Override
    public Path convert(String value) {
        if (value.isEmpty()) {
            throw new TypeConversionException("the name is empty; expected the output file, e.g. out.safetensors");
        }
        if (value.endsWith("/") || value.endsWith(File.separator)) {
            throw new TypeConversionException("'" + value + "' ends with '" + value.charAt(value.length() - 1)
                    + "', which names a folder; expected the output file, e.g. " + value + "out.safetensors");
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new TypeConversionException("'" + value + "' is not a file name: " + e.getReason());
        }
    }
}
