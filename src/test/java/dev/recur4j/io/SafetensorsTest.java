package dev.recur4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SafetensorsTest {
    @TempDir
    Path dir;

    /** 8-byte little-endian length, then the header, then the data: the format, written without our writer. */
    private static byte[] file(String header, byte... data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(h.length).put(h).put(data).array();
    }

    private static String corrupt(String header, byte... data) {
        return assertThrows(SafetensorsException.class, () -> Safetensors.parse(Path.of("bad.safetensors"),
                file(header, data))).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "message '" + message + "' should mention '" + p + "'");
        }
    }

    @Test
    void readsAFileWrittenByHand() {
        // 1.0f = 0x3F800000 and -2.0f = 0xC0000000, little-endian; then I64 7 and BF16 1.5 (0x3FC0).
        byte[] data = {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0, 7, 0, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 0x3F};
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]},"
                + "\"h\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[16,18]}}   ";
        SafetensorsFile f = Safetensors.parse(null, file(header, data));
        assertEquals(List.of("w", "n", "h"), f.names());
        assertEquals(Map.of("format", "pt"), f.metadata());
        assertArrayEquals(new long[] {1, 2}, f.get("w").shape());
        assertArrayEquals(new float[] {1.0f, -2.0f}, f.get("w").toFloats());
        assertArrayEquals(new int[] {7}, f.get("n").toInts());
        assertEquals(0, f.get("n").rank());
        assertArrayEquals(new float[] {1.5f}, f.get("h").toFloats());
    }

    @Test
    void writerFollowsTheLayout() {
        byte[] bytes = Safetensors.toBytes(List.of(Tensor.ofFloats("a", new float[] {1f}, 1)), Map.of("k", "v"));
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, (8 + n) % 8, "data must start 8-byte aligned");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                header.strip());
        assertEquals(1f, b.getFloat(8 + (int) n));
        assertEquals(8 + n + 4, bytes.length);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void roundTripsEveryDtype(DType dtype) throws IOException {
        byte[] raw = new byte[2 * 3 * dtype.byteSize()];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (dtype == DType.BOOL ? i % 2 : 31 * i + 7);
        }
        Tensor t = Tensor.ofBytes("t." + dtype, dtype, raw, 2, 3);
        Tensor scalar = Tensor.ofBytes("scalar", dtype, new byte[dtype.byteSize()]);
        Tensor empty = Tensor.ofBytes("empty", dtype, new byte[0], 0, 4);
        Path p = dir.resolve("x.safetensors");
        Safetensors.write(p, List.of(t, empty, scalar), Map.of("dtype", dtype.name()));
        SafetensorsFile back = Safetensors.read(p);
        assertEquals(List.of(t, empty, scalar), back.tensors());
        assertEquals(Map.of("dtype", dtype.name()), back.metadata());
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("out.safetensors");
        Files.writeString(p, "old");
        Safetensors.write(p, List.of(Tensor.ofInts("i", new int[] {1, 2}, 2)), Map.of());
        assertArrayEquals(new int[] {1, 2}, Safetensors.read(p).get("i").toInts());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p), files.toList());
        }
    }

    @Test
    void aReplacedFileKeepsItsPermissions() throws IOException {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "no POSIX permissions on this file system");
        Path p = dir.resolve("out.safetensors");
        Files.writeString(p, "old");
        for (String mode : new String[] {"rw-r-----", "rwxrwxr-x"}) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
            Safetensors.write(p, List.of(Tensor.ofInts("i", new int[] {3}, 1)), Map.of());
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
            assertArrayEquals(new int[] {3}, Safetensors.read(p).get("i").toInts());
        }
        // root replacing another user's file leaves it that user's (only root can give a file away)
        if ("root".equals(System.getProperty("user.name"))) {
            UserPrincipal nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(p, nobody);
            Safetensors.write(p, List.of(Tensor.ofInts("i", new int[] {4}, 1)), Map.of());
            assertEquals(nobody, Files.getOwner(p));
        }
    }

    @Test
    void failedWriteLeavesNoFile() throws IOException {
        Path p = dir.resolve("out.safetensors");
        Tensor a = Tensor.ofInts("a", new int[] {1}, 1);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, List.of(a, a), Map.of()));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
        assertThrows(IOException.class, () -> Safetensors.write(dir.resolve("no/such/dir/x"), List.of(a), Map.of()));
        // Both failures above come before the temporary file exists. Now one after it is written: the target is a
        // non-empty folder, so the final move fails, and the temporary file must be gone with it.
        Path taken = Files.createDirectory(dir.resolve("taken"));
        Files.writeString(taken.resolve("keep"), "x");
        assertThrows(IOException.class, () -> Safetensors.write(taken, List.of(a), Map.of()));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(taken), files.toList());
        }
    }

    /**
     * A full disk printed "java.io.IOException: No space left on device", naming no file. A 64 KB tmpfs (root
     * mounts it; elsewhere the test is skipped) takes a 256 KB tensor: the error names the target, the old file
     * stays, and the temporary file is gone.
     */
    @Test
    void aFullDiskNamesTheFileAndLeavesTheOldOne() throws Exception {
        Path small = Files.createDirectory(dir.resolve("small"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small.toString()),
                "cannot mount a small tmpfs here (needs root and mount)");
        try {
            Path p = small.resolve("out.safetensors");
            Files.writeString(p, "old");
            Tensor big = Tensor.ofFloats("big", new float[64 * 1024], 64 * 1024);
            String message = assertThrows(OutputWriteException.class,
                    () -> Safetensors.write(p, List.of(big), Map.of())).getMessage();
            assertMentions(message, p.toString(), "not written"); // then the system's words, in its language
            assertEquals("old", Files.readString(p));
            try (Stream<Path> files = Files.list(small)) {
                assertEquals(List.of(p), files.toList());
            }
        } finally {
            // a tmpfs left mounted would fail the temporary folder's cleanup: detach it lazily if it is busy
            assertTrue(run("umount", small.toString()) || run("umount", "-l", small.toString()), "umount " + small);
        }
    }

    /** Runs a system command; whether it ran and exited 0 (false where it is not installed). */
    private static boolean run(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException notInstalled) {
            return false;
        }
    }

    @Test
    void getNamesTheMissingTensor() {
        SafetensorsFile f = Safetensors.parse(Path.of("f.safetensors"),
                Safetensors.toBytes(List.of(Tensor.ofInts("present", new int[] {1}, 1)), Map.of()));
        assertMentions(assertThrows(SafetensorsException.class, () -> f.get("absent")).getMessage(),
                "f.safetensors", "'absent'", "present");
    }

    @Test
    void rejectsTooShortFiles() {
        assertMentions(assertThrows(SafetensorsException.class,
                () -> Safetensors.parse(Path.of("bad.safetensors"), new byte[5])).getMessage(),
                "bad.safetensors", "at least 8 bytes", "found 5");
    }

    @Test
    void rejectsHeaderLengthBeyondFileOrAbsurd() {
        byte[] f = file("{}");
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 50);
        assertMentions(assertThrows(SafetensorsException.class, () -> Safetensors.parse(null, f)).getMessage(),
                "header length 50", "beyond the file", "2 bytes");
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        assertMentions(assertThrows(SafetensorsException.class, () -> Safetensors.parse(null, f)).getMessage(),
                "18446744073709551615", "not plausible");
    }

    @Test
    void rejectsHeadersThatAreNotAJsonObject() {
        assertMentions(corrupt("{\"a\": "), "bad.safetensors", "not valid JSON");
        String lenient = corrupt("{'a': 1}");
        assertMentions(lenient, "not valid JSON", "line 1 column");
        // Gson's own advice (parse leniently) and its troubleshooting link are not ours to give
        assertFalse(lenient.contains("LENIENT") || lenient.contains("https://"), lenient);
        assertMentions(corrupt("[1, 2]"), "expected a JSON object", "an array");
        assertMentions(corrupt("{} {}"), "not valid JSON");
        byte[] badUtf8 = file("{\"\u00e9\":1}");
        badUtf8[10] = (byte) 0xFF;
        assertMentions(assertThrows(SafetensorsException.class, () -> Safetensors.parse(null, badUtf8)).getMessage(),
                "UTF-8");
    }

    @Test
    void rejectsBadTensorEntries() {
        assertMentions(corrupt("{\"w\":{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w'", "unknown dtype 'F17'");
        assertMentions(corrupt("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w'", "dimension 1", ">= 0", "-1");
        assertMentions(corrupt("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w'", "shape", "integers", "1.5");
        assertMentions(corrupt("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]),
                "tensor 'w'", "missing key 'data_offsets'");
        assertMentions(corrupt("{\"w\":[1]}"), "tensor 'w'", "expected an object");
        assertMentions(corrupt("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]),
                "tensor 'w'", "[begin, end]", "found 1 numbers");
        assertMentions(corrupt("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", new byte[4]),
                "tensor 'w'", "begin <= end", "[4, 0]");
        assertMentions(corrupt("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w'", "span 4 bytes", "expected 8", "2 elements of F32");
        assertMentions(corrupt("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4]),
                "tensor 'w'", "beyond the data section of 4 bytes");
    }

    @Test
    void rejectsOverlapsHolesAndTrailingBytes() {
        assertMentions(corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "tensor 'b'", "overlap tensor 'a'");
        assertMentions(corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "tensor 'a'", "begin expected 0", "found 4", "holes");
        assertMentions(corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]),
                "cover 4 bytes", "has 8", "trailing");
    }

    @Test
    void rejectsDuplicateNamesAndBadMetadata() {
        String entry = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        assertMentions(corrupt("{\"a\":" + entry + ",\"a\":" + entry + "}", new byte[1]),
                "tensor 'a'", "appears twice");
        assertMentions(corrupt("{\"__metadata__\":{\"k\":1},\"a\":" + entry + "}", new byte[1]),
                "__metadata__.k", "string", "a number");
        assertMentions(corrupt("{\"__metadata__\":[\"k\"],\"a\":" + entry + "}", new byte[1]),
                "__metadata__", "object of string values", "an array");
        assertMentions(corrupt("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},\"a\":" + entry + "}", new byte[1]),
                "__metadata__", "'k' appears twice");
    }

    @Test
    void readingAMissingFileThrowsNoSuchFile() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Safetensors.read(dir.resolve("none")));
        assertFalse(Files.exists(dir.resolve("none")));
    }
}
