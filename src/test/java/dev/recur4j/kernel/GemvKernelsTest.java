package dev.recur4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.fail;

import dev.recur4j.Impl;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The matrix-vector products of {@link GemvKernels} ({@code gemv} for one row, {@code gemvRows} for 1 to 6
 * rows) against a double-precision product computed from the packed layout, for every gate count 1..4,
 * depths k that are odd, even and below every unroll, block counts and block ranges that exercise the
 * 4-block, 2-block and single-block kernels, with and without accumulate. Blocks outside [jb0, jb1) and
 * the floats around each row's gate row must stay as they were.
 *
 * <p>Tolerance: each output is a sum of k products (plus the old value with accumulate) added in fp32 in
 * some order, with or without FMA; the standard bound for any summation order is (k + 1)·u·Σ|terms| with u
 * = 2^-24 (the products themselves are exact in double and rounded at most once in fp32, one more u).
 * The check uses (k + 2)·u·Σ|terms|, Σ|terms| computed in double.
 */
class GemvKernelsTest {
    private static final double U = Math.scalb(1.0, -24);
    private static final int[] DEPTHS = {1, 2, 3, 7, 64, 65};
    private static final int[] BLOCKS = {1, 2, 3, 5, 7};

    @ParameterizedTest
    @EnumSource(value = Impl.class, names = {"SCALAR", "SIMD"})
    void productsMatchTheDoublePrecisionProduct(Impl impl) {
        GemvKernels kernels = GemvKernels.of(impl);
        int v = kernels.blockWidth();
        Random rnd = new Random(20261201L + impl.ordinal());
        List<String> failures = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (int g = 1; g <= 4; g++) {
                for (int k : DEPTHS) {
                    for (int nb : BLOCKS) {
                        MemorySegment w = arena.allocate((long) nb * k * g * v * Float.BYTES, 64);
                        for (long i = 0; i < (long) nb * k * g * v; i++) {
                            w.setAtIndex(JAVA_FLOAT, i, rnd.nextFloat() * 2 - 1);
                        }
                        for (int rows = 1; rows <= 6 && failures.size() < 5; rows++) {
                            for (boolean accumulate : new boolean[] {false, true}) {
                                // all blocks (the 4- and 2-block kernels first), all but the first (those
                                // kernels at an offset), then a random range
                                check(kernels, g, k, nb, v, w, rows, accumulate, 0, nb,
                                        rows == 1 && rnd.nextBoolean(), rnd, failures);
                                if (nb > 1) {
                                    check(kernels, g, k, nb, v, w, rows, accumulate, 1, nb,
                                            rows == 1 && rnd.nextBoolean(), rnd, failures);
                                }
                                int jb0 = rnd.nextInt(nb);
                                int jb1 = jb0 + 1 + rnd.nextInt(nb - jb0);
                                check(kernels, g, k, nb, v, w, rows, accumulate, jb0, jb1,
                                        rows == 1 && rnd.nextBoolean(), rnd, failures);
                            }
                        }
                    }
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(kernels.name() + ": " + failures.size() + " failing case(s) (stopped at 5)\n"
                    + String.join("\n", failures));
        }
    }

    /** One case: random h and gate rows at random offsets; {@code single} calls gemv instead of gemvRows. */
    private static void check(GemvKernels kernels, int g, int k, int nb, int v, MemorySegment w, int rows,
                              boolean accumulate, int jb0, int jb1, boolean single, Random rnd, List<String> failures) {
        int rowLen = nb * g * v;
        float[][] h = new float[rows][];
        float[][] acc = new float[rows][];
        int[] accOff = new int[rows];
        int hOff = single ? 1 + rnd.nextInt(5) : 0;
        for (int r = 0; r < rows; r++) {
            h[r] = new float[hOff + k];
            for (int i = 0; i < h[r].length; i++) {
                h[r][i] = rnd.nextFloat() * 2 - 1;
            }
            accOff[r] = rnd.nextInt(9);
            acc[r] = new float[accOff[r] + rowLen + 7];
            for (int i = 0; i < acc[r].length; i++) {
                acc[r][i] = rnd.nextFloat() * 2 - 1;
            }
        }
        float[][] before = new float[rows][];
        for (int r = 0; r < rows; r++) {
            before[r] = acc[r].clone();
        }
        if (single) {
            kernels.gemv(g, k, w, h[0], hOff, acc[0], accOff[0], accumulate, jb0, jb1);
        } else {
            kernels.gemvRows(g, k, w, h, acc, accOff, rows, accumulate, jb0, jb1);
        }
        String where = "g=" + g + " k=" + k + " nb=" + nb + " rows=" + rows + " accumulate=" + accumulate
                + " blocks [" + jb0 + ", " + jb1 + ")" + (single ? " gemv" : " gemvRows");
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < acc[r].length; i++) {
                int e = i - accOff[r];
                int jb = e >= 0 && e < rowLen ? e / (g * v) : -1;
                if (jb < jb0 || jb >= jb1) {
                    if (Float.floatToRawIntBits(acc[r][i]) != Float.floatToRawIntBits(before[r][i])) {
                        failures.add(where + ": row " + r + " float " + i + " outside the blocks changed");
                        return;
                    }
                    continue;
                }
                int gi = e % (g * v) / v;
                int l = e % v;
                double want = accumulate ? before[r][i] : 0;
                double sumAbs = Math.abs(want);
                for (int kk = 0; kk < k; kk++) {
                    double term = (double) w.getAtIndex(JAVA_FLOAT, ((long) (jb * k + kk) * g + gi) * v + l)
                            * h[r][hOff + kk];
                    want += term;
                    sumAbs += Math.abs(term);
                }
                double tol = (k + 2) * U * sumAbs;
                if (Math.abs(acc[r][i] - want) > tol) {
                    failures.add(where + ": row " + r + " block " + jb + " gate " + gi + " lane " + l + ": want "
                            + want + ", got " + acc[r][i] + " (tolerance " + tol + ")");
                    return;
                }
            }
        }
    }
}
