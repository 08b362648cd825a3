package dev.recur4j.io;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
 * <pre>
 * 8 bytes     N, the header length, unsigned little-endian
 * N bytes     the header: UTF-8 JSON (see {@link SafetensorsHeader}), may end in spaces
 * the rest    the data section: every tensor's little-endian bytes, back to back
 * </pre>
 * Reading validates everything and throws {@link SafetensorsException} naming the file, the
 * tensor and what was expected vs found. Writing pads the header with spaces so the data starts
 * at a multiple of 8 bytes, stores tensors in list order, and replaces the target atomically.
 */
public final class Safetensors {
    /** The reference implementation's limit; a larger header is a corrupt length, not a real header. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    /** Largest file read: the bytes go into one array. */
    private static final int MAX_FILE_BYTES = Integer.MAX_VALUE - 8;
    /** {@code st_mode}'s file-type bits, and the type of a FIFO (a named pipe, or a shell's {@code <(command)}). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;

    private Safetensors() {
    }

    /**
     * Reads and validates a whole file. Files of 2 GiB or more are not supported. A pipe is read as a stream under
     * the same limits; a folder or device is refused by name (a folder failed with an IOException naming no file,
     * and {@code /dev/zero}, whose size reads 0, was read until the heap gave out).
     */
    public static SafetensorsFile read(Path path) throws IOException {
        BasicFileAttributes file = Files.readAttributes(path, BasicFileAttributes.class); // one stat for all below
        if (file.isDirectory()) {
            throw new SafetensorsException(path + ": is a folder, not a safetensors file");
        }
        if (!file.isRegularFile()) {
            if (!isPipe(path)) {
                throw new SafetensorsException(path + ": not a regular file or a pipe (a device or socket?)");
            }
            return readStream(path);
        }
        long size = file.size();
        if (size > MAX_FILE_BYTES) {
            throw new SafetensorsException(path + ": " + size + " bytes; files of 2 GiB or more are not supported");
        }
        return parse(path, Files.readAllBytes(path));
    }

    private static boolean isPipe(Path path) throws IOException {
        try {
            return (((Integer) Files.getAttribute(path, "unix:mode")) & S_IFMT) == S_IFIFO;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return false; // no "unix" attribute view here: treat it as a device
        }
    }

    /**
     * A pipe's bytes: the length, checked as soon as its 8 bytes arrive (garbage fails at once), the header, then
     * exactly the bytes its tensors cover, into one array of that size; more after them fails as trailing bytes.
     * So a stream that goes on for ever is never buffered, and memory is what the file needs.
     */
    private static SafetensorsFile readStream(Path path) throws IOException {
        String where = SafetensorsFile.describe(path);
        try (InputStream in = Files.newInputStream(path)) {
            byte[] length = in.readNBytes(8);
            if (length.length < 8) {
                return parse(path, length); // names the short file
            }
            long n = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            checkHeaderLength(where, n);
            byte[] header = in.readNBytes((int) n);
            if (header.length < n) {
                return parse(path, concat(length, header)); // names the short header
            }
            long data = SafetensorsHeader.coveredLength(where, headerJson(where, header, 0, header.length),
                    Long.MAX_VALUE);
            if (data > MAX_FILE_BYTES - 8 - n) {
                throw new SafetensorsException(where + ": its tensors cover " + data
                        + " bytes; files of 2 GiB or more are not supported");
            }
            byte[] all = allocate(where, (int) (8 + n + data));
            System.arraycopy(length, 0, all, 0, 8);
            System.arraycopy(header, 0, all, 8, header.length);
            int got = in.readNBytes(all, (int) (8 + n), (int) data);
            if (got < data) {
                return parse(path, Arrays.copyOf(all, (int) (8 + n) + got)); // names the short data section
            }
            if (in.read() != -1) {
                throw new SafetensorsException(where + ": data section: the tensors cover " + data
                        + " bytes, the pipe has more after them: the format allows no trailing bytes");
            }
            return parse(path, all);
        }
    }

