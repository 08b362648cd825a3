package dev.recur4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One named tensor of a safetensors file: element type, shape and the raw little-endian bytes,
 * row-major. The shape is copied in and out and {@link #data()} hands out a read-only view
 * positioned at 0; the bytes themselves are not copied by the constructor, so whoever builds a
 * tensor over a buffer must not change that buffer afterwards (the factories below copy).
 *
 * @param name  the tensor's name in the file header
 * @param dtype the element type
 * @param shape the dimensions, each >= 0; {@code []} is a scalar (one element)
 * @param data  exactly elements x dtype size bytes, little-endian
 */
public record Tensor(String name, DType dtype, long[] shape, ByteBuffer data) {

    public Tensor {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must be non-empty");
        }
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long bytes = Math.multiplyExact(elementCount(name, shape), dtype.byteSize());
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + bytes + " bytes, found " + data.remaining());
        }
        data = data.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The product of {@code shape}; throws naming the tensor on a negative dimension or overflow. */
    static long elementCount(String name, long[] shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException(name + ": dimension " + i + " must be >= 0, found " + shape[i]);
            }
            try {
                n = Math.multiplyExact(n, shape[i]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " has more than "
                        + Long.MAX_VALUE + " elements");
            }
        }
        return n;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A read-only little-endian view of the bytes, positioned at 0. */
    @Override
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code i} of the shape. */
    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        return elementCount(name, shape);
    }

    /** The size in bytes of the data. */
    public long byteSize() {
        return data.remaining();
    }

    /**
     * The elements as floats: F32 as stored, F16 and BF16 widened exactly, F64 rounded to nearest
     * (IEEE narrowing). Throws for integer types.
     */
    public float[] toFloats() {
        requireFloatingPoint();
        int n = arrayLength();
        ByteBuffer b = data();
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(8 * i);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(b.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xFFFF) << 16);
                }
            }
            case F8_E5M2 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat((short) (b.get(i) << 8));
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = e4m3ToFloat(b.get(i));
                }
            }
            default -> throw new AssertionError(dtype); // requireFloatingPoint let it through
        }
        return out;
    }

    /** Throws, naming the tensor and its dtype, unless {@link #toFloats()} takes this tensor's type. */
    public void requireFloatingPoint() {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(name + ": dtype expected a floating-point type"
                    + " (F32, F64, F16, BF16, F8_E4M3, F8_E5M2), found " + dtype);
        }
    }

    /** The elements as doubles: F64 as stored, every other floating-point type through {@link #toFloats()}. */
    public double[] toDoubles() {
        if (dtype != DType.F64) {
            float[] f = toFloats();
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = f[i];
            }
            return out;
        }
        double[] out = new double[arrayLength()];
        data().asDoubleBuffer().get(out);
        return out;
    }

    /** The elements as ints, from any integer type; throws naming the index if a value does not fit. */
    public int[] toInts() {
        long[] v = toLongs();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + "[" + i + "]: value " + v[i] + " does not fit in a 32-bit int");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    /** S.EEEE.MMM, bias 7: exponent 0 is subnormal (M x 2^-9), S.1111.111 is NaN, there is no infinity. */
    static float e4m3ToFloat(byte v) {
        int e = (v >> 3) & 0xF;
        int m = v & 7;
        float magnitude = e == 15 && m == 7 ? Float.NaN
                : e == 0 ? m * 0x1p-9f
                : Math.scalb(1 + m / 8f, e - 7);
        return v < 0 ? -magnitude : magnitude;
    }

    /** The elements as longs, from any integer type (I64, I32, I16, I8, U*, BOOL); throws for floating types. */
    public long[] toLongs() {
        int n = arrayLength();
        ByteBuffer b = data();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case I64 -> b.getLong(8 * i);
                case I32 -> b.getInt(4 * i);
                case I16 -> b.getShort(2 * i);
                case I8 -> b.get(i);
                case U64 -> {
                    long v = b.getLong(8 * i);
                    if (v < 0) {
                        throw new IllegalArgumentException(name + "[" + i + "]: value " + Long.toUnsignedString(v)
                                + " does not fit in a 64-bit signed long");
                    }
                    yield v;
                }
                case U32 -> b.getInt(4 * i) & 0xFFFFFFFFL;
                case U16 -> b.getShort(2 * i) & 0xFFFF;
                case U8, BOOL -> b.get(i) & 0xFF;
                default -> throw new IllegalArgumentException(name + ": dtype expected an integer type"
                        + " (I64, I32, I16, I8, U8, BOOL), found " + dtype);
            };
        }
        return out;
    }

    private int arrayLength() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": " + n + " elements do not fit in a Java array");
        }
        return (int) n;
    }

    /** An F32 tensor; {@code data.length} must equal the product of {@code shape}. */
    public static Tensor ofFloats(String name, float[] data, long... shape) {
        return ofFloats(name, DType.F32, data, shape);
    }

    /**
     * A floating-point tensor of type {@code dtype} (F32, F64, F16 or BF16) holding {@code data}
     * rounded to nearest-even where the type is narrower than float.
     */
    public static Tensor ofFloats(String name, DType dtype, float[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = allocate(data.length, dtype);
        for (int i = 0; i < data.length; i++) {
            switch (dtype) {
                case F32 -> b.putFloat(data[i]);
                case F64 -> b.putDouble(data[i]);
                case F16 -> b.putShort(Float.floatToFloat16(data[i]));
                case BF16 -> b.putShort(toBfloat16(data[i]));
                default -> throw new IllegalArgumentException(name + ": dtype expected F32, F64, F16 or BF16 to"
                        + " write floats, found " + dtype);
            }
        }
        return new Tensor(name, dtype, shape, b.flip());
    }

    /** An I32 tensor. */
    public static Tensor ofInts(String name, int[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = allocate(data.length, DType.I32);
        b.asIntBuffer().put(data);
        return new Tensor(name, DType.I32, shape, b);
    }

    /** An I64 tensor. */
    public static Tensor ofLongs(String name, long[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = allocate(data.length, DType.I64);
        b.asLongBuffer().put(data);
        return new Tensor(name, DType.I64, shape, b);
    }

    /** A tensor of any type over raw little-endian bytes (copied). */
    public static Tensor ofBytes(String name, DType dtype, byte[] data, long... shape) {
        return new Tensor(name, dtype, shape, ByteBuffer.wrap(data.clone()));
    }

    private static void checkCount(String name, int length, long[] shape) {
        long n = elementCount(name, shape);
        if (n != length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n
                    + " elements, data has " + length);
        }
    }

    private static ByteBuffer allocate(int n, DType dtype) {
        return ByteBuffer.allocate(Math.multiplyExact(n, dtype.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Rounds to nearest-even, keeping NaN a (quiet) NaN. */
    static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Equal when name, dtype, shape and bytes are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), data);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
