package dev.recur4j.io;

/**
 * The element types of a safetensors file, under their header names ({@code "F32"}, ...). All
 * multi-byte types are stored little-endian.
 */
public enum DType {
    F64(8, true),
    F32(4, true),
    /** IEEE 754 binary16. */
    F16(2, true),
    /** bfloat16: the upper 16 bits of an IEEE binary32. */
    BF16(2, true),
    /** 8-bit float with 4 exponent and 3 mantissa bits, bias 7, no infinities (the "fn" variant). */
    F8_E4M3(1, true),
    /** 8-bit float with 5 exponent and 2 mantissa bits: the upper byte of an IEEE binary16. */
    F8_E5M2(1, true),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U64(8, false),
    U32(4, false),
    U16(2, false),
    U8(1, false),
    /** One byte per element, 0 or 1. */
    BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether {@link Tensor#toFloats()} accepts this type. */
    public boolean isFloatingPoint() {
        return floating;
    }

    /** The type whose header name is {@code name}, or null if there is none (names are case-sensitive). */
    public static DType fromHeaderName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
