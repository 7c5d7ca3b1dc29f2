// The epilogue shared by the GEMM (sgemm.c) and the depthwise kernel (depthwise.c): rows of an
// output block set to a starting value (a bias), summed with an addend (a fused residual Add) and
// clamped (a fused ReLU/ReLU6/Clip), on AVX2
// where the CPU has it (`wide`), in plain C otherwise. Same values either way.
//
// The clamp is ONNX Clip's rule: v < low ? low : v, then v > high ? high : v (NaN stays NaN,
// -0.0 stays -0.0, low > high gives high). _mm256_cmp_ps with the ordered predicates is false
// for NaN, so the blends keep it.
#ifndef CKERNELS_EPILOGUE_H
#define CKERNELS_EPILOGUE_H

#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) static inline void ck_fill_rows_avx2(float *c, ptrdiff_t ldc, const float *values,
                                                                     ptrdiff_t rows, ptrdiff_t columns) {
    for (ptrdiff_t r = 0; r < rows; ++r) {
        const __m256 value = _mm256_set1_ps(values[r]);
        float *row = c + r * ldc;
        ptrdiff_t j = 0;
        for (; j + 8 <= columns; j += 8) _mm256_storeu_ps(row + j, value);
        for (; j < columns; ++j) row[j] = values[r];
    }
}

__attribute__((target("avx2"))) static inline void ck_clamp_rows_avx2(float *c, ptrdiff_t ldc, const float *bounds,
                                                                      ptrdiff_t rows, ptrdiff_t columns) {
    const float low = bounds[0], high = bounds[1];
    const __m256 lows = _mm256_set1_ps(low), highs = _mm256_set1_ps(high);
    for (ptrdiff_t r = 0; r < rows; ++r) {
        float *row = c + r * ldc;
        ptrdiff_t j = 0;
        for (; j + 8 <= columns; j += 8) {
            __m256 value = _mm256_loadu_ps(row + j);
            value = _mm256_blendv_ps(value, lows, _mm256_cmp_ps(value, lows, _CMP_LT_OQ));
            value = _mm256_blendv_ps(value, highs, _mm256_cmp_ps(value, highs, _CMP_GT_OQ));
            _mm256_storeu_ps(row + j, value);
        }
        for (; j < columns; ++j) {
            float value = row[j];
            value = value < low ? low : value;
            value = value > high ? high : value;
            row[j] = value;
        }
    }
}
__attribute__((target("avx2"))) static inline void ck_add_rows_avx2(float *c, ptrdiff_t ldc, const float *addend,
                                                                    ptrdiff_t rows, ptrdiff_t columns) {
    for (ptrdiff_t r = 0; r < rows; ++r) {
        float *row = c + r * ldc;
        const float *add = addend + r * ldc;
        ptrdiff_t j = 0;
        for (; j + 8 <= columns; j += 8) {
            _mm256_storeu_ps(row + j, _mm256_add_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(add + j)));
        }
        for (; j < columns; ++j) row[j] = row[j] + add[j];
    }
}
#endif

static inline void ck_fill_rows(int wide, float *c, ptrdiff_t ldc, const float *values, ptrdiff_t rows,
                                ptrdiff_t columns) {
#if defined(__x86_64__)
    if (wide) {
        ck_fill_rows_avx2(c, ldc, values, rows, columns);
        return;
    }
#endif
    (void)wide;
    for (ptrdiff_t r = 0; r < rows; ++r) {
        for (ptrdiff_t j = 0; j < columns; ++j) c[r * ldc + j] = values[r];
    }
}

// rows × columns of C += the addend's (rows ldc apart, like C's): a residual Add fused into the
// product, applied before the clamp.
static inline void ck_add_rows(int wide, float *c, ptrdiff_t ldc, const float *addend, ptrdiff_t rows,
                               ptrdiff_t columns) {
#if defined(__x86_64__)
    if (wide) {
        ck_add_rows_avx2(c, ldc, addend, rows, columns);
        return;
    }
#endif
    (void)wide;
    for (ptrdiff_t r = 0; r < rows; ++r) {
        for (ptrdiff_t j = 0; j < columns; ++j) c[r * ldc + j] = c[r * ldc + j] + addend[r * ldc + j];
    }
}

static inline void ck_clamp_rows(int wide, float *c, ptrdiff_t ldc, const float *bounds, ptrdiff_t rows,
                                 ptrdiff_t columns) {
#if defined(__x86_64__)
    if (wide) {
        ck_clamp_rows_avx2(c, ldc, bounds, rows, columns);
        return;
    }
#endif
    (void)wide;
    const float low = bounds[0], high = bounds[1];
    for (ptrdiff_t r = 0; r < rows; ++r) {
        for (ptrdiff_t j = 0; j < columns; ++j) {
            float value = c[r * ldc + j];
            value = value < low ? low : value;
            value = value > high ? high : value;
            c[r * ldc + j] = value;
        }
    }
}

#endif
