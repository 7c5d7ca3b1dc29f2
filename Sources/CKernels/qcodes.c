// The integer model's input codes (see ckernels.h, ck_quantize_codes16): QuantCore's
// ActivationQuantizer.quantize per element, vectorized where the CPU has AVX-512 or AVX2.
#include "ckernels.h"

#define CK_CODES_BODY                                                                     \
    for (ptrdiff_t i = 0; i < count; ++i) {                                               \
        float q = __builtin_rintf(values[i] / scale) + zero;                              \
        q = q > highest ? highest : (q >= lowest ? q : lowest); /* NaN becomes lowest */  \
        codes[i] = (int16_t)(int32_t)q;                                                   \
    }

static void codes_portable(const float *restrict values, ptrdiff_t count, float scale, float zero, float lowest,
                           float highest, int16_t *restrict codes) {
    CK_CODES_BODY
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void codes_avx2(const float *restrict values, ptrdiff_t count, float scale,
                                                       float zero, float lowest, float highest,
                                                       int16_t *restrict codes) {
    CK_CODES_BODY
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) static void codes_avx512(const float *restrict values,
                                                                             ptrdiff_t count, float scale,
                                                                             float zero, float lowest, float highest,
                                                                             int16_t *restrict codes) {
    CK_CODES_BODY
}
#endif

void ck_quantize_codes16(const float *values, ptrdiff_t count, float scale, int32_t zero_point, int32_t lowest,
                         int32_t highest, int16_t *codes) {
    const float zero = (float)zero_point, low = (float)lowest, high = (float)highest;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) {
        codes_avx512(values, count, scale, zero, low, high, codes);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        codes_avx2(values, count, scale, zero, low, high, codes);
        return;
    }
#endif
    codes_portable(values, count, scale, zero, low, high, codes);
}
