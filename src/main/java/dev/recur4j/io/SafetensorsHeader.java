package dev.recur4j.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses and validates the JSON header of a safetensors file:
 * <pre>
 * { "__metadata__": {"key": "value", ...},            optional, string to string
 *   "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ... }
 * </pre>
 * Offsets are relative to the data section, which starts right after the header. As in the
 * format's reference implementation, the tensors must cover the data section exactly: no overlaps,
 * no holes, no trailing bytes. Unknown keys inside a tensor entry are ignored (the reference
 * implementation ignores them too). The JSON is read strictly, with duplicate keys rejected.
 */
final class SafetensorsHeader {
    static final String METADATA = "__metadata__";
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

    /** One tensor's header entry; {@code begin, end} are byte offsets into the data section. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    final List<Entry> entries = new ArrayList<>();
    final Map<String, String> metadata = new LinkedHashMap<>();
    /** The names of {@link #entries}, for the duplicate check: a scan of the list made it quadratic in the count. */
    private final Set<String> names = new HashSet<>();
    private final String where;
    private boolean sawMetadata;

    private SafetensorsHeader(String where) {
        this.where = where;
    }

    /**
     * @param where      the file name, for messages
     * @param dataLength bytes after the header
     */
    static SafetensorsHeader parse(String where, String json, long dataLength) {
        SafetensorsHeader h = parseEntries(where, json, dataLength);
        long end = h.contiguousEnd();
        if (end != dataLength) {
            throw h.error("data section: the tensors cover " + end + " bytes, the file has " + dataLength
                    + " after the header: the format allows no trailing bytes");
        }
        return h;
    }

    /**
     * The bytes the header's tensors cover after it, every check but the last made (no tensor beyond {@code limit}):
     * how much of a stream to read.
     */
    static long coveredLength(String where, String json, long limit) {
        return parseEntries(where, json, limit).contiguousEnd();
    }

    private static SafetensorsHeader parseEntries(String where, String json, long dataLength) {
        SafetensorsHeader h = new SafetensorsHeader(where);
        try (JsonReader r = new JsonReader(new StringReader(json))) {
            r.setStrictness(Strictness.STRICT);
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw h.error("header: expected a JSON object, found " + describe(r.peek()));
            }
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                if (name.equals(METADATA)) {
                    if (h.sawMetadata) {
                        throw h.error("header: key '" + METADATA + "' appears twice");
                    }
                    h.sawMetadata = true;
                    h.readMetadata(r);
                } else {
                    if (name.isEmpty()) {
                        throw h.error("header: a tensor has an empty name");
                    }
                    if (!h.names.add(name)) {
                        throw h.error("tensor '" + name + "': name appears twice in the header");
                    }
                    h.entries.add(h.readEntry(r, name, dataLength));
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw h.error("header: unexpected content after the JSON object");
            }
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // MalformedJsonException is an IOException; its message gives line, column and path.
            throw new SafetensorsException(where + ": header is not valid JSON: " + jsonMessage(e), e);
        }
        return h;
    }

    /** Gson's message without its advice to parse leniently and its troubleshooting link, which are not ours. */
    static String jsonMessage(Exception e) {
        String m = String.valueOf(e.getMessage());
        int see = m.indexOf("\nSee https://");
        if (see >= 0) {
            m = m.substring(0, see);
        }
        return m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON ", "").strip();
    }

    private void readMetadata(JsonReader r) throws IOException {
        if (r.peek() == JsonToken.NULL) {
            r.nextNull();
            return;
        }
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw error(METADATA + ": expected an object of string values, found " + describe(r.peek()));
        }
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            if (r.peek() != JsonToken.STRING) {
                throw error(METADATA + "." + key + ": expected a string value, found " + describe(r.peek()));
            }
            if (metadata.put(key, r.nextString()) != null) {
                throw error(METADATA + ": key '" + key + "' appears twice");
            }
        }
        r.endObject();
    }

    private Entry readEntry(JsonReader r, String name, long dataLength) throws IOException {
        String t = "tensor '" + name + "'";
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw error(t + ": expected an object {dtype, shape, data_offsets}, found " + describe(r.peek()));
        }
        String dtypeName = null;
        long[] shape = null;
        long[] offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            switch (key) {
                case "dtype" -> {
                    if (dtypeName != null) {
                        throw error(t + ": key 'dtype' appears twice");
                    }
                    if (r.peek() != JsonToken.STRING) {
                        throw error(t + ": dtype expected a string, found " + describe(r.peek()));
                    }
                    dtypeName = r.nextString();
                }
                case "shape" -> {
                    if (shape != null) {
                        throw error(t + ": key 'shape' appears twice");
                    }
                    shape = readLongs(r, t + ": shape");
                }
                case "data_offsets" -> {
                    if (offsets != null) {
                        throw error(t + ": key 'data_offsets' appears twice");
                    }
                    offsets = readLongs(r, t + ": data_offsets");
                }
                default -> r.skipValue();
            }
        }
        r.endObject();
        if (dtypeName == null || shape == null || offsets == null) {
            throw error(t + ": missing key '" + (dtypeName == null ? "dtype" : shape == null ? "shape" : "data_offsets")
                    + "' (expected dtype, shape and data_offsets)");
        }
        DType dtype = DType.fromHeaderName(dtypeName);
        if (dtype == null) {
            throw error(t + ": unknown dtype '" + dtypeName + "' (expected one of "
                    + Arrays.toString(DType.values()) + ")");
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw error(t + ": shape dimension " + i + " expected >= 0, found " + shape[i]);
            }
        }
        if (offsets.length != 2) {
            throw error(t + ": data_offsets expected [begin, end], found " + offsets.length + " numbers");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw error(t + ": data_offsets expected 0 <= begin <= end, found [" + begin + ", " + end + "]");
        }
        long elements;
        long bytes;
        try {
            elements = Tensor.elementCount(name, shape);
            bytes = Math.multiplyExact(elements, dtype.byteSize());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw error(t + ": shape " + Arrays.toString(shape) + " is too large");
        }
        if (end - begin != bytes) {
            throw error(t + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes, expected "
                    + bytes + " (" + elements + " elements of " + dtype + ", shape " + Arrays.toString(shape) + ")");
        }
        if (end > dataLength) {
            throw error(t + ": data_offsets [" + begin + ", " + end + "] go beyond the data section of " + dataLength
                    + " bytes");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private long[] readLongs(JsonReader r, String what) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) {
            throw error(what + ": expected an array of integers, found " + describe(r.peek()));
        }
        List<Long> values = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != JsonToken.NUMBER) {
                throw error(what + ": expected integers, found " + describe(r.peek()) + " at index " + values.size());
            }
            String s = r.nextString();
            if (!INTEGER.matcher(s).matches()) {
                throw error(what + ": expected integers, found " + s + " at index " + values.size());
            }
            try {
                values.add(Long.parseLong(s));
            } catch (NumberFormatException e) {
                throw error(what + ": value " + s + " at index " + values.size() + " does not fit in 64 bits");
            }
        }
        r.endArray();
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /** Sorted by offset, each tensor must start where the previous one ended; returns where the last one ends. */
    private long contiguousEnd() {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long end = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.begin < end) {
                throw error("tensor '" + e.name + "': data_offsets [" + e.begin + ", " + e.end + "] overlap tensor '"
                        + previous + "', which ends at " + end);
            }
            if (e.begin > end) {
                throw error("tensor '" + e.name + "': data_offsets begin expected " + end + " (where "
                        + (previous == null ? "the data section starts" : "tensor '" + previous + "' ends")
                        + "), found " + e.begin + ": the format allows no holes");
            }
            end = e.end;
            previous = e.name;
        }
        return end;
    }

    private SafetensorsException error(String message) {
        return new SafetensorsException(where + ": " + message);
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case BEGIN_ARRAY -> "an array";
            case BEGIN_OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> token.toString();
        };
    }
}
