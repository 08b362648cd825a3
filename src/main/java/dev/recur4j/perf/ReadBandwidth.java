package dev.recur4j.perf;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Read bandwidth per memory level in GB/s, as {@code native/bandwidth.c} measured it (one buffer per thread, summed
 * over and over with the widest vector loads, each level's buffer sized from the machine's caches), for one thread
 * and for all {@code threadsAll} threads of the limits file; NaN where unknown. The {@code *Bytes} are the buffer
 * size per thread each level was read with, 0 where unknown.
 */
public record ReadBandwidth(double l2Gbs1t, double l2GbsAll, double l3Gbs1t, double l3GbsAll, double dramGbs1t,
                            double dramGbsAll, long l2Bytes, long l3Bytes, long dramBytes) {
    /** No bandwidth probe: the limits were measured in Java, or the file has no bandwidth object. */
    public static final ReadBandwidth UNKNOWN = new ReadBandwidth(Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN, Double.NaN, 0, 0, 0);

    /** A level of the memory hierarchy. */
    public enum Level {
        L2(512 << 10), L3(8 << 20), DRAM(256 << 20);

        private final long fixedBytes;

        Level(long fixedBytes) {
            this.fixedBytes = fixedBytes;
        }

        /**
         * The buffer the probe read this level with before it sized its buffers from the machine's caches: what a
         * limits file without {@code <level>_buffer_bytes} was measured with.
         */
        public long fixedBytes() {
            return fixedBytes;
        }
    }

    /** The buffer size per thread the probe read {@code level} with, in bytes; 0 if unknown. */
    public long probeBytes(Level level) {
        return switch (level) {
            case L2 -> l2Bytes;
            case L3 -> l3Bytes;
            case DRAM -> dramBytes;
        };
    }

    /** {@link #probeBytes} for reports: "512 KiB", "1.5 MiB", "3.97 GiB"; "unknown size" if unknown. */
    public String probeBuffer(Level level) {
        long bytes = probeBytes(level);
        if (bytes <= 0) {
            return "unknown size";
        }
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        while (unit < units.length - 1 && bytes >= 1L << (10 * (unit + 1))) {
            unit++;
        }
        // whole units print whole (8 MiB); others with up to two decimals, trailing zeros dropped (1.25 MiB)
        BigDecimal number = inUnit(bytes, unit);
        if (number.compareTo(BigDecimal.valueOf(1024)) >= 0 && unit < units.length - 1) {
            number = inUnit(bytes, ++unit); // 1 GiB less 4 KiB rounds to 1024 MiB: say 1 GiB
        }
        return number.stripTrailingZeros().toPlainString() + " " + units[unit];
    }

    private static BigDecimal inUnit(long bytes, int unit) {
        return BigDecimal.valueOf(bytes).divide(BigDecimal.valueOf(1L << (10 * unit)), 2, RoundingMode.HALF_EVEN);
    }

    /**
     * The read bandwidth of {@code threads} threads from {@code level}, scaled as {@link MachineLimits#fmaPeak} scales
     * the peak ({@link MachineLimits#forThreads}: shared caches and memory channels hold the all-threads figure down).
     */
    public double gbs(Level level, int threads, int threadsAll) {
        double one = switch (level) {
            case L2 -> l2Gbs1t;
            case L3 -> l3Gbs1t;
            case DRAM -> dramGbs1t;
        };
        double all = switch (level) {
            case L2 -> l2GbsAll;
            case L3 -> l3GbsAll;
            case DRAM -> dramGbsAll;
        };
        return MachineLimits.forThreads(one, all, threads, threadsAll);
    }
}
