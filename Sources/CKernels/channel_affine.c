// Per-channel affine map with an optional clamp: see ckernels.h (`ck_channel_affine`).
//
// Each value is a · x + b as a multiply and then an add (never a fused multiply-add, so every
// variant gives the bits of the plain expression), then the Clip rule of epilogue.h.
#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma clang fp contract(off)

static void plane_portable(const float *in, float *out, ptrdiff_t size, float a, float b, const float *clamp) {
    for (ptrdiff_t i = 0; i < size; ++i) {
        float value = a * in[i];
        value = value + b;
        if (clamp) {
            value = value < clamp[0] ? clamp[0] : value;
            value = value > clamp[1] ? clamp[1] : value;
        }
        out[i] = value;
    }
}

#if defined(__x86_64__)

__attribute__((target("avx2"))) static void plane_avx2(const float *in, float *out, ptrdiff_t size, float a, float b,
                                                         const float *clamp) {
    const __m256 as = _mm256_set1_ps(a), bs = _mm256_set1_ps(b);
    const __m256 lows = _mm256_set1_ps(clamp ? clamp[0] : 0), highs = _mm256_set1_ps(clamp ? clamp[1] : 0);
    ptrdiff_t i = 0;
    for (; i + 8 <= size; i += 8) {
        __m256 value = _mm256_add_ps(_mm256_mul_ps(as, _mm256_loadu_ps(in + i)), bs);
        if (clamp) {
            value = _mm256_blendv_ps(value, lows, _mm256_cmp_ps(value, lows, _CMP_LT_OQ));
            value = _mm256_blendv_ps(value, highs, _mm256_cmp_ps(value, highs, _CMP_GT_OQ));
        }
        _mm256_storeu_ps(out + i, value);
    }
    plane_portable(in + i, out + i, size - i, a, b, clamp);
}

__attribute__((target("avx512f"))) static void plane_avx512(const float *in, float *out, ptrdiff_t size, float a,
                                                             float b, const float *clamp) {
    const __m512 as = _mm512_set1_ps(a), bs = _mm512_set1_ps(b);
    const __m512 lows = _mm512_set1_ps(clamp ? clamp[0] : 0), highs = _mm512_set1_ps(clamp ? clamp[1] : 0);
    for (ptrdiff_t i = 0; i < size; i += 16) {
        const __mmask16 mask = size - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (size - i)) - 1);
        __m512 value = _mm512_add_ps(_mm512_mul_ps(as, _mm512_maskz_loadu_ps(mask, in + i)), bs);
        if (clamp) {
            value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, lows, _CMP_LT_OQ), lows);
            value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, highs, _CMP_GT_OQ), highs);
        }
        _mm512_mask_storeu_ps(out + i, mask, value);
    }
}

#endif

void ck_channel_affine(const float *in, float *out, ptrdiff_t planes, ptrdiff_t size, ptrdiff_t channels,
                       const float *multiplier, const float *offset, const float *clamp) {
    if (planes <= 0 || size <= 0 || channels <= 0) return;
    void (*plane)(const float *, float *, ptrdiff_t, float, float, const float *) = plane_portable;
#if defined(__x86_64__)
    switch (ck_variant_id()) {
    case 2: plane = plane_avx2; break;
    case 3: plane = plane_avx512; break;
    default: break;
    }
#endif
    for (ptrdiff_t p = 0; p < planes; ++p) {
        const ptrdiff_t c = p % channels;
        plane(in + p * size, out + p * size, size, multiplier[c], offset[c], clamp);
    }
}
