package dev.recur4j;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal safetensors reader for the golden fixtures (F32, F64, I64). Temporary: to be replaced
 * by the library's {@code dev.recur4j.io.Safetensors} once that lands.
 *
 * <p>Layout: u64 little-endian header length N, N bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets}}, plus {@code __metadata__}), then the data.
 */
final class SafetensorsTestReader {

    /** One tensor, widened to double (exact for F32, and for the small integers the fixtures store as I64). */
    record Entry(String dtype, long[] shape, double[] values) {
        float[] toFloats() {
            float[] out = new float[values.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) values[i];
            }
            return out;
        }

        int[] toInts() {
            int[] out = new int[values.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = Math.toIntExact((long) values[i]);
            }
            return out;
        }
    }

    record File(Map<String, Entry> tensors, Map<String, String> metadata) {
        Entry get(String name) {
            Entry e = tensors.get(name);
            if (e == null) {
                throw new IllegalArgumentException("no tensor '" + name + "', found " + tensors.keySet());
            }
            return e;
        }
    }

    private SafetensorsTestReader() {
    }

    static File read(Path path) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = Math.toIntExact(buf.getLong(0));
        JsonObject header = JsonParser.parseString(
                new String(buf.array(), 8, headerLen, StandardCharsets.UTF_8)).getAsJsonObject();
        int base = 8 + headerLen;
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            JsonObject info = e.getValue().getAsJsonObject();
            if (e.getKey().equals("__metadata__")) {
                info.entrySet().forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
                continue;
            }
            String dtype = info.get("dtype").getAsString();
            long[] shape = new long[info.get("shape").getAsJsonArray().size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = info.get("shape").getAsJsonArray().get(i).getAsLong();
            }
            int begin = base + info.get("data_offsets").getAsJsonArray().get(0).getAsInt();
            int end = base + info.get("data_offsets").getAsJsonArray().get(1).getAsInt();
            tensors.put(e.getKey(), new Entry(dtype, shape, decode(e.getKey(), dtype, buf, begin, end)));
        }
        return new File(tensors, metadata);
    }

    private static double[] decode(String name, String dtype, ByteBuffer buf, int begin, int end) {
        int width = switch (dtype) {
            case "F32" -> 4;
            case "F64", "I64" -> 8;
            default -> throw new IllegalArgumentException(name + ": unsupported dtype " + dtype);
        };
        double[] out = new double[(end - begin) / width];
        for (int i = 0; i < out.length; i++) {
            int at = begin + i * width;
            out[i] = switch (dtype) {
                case "F32" -> buf.getFloat(at);
                case "F64" -> buf.getDouble(at);
                default -> buf.getLong(at);
            };
        }
        return out;
    }
}
