// Float max pooling (see ckernels.h, ck_max_pool2d): every output's taps in row-major order,
// `v > best ? v : best` from -infinity, as QuantCore's Ops.pool loop — so NaN never wins and of
// equal values (+0 and -0) the first tap's stays. The loop over output columns whose windows lie
// inside the row is written once per tap, so the compiler vectorizes it (x86's MAXPS is exactly
// `a > b ? a : b`), in an AVX2 clone where the CPU has it; the few columns at the edges take the
// taps inside the row one by one.
#include <math.h>

#include "ckernels.h"

#define CK_MAX_POOL_BODY                                                                                          \
    const ptrdiff_t plane = height * width, outputs = out_h * out_w;                                           \
    /* Output columns [first, last) whose windows lie wholly inside the row. */                                \
    ptrdiff_t first = 0, last = out_w;                                                                          \
    while (first < out_w && first * stride_w - pad_left < 0) ++first;                                          \
    while (last > first && (last - 1) * stride_w - pad_left + kernel_w > width) --last;                        \
    for (ptrdiff_t p = 0; p < planes; ++p) {                                                                    \
        const float *in = x + p * plane;                                                                        \
        float *o = out + p * outputs;                                                                           \
        for (ptrdiff_t oy = 0; oy < out_h; ++oy, o += out_w) {                                                  \
            for (ptrdiff_t ox = 0; ox < out_w; ++ox) o[ox] = -INFINITY;                                         \
            const ptrdiff_t top = oy * stride_h - pad_top;                                                      \
            for (ptrdiff_t i = 0; i < kernel_h; ++i) {                                                          \
                const ptrdiff_t y = top + i;                                                                    \
                if (y < 0 || y >= height) continue;                                                             \
                const float *row = in + y * width;                                                              \
                /* The edges: only the taps inside the row, in order (tap j before j + 1). */                  \
                for (ptrdiff_t ox = first > 0 ? 0 : last; ox < out_w; ox = ox + 1 == first ? last : ox + 1) {  \
                    const ptrdiff_t left = ox * stride_w - pad_left;                                            \
                    float best = o[ox];                                                                         \
                    for (ptrdiff_t j = 0; j < kernel_w; ++j) {                                                  \
                        const ptrdiff_t column = left + j;                                                      \
                        if (column < 0 || column >= width) continue;                                            \
                        const float v = row[column];                                                            \
                        best = v > best ? v : best;                                                             \
                    }                                                                                           \
                    o[ox] = best;                                                                               \
                }                                                                                               \
                /* The inside: tap by tap over all those columns (a vectorizable loop). */                    \
                for (ptrdiff_t j = 0; j < kernel_w; ++j) {                                                      \
                    const float *source = row + j - pad_left;                                                   \
                    if (stride_w == 1) {                                                                        \
                        for (ptrdiff_t ox = first; ox < last; ++ox) {                                           \
                            const float v = source[ox];                                                         \
                            o[ox] = v > o[ox] ? v : o[ox];                                                      \
                        }                                                                                       \
                    } else if (stride_w == 2) {                                                                 \
                        for (ptrdiff_t ox = first; ox < last; ++ox) {                                           \
                            const float v = source[2 * ox];                                                     \
                            o[ox] = v > o[ox] ? v : o[ox];                                                      \
                        }                                                                                       \
                    } else {                                                                                    \
                        for (ptrdiff_t ox = first; ox < last; ++ox) {                                           \
                            const float v = source[ox * stride_w];                                              \
                            o[ox] = v > o[ox] ? v : o[ox];                                                      \
                        }                                                                                       \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    }

#define CK_MAX_POOL_PARAMETERS                                                                                  \
    const float *restrict x, ptrdiff_t planes, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h,          \
        ptrdiff_t kernel_w, ptrdiff_t stride_h, ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left,     \
        ptrdiff_t out_h, ptrdiff_t out_w, float *restrict out

static void max_pool_portable(CK_MAX_POOL_PARAMETERS) { CK_MAX_POOL_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void max_pool_avx2(CK_MAX_POOL_PARAMETERS) { CK_MAX_POOL_BODY }
#endif

void ck_max_pool2d(CK_MAX_POOL_PARAMETERS) {
#if defined(__x86_64__)
    if (ck_variant_id() >= 2) {
        max_pool_avx2(x, planes, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, out_h,
                      out_w, out);
        return;
    }
#endif
    max_pool_portable(x, planes, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, out_h,
                      out_w, out);
}
