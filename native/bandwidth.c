/*
 * Read-bandwidth probe: how fast one core (and all cores) can stream floats from each level of
 * the memory hierarchy. A buffer of the given size is summed repeatedly with AVX-512 loads, or AVX2
 * loads where the CPU has no AVX-512 (8 independent accumulators, so latency does not limit);
 * bytes/s = passes * size / time.
 * Sizes: 16 KiB (L1), 512 KiB (L2), 8 MiB (L3), 256 MiB (DRAM). Prints one JSON object.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static float sum512(const float *p, size_t n, int passes) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int r = 0; r < passes; r++) {
        for (size_t i = 0; i + 128 <= n; i += 128) {
            a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
            a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
            a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
            a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
            a4 = _mm512_add_ps(a4, _mm512_load_ps(p + i + 64));
            a5 = _mm512_add_ps(a5, _mm512_load_ps(p + i + 80));
            a6 = _mm512_add_ps(a6, _mm512_load_ps(p + i + 96));
            a7 = _mm512_add_ps(a7, _mm512_load_ps(p + i + 112));
        }
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2"))) static float sum256(const float *p, size_t n, int passes) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int r = 0; r < passes; r++) {
        for (size_t i = 0; i + 64 <= n; i += 64) {
            a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
            a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
            a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
            a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
            a4 = _mm256_add_ps(a4, _mm256_load_ps(p + i + 32));
            a5 = _mm256_add_ps(a5, _mm256_load_ps(p + i + 40));
            a6 = _mm256_add_ps(a6, _mm256_load_ps(p + i + 48));
            a7 = _mm256_add_ps(a7, _mm256_load_ps(p + i + 56));
        }
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

/* The widest loads this CPU has: the AVX-512 kernel would stop an AVX2-only CPU with SIGILL. */
static float sum(const float *p, size_t n, int passes) {
    return __builtin_cpu_supports("avx512f") ? sum512(p, n, passes) : sum256(p, n, passes);
}

/* GB/s reading `bytes` per thread, `threads` threads, median of 5 runs of ~`target` bytes each. */
static double measure(size_t bytes, int threads) {
    size_t n = bytes / sizeof(float);
    int passes = (int)(4e9 / bytes);
    if (passes < 2) passes = 2;
    double gbs[5];
    float **bufs = calloc(threads, sizeof(float *));
    for (int t = 0; t < threads; t++) {
        bufs[t] = aligned_alloc(64, bytes);
        for (size_t i = 0; i < n; i++) bufs[t][i] = 1.0f;
    }
    for (int rep = 0; rep < 5; rep++) {
        volatile float sink = 0;
        double t0 = now();
#pragma omp parallel num_threads(threads)
        {
            float r = sum(bufs[omp_get_thread_num()], n, passes);
#pragma omp atomic
            sink += r;
        }
        gbs[rep] = (double)bytes * passes * threads / (now() - t0) / 1e9;
    }
    for (int t = 0; t < threads; t++) free(bufs[t]);
    free(bufs);
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (gbs[j] < gbs[i]) { double t = gbs[i]; gbs[i] = gbs[j]; gbs[j] = t; }
    return gbs[2];
}

int main(void) {
    static const struct { const char *name; size_t bytes; } levels[] = {
        {"l1", 16u << 10}, {"l2", 512u << 10}, {"l3", 8u << 20}, {"dram", 256u << 20}};
    int all = omp_get_num_procs();
    printf("{\"probe\":\"bandwidth\",\"threads_all\":%d", all);
    for (int i = 0; i < 4; i++) {
        printf(",\"%s_gbs_1t\":%.1f", levels[i].name, measure(levels[i].bytes, 1));
        printf(",\"%s_gbs_all\":%.1f", levels[i].name, measure(levels[i].bytes, all));
    }
    printf("}\n");
    return 0;
}
