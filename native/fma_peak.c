/*
 * FMA peak probe: the most single-precision FLOP/s this machine's cores can do.
 *
 * Each thread runs ACC independent FMA chains on registers only (no memory traffic), enough
 * chains to cover FMA latency x FMA ports (4 cycles x 2 ports needs >= 8; we use 12).
 * FLOPs = iterations * ACC * lanes * 2. Prints one JSON object per ISA: avx512 (16 lanes) and
 * avx2 (8 lanes), for 1 thread and for all threads (OpenMP).
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <time.h>

#define ACC 12
#define ITERS 200000000L

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static float run512(long iters) {
    __m512 acc[ACC];
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
        for (int i = 0; i < ACC; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    __m512 s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float run256(long iters) {
    __m256 acc[ACC];
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
        for (int i = 0; i < ACC; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
    __m256 s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

/* GFLOP/s of `threads` threads each running `iters` iterations of the given kernel; median of 5. */
static double measure(int lanes, int threads, long iters) {
    double best[5];
    for (int rep = 0; rep < 5; rep++) {
        volatile float sink = 0;
        double t0 = now();
#pragma omp parallel num_threads(threads)
        {
            float r = lanes == 16 ? run512(iters) : run256(iters);
#pragma omp atomic
            sink += r;
        }
        double dt = now() - t0;
        best[rep] = (double)iters * ACC * lanes * 2 * threads / dt / 1e9;
    }
    /* median of 5 */
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (best[j] < best[i]) { double t = best[i]; best[i] = best[j]; best[j] = t; }
    return best[2];
}

int main(void) {
    int all = omp_get_num_procs();
    long iters = ITERS / 10;
    printf("{\"probe\":\"fma_peak\",\"threads_all\":%d,", all);
    printf("\"avx512_gflops_1t\":%.1f,", __builtin_cpu_supports("avx512f") ? measure(16, 1, iters) : 0.0);
    printf("\"avx512_gflops_all\":%.1f,", __builtin_cpu_supports("avx512f") ? measure(16, all, iters) : 0.0);
    printf("\"avx2_gflops_1t\":%.1f,", measure(8, 1, iters));
    printf("\"avx2_gflops_all\":%.1f}\n", measure(8, all, iters));
    return 0;
}
