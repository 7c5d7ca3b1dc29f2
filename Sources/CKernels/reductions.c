// Whole-array reductions as plain C loops over 16 independent lanes, which the compiler turns
// into vector instructions (no reassociation flags needed: the lanes are explicit).
#include "ckernels.h"

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

void ck_histogram(const float *values, ptrdiff_t count, ptrdiff_t bins, float lower, float upper, ptrdiff_t *counts,
                  ptrdiff_t *outside) {
    const double origin = lower, bins_per_unit = (double)bins / ((double)upper - (double)lower);
    ptrdiff_t missed = 0;
    for (ptrdiff_t index = 0; index < count; ++index) {
        const float value = values[index];
        if (!(value >= lower && value <= upper)) {  // also NaN
            ++missed;
            continue;
        }
        ptrdiff_t bin = (ptrdiff_t)(((double)value - origin) * bins_per_unit);
        if (bin > bins - 1) bin = bins - 1;
        if (bin < 0) bin = 0;
        ++counts[bin];
    }
    *outside = missed;
}
