// Whole-array reductions as plain C loops over 16 independent lanes, which the compiler turns
// into vector instructions (no reassociation flags needed: the lanes are explicit).
#include "ckernels.h"

#include <stdint.h>
#include <stdlib.h>

enum { LANES = 16 };

void ck_min_max(const float *values, ptrdiff_t count, float *lower, float *upper) {
    if (count <= 0) {
        *lower = 0;
        *upper = 0;
        return;
    }
    float low[LANES], high[LANES];
    for (int lane = 0; lane < LANES; ++lane) low[lane] = high[lane] = values[0];
    ptrdiff_t index = 0;
    for (; index + LANES <= count; index += LANES) {
        for (int lane = 0; lane < LANES; ++lane) {
            const float x = values[index + lane];
            low[lane] = x < low[lane] ? x : low[lane];
            high[lane] = x > high[lane] ? x : high[lane];
        }
    }
    float l = low[0], h = high[0];
    for (int lane = 1; lane < LANES; ++lane) {
        l = low[lane] < l ? low[lane] : l;
        h = high[lane] > h ? high[lane] : h;
    }
    for (; index < count; ++index) {
        const float x = values[index];
        l = x < l ? x : l;
        h = x > h ? x : h;
    }
    *lower = l;
    *upper = h;
}

int ck_finite_min_max(const float *values, ptrdiff_t count, float *lower, float *upper) {
    const float infinity = __builtin_inff();
    float low[LANES], high[LANES];
    for (int lane = 0; lane < LANES; ++lane) {
        low[lane] = infinity;
        high[lane] = -infinity;
    }
    ptrdiff_t index = 0;
    for (; index + LANES <= count; index += LANES) {
        for (int lane = 0; lane < LANES; ++lane) {
            const float x = values[index + lane];
            const int finite = (x - x) == 0.0f;  // false for NaN and ±∞
            const float forLow = finite ? x : infinity, forHigh = finite ? x : -infinity;
            low[lane] = forLow < low[lane] ? forLow : low[lane];
            high[lane] = forHigh > high[lane] ? forHigh : high[lane];
        }
    }
    float l = infinity, h = -infinity;
    for (int lane = 0; lane < LANES; ++lane) {
        l = low[lane] < l ? low[lane] : l;
        h = high[lane] > h ? high[lane] : h;
    }
    for (; index < count; ++index) {
        const float x = values[index];
        if ((x - x) == 0.0f) {
            l = x < l ? x : l;
            h = x > h ? x : h;
        }
    }
    *lower = l;
    *upper = h;
    return l <= h;
}

void ck_comparison_sums(const float *a, const float *b, ptrdiff_t count, double sums[4], float *max_error,
                        ptrdiff_t *zeros) {
    double signal = 0, decoded = 0, dot = 0, noise = 0;
    float worst = 0;
    ptrdiff_t zero_count = 0;
    for (ptrdiff_t block = 0; block < count; block += 4096) {
        const ptrdiff_t end = block + 4096 < count ? block + 4096 : count;
        float s[LANES] = {0}, d[LANES] = {0}, p[LANES] = {0}, n[LANES] = {0}, m[LANES] = {0};
        int z[LANES] = {0};
        ptrdiff_t index = block;
        for (; index + LANES <= end; index += LANES) {
            for (int lane = 0; lane < LANES; ++lane) {
                const float x = a[index + lane], y = b[index + lane], difference = x - y;
                const float magnitude = difference < 0 ? -difference : difference;
                s[lane] += x * x;
                d[lane] += y * y;
                p[lane] += x * y;
                n[lane] += difference * difference;
                m[lane] = magnitude > m[lane] ? magnitude : m[lane];
                z[lane] += y == 0.0f;
            }
        }
        double bs = 0, bd = 0, bp = 0, bn = 0;
        for (int lane = 0; lane < LANES; ++lane) {
            bs += s[lane];
            bd += d[lane];
            bp += p[lane];
            bn += n[lane];
            worst = m[lane] > worst ? m[lane] : worst;
            zero_count += z[lane];
        }
        for (; index < end; ++index) {
            const double x = a[index], y = b[index];
            bs += x * x;
            bd += y * y;
            bp += x * y;
            bn += (x - y) * (x - y);
            const float magnitude = (float)(x > y ? x - y : y - x);
            worst = magnitude > worst ? magnitude : worst;
            zero_count += y == 0.0;
        }
        signal += bs;
        decoded += bd;
        dot += bp;
        noise += bn;
    }
    sums[0] = signal;
    sums[1] = decoded;
    sums[2] = dot;
    sums[3] = noise;
    *max_error = worst;
    *zeros = zero_count;
}

