package dev.recur4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void convertsFloatingTypesExactly() {
        // Every value is exactly representable in F16 and BF16, so all four types must give them back bit for bit.
        float[] v = {0f, -0f, 1f, -2.5f, 0.375f, 1024f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (DType t : new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16}) {
            assertArrayEquals(v, Tensor.ofFloats("x", t, v, 2, 4).toFloats(), t.name());
        }
        assertTrue(Float.isNaN(Tensor.ofFloats("x", DType.BF16, new float[] {Float.NaN}, 1).toFloats()[0]));
        assertTrue(Float.isNaN(Tensor.ofFloats("x", DType.F16, new float[] {Float.NaN}, 1).toFloats()[0]));
    }

    @Test
    void narrowsByRoundingToNearestEven() {
        // 1 + 2^-8 lies halfway between BF16 neighbours 1 and 1 + 2^-7: ties go to the even mantissa (1).
        assertEquals(1f, Tensor.ofFloats("x", DType.BF16, new float[] {1f + 0x1p-8f}, 1).toFloats()[0]);
        assertEquals(1f + 0x1p-7f, Tensor.ofFloats("x", DType.BF16, new float[] {1f + 0x1.8p-8f}, 1).toFloats()[0]);
        double d = 0.1;
        Tensor f64 = Tensor.ofBytes("d", DType.F64, java.nio.ByteBuffer.allocate(8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).putDouble(d).array(), 1);
        assertEquals((float) d, f64.toFloats()[0]);
    }

    @Test
    void decodesEightBitFloats() {
        // E4M3 (bias 7): 0x38 = 1.0, 0x7E = 448 (largest), 0x01 = 2^-9 (smallest subnormal), 0xB8 = -1, 0x7F = NaN.
        float[] e4m3 = Tensor.ofBytes("a", DType.F8_E4M3, new byte[] {0x38, 0x7E, 0x01, (byte) 0xB8, 0x7F}, 5)
                .toFloats();
        assertArrayEquals(new float[] {1f, 448f, 0x1p-9f, -1f, Float.NaN}, e4m3);
        // E5M2 is binary16's upper byte: 0x3C = 1.0, 0x7B = 57344 (largest), 0x7C = infinity, 0xC0 = -2.
        float[] e5m2 = Tensor.ofBytes("b", DType.F8_E5M2, new byte[] {0x3C, 0x7B, 0x7C, (byte) 0xC0}, 4).toFloats();
        assertArrayEquals(new float[] {1f, 57344f, Float.POSITIVE_INFINITY, -2f}, e5m2);
    }

    @Test
    void readsUnsignedTypes() {
        byte[] u16 = {(byte) 0xFF, (byte) 0xFF, 1, 0};
        assertArrayEquals(new int[] {65535, 1}, Tensor.ofBytes("u", DType.U16, u16, 2).toInts());
        byte[] u32 = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        assertArrayEquals(new long[] {4294967295L}, Tensor.ofBytes("u", DType.U32, u32, 1).toLongs());
        byte[] u64 = {0, 0, 0, 0, 0, 0, 0, (byte) 0x80};
        String m = assertThrows(IllegalArgumentException.class,
                () -> Tensor.ofBytes("u", DType.U64, u64, 1).toLongs()).getMessage();
        assertTrue(m.contains("u[0]") && m.contains("9223372036854775808"), m);
    }

    @Test
    void convertsIntegerTypesWithRangeChecks() {
        assertArrayEquals(new int[] {-3, 0, 5}, Tensor.ofLongs("l", new long[] {-3, 0, 5}, 3).toInts());
        assertArrayEquals(new int[] {1, 2}, Tensor.ofInts("i", new int[] {1, 2}, 2).toInts());
        assertArrayEquals(new int[] {255, 1}, Tensor.ofBytes("u", DType.U8, new byte[] {-1, 1}, 2).toInts());
        assertArrayEquals(new int[] {-1, 1}, Tensor.ofBytes("b", DType.I8, new byte[] {-1, 1}, 2).toInts());
        String m = assertThrows(IllegalArgumentException.class,
                () -> Tensor.ofLongs("l", new long[] {1, 1L << 40}, 2).toInts()).getMessage();
        assertTrue(m.contains("l[1]") && m.contains("1099511627776"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Tensor.ofInts("i", new int[] {1}, 1).toFloats())
                .getMessage();
        assertTrue(m.contains("i:") && m.contains("I32"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats("f", new float[] {1}, 1).toInts())
                .getMessage();
        assertTrue(m.contains("f:") && m.contains("F32"), m);
    }

    @Test
    void checksElementCountAgainstShape() {
        String m = assertThrows(IllegalArgumentException.class,
                () -> Tensor.ofFloats("w", new float[5], 2, 3)).getMessage();
        assertTrue(m.contains("w") && m.contains("6") && m.contains("5"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> Tensor.ofBytes("w", DType.F32, new byte[7], 2)).getMessage();
        assertTrue(m.contains("8 bytes") && m.contains("found 7"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Tensor.ofInts("n", new int[0], -1)).getMessage();
        assertTrue(m.contains("dimension 0") && m.contains("-1"), m);
    }

    @Test
    void isImmutable() {
        long[] shape = {2};
        Tensor t = Tensor.ofInts("i", new int[] {1, 2}, shape);
        shape[0] = 5;
        t.shape()[0] = 7;
        assertArrayEquals(new long[] {2}, t.shape());
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> t.data().put(0, (byte) 1));
        t.data().position(3);
        assertEquals(0, t.data().position());
    }
}
