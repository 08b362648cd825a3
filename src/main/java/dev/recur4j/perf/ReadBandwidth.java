package dev.recur4j.perf;

/**
 * Read bandwidth per memory level in GB/s, as {@code native/bandwidth.c} measured it (one buffer per thread,
 * summed over and over with the widest vector loads: 512 KiB for L2, 8 MiB for L3, 256 MiB for DRAM), for one
 * thread and for all {@code threadsAll} threads of the limits file; NaN where unknown.
 */
public record ReadBandwidth(double l2Gbs1t, double l2GbsAll, double l3Gbs1t, double l3GbsAll, double dramGbs1t,
                            double dramGbsAll) {
    /** No bandwidth probe: the limits were measured in Java, or the file has no bandwidth object. */
    public static final ReadBandwidth UNKNOWN = new ReadBandwidth(Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN, Double.NaN);

    /** A level of the memory hierarchy, with the probe's buffer size for it. */
    public enum Level {
        L2("512 KiB"), L3("8 MiB"), DRAM("256 MiB");

        private final String probeBuffer;

        Level(String probeBuffer) {
            this.probeBuffer = probeBuffer;
        }

        /** The buffer size per thread the probe read this level with. */
        public String probeBuffer() {
            return probeBuffer;
        }
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