    /** The pipe's array, sized by what its header claims before the data arrives: too large a claim is bad input. */
    private static byte[] allocate(String where, int size) {
        try {
            return new byte[size];
        } catch (OutOfMemoryError e) {
            throw new SafetensorsException(where + ": its header claims " + size + " bytes, more than this JVM's heap"
                    + " holds (a larger -Xmx in RECUR4J_JAVA_OPTS, or a file instead of a pipe)");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] ab = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        return ab;
    }

    /** The header's text, which must be UTF-8. */
    private static String headerJson(String where, byte[] bytes, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(where + ": header is not valid UTF-8", e);
        }
    }

    private static void checkHeaderLength(String where, long n) {
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsException(where + ": header length " + Long.toUnsignedString(n)
                    + " is not plausible (limit " + MAX_HEADER_BYTES + " bytes): not a safetensors file?");
        }
    }

    /** Parses the bytes of a file; {@code path} only names it in messages (may be null). */
    public static SafetensorsFile parse(Path path, byte[] bytes) {
        String where = SafetensorsFile.describe(path);
        if (bytes.length < 8) {
            throw new SafetensorsException(where + ": expected at least 8 bytes (the header length), found "
                    + bytes.length);
        }
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = all.getLong(0);
        long available = bytes.length - 8L;
        checkHeaderLength(where, n);
        if (n > available) {
            throw new SafetensorsException(where + ": header length " + n + " goes beyond the file, which has "
                    + available + " bytes after the length");
        }
        String json = headerJson(where, bytes, 8, (int) n);
        int dataStart = 8 + (int) n;
        SafetensorsHeader header = SafetensorsHeader.parse(where, json, bytes.length - dataStart);
        List<Tensor> tensors = new ArrayList<>(header.entries.size());
        for (SafetensorsHeader.Entry e : header.entries) {
            ByteBuffer data = ByteBuffer.wrap(bytes, dataStart + (int) e.begin(), (int) (e.end() - e.begin()));
            tensors.add(new Tensor(e.name(), e.dtype(), e.shape(), data));
        }
        return new SafetensorsFile(path, tensors, header.metadata);
    }

    /**
     * Writes {@code tensors} (in this order) and {@code metadata} to {@code path}. The file is first
     * written next to the target under a temporary name, then moved over it, so a failure never leaves
     * a partial file at {@code path}.
     */
    public static void write(Path path, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        ByteBuffer header = ByteBuffer.wrap(headerBytes(tensors, metadata));
        Path target = replaceableTarget(path);
        // A replaced file keeps its mode, and its owner and group where the system allows (root), as an editor's
        // save or sed -i keeps them: null when there is nothing to keep.
        PosixFileAttributes kept = Files.exists(target) && target.getFileSystem().supportedFileAttributeViews()
                .contains("posix") ? Files.readAttributes(target, PosixFileAttributes.class) : null;
        Path tmp = null;
        try {
            // Created and opened in one call (O_EXCL: never through a link someone put at the name) with the mode
            // it keeps, written through that channel, given its owner without following links, and checked to be
            // the same file before the move: a name swapped for a link meanwhile fails the write instead of
            // redirecting it.
            NewTemp created = createTemp(target, kept == null ? null : kept.permissions());
            tmp = created.path();
            Object createdKey;
            long size;
            try (FileChannel ch = created.channel()) {
                createdKey = sameFile(tmp, null, 0, path); // an empty regular file, as created
                try {
                    writeFully(ch, header);
                    for (Tensor t : tensors) {
                        writeFully(ch, t.data());
                    }
                    ch.force(true);
                } catch (IOException e) {
                    // the system's "No space left on device" names no file
                    throw new OutputWriteException(path + ": not written (" + e.getMessage()
                            + "); the file is left as it was", e);
                }
                size = ch.size(); // of the file the channel writes, whatever the name now holds
            }
            if (kept != null) {
                keepOwner(kept, tmp);
            }
            sameFile(tmp, createdKey, size, path);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                if (tmp != null) {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * The identity (device and inode) of the regular file at {@code tmp}, not following a link, after checking that
     * it is {@code key} (unless null) and {@code size} bytes long: a link or another file swapped in for the name
     * fails the write.
     */
    private static Object sameFile(Path tmp, Object key, long size, Path path) throws IOException {
        BasicFileAttributes a = Files.readAttributes(tmp, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile() || a.size() != size || (key != null && !Objects.equals(key, a.fileKey()))) {
            throw new IOException(tmp + " was replaced while it was written; " + path + " is left as it was");
        }
        return a.fileKey();
    }

    /** The whole file as bytes (for small files and tests). */
    public static byte[] toBytes(List<Tensor> tensors, Map<String, String> metadata) {
        byte[] header = headerBytes(tensors, metadata);
        long size = header.length;
        for (Tensor t : tensors) {
            size += t.byteSize();
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("toBytes: " + size + " bytes do not fit in an array; use write");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size);
        out.put(header);
        for (Tensor t : tensors) {
            out.put(t.data());
        }
        return out.array();
    }

    /** The 8-byte length plus the JSON header, padded with spaces to a multiple of 8 bytes. */
    static byte[] headerBytes(List<Tensor> tensors, Map<String, String> metadata) {
        StringWriter sw = new StringWriter();
        Set<String> names = new HashSet<>();
        try (JsonWriter w = new JsonWriter(sw)) {
            w.setHtmlSafe(false);
            w.beginObject();
            if (!metadata.isEmpty()) {
                w.name(SafetensorsHeader.METADATA).beginObject();
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    if (e.getKey() == null || e.getValue() == null) {
                        throw new IllegalArgumentException("metadata: null key or value for key " + e.getKey());
                    }
                    w.name(e.getKey()).value(e.getValue());
                }
                w.endObject();
            }
            long offset = 0;
            for (Tensor t : tensors) {
                if (t.name().equals(SafetensorsHeader.METADATA)) {
                    throw new IllegalArgumentException("tensor name '" + SafetensorsHeader.METADATA + "' is reserved");
                }
                if (!names.add(t.name())) {
                    throw new IllegalArgumentException("tensor '" + t.name() + "' appears twice in the list to write");
                }
                w.name(t.name()).beginObject();
                w.name("dtype").value(t.dtype().name());
                w.name("shape").beginArray();
                for (long d : t.shape()) {
                    w.value(d);
                }
                w.endArray();
                w.name("data_offsets").beginArray().value(offset).value(offset + t.byteSize()).endArray();
                w.endObject();
                offset += t.byteSize();
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not throw
        }
        byte[] json = sw.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json);
        while (b.hasRemaining()) {
            b.put((byte) ' ');
        }
        return b.array();
    }

    /**
     * Where {@link #write} may put its file for {@code path}: a new file, or an existing regular file this process
     * may write, which the move replaces. A symbolic link is written through (the file it names is replaced, the
     * link stays). Anything else is refused before a byte is written: moving over a device, FIFO or socket would
     * replace it with a regular file ({@code /dev/null}, as root), and a read-only file is not ours to replace.
     */
    public static Path replaceableTarget(Path path) throws IOException {
        Path target = path.toAbsolutePath();
        // to the file a chain of links names, which may not exist yet; ".." in a link is the OS's, against the real
        // folder the link lies in (not a textual normalize, which would pick another file behind a linked folder)
        for (int hops = 0; Files.isSymbolicLink(target); hops++) {
            if (hops == 40) {
                throw new IOException(path + ": too many levels of symbolic links");
            }
            if (Files.exists(target)) {
                target = target.toRealPath();
                break;
            }
            Path link = Files.readSymbolicLink(target);
            Path folder = target.getParent();
            if (!Files.isDirectory(folder)) {
                throw new IOException("folder " + folder + " does not exist");
            }
            target = folder.toRealPath().resolve(link);
        }
        if (target.getParent() == null || target.getFileName() == null) {
            throw new IOException(path + " is not a file path");
        }
        int nameBytes = target.getFileName().toString().getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > MAX_NAME_BYTES) { // else the work ran and the final move failed, naming the temporary file too
            throw new IOException(path + ": the file name has " + nameBytes + " bytes, more than the " + MAX_NAME_BYTES
                    + " a name may have");
        }
        if (!Files.isDirectory(target.getParent())) {
            throw new IOException("folder " + target.getParent() + " does not exist");
        }
        if (!Files.isWritable(target.getParent())) {
            throw new IOException("folder " + target.getParent() + " is not writable (the file is written there"
                    + " under a temporary name, then moved)");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(path + " exists and is not a regular file (a folder, device, FIFO or socket);"
                        + " it is not replaced");
            }
            if (!Files.isWritable(target)) {
                throw new IOException(path + " exists and is not writable; it is not replaced");
            }
        }
        return target;
    }

    /**
     * {@code tmp} takes the owner and group of the file it replaces where the system lets us set them (root; a group
     * of ours): a file of another user replaced by root stays that user's. lchown: a link swapped in for
     * {@code tmp} changes owner itself, and the identity check after this fails the write.
     */
    private static void keepOwner(PosixFileAttributes was, Path tmp) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        try {
            view.setOwner(was.owner());
        } catch (IOException notAllowed) {
            // only root may give a file away: it stays ours
        }
        try {
            view.setGroup(was.group());
        } catch (IOException notAllowed) {
            // a group we are not in: it stays our group
        }
    }

    /** A temporary file just created, and the channel to write it. */
    private record NewTemp(Path path, FileChannel channel) {
    }

    /**
     * A new file next to {@code target}, created and opened for writing in one call, with {@code mode} when it
     * replaces a file (so the data of an output that others may not read is never readable by them while it is
     * written; the fd writes whatever the mode), else the usual (umask) permissions, unlike
     * {@code Files.createTempFile}'s 0600. Bits of {@code mode} that the umask strips at creation are set at once,
     * before any data is written: the JDK's chmod follows links, so it must not come after a window to swap one in.
     */
    private static NewTemp createTemp(Path target, Set<PosixFilePermission> mode) throws IOException {
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileAttribute<?>[] attributes = mode != null
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)}
                : new FileAttribute<?>[0];
        for (int attempt = 0; ; attempt++) {
            Path tmp = target.resolveSibling("." + tempStem(target.getFileName().toString()) + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                FileChannel ch = FileChannel.open(tmp, options, attributes);
                try {
                    if (mode != null && !Files.getPosixFilePermissions(tmp, LinkOption.NOFOLLOW_LINKS).equals(mode)) {
                        Files.setPosixFilePermissions(tmp, mode);
                    }
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    Files.deleteIfExists(tmp);
                    throw e;
                }
                return new NewTemp(tmp, ch);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    /**
     * The target's name cut to at most {@link #TEMP_STEM_BYTES} bytes of UTF-8 (whole code points), so that the
     * temporary name (22 bytes more) stays within the 255 bytes a file name may have: a legal output name of 234..255
     * bytes failed with "File name too long", naming the temporary file.
     */
    static String tempStem(String name) {
        int bytes = 0;
        int end = 0;
        while (end < name.length()) {
            int cp = name.codePointAt(end);
            int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + len > TEMP_STEM_BYTES) {
                break;
            }
            bytes += len;
            end += Character.charCount(cp);
        }
        return name.substring(0, end);
    }

    /** The longest file name (NAME_MAX) of Linux's file systems (ext4, xfs, btrfs, tmpfs), in bytes. */
    private static final int MAX_NAME_BYTES = 255;

    /** 255 bytes for a name, less "." + "." + 16 hex digits + ".tmp" (22), with room to spare. */
    private static final int TEMP_STEM_BYTES = 200;

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
