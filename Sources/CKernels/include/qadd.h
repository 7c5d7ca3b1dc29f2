// The integer model's requantized Add (qadd.c).
#ifndef CKERNELS_QADD_H
#define CKERNELS_QADD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = clamp(rint(fma((float)(a[i] + sa), ra, fma((float)(b[i] + sb), rb, fixed))), low + sy,
/// high + sy) − sy for i < count, where s· put codes in unsigned form (2^(bits−1) for signed codes,
/// else 0) and fixed = (float)(zy + sy) − (ra · (float)(za + sa) + rb · (float)(zb + sb)) (each
/// rounded to float; the caller passes it): onnxruntime's QLinearAdd on x86 (MLAS's AVX2 kernel on
/// uint8 codes), rint rounding half to even — QuantCore's IntegerKernels.requantizedAdd. With
/// ra = rb = 1 the codes add as integers (the same values). Vectorized with AVX-512 or AVX2 (and
/// FMA) where the CPU has them; fmaf elsewhere.
void ck_qadd(const int16_t *a, const int16_t *b, ptrdiff_t count, int32_t za, int32_t zb, float ra, float rb,
             int32_t zy, float fixed, int32_t sa, int32_t sb, int32_t sy, int32_t low, int32_t high, int16_t *y);

#ifdef __cplusplus
}
#endif

#endif
