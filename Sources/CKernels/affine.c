// Affine quantize-dequantize of a block, exactly as QuantCore's AffineQuantizer.quantize /
// dequantize (ONNX QuantizeLinear then DequantizeLinear), with AVX-512 / AVX2 variants: the
// baseline x86-64 instruction set has no vector round-to-nearest-even, so Swift calls libm per
// element there.
#include "ckernels.h"

#include <math.h>
#include <stdint.h>

#define CK_AFFINE_BODY                                                                  \
    for (ptrdiff_t i = 0; i < count; ++i) {                                             \
        float q = __builtin_rintf(values[i] / scale) + zero;                            \
        q = q > highest ? highest : (q >= lowest ? q : lowest); /* NaN becomes lowest */ \
        const int32_t code = (int32_t)q;                                                \
        codes[i] = code;                                                                \
        dequantized[i] = (float)(code - zero_point) * scale;                            \
    }

static void affine_portable(const float *restrict values, ptrdiff_t count, float scale, int32_t zero_point,
                            float lowest, float highest, int32_t *restrict codes, float *restrict dequantized) {
    const float zero = (float)zero_point;
    CK_AFFINE_BODY
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void affine_avx2(const float *restrict values, ptrdiff_t count,
                                                            float scale, int32_t zero_point, float lowest,
                                                            float highest, int32_t *restrict codes,
                                                            float *restrict dequantized) {
    const float zero = (float)zero_point;
    CK_AFFINE_BODY
}

__attribute__((target("avx512f"))) static void affine_avx512(const float *restrict values, ptrdiff_t count,
                                                             float scale, int32_t zero_point, float lowest,
                                                             float highest, int32_t *restrict codes,
                                                             float *restrict dequantized) {
    const float zero = (float)zero_point;
    CK_AFFINE_BODY
}
#endif

void ck_affine_code(const float *values, ptrdiff_t count, float scale, int32_t zero_point, int32_t lowest,
                    int32_t highest, int32_t *codes, float *dequantized) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        affine_avx512(values, count, scale, zero_point, (float)lowest, (float)highest, codes, dequantized);
        return;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        affine_avx2(values, count, scale, zero_point, (float)lowest, (float)highest, codes, dequantized);
        return;
    }
#endif
    affine_portable(values, count, scale, zero_point, (float)lowest, (float)highest, codes, dequantized);
}
