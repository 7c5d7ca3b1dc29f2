// The integer model's AVX2 tile (vpmaddwd: int16 × int16 → int32 pair sums, so nothing
// saturates; 4 channels × 16 positions) and requantization (MLAS's float operations, 16 sums of
// one channel at a time), see qconv.h.
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

__attribute__((target("avx2"))) void ck_qrequantize_avx2(const int32_t *acc, int32_t bias, float multiplier,
                                                            int32_t zp, float lowest, float highest,
                                                            int16_t *codes) {
    const __m256i b = _mm256_set1_epi32(bias), z = _mm256_set1_epi32(zp);
    const __m256 m = _mm256_set1_ps(multiplier), low = _mm256_set1_ps(lowest), high = _mm256_set1_ps(highest);
    __m256i half[2];
    for (int h = 0; h < 2; ++h) {
        const __m256i sum = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + 8 * h)), b);
        __m256 scaled = _mm256_mul_ps(_mm256_cvtepi32_ps(sum), m);
        scaled = _mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        scaled = _mm256_min_ps(_mm256_max_ps(scaled, low), high);
        half[h] = _mm256_add_epi32(_mm256_cvtps_epi32(scaled), z);
    }
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(half[0], half[1]), 0xD8);
    _mm256_storeu_si256((__m256i *)codes, packed);
}
#endif
