package dev.recur4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile files: bounded time, and a message that names the file. */
class SafetensorsHostileTest {
    @TempDir
    Path dir;

    private static byte[] file(String json) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    /** 200k zero-size tensors (a 10 MB header, a tenth of the limit) took minutes: the duplicate check was O(n²). */
    @Test
    void manyTensorsParseInLinearTime() {
        StringBuilder sb = new StringBuilder("{");
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[0],")
                    .append("\"data_offsets\":[0,0]}");
        }
        byte[] bytes = file(sb.append('}').toString());
        SafetensorsFile f = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Safetensors.parse(null, bytes));
        assertEquals(n, f.names().size());
    }

    @Test
    void emptyTensorNameNamesTheFile() {
        byte[] bytes = file("{\"\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}");
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> Safetensors.parse(Path.of("x.st"), bytes));
        assertTrue(e.getMessage().startsWith("x.st: "), e.getMessage());
    }

    /** A folder failed with an IOException naming no file, and /dev/zero (size 0) was read until out of memory. */
    @Test
    void aFolderOrDeviceIsRefusedByName() {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.read(dir));
        assertTrue(e.getMessage().startsWith(dir + ": is a folder"), e.getMessage());
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero), "no /dev/zero");
        e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(SafetensorsException.class, () -> Safetensors.read(zero)));
        assertTrue(e.getMessage().startsWith("/dev/zero: not a regular file or a pipe"), e.getMessage());
    }

    /**
     * A pipe (a FIFO here; a shell's {@code <(command)} alike) is read as a stream: a good file whole; garbage that
     * goes on for ever fails at its first 8 bytes; a good file followed by an endless stream fails as trailing
     * bytes once the tensors' bytes have arrived, without buffering the rest (the whole-stream read of before
     * never returned on either); a pipe that ends early, or whose header claims 2 GiB or more, fails by name. A
     * FIFO for each case: an endless writer of one case may still be attached while the next one opens.
     */
    @Test
    void aPipeIsReadAsAStream() throws Exception {
        byte[] good = Safetensors.toBytes(List.of(Tensor.ofFloats("x", new float[] {1f, 2f}, 2)), Map.of());
        Path first = fifo("good");
        SafetensorsFile read = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Thread writer = writeInto(first, good, false);
            SafetensorsFile f = Safetensors.read(first);
            writer.join();
            return f;
        });
        assertArrayEquals(new float[] {1f, 2f}, read.get("x").toFloats());
        byte[] garbage = new byte[8];
        garbage[7] = 0x40; // a header length of 2^62
        assertPipeFails(garbage, true, "garbage", "header length 4611686018427387904 is not plausible");
        assertPipeFails(good, true, "trailing", "the pipe has more after them: the format allows no trailing bytes");
        assertPipeFails(Arrays.copyOf(good, good.length - 1), false, "short", "go beyond the data section of 7 bytes");
        byte[] huge = file("{\"x\":{\"dtype\":\"F32\",\"shape\":[805306368],\"data_offsets\":[0,3221225472]}}");
        assertPipeFails(huge, true, "huge",
                "its tensors cover 3221225472 bytes; files of 2 GiB or more are not supported");
    }

    private void assertPipeFails(byte[] bytes, boolean endless, String name, String message) throws Exception {
        Path fifo = fifo(name);
        SafetensorsException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            writeInto(fifo, bytes, endless);
            return assertThrows(SafetensorsException.class, () -> Safetensors.read(fifo));
        });
        assertTrue(e.getMessage().startsWith(fifo + ": ") && e.getMessage().contains(message), e.getMessage());
    }

    private Path fifo(String name) throws InterruptedException {
        Path fifo = dir.resolve(name);
        try {
            assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo failed");
        } catch (IOException e) {
            assumeTrue(false, "no mkfifo: " + e.getMessage());
        }
        return fifo;
    }

    /**
     * Writes {@code bytes} into the FIFO from a daemon thread, then, if {@code endless}, zeros until the reader
     * closes the pipe (which ends the writer with a broken pipe).
     */
    private static Thread writeInto(Path fifo, byte[] bytes, boolean endless) {
        Thread t = new Thread(() -> {
            try (FileOutputStream w = new FileOutputStream(fifo.toFile())) {
                w.write(bytes);
                byte[] zeros = new byte[1 << 16];
                while (endless) {
                    w.write(zeros);
                }
            } catch (IOException expected) {
                // the reader closed the pipe: how an endless writer ends
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
