package dev.recur4j.peers.ort;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few protobuf wire-format writes an ONNX model needs: varint and length-delimited fields.
 * The onnxruntime jar ships no ONNX protobuf classes, and the model is small, so it is written by hand.
 * A field is a tag ((number << 3) | wire type) followed by its value; an embedded message is
 * length-delimited, so a message is built in its own writer and then written into its parent.
 */
final class ProtoWriter {
    private static final int VARINT = 0, LENGTH_DELIMITED = 2;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** An int32 / int64 / enum field. Negative values take ten bytes, as protobuf sign-extends them. */
    ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    /** A repeated int64 field, unpacked (one tag per element: onnx.proto is proto2 without [packed=true]). */
    ProtoWriter varints(int field, long... values) {
        for (long v : values) varint(field, v);
        return this;
    }

    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(value.length);
        out.writeBytes(value);
        return this;
    }

    ProtoWriter message(int field, ProtoWriter message) {
        return bytes(field, message.toByteArray());
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        rawVarint(((long) field << 3) | wireType);
    }

    // Seven bits at a time, least significant first; the high bit says that more bytes follow.
    private void rawVarint(long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }
}
