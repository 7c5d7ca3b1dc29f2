// The FMA rate this thread reaches (quantdash-bench's "% of peak"): independent chains of fused
// multiply-adds at the widest width the GEMM uses, so the clock the core actually runs at (a
// virtual machine's /proc/cpuinfo gives the nominal one) and its FMA ports decide the figure.
#include "ckernels.h"

#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
// 24 chains of 16-lane FMAs: more than ports × latency (2 × 4), so only throughput limits.
__attribute__((target("avx512f"))) static double rate_avx512(long steps) {
    __m512 acc[24];
    const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps((float)i);
    const double start = seconds_now();
    for (long s = 0; s < steps; ++s) {
        for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[12]));
    }
    const double elapsed = seconds_now() - start;
    float sink = 0;
    for (int i = 0; i < 24; ++i) sink += _mm512_reduce_add_ps(acc[i]);
    __asm__ volatile("" : : "x"(sink));
    return (double)steps * 24 * 16 * 2 / elapsed / 1e9;
}

// 12 chains of 8-lane FMAs.
__attribute__((target("avx2,fma"))) static double rate_avx2(long steps) {
    __m256 acc[12];
    const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps((float)i);
    const double start = seconds_now();
    for (long s = 0; s < steps; ++s) {
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[6]));
    }
    const double elapsed = seconds_now() - start;
    float sink = 0;
    float lanes[8];
    for (int i = 0; i < 12; ++i) {
        _mm256_storeu_ps(lanes, acc[i]);
        for (int j = 0; j < 8; ++j) sink += lanes[j];
    }
    __asm__ volatile("" : : "x"(sink));
    return (double)steps * 12 * 8 * 2 / elapsed / 1e9;
}
#endif

double ck_fma_gigaflops(int lanes, long steps) {
#if defined(__x86_64__)
    if (lanes == 16 && __builtin_cpu_supports("avx512f")) return rate_avx512(steps);
    if (lanes == 8 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return rate_avx2(steps);
#endif
    (void)lanes;
    (void)steps;
    return 0;
}
