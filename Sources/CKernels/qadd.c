// The integer model's requantized Add (see qadd.h): QuantCore's IntegerKernels.requantizedAdd
// per element, vectorized where the CPU has AVX-512 or AVX2 with FMA. The float operations are
// those of the Swift reference: two explicit fused multiply-adds (as onnxruntime's AVX2 kernel),
// nothing else fused (FP_CONTRACT off).
#include "qadd.h"

#pragma STDC FP_CONTRACT OFF

#define CK_QADD_BODY                                                                          \
    for (ptrdiff_t i = 0; i < count; ++i) {                                                   \
        const float inner = __builtin_fmaf((float)((int32_t)b[i] + sb), rb, fixed);            \
        float v = __builtin_rintf(__builtin_fmaf((float)((int32_t)a[i] + sa), ra, inner));     \
        v = v < lowest ? lowest : (v > highest ? highest : v);                                \
        y[i] = (int16_t)((int32_t)v - sy);                                                    \
    }

#define CK_QADD_PARAMETERS                                                                    \
    const int16_t *restrict a, const int16_t *restrict b, ptrdiff_t count, float ra, float rb, float fixed, \
        int32_t sa, int32_t sb, int32_t sy, float lowest, float highest, int16_t *restrict y

static void qadd_portable(CK_QADD_PARAMETERS) { CK_QADD_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void qadd_avx2(CK_QADD_PARAMETERS) { CK_QADD_BODY }

__attribute__((target("avx512f,avx512bw,avx512vl,fma"))) static void qadd_avx512(CK_QADD_PARAMETERS) { CK_QADD_BODY }
#endif

void ck_qadd(const int16_t *a, const int16_t *b, ptrdiff_t count, int32_t za, int32_t zb, float ra, float rb,
             int32_t zy, float fixed, int32_t sa, int32_t sb, int32_t sy, int32_t low, int32_t high, int16_t *y) {
    if (ra == 1.0f && rb == 1.0f) {  // one scale: the codes add as integers (exactly the float result)
        for (ptrdiff_t i = 0; i < count; ++i) {
            int32_t v = ((int32_t)a[i] - za) + ((int32_t)b[i] - zb) + zy;
            y[i] = (int16_t)(v < low ? low : (v > high ? high : v));
        }
        return;
    }
    const float lowest = (float)(low + sy), highest = (float)(high + sy);
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma")) {
        qadd_avx512(a, b, count, ra, rb, fixed, sa, sb, sy, lowest, highest, y);
        return;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        qadd_avx2(a, b, count, ra, rb, fixed, sa, sb, sy, lowest, highest, y);
        return;
    }
#endif
    qadd_portable(a, b, count, ra, rb, fixed, sa, sb, sy, lowest, highest, y);
}
