// The integer model's AVX2 tile (vpmaddwd: int16 × int16 → int32 pair sums, so nothing
// saturates; 4 channels × 16 positions) and requantization (MLAS's float operations or TFLite's
// fixed point, 16 sums of one channel at a time), see qconv.h.
#include "qconv.h"

#ifdef CK_QCONV_X86
#define CK_QTILE_BODY(MADD_ADD)                                                   \
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, \
            c21 = c00, c30 = c00, c31 = c00;                                      \
    for (ptrdiff_t p = 0; p < pairs; ++p) {                                       \
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)(cols + p * QP));  \
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(cols + p * QP + 8)); \
        const int32_t *wp = w + p * QC;                                           \
        __m256i a = _mm256_set1_epi32(wp[0]);                                     \
        c00 = MADD_ADD(c00, a, b0), c01 = MADD_ADD(c01, a, b1);                   \
        a = _mm256_set1_epi32(wp[1]);                                             \
        c10 = MADD_ADD(c10, a, b0), c11 = MADD_ADD(c11, a, b1);                   \
        a = _mm256_set1_epi32(wp[2]);                                             \
        c20 = MADD_ADD(c20, a, b0), c21 = MADD_ADD(c21, a, b1);                   \
        a = _mm256_set1_epi32(wp[3]);                                             \
        c30 = MADD_ADD(c30, a, b0), c31 = MADD_ADD(c31, a, b1);                   \
    }                                                                             \
    __m256i *out = (__m256i *)tile;                                               \
    _mm256_storeu_si256(out + 0, c00), _mm256_storeu_si256(out + 1, c01);         \
    _mm256_storeu_si256(out + 2, c10), _mm256_storeu_si256(out + 3, c11);         \
    _mm256_storeu_si256(out + 4, c20), _mm256_storeu_si256(out + 5, c21);         \
    _mm256_storeu_si256(out + 6, c30), _mm256_storeu_si256(out + 7, c31);

#define CK_MADD_AVX2(c, a, b) _mm256_add_epi32(c, _mm256_madd_epi16(a, b))
__attribute__((target("avx2"))) void ck_qtile_avx2(ptrdiff_t pairs, const int32_t *w, const int32_t *cols,
                                                      int32_t *tile) {
    CK_QTILE_BODY(CK_MADD_AVX2)
}

// TFLite's MultiplyByQuantizedMultiplier on 8 lanes (ck_qfixed_apply's integers): the doubling
// high multiply is floor((a · m + 2^30) / 2^31) for m ≥ 0 (the same value as gemmlowp's nudge and
// truncating division), from 64-bit products of the even and the odd lanes (vpmuldq); then
// the rounding shift right, ties away from zero.
__attribute__((target("avx2"))) static inline __m256i fixed_avx2(__m256i x, __m256i m, __m128i left, __m128i right,
                                                                  __m256i mask) {
    const __m256i a = _mm256_sll_epi32(x, left), nudge = _mm256_set1_epi64x((int64_t)1 << 30);
    const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, m), nudge), 31);
    const __m256i odd = _mm256_slli_epi64(
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), m), nudge), 1);
    const __m256i high = _mm256_blend_epi32(even, odd, 0xAA);
    const __m256i remainder = _mm256_and_si256(high, mask);
    const __m256i threshold = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1),
                                               _mm256_cmpgt_epi32(_mm256_setzero_si256(), high));
    return _mm256_sub_epi32(_mm256_sra_epi32(high, right), _mm256_cmpgt_epi32(remainder, threshold));
}

__attribute__((target("avx2"))) void ck_qrequantize_avx2(const int32_t *acc, int32_t bias,
                                                            const ck_qlinear_params *w, ptrdiff_t channel,
                                                            int16_t *codes) {
    const __m256i b = _mm256_set1_epi32(bias), z = _mm256_set1_epi32(w->output_zero_point);
    __m256i half[2];
    if (w->fixed_point) {
        const ck_qfixed f = w->fixed_point[channel];
        const int left = f.shift > 0 ? f.shift : 0, right = f.shift > 0 ? 0 : -f.shift;
        const __m256i m = _mm256_set1_epi32(f.multiplier);
        const __m256i mask = _mm256_set1_epi32((int32_t)(((int64_t)1 << right) - 1));
        const __m128i lc = _mm_cvtsi32_si128(left), rc = _mm_cvtsi32_si128(right);
        const __m256i low = _mm256_set1_epi32(w->low), high = _mm256_set1_epi32(w->high);
        for (int h = 0; h < 2; ++h) {
            const __m256i sum = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + 8 * h)), b);
            const __m256i y = _mm256_add_epi32(fixed_avx2(sum, m, lc, rc, mask), z);
            half[h] = _mm256_min_epi32(_mm256_max_epi32(y, low), high);
        }
    } else {
        const float lowest = (float)(w->low - w->output_zero_point), highest = (float)(w->high - w->output_zero_point);
        const __m256 m = _mm256_set1_ps(w->multipliers[channel]), low = _mm256_set1_ps(lowest),
                     high = _mm256_set1_ps(highest);
        for (int h = 0; h < 2; ++h) {
            const __m256i sum = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + 8 * h)), b);
            __m256 scaled = _mm256_mul_ps(_mm256_cvtepi32_ps(sum), m);
            scaled = _mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            scaled = _mm256_min_ps(_mm256_max_ps(scaled, low), high);
            half[h] = _mm256_add_epi32(_mm256_cvtps_epi32(scaled), z);
        }
    }
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(half[0], half[1]), 0xD8);
    _mm256_storeu_si256((__m256i *)codes, packed);
}
#endif