// Bin indices for a chunk (vectorizable: convert, subtract, scale, truncate, clamp), with
// `bins` standing for "outside"; then counted into four interleaved sub-histograms so that runs
// of equal bins (weights crowd the middle bins) do not serialize on one counter.
#define CK_HISTOGRAM_BODY                                                                         \
    enum { CHUNK = 1024 };                                                                        \
    const double origin = lower, bins_per_unit = (double)bins / ((double)upper - (double)lower); \
    int32_t index_buffer[CHUNK];                                                                  \
    const int32_t last = (int32_t)bins - 1, outside_bin = (int32_t)bins;                          \
    for (ptrdiff_t start = 0; start < count; start += CHUNK) {                                    \
        const ptrdiff_t n = count - start < CHUNK ? count - start : CHUNK;                        \
        for (ptrdiff_t i = 0; i < n; ++i) {                                                       \
            const float value = values[start + i];                                                \
            const int inside = value >= lower && value <= upper; /* false for NaN */              \
            const double position = ((double)(inside ? value : lower) - origin) * bins_per_unit;  \
            int32_t bin = (int32_t)position;                                                      \
            bin = bin > last ? last : bin;                                                        \
            bin = bin < 0 ? 0 : bin;                                                              \
            index_buffer[i] = inside ? bin : outside_bin;                                         \
        }                                                                                         \
        ptrdiff_t i = 0;                                                                          \
        for (; i + 4 <= n; i += 4) {                                                              \
            ++lanes[0][index_buffer[i]];                                                          \
            ++lanes[1][index_buffer[i + 1]];                                                      \
            ++lanes[2][index_buffer[i + 2]];                                                      \
            ++lanes[3][index_buffer[i + 3]];                                                      \
        }                                                                                         \
        for (; i < n; ++i) ++lanes[0][index_buffer[i]];                                           \
    }

static void histogram_portable(const float *values, ptrdiff_t count, ptrdiff_t bins, float lower, float upper,
                               ptrdiff_t **lanes) {
    CK_HISTOGRAM_BODY
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static void histogram_avx512(const float *values, ptrdiff_t count, ptrdiff_t bins,
                                                                float lower, float upper, ptrdiff_t **lanes) {
    CK_HISTOGRAM_BODY
}

__attribute__((target("avx2,fma"))) static void histogram_avx2(const float *values, ptrdiff_t count, ptrdiff_t bins,
                                                               float lower, float upper, ptrdiff_t **lanes) {
    CK_HISTOGRAM_BODY
}
#endif

void ck_histogram(const float *values, ptrdiff_t count, ptrdiff_t bins, float lower, float upper, ptrdiff_t *counts,
                  ptrdiff_t *outside) {
    if (bins <= 0 || bins > (1 << 24)) return;
    // Four sub-histograms of bins + 1 slots (the last slot: outside).
    ptrdiff_t *storage = calloc((size_t)(4 * (bins + 1)), sizeof(ptrdiff_t));
    if (!storage) abort();
    ptrdiff_t *lanes[4] = {storage, storage + (bins + 1), storage + 2 * (bins + 1), storage + 3 * (bins + 1)};
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        histogram_avx512(values, count, bins, lower, upper, lanes);
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        histogram_avx2(values, count, bins, lower, upper, lanes);
    } else {
        histogram_portable(values, count, bins, lower, upper, lanes);
    }
#else
    histogram_portable(values, count, bins, lower, upper, lanes);
#endif
    for (ptrdiff_t bin = 0; bin < bins; ++bin) counts[bin] += lanes[0][bin] + lanes[1][bin] + lanes[2][bin] + lanes[3][bin];
    *outside = lanes[0][bins] + lanes[1][bins] + lanes[2][bins] + lanes[3][bins];
    free(storage);
}
