package dev.recur4j.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every GEMM back end against a naive double-precision loop, over shapes that catch tail and
 * blocking bugs (1, primes, multiples and non-multiples of 16, sizes crossing the KC/MC/NC block
 * edges of {@link JavaGemm}), all four transpose combinations, padded leading dimensions, nonzero
 * offsets and the special alpha/beta values.
 */
class GemmTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final int[] DIMS = {1, 2, 5, 13, 16, 17, 31, 32, 33, 48, 97};
    private static final float[][] ALPHA_BETA = {{1f, 0f}, {1f, 1f}, {0.5f, -1.5f}, {-2f, 0f}, {0f, 0.5f}};
    /**
     * ALPHA_BETA without alpha = 0, which scales C and never reaches a kernel; five, so that a shape's four cases
     * (two transposes, plain or packed B) meet different ones from shape to shape.
     */
    private static final float[][] KERNEL_ALPHA_BETA = {{1f, 0f}, {1f, 1f}, {0.5f, -1.5f}, {-2f, 0f}, {1f, 0.25f}};

    static Stream<Named<GemmKind>> backEnds() {
        return Stream.of(Named.of("java", GemmKind.JAVA), Named.of("openblas", GemmKind.OPENBLAS));
    }

    /** The back end, or a visible skip when it cannot load here (e.g. no OpenBLAS for this platform). */
    static Gemm load(GemmKind kind) {
        Assumptions.assumeTrue(Gemms.available(kind), () -> kind.cliName() + " gemm does not load here");
        return Gemms.get(kind);
    }

    /** One GEMM problem laid out in three buffers, with padding, offsets and a copy of the initial C. */
    private record Problem(Transpose ta, Transpose tb, int m, int n, int k, float alpha, float beta,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c0, int cOff, int ldc) {

        static Problem random(SplittableRandom rnd, Transpose ta, Transpose tb, int m, int n, int k,
                              float alpha, float beta) {
            int aRows = ta == Transpose.NO ? m : k, aCols = ta == Transpose.NO ? k : m;
            int bRows = tb == Transpose.NO ? k : n, bCols = tb == Transpose.NO ? n : k;
            // Padded leading dims, at least 1 as CBLAS requires even for an empty row.
            int lda = Math.max(1, aCols + rnd.nextInt(4)), ldb = Math.max(1, bCols + rnd.nextInt(4));
            int ldc = Math.max(1, n + rnd.nextInt(4));
            int aOff = rnd.nextInt(8), bOff = rnd.nextInt(8), cOff = rnd.nextInt(8);
            float[] a = uniform(rnd, aOff + aRows * lda + 3);
            float[] b = uniform(rnd, bOff + bRows * ldb + 3);
            // beta == 0 must not read C: fill it (and its padding) with NaN, which would poison any read.
            float[] c = beta == 0f ? nan(cOff + m * ldc + 3) : uniform(rnd, cOff + m * ldc + 3);
            return new Problem(ta, tb, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        }

        double opA(int i, int p) {
            return a[aOff + (ta == Transpose.NO ? i * lda + p : p * lda + i)];
        }

        double opB(int p, int j) {
            return b[bOff + (tb == Transpose.NO ? p * ldb + j : j * ldb + p)];
        }

        /** Runs the back end on segments made by {@code alloc}, returns the whole C buffer afterwards. */
        float[] run(Gemm gemm, IntFunction<MemorySegment> alloc) {
            MemorySegment sa = copy(a, alloc), sb = copy(b, alloc), sc = copy(c0, alloc);
            gemm.sgemm(ta, tb, m, n, k, alpha, sa, aOff, lda, sb, bOff, ldb, beta, sc, cOff, ldc);
            return sc.toArray(F);
        }

        /** As {@link #run} through JavaGemm's pre-packed B; B is packed from a decoy first, then repacked. */
        float[] runPacked(JavaGemm gemm, IntFunction<MemorySegment> alloc) {
            MemorySegment sa = copy(a, alloc), sb = copy(b, alloc), sc = copy(c0, alloc);
            MemorySegment decoy = copy(nan(b.length), alloc);
            GemmPackedB packed = JavaGemm.packB(tb, k, n, decoy, bOff, ldb);
            JavaGemm.repackB(tb, sb, bOff, ldb, packed);
            gemm.sgemm(ta, m, alpha, sa, aOff, lda, packed, beta, sc, cOff, ldc);
            return sc.toArray(F);
        }

        /** As {@link #run} (or {@link #runPacked} when {@code packed}) on heap segments with the scratch given. */
        float[] runJava(JavaGemm gemm, GemmScratch scratch, boolean packed) {
            MemorySegment sa = MemorySegment.ofArray(a.clone()), sb = MemorySegment.ofArray(b.clone());
            MemorySegment sc = MemorySegment.ofArray(c0.clone());
            if (packed) {
                gemm.sgemm(ta, m, alpha, sa, aOff, lda, JavaGemm.packB(tb, k, n, sb, bOff, ldb), beta, sc, cOff, ldc,
                        scratch);
            } else {
                gemm.sgemm(ta, tb, m, n, k, alpha, sa, aOff, lda, sb, bOff, ldb, beta, sc, cOff, ldc, scratch);
            }
            return sc.toArray(F);
        }

        /** Checks C against a double-precision loop; elements outside the C matrix must be bit-identical. */
        void check(String who, float[] got) {
            List<String> bad = new ArrayList<>();
            double maxDiff = 0;
            for (int idx = 0; idx < c0.length; idx++) {
                int rel = idx - cOff;
                int i = Math.floorDiv(rel, ldc), j = Math.floorMod(rel, ldc);
                boolean inside = rel >= 0 && i < m && j < n;
                if (!inside) {
                    if (Float.floatToRawIntBits(got[idx]) != Float.floatToRawIntBits(c0[idx])) {
                        bad.add("padding [" + idx + "] changed: " + c0[idx] + " -> " + got[idx]);
                    }
                    continue;
                }
                double dot = 0, absDot = 0;
                for (int p = 0; p < k; p++) {
                    double t = opA(i, p) * opB(p, j);
                    dot += t;
                    absDot += Math.abs(t);
                }
                double old = beta == 0f ? 0 : beta * (double) c0[idx];
                double want = alpha * dot + old;
                // fp32 error bound (Higham, Accuracy and Stability, 3.1): a length-k dot product in any
                // summation order is off by at most gamma_k * sum|a_p b_p|, gamma_k ~ k * u, u = 2^-24;
                // scaling by alpha, beta * C and the final add cost 3 more roundings. (k + 4) * u * the
                // absolute sum bounds every legal fp32 GEMM, deterministically; a missing or doubled term
                // is off by ~sum / k, far above it for the k tested. The MIN_NORMAL floor covers exact zeros.
                double tol = (k + 4) * 0x1p-24 * (Math.abs(alpha) * absDot + Math.abs(old)) + Float.MIN_NORMAL;
                double diff = Math.abs(got[idx] - want);
                if (!(diff <= tol)) { // also catches NaN
                    bad.add("C[" + i + "," + j + "] = " + got[idx] + ", want " + want + " (diff " + diff
                            + ", tol " + tol + ")");
                }
                maxDiff = Math.max(maxDiff, Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff);
            }
            if (!bad.isEmpty()) {
                fail(who + " " + this.describe() + ": " + bad.size() + " mismatches, max diff " + maxDiff
                        + "; first: " + String.join("; ", bad.subList(0, Math.min(5, bad.size()))));
            }
        }

        String describe() {
            return "op(A)=" + ta + " op(B)=" + tb + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha
                    + " beta=" + beta + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
                    + " offsets=" + aOff + "/" + bOff + "/" + cOff;
        }
    }

    private static float[] uniform(SplittableRandom rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        return x;
    }

    private static float[] nan(int size) {
        float[] x = new float[size];
        java.util.Arrays.fill(x, Float.NaN);
        return x;
    }

    private static MemorySegment copy(float[] x, IntFunction<MemorySegment> alloc) {
        MemorySegment s = alloc.apply(x.length);
        MemorySegment.copy(x, 0, s, F, 0, x.length);
        return s;
    }

    /**
     * Random small shapes plus shapes that cross JavaGemm's block edges (KC = 1024, NC = 1024; MC = 192 with
     * 512-bit vectors, 144 below).
     */
    private static List<int[]> shapes(SplittableRandom rnd) {
        List<int[]> shapes = new ArrayList<>();
        for (int t = 0; t < 24; t++) {
            shapes.add(new int[]{DIMS[rnd.nextInt(DIMS.length)], DIMS[rnd.nextInt(DIMS.length)],
                    DIMS[rnd.nextInt(DIMS.length)]});
        }
        shapes.add(new int[]{1, 1, 1});
        shapes.add(new int[]{64, 96, 64});
        shapes.add(new int[]{150, 67, 300});
        shapes.add(new int[]{7, 1100, 260});
        shapes.add(new int[]{203, 35, 1030}); // two row blocks (MC = 192 or 144), two depth blocks of 515
        shapes.add(new int[]{144, 40, 1024}); // one full row block below 512 bits (MC = 144) at the full depth KC
        return shapes;
    }

    @ParameterizedTest
    @MethodSource("backEnds")
    void matchesNaiveDoubleOnNativeSegments(GemmKind kind) {
        Gemm gemm = load(kind);
        SplittableRandom rnd = new SplittableRandom(42);
        try (Arena arena = Arena.ofConfined()) {
            IntFunction<MemorySegment> alloc = size -> arena.allocate((long) size * Float.BYTES, 64);
            int caseNo = 0;
            for (int[] s : shapes(rnd)) {
                for (Transpose ta : Transpose.values()) {
                    for (Transpose tb : Transpose.values()) {
                        float[] ab = ALPHA_BETA[caseNo++ % ALPHA_BETA.length];
                        Problem pr = Problem.random(rnd, ta, tb, s[0], s[1], s[2], ab[0], ab[1]);
                        pr.check(gemm.name(), pr.run(gemm, alloc));
                    }
                }
            }
            // Every alpha/beta case on one awkward shape, each transpose combination.
            for (float[] ab : ALPHA_BETA) {
                for (Transpose ta : Transpose.values()) {
                    for (Transpose tb : Transpose.values()) {
                        Problem pr = Problem.random(rnd, ta, tb, 17, 35, 31, ab[0], ab[1]);
                        pr.check(gemm.name(), pr.run(gemm, alloc));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backEnds")
    void kZeroScalesCAndEmptyShapesDoNothing(GemmKind kind) {
        Gemm gemm = load(kind);
        SplittableRandom rnd = new SplittableRandom(7);
        try (Arena arena = Arena.ofConfined()) {
            IntFunction<MemorySegment> alloc = size -> arena.allocate(Math.max(1, size) * (long) Float.BYTES, 64);
            for (float[] ab : ALPHA_BETA) {
                Problem pr = Problem.random(rnd, Transpose.NO, Transpose.YES, 5, 19, 0, ab[0], ab[1]);
                pr.check(gemm.name(), pr.run(gemm, alloc));
                Problem empty = Problem.random(rnd, Transpose.YES, Transpose.NO, 0, 19, 4, ab[0], ab[1]);
                empty.check(gemm.name(), empty.run(gemm, alloc));
            }
        }
    }

    @Test
    void javaGemmWorksOnHeapSegments() {
        Gemm gemm = load(GemmKind.JAVA);
        SplittableRandom rnd = new SplittableRandom(3);
        int caseNo = 0;
        for (int[] s : shapes(rnd)) {
            Transpose ta = Transpose.values()[caseNo % 2], tb = Transpose.values()[(caseNo / 2) % 2];
            float[] ab = ALPHA_BETA[caseNo++ % ALPHA_BETA.length];
            Problem pr = Problem.random(rnd, ta, tb, s[0], s[1], s[2], ab[0], ab[1]);
            pr.check("java/heap", pr.run(gemm, size -> MemorySegment.ofArray(new float[size])));
        }
    }

    /**
     * Both tile orders ({@link GemmTileOrder}) on shapes with edge tiles, two A blocks (m > MC = 192), two column
     * blocks (n > NC = 1024), two depth blocks (k > KC = 1024), W2's step product, plain and pre-packed B and
     * several alpha/beta cases: the same kernel over the same depths, so the same bits, and right.
     */
    @Test
    void bothTileOrdersGiveTheSameBits() {
        Assumptions.assumeTrue(JavaGemm.MR == 8, "the tile order applies to the 8-row kernel (512-bit vectors)");
        JavaGemm gemm = (JavaGemm) load(GemmKind.JAVA);
        SplittableRandom rnd = new SplittableRandom(29);
        int[][] shapes = {{64, 2048, 768}, {200, 100, 300}, {43, 1100, 1100}, {8, 32, 1}, {17, 33, 5}};
        int caseNo = 0;
        for (int[] s : shapes) {
            for (Transpose ta : Transpose.values()) {
                for (boolean packed : new boolean[] {false, true}) {
                    float[] ab = KERNEL_ALPHA_BETA[caseNo++ % KERNEL_ALPHA_BETA.length];
                    Problem pr = Problem.random(rnd, ta, Transpose.YES, s[0], s[1], s[2], ab[0], ab[1]);
                    float[] bOuter = pr.runJava(gemm, new GemmScratch(GemmTileOrder.B_PANEL_OUTER), packed);
                    float[] aOuter = pr.runJava(gemm, new GemmScratch(GemmTileOrder.A_PANEL_OUTER), packed);
                    for (int i = 0; i < bOuter.length; i++) {
                        if (Float.floatToRawIntBits(bOuter[i]) != Float.floatToRawIntBits(aOuter[i])) {
                            fail(pr.describe() + (packed ? " packed" : "") + ": C buffer [" + i + "] is " + bOuter[i]
                                    + " with B panels outer, " + aOuter[i] + " with A panels outer");
                        }
                    }
                    pr.check("java/a-panel-outer" + (packed ? "/packed" : ""), aOuter);
                }
            }
        }
    }

    @Test
    void javaGemmWithPrePackedBMatchesNaiveDouble() {
        JavaGemm gemm = (JavaGemm) load(GemmKind.JAVA);
        SplittableRandom rnd = new SplittableRandom(11);
        try (Arena arena = Arena.ofConfined()) {
            IntFunction<MemorySegment> alloc = size -> arena.allocate((long) size * Float.BYTES, 64);
            int caseNo = 0;
            List<int[]> shapes = shapes(rnd);
            shapes.add(new int[]{13, 1100, 2100}); // two column blocks (NC = 1024) x three depth blocks of 700
            for (int[] s : shapes) {
                for (Transpose ta : Transpose.values()) {
                    for (Transpose tb : Transpose.values()) {
                        float[] ab = ALPHA_BETA[caseNo++ % ALPHA_BETA.length];
                        Problem pr = Problem.random(rnd, ta, tb, s[0], s[1], s[2], ab[0], ab[1]);
                        pr.check("java/packed", pr.runPacked(gemm, alloc));
                    }
                }
            }
        }
    }

    /**
     * Deep products (several depth blocks, KC = 1024) with every alpha/beta case and transpose, plain
     * and pre-packed B: with 512-bit vectors and alpha = 1 and beta 0 or 1, full tiles go straight from
     * the micro-kernel into C (later depth blocks adding to it), other alpha/beta and the edge tiles
     * (m = 43, n = 70: 3 rows and 6 columns over) through the spill tile, and transposed A packs its full
     * panels by vectors; below 512 bits every tile goes through the spill tile, with panels of 6 and 4 rows
     * (43 = 6 x 6 + 4 + a padded 4).
     */
    @Test
    void javaGemmDeepProductsWithEveryAlphaBeta() {
        JavaGemm gemm = (JavaGemm) load(GemmKind.JAVA);
        SplittableRandom rnd = new SplittableRandom(13);
        try (Arena arena = Arena.ofConfined()) {
            IntFunction<MemorySegment> alloc = size -> arena.allocate((long) size * Float.BYTES, 64);
            for (float[] ab : ALPHA_BETA) {
                for (Transpose ta : Transpose.values()) {
                    for (Transpose tb : Transpose.values()) {
                        Problem pr = Problem.random(rnd, ta, tb, 43, 70, 2100, ab[0], ab[1]);
                        pr.check("java", pr.run(gemm, alloc));
                        pr.check("java/packed", pr.runPacked(gemm, alloc));
                        pr.check("java/heap", pr.run(gemm, size -> MemorySegment.ofArray(new float[size])));
                    }
                }
            }
        }
    }

    /**
     * {@link Gemm#sgemmTransASplit}: the Java GEMM's one-packing path (split a multiple of NR) must give the same
     * bits as the three products it replaces (same depth blocks, panels and kernels), and its fallback (other
     * splits) and the OpenBLAS default must match a naive double loop. Shapes: W7-like (m1 = 2 m2), several depth
     * blocks (k = 2100), column blocks past NC = 1024 with the split in either, split at 0 and at n, A2 and A3 of
     * several row blocks (m2 > MC, as W7's 512), padded leading dimensions, C's padding left untouched.
     */
    @ParameterizedTest
    @MethodSource("backEnds")
    void splitTransposedProductsMatchTheirThreeProducts(GemmKind kind) {
        Gemm gemm = load(kind);
        int nr = JavaGemm.NR;
        int[][] shapes = { // m1, m2, n, split, k
            {16, 8, 3 * nr, nr, 40}, {20, 13, 2 * nr + 5, 2 * nr, 2100}, {9, 5, 1100, 1024, 70},
            {7, 3, 1100, 2 * nr, 33}, {5, 6, 4 * nr, 0, 17}, {5, 6, 4 * nr, 4 * nr, 17}, {11, 4, 50, 19, 300},
            {200, 70, 3 * nr, nr, 1030}, {40, 200, 3 * nr, nr, 300}, {30, 400, 3 * nr + 7, 2 * nr, 1100}};
        SplittableRandom rnd = new SplittableRandom(7);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] sh : shapes) {
                int m1 = sh[0], m2 = sh[1], n = sh[2], split = sh[3], k = sh[4];
                int lda1 = m1 + 3, lda2 = m2 + 1, lda3 = m2 + 2, ldb = n + 1, ldc = n + 5;
                long a1 = 5, a2 = a1 + (long) k * lda1, a3 = a2 + (long) k * lda2, b = a3 + (long) k * lda3;
                long c = b + (long) k * ldb + 3;
                long size = c + (long) (m1 + m2) * ldc;
                MemorySegment s = arena.allocate(size * Float.BYTES, 64);
                for (long i = 0; i < c; i++) {
                    s.setAtIndex(F, i, (float) rnd.nextDouble(-1, 1));
                }
                MemorySegment expected = arena.allocate(size * Float.BYTES, 64);
                String shape = "m1=" + m1 + " m2=" + m2 + " n=" + n + " split=" + split + " k=" + k;
                if (gemm instanceof JavaGemm java && split % nr == 0) {
                    expected.copyFrom(s);
                    java.sgemm(Transpose.YES, Transpose.NO, m1, n, k, 1f, expected, a1, lda1, expected, b, ldb, 0f,
                            expected, c, ldc);
                    java.sgemm(Transpose.YES, Transpose.NO, m2, split, k, 1f, expected, a2, lda2, expected, b, ldb,
                            0f, expected, c + (long) m1 * ldc, ldc);
                    java.sgemm(Transpose.YES, Transpose.NO, m2, n - split, k, 1f, expected, a3, lda3, expected,
                            b + split, ldb, 0f, expected, c + (long) m1 * ldc + split, ldc);
                }
                for (long i = c; i < size; i++) {
                    s.setAtIndex(F, i, Float.NaN); // beta 0: C is not read; its padding must stay NaN
                }
                gemm.sgemmTransASplit(m1, m2, n, split, k, s, a1, lda1, a2, lda2, a3, lda3, b, ldb, c, ldc);
                for (int i = 0; i < m1 + m2; i++) {
                    for (int j = 0; j < ldc; j++) {
                        float got = s.getAtIndex(F, c + (long) i * ldc + j);
                        if (j >= n) {
                            assertTrue(Float.isNaN(got), shape + ": C's padding written at " + i + "," + j);
                            continue;
                        }
                        if (gemm instanceof JavaGemm && split % nr == 0) {
                            assertEquals(expected.getAtIndex(F, c + (long) i * ldc + j), got, 0f,
                                    shape + ": not the three products' bits at " + i + "," + j);
                        }
                        long a = i < m1 ? a1 + i : (j < split ? a2 : a3) + (i - m1);
                        int lda = i < m1 ? lda1 : j < split ? lda2 : lda3;
                        double want = 0;
                        for (int p = 0; p < k; p++) {
                            want += (double) s.getAtIndex(F, a + (long) p * lda) * s.getAtIndex(F, b + (long) p * ldb + j);
                        }
                        // a float sum of k products of values in [-1, 1] is off by about 2^-24 * sqrt(k) (rounding
                        // steps) * sqrt(k) (the partial sums' size), ~6e-8 k: 1e-6 k leaves a 16x margin
                        assertEquals(want, got, 1e-6 * k + 1e-5, shape + " at " + i + "," + j);
                    }
                }
            }
        }
    }

    @Test
    void openBlasRejectsHeapSegmentsClearly() {
        Gemm gemm = load(GemmKind.OPENBLAS);
        float[] x = new float[16];
        MemorySegment heap = MemorySegment.ofArray(x);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nat = arena.allocate(16 * Float.BYTES);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gemm.sgemm(
                    Transpose.NO, Transpose.NO, 4, 4, 4, 1f, nat, 0, 4, heap, 0, 4, 0f, nat, 0, 4));
            assertTrue(e.getMessage().contains("B is a heap segment"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backEnds")
    void rejectsOperandsOutsideTheirSegmentsAndShortLeadingDims(GemmKind kind) {
        Gemm gemm = load(kind);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(16 * Float.BYTES);
            // [4 x 4] at offset 1 needs 17 floats.
            IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class, () -> gemm.sgemm(
                    Transpose.NO, Transpose.NO, 4, 4, 4, 1f, s, 0, 4, s, 0, 4, 0f, s, 1, 4));
            assertTrue(oob.getMessage().startsWith("C [4 x 4] at offset 1"), oob.getMessage());
            // op(A) = A^T is [4 x 3], so stored A is [3 x 4] and lda must be >= 4.
            IllegalArgumentException ld = assertThrows(IllegalArgumentException.class, () -> gemm.sgemm(
                    Transpose.YES, Transpose.NO, 4, 2, 3, 1f, s, 0, 3, s, 0, 2, 0f, s, 0, 2));
            assertTrue(ld.getMessage().startsWith("lda=3"), ld.getMessage());
        }
    }

    @Test
    void selectorHandsOutNamedSingletons() {
        assertTrue(Gemms.available(GemmKind.JAVA));
        for (GemmKind kind : GemmKind.values()) {
            if (Gemms.available(kind)) {
                assertSame(Gemms.get(kind), Gemms.get(kind));
                assertEquals(kind.cliName(), Gemms.get(kind).name());
            } else {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> Gemms.get(kind));
                assertTrue(e.getCause() != null, "the load failure is chained");
            }
        }
    }

    @Test
    void openBlasAllocatesNothingPerCall() {
        Gemm gemm = load(GemmKind.OPENBLAS);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(8 * 8 * Float.BYTES), b = arena.allocate(8 * 8 * Float.BYTES);
            MemorySegment c = arena.allocate(8 * 8 * Float.BYTES);
            gemm.sgemm(Transpose.NO, Transpose.YES, 8, 8, 8, 1f, a, 0, 8, b, 0, 8, 1f, c, 0, 8); // this thread's views
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100; i++) {
                gemm.sgemm(Transpose.NO, Transpose.YES, 8, 8, 8, 1f, a, 0, 8, b, 0, 8, 1f, c, 0, 8);
            }
            // No JIT involved: the call path (checks, thread-local views, JNI) has no allocation to eliminate.
            assertEquals(0, threads.getCurrentThreadAllocatedBytes() - before, "bytes allocated by 100 calls");
        }
    }

    @Test
    void openBlasReportsAndSetsItsThreads() {
        load(GemmKind.OPENBLAS);
        int before = OpenBlasGemm.threads();
        try {
            OpenBlasGemm.setThreads(1);
            assertEquals(1, OpenBlasGemm.threads());
            String d = OpenBlasGemm.describe();
            assertTrue(d.startsWith("core " + OpenBlasGemm.corename() + ", 1 threads, config "), d);
            assertTrue(OpenBlasGemm.config().contains("OpenBLAS"), OpenBlasGemm.config());
        } finally {
            OpenBlasGemm.setThreads(before);
        }
    }
}
