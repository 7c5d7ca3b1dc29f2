// im2col without bounds-check overhead: see ckernels.h.
#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86_64 1
#endif

#if CK_X86_64
// out[ox] = row[2·ox] for first <= ox < end: per 16 outputs, 32 consecutive source floats in two
// loads (masked to the ones the outputs read, so nothing past row[2·(end − 1)] is touched) and one
// permute keeping the even ones. The scalar loop's copies, 16 at a time.
__attribute__((target("avx512f"))) static void copy_stride2_avx512(const float *row, float *out, ptrdiff_t first,
                                                                     ptrdiff_t end) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (ptrdiff_t ox = first; ox < end; ox += 16) {
        const ptrdiff_t count = end - ox < 16 ? end - ox : 16;
        const ptrdiff_t reads = 2 * count - 1;  // source floats 0 ..< reads from row + 2·ox
        const __mmask16 low = reads >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << reads) - 1);
        const __mmask16 high = reads > 16 ? (__mmask16)((1u << (reads - 16)) - 1) : 0;
        const float *source = row + 2 * ox;
        const __m512 values = _mm512_permutex2var_ps(
            _mm512_maskz_loadu_ps(low, source), even, _mm512_maskz_loadu_ps(high, source + 16));
        _mm512_mask_storeu_ps(out + ox, (__mmask16)((1u << count) - 1), values);
    }
}
#endif

void ck_im2col(const float *image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h,
               ptrdiff_t kernel_w, ptrdiff_t stride_h, ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left,
               ptrdiff_t dilation_h, ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, float *columns) {
    float *restrict out = columns;
#if CK_X86_64
    const int vector_stride2 = stride_w == 2 && __builtin_cpu_supports("avx512f");
#endif
    for (ptrdiff_t c = 0; c < channels; ++c) {
        const float *plane = image + c * height * width;
        for (ptrdiff_t i = 0; i < kernel_h; ++i) {
            for (ptrdiff_t j = 0; j < kernel_w; ++j) {
                const ptrdiff_t shift = j * dilation_w - pad_left;  // x = ox·stride + shift
                // Output columns whose tap lies inside the row: first ≤ ox < end.
                ptrdiff_t first = 0, end = out_w;
                if (shift < 0) first = (-shift + stride_w - 1) / stride_w;
                if (width - shift <= 0) {
                    end = 0;
                } else {
                    const ptrdiff_t limit = (width - shift + stride_w - 1) / stride_w;  // ox·stride + shift < width
                    if (limit < end) end = limit;
                }
                if (first > end) first = end;
                for (ptrdiff_t oy = 0; oy < out_h; ++oy, out += out_w) {
                    const ptrdiff_t y = oy * stride_h - pad_top + i * dilation_h;
                    if (y < 0 || y >= height) {
                        for (ptrdiff_t ox = 0; ox < out_w; ++ox) out[ox] = 0;
                        continue;
                    }
                    const float *restrict row = plane + y * width + shift;
                    for (ptrdiff_t ox = 0; ox < first; ++ox) out[ox] = 0;
                    if (stride_w == 1) {
                        for (ptrdiff_t ox = first; ox < end; ++ox) out[ox] = row[ox];
                    } else {
#if CK_X86_64
                        if (vector_stride2) {
                            copy_stride2_avx512(row, out, first, end);
                        } else
#endif
                        {
                            for (ptrdiff_t ox = first; ox < end; ++ox) out[ox] = row[ox * stride_w];
                        }
                    }
                    for (ptrdiff_t ox = end; ox < out_w; ++ox) out[ox] = 0;
                }
            }
        }
    }
}
