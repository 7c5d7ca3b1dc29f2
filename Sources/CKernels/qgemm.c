// Integer GEMM for the integer execution path: C[m×n] = A[m×k] · B[n×k]ᵀ with int16 activations
// (codes minus their zero point, so uint8 and int8 codes both fit), int8 weights and int32
// accumulation. Sums of integers do not depend on their order, so every variant gives the same
// bits as the scalar reference (as long as no sum leaves int32, which 8-bit codes guarantee for
// k < 2^16). The AVX2 variant sign-extends 16 weights to int16 (vpmovsxbw) and multiplies pairs
// with vpmaddwd into int32 lanes: no int16 intermediate, so nothing saturates (vpmaddubsw would).
#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_QGEMM_X86 1
#endif

void ck_qgemm_s16s8_scalar(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, const int8_t *b, int32_t *c) {
    for (ptrdiff_t i = 0; i < m; ++i) {
        const int16_t *row = a + i * k;
        for (ptrdiff_t j = 0; j < n; ++j) {
            const int8_t *column = b + j * k;
            int32_t sum = 0;
            for (ptrdiff_t p = 0; p < k; ++p) sum += (int32_t)row[p] * (int32_t)column[p];
            c[i * n + j] = sum;
        }
    }
}

#ifdef CK_QGEMM_X86
__attribute__((target("avx2"))) static inline int32_t horizontal_sum(__m256i v) {
    __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4E));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xB1));
    return _mm_cvtsi128_si32(sum);
}

__attribute__((target("avx2"))) static inline __m256i weights16(const int8_t *b) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b));
}

__attribute__((target("avx2"))) static int32_t tail(const int16_t *row, const int8_t *column, ptrdiff_t p,
                                                    ptrdiff_t k) {
    int32_t sum = 0;
    for (; p < k; ++p) sum += (int32_t)row[p] * (int32_t)column[p];
    return sum;
}

__attribute__((target("avx2"))) static void qgemm_avx2(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a,
                                                       const int8_t *b, int32_t *c) {
    const ptrdiff_t body = k - k % 16;
    for (ptrdiff_t i = 0; i < m; ++i) {
        const int16_t *row = a + i * k;
        ptrdiff_t j = 0;
        for (; j + 4 <= n; j += 4) {
            const int8_t *b0 = b + j * k, *b1 = b0 + k, *b2 = b1 + k, *b3 = b2 + k;
            __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
            for (ptrdiff_t p = 0; p < body; p += 16) {
                const __m256i x = _mm256_loadu_si256((const __m256i *)(row + p));
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(x, weights16(b0 + p)));
                s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(x, weights16(b1 + p)));
                s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(x, weights16(b2 + p)));
                s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(x, weights16(b3 + p)));
            }
            int32_t *out = c + i * n + j;
            out[0] = horizontal_sum(s0) + tail(row, b0, body, k);
            out[1] = horizontal_sum(s1) + tail(row, b1, body, k);
            out[2] = horizontal_sum(s2) + tail(row, b2, body, k);
            out[3] = horizontal_sum(s3) + tail(row, b3, body, k);
        }
        for (; j < n; ++j) {
            const int8_t *column = b + j * k;
            __m256i s = _mm256_setzero_si256();
            for (ptrdiff_t p = 0; p < body; p += 16) {
                const __m256i x = _mm256_loadu_si256((const __m256i *)(row + p));
                s = _mm256_add_epi32(s, _mm256_madd_epi16(x, weights16(column + p)));
            }
            c[i * n + j] = horizontal_sum(s) + tail(row, column, body, k);
        }
    }
}
#endif

void ck_qgemm_s16s8_avx2(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, const int8_t *b, int32_t *c) {
#ifdef CK_QGEMM_X86
    if (__builtin_cpu_supports("avx2")) {
        qgemm_avx2(m, n, k, a, b, c);
        return;
    }
#endif
    ck_qgemm_s16s8_scalar(m, n, k, a, b, c);
}

const char *ck_qgemm_variant(void) {
#ifdef CK_QGEMM_X86
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "scalar";
}

void ck_qgemm_s16s8(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, const int8_t *b, int32_t *c) {
    ck_qgemm_s16s8_avx2(m, n, k, a, b, c);
}
