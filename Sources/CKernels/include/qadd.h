// The integer model's requantized Add (qadd.c).
#ifndef CKERNELS_QADD_H
#define CKERNELS_QADD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = clamp(rint((float)(a[i] − za) · ra + (float)(b[i] − zb) · rb), low − zy, high − zy) + zy
/// for i < count: each product and the sum rounded to float separately (no fused multiply-add),
/// rint rounding half to even — QuantCore's IntegerKernels.requantizedAdd (onnxruntime's
/// QLinearAdd reference). With ra = rb = 1 the codes add as integers (the same values).
/// Vectorized with AVX-512 or AVX2 where the CPU has them.
void ck_qadd(const int16_t *a, const int16_t *b, ptrdiff_t count, int32_t za, int32_t zb, float ra, float rb,
             int32_t zy, int32_t low, int32_t high, int16_t *y);

#ifdef __cplusplus
}
#endif

#endif
