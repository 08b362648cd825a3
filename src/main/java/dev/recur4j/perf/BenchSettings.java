package dev.recur4j.perf;

/**
 * How long {@link BenchRunner} measures.
 *
 * @param warmupSeconds  warm-up lasts at least this long (wall time)...
 * @param minWarmupCalls ...and at least this many calls
 * @param seconds        timed runs last at least this long (wall time)...
 * @param minRuns        ...and at least this many calls
 * @param allocCalls     calls whose allocation is measured, one at a time (after the timed runs)
 * @param intervalSeconds the timed calls start this far apart, the caller idle in between (a service's requests,
 *                        each on engine threads that may have parked); 0: back to back. The warm-up is back to back.
 */
public record BenchSettings(double warmupSeconds, int minWarmupCalls, double seconds, int minRuns, int allocCalls,
                            double intervalSeconds) {
    /** A day: far below where the interval in nanoseconds would overflow a long. */
    public static final double MAX_INTERVAL_SECONDS = 86_400;

    public BenchSettings {
        if (!(warmupSeconds >= 0) || !(seconds >= 0)) {
            throw new IllegalArgumentException("warm-up and measuring seconds must be >= 0, found "
                    + warmupSeconds + " and " + seconds);
        }
        if (!(intervalSeconds >= 0 && intervalSeconds <= MAX_INTERVAL_SECONDS)) {
            throw new IllegalArgumentException("the interval between timed calls must be 0.." + MAX_INTERVAL_SECONDS
                    + " seconds, found " + intervalSeconds);
        }
        if (minWarmupCalls < 0 || minRuns < 1 || allocCalls < 1) {
            throw new IllegalArgumentException("need minWarmupCalls >= 0, minRuns >= 1, allocCalls >= 1, found "
                    + minWarmupCalls + ", " + minRuns + ", " + allocCalls);
        }
    }

    /** Timed calls back to back. */
    public BenchSettings(double warmupSeconds, int minWarmupCalls, double seconds, int minRuns, int allocCalls) {
        this(warmupSeconds, minWarmupCalls, seconds, minRuns, allocCalls, 0);
    }

    /** 2 s and 2 calls of warm-up, then at least 3 s and 10 timed runs back to back, then 5 calls for allocation. */
    public static BenchSettings defaults() {
        return new BenchSettings(2.0, 2, 3.0, 10, 5);
    }

    public BenchSettings withWarmupSeconds(double s) {
        return new BenchSettings(s, minWarmupCalls, seconds, minRuns, allocCalls, intervalSeconds);
    }

    public BenchSettings withSeconds(double s) {
        return new BenchSettings(warmupSeconds, minWarmupCalls, s, minRuns, allocCalls, intervalSeconds);
    }

    public BenchSettings withMinRuns(int n) {
        return new BenchSettings(warmupSeconds, minWarmupCalls, seconds, n, allocCalls, intervalSeconds);
    }

    public BenchSettings withIntervalSeconds(double s) {
        return new BenchSettings(warmupSeconds, minWarmupCalls, seconds, minRuns, allocCalls, s);
    }
}
