package dev.recur4j.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The content of one safetensors file: its tensors in header order and its {@code __metadata__}. */
public final class SafetensorsFile {
    private final Path path;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    /** @param path where the tensors came from, used in messages (may be null) */
    public SafetensorsFile(Path path, List<Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            if (byName.put(t.name(), t) != null) {
                throw new SafetensorsException(describe(path) + ": tensor '" + t.name() + "' appears twice");
            }
        }
        this.tensors = Collections.unmodifiableMap(byName);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    static String describe(Path path) {
        return path == null ? "<tensors>" : path.toString();
    }

    /** The file (may be null for tensors built in memory). */
    public Path path() {
        return path;
    }

    /** The tensors in header order. */
    public List<Tensor> tensors() {
        return List.copyOf(tensors.values());
    }

    /** The tensor names in header order. */
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The tensor called {@code name}; throws naming it, the file and the names present if it is missing. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(describe(path) + ": no tensor named '" + name + "' (found "
                    + (tensors.isEmpty() ? "no tensors" : String.join(", ", abbreviated(names()))) + ")");
        }
        return t;
    }

    private static List<String> abbreviated(List<String> names) {
        if (names.size() <= 12) {
            return names;
        }
        List<String> head = new ArrayList<>(names.subList(0, 12));
        head.add("... " + (names.size() - 12) + " more");
        return head;
    }

    /** The string-to-string map of {@code __metadata__}, empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public String toString() {
        return describe(path) + " " + tensors.values();
    }
}
