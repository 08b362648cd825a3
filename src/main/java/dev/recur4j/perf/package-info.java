/**
 * Measuring a layer's speed: {@link dev.recur4j.perf.BenchRunner} times an engine's calls
 * (warm-up, then timed runs, median/min/max, GFLOP/s from {@link dev.recur4j.RnnFlops}, bytes
 * allocated per call), and the yardsticks the result is compared against:
 * {@link dev.recur4j.perf.MachineLimits} (FMA peak and {@link dev.recur4j.perf.ReadBandwidth}, from
 * {@code native/build/limits.json}, or the peak measured in Java), {@link dev.recur4j.perf.SgemmProbe}
 * (the SGEMM throughput of a GEMM back end) and, for the memory side, the bytes of recurrent weights a call
 * reads ({@link dev.recur4j.perf.RecurrentWeights}). The {@code recur4j bench} command prints them side by side.
 */
package dev.recur4j.perf;
