// Pooling on integer codes (see ckernels.h, ck_qpool): the loops of QuantCore's
// IntegerKernels.pool without Swift's bounds checks, the same float operations for the average.
#include <math.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ckernels.h"

// The taps t (0 ≤ t < kernel) of a window starting at `start` whose start + t · dilation lies in
// 0..<size: first ≤ t < end.
static void tap_range(ptrdiff_t start, ptrdiff_t dilation, ptrdiff_t size, ptrdiff_t kernel, ptrdiff_t *first,
                      ptrdiff_t *end) {
    ptrdiff_t a = start < 0 ? (-start + dilation - 1) / dilation : 0;
    ptrdiff_t b = size - start <= 0 ? 0 : (size - start + dilation - 1) / dilation;
    b = b > kernel ? kernel : b;
    *first = a > b ? b : a;
    *end = b;
}

// Max pooling with dilation 1, any window, stride and pads: per output row, the column-wise
// max of the window's rows inside the image, then the max of every kernel_w consecutive
// columns (loops the compiler vectorizes), read at each output's window; windows that reach
// into the padding take the max of their columns inside the row. The same maxima as the per-tap loop below (max does
// not depend on order); windows with no tap inside give INT16_MIN, as there.
static int max_pool_separable(const int16_t *x, ptrdiff_t planes, ptrdiff_t height, ptrdiff_t width,
                              ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t stride_h, ptrdiff_t stride_w,
                              ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t out_h, ptrdiff_t out_w, int16_t *out) {
    const ptrdiff_t whole = width - kernel_w + 1;  // windows wholly inside a row (may be ≤ 0)
    int16_t *columns = malloc((size_t)(2 * width) * sizeof(int16_t)), *windows = columns + width;
    ptrdiff_t *ranges = malloc((size_t)out_w * 2 * sizeof(ptrdiff_t));
    if (!columns || !ranges) {
        free(columns);
        free(ranges);
        return 0;
    }
    for (ptrdiff_t ox = 0; ox < out_w; ++ox) {
        ptrdiff_t j0, j1;
        tap_range(ox * stride_w - pad_left, 1, width, kernel_w, &j0, &j1);
        ranges[2 * ox] = ox * stride_w - pad_left + j0;
        ranges[2 * ox + 1] = ox * stride_w - pad_left + j1;
    }
    for (ptrdiff_t plane = 0; plane < planes; ++plane) {
        const int16_t *in = x + plane * height * width;
        for (ptrdiff_t oy = 0; oy < out_h; ++oy, out += out_w) {
            ptrdiff_t i0, i1;
            tap_range(oy * stride_h - pad_top, 1, height, kernel_h, &i0, &i1);
            if (i0 >= i1) {
                for (ptrdiff_t ox = 0; ox < out_w; ++ox) out[ox] = INT16_MIN;
                continue;
            }
            const int16_t *first = in + (oy * stride_h - pad_top + i0) * width;
            for (ptrdiff_t c = 0; c < width; ++c) columns[c] = first[c];
            for (ptrdiff_t i = i0 + 1; i < i1; ++i) {
                const int16_t *row = first + (i - i0) * width;
                for (ptrdiff_t c = 0; c < width; ++c) columns[c] = row[c] > columns[c] ? row[c] : columns[c];
            }
            // windows[c]: the max of columns c ..< c + kernel_w (windows wholly inside the row)
            for (ptrdiff_t c = 0; c < whole; ++c) windows[c] = columns[c];
            for (ptrdiff_t j = 1; j < kernel_w; ++j)
                for (ptrdiff_t c = 0; c < whole; ++c) windows[c] = columns[c + j] > windows[c] ? columns[c + j] : windows[c];
            for (ptrdiff_t ox = 0; ox < out_w; ++ox) {
                const ptrdiff_t start = ox * stride_w - pad_left;
                if (start >= 0 && start < whole) {
                    out[ox] = windows[start];
                    continue;
                }
                int16_t best = INT16_MIN;
                for (ptrdiff_t c = ranges[2 * ox]; c < ranges[2 * ox + 1]; ++c)
                    best = columns[c] > best ? columns[c] : best;
                out[ox] = best;
            }
        }
    }
    free(columns);
    free(ranges);
    return 1;
}

void ck_qpool(const int16_t *x, ptrdiff_t planes, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h,
              ptrdiff_t kernel_w, ptrdiff_t stride_h, ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left,
              ptrdiff_t dilation_h, ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, int average,
              int count_include_pad, int32_t zero_point, int32_t low, int32_t high, int16_t *out) {
    const int inside = pad_top == 0 && pad_left == 0 && (out_h - 1) * stride_h + (kernel_h - 1) * dilation_h < height &&
                       (out_w - 1) * stride_w + (kernel_w - 1) * dilation_w < width;
#ifdef __SSE2__
    if (inside && !average && kernel_h == 2 && kernel_w == 2 && stride_h == 2 && stride_w == 2 && dilation_h == 1 &&
        dilation_w == 1) {  // the common 2×2 / 2 window: 8 (or 4) outputs per step from two rows of codes
        for (ptrdiff_t plane = 0; plane < planes; ++plane) {
            const int16_t *in = x + plane * height * width;
            for (ptrdiff_t oy = 0; oy < out_h; ++oy, out += out_w) {
                const int16_t *r0 = in + 2 * oy * width, *r1 = r0 + width;
                if (out_w < 4) {
                    for (ptrdiff_t ox = 0; ox < out_w; ++ox) {
                        int16_t best = r0[2 * ox];
                        best = r0[2 * ox + 1] > best ? r0[2 * ox + 1] : best;
                        best = r1[2 * ox] > best ? r1[2 * ox] : best;
                        best = r1[2 * ox + 1] > best ? r1[2 * ox + 1] : best;
                        out[ox] = best;
                    }
                    continue;
                }
                // Steps of 8 outputs, then of 4; a row's last step ends at out_w, overlapping the one
                // before it where out_w is not a multiple (it writes the same maxima again), so
                // MNIST's 14- and 7-wide rows need no scalar tail.
                const int wide = out_w >= 8;
                const ptrdiff_t step = wide ? 8 : 4;
                for (ptrdiff_t ox = 0; ox < out_w; ox += step) {
                    const ptrdiff_t at = ox + step <= out_w ? ox : out_w - step;
                    const __m128i a = _mm_max_epi16(_mm_loadu_si128((const __m128i *)(r0 + 2 * at)),
                                                    _mm_loadu_si128((const __m128i *)(r1 + 2 * at)));
                    // Each int32 lane holds a horizontal pair: the max of both halves, sign-extended.
                    const __m128i pa = _mm_max_epi16(a, _mm_srli_epi32(a, 16));
                    const __m128i ea = _mm_srai_epi32(_mm_slli_epi32(pa, 16), 16);
                    if (wide) {
                        const __m128i b = _mm_max_epi16(_mm_loadu_si128((const __m128i *)(r0 + 2 * at + 8)),
                                                        _mm_loadu_si128((const __m128i *)(r1 + 2 * at + 8)));
                        const __m128i pb = _mm_max_epi16(b, _mm_srli_epi32(b, 16));
                        const __m128i eb = _mm_srai_epi32(_mm_slli_epi32(pb, 16), 16);
                        _mm_storeu_si128((__m128i *)(out + at), _mm_packs_epi32(ea, eb));
                    } else {
                        _mm_storel_epi64((__m128i *)(out + at), _mm_packs_epi32(ea, ea));
                    }
                }
            }
        }
        return;
    }
#endif
    if (!average && dilation_h == 1 && dilation_w == 1 &&
        max_pool_separable(x, planes, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, out_h,
                           out_w, out))
        return;
    if (inside && !average) {  // every window inside the image: no tests per tap
        for (ptrdiff_t plane = 0; plane < planes; ++plane) {
            const int16_t *in = x + plane * height * width;
            for (ptrdiff_t oy = 0; oy < out_h; ++oy) {
                const int16_t *top = in + oy * stride_h * width;
                for (ptrdiff_t ox = 0; ox < out_w; ++ox) {
                    const int16_t *corner = top + ox * stride_w;
                    int16_t best = INT16_MIN;
                    for (ptrdiff_t i = 0; i < kernel_h; ++i) {
                        const int16_t *row = corner + i * dilation_h * width;
                        for (ptrdiff_t j = 0; j < kernel_w; ++j) {
                            const int16_t code = row[j * dilation_w];
                            best = code > best ? code : best;
                        }
                    }
                    *out++ = best;
                }
            }
        }
        return;
    }
    for (ptrdiff_t plane = 0; plane < planes; ++plane) {
        const int16_t *in = x + plane * height * width;
        for (ptrdiff_t oy = 0; oy < out_h; ++oy) {
            ptrdiff_t i0, i1;
            tap_range(oy * stride_h - pad_top, dilation_h, height, kernel_h, &i0, &i1);
            for (ptrdiff_t ox = 0; ox < out_w; ++ox) {
                ptrdiff_t j0, j1;
                tap_range(ox * stride_w - pad_left, dilation_w, width, kernel_w, &j0, &j1);
                int16_t best = INT16_MIN;
                int32_t sum = 0;
                const int32_t count = (int32_t)(count_include_pad ? kernel_h * kernel_w : (i1 - i0) * (j1 - j0));
                const ptrdiff_t corner = (oy * stride_h - pad_top) * width + ox * stride_w - pad_left;
                for (ptrdiff_t i = i0; i < i1; ++i) {  // the taps inside the image only
                    const ptrdiff_t row = corner + i * dilation_h * width;
                    for (ptrdiff_t j = j0; j < j1; ++j) {
                        const int16_t code = in[row + j * dilation_w];
                        best = code > best ? code : best;
                        sum += (int32_t)code - zero_point;
                    }
                }
                if (average) {
                    const float mean = nearbyintf((float)sum / (float)(count > 1 ? count : 1));
                    int32_t code = (int32_t)mean + zero_point;
                    code = code < low ? low : (code > high ? high : code);
                    *out++ = (int16_t)code;
                } else {
                    *out++ = best;
                }
            }
        }
    }
}
