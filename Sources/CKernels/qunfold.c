// im2col of activation codes for the int16 paths of the integer model's Conv / Gemm (see
// qconv.h): codes minus their zero point unfolded straight into panels of 16 positions × pairs
// of taps, one output row piece at a time, the columns where both taps of a pair read inside the
// image without a test per element.
#include <string.h>

#include "qconv.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

// Zeroes what no tap writes: the high half of the last pair when k is odd, the lanes past `count`.
static void zero_padding(int16_t *cols, ptrdiff_t k, ptrdiff_t count) {
    const ptrdiff_t pairs = ck_qpairs(k), panels = (count + QP - 1) / QP;
    if (k & 1) {
        for (ptrdiff_t panel = 0; panel < panels; ++panel) {
            int16_t *pair = cols + (panel * pairs + pairs - 1) * QP * 2;
            for (ptrdiff_t lane = 0; lane < QP; ++lane) pair[lane * 2 + 1] = 0;
        }
    }
    const ptrdiff_t used = count % QP;
    if (used) {
        int16_t *panel = cols + (panels - 1) * pairs * QP * 2;
        for (ptrdiff_t p = 0; p < pairs; ++p) memset(panel + (p * QP + used) * 2, 0, (size_t)(QP - used) * 4);
    }
}

// The output columns ox whose tap at offset `shift` (x = ox·stride + shift) lies inside a row of
// `width`: first ≤ ox < end (as ck_im2col computes them).
static void inside_columns(ptrdiff_t shift, ptrdiff_t stride, ptrdiff_t width, ptrdiff_t out_w, ptrdiff_t *first,
                           ptrdiff_t *end) {
    ptrdiff_t a = 0, b = out_w;
    if (shift < 0) a = (-shift + stride - 1) / stride;
    if (width - shift <= 0) {
        b = 0;
    } else {
        const ptrdiff_t limit = (width - shift + stride - 1) / stride;
        if (limit < b) b = limit;
    }
    *first = a < b ? a : b;
    *end = b;
}

typedef uint32_t __attribute__((may_alias)) ck_pair32;  // a pair of int16 taps, stored at once

// The taps' geometry (ck_qtap), computed once per call.
void ck_qtaps(const ck_qconv_shape *s, ptrdiff_t k, ck_qtap *taps) {
    const ptrdiff_t window = s->kernel_h * s->kernel_w;
    for (ptrdiff_t t = 0; t < k; ++t) {
        const ptrdiff_t c = t / window, i = (t % window) / s->kernel_w, j = t % s->kernel_w;
        const ptrdiff_t shift = j * s->dilation_w - s->pad_left, dy = i * s->dilation_h - s->pad_top;
        taps[t].dy = dy;
        taps[t].offset = c * s->height * s->width + shift;
        inside_columns(shift, s->stride_w, s->width, s->out_w, &taps[t].first, &taps[t].end);
    }
}

// im2col of group g for output positions m0..<m1 (over the whole batch) into column panels: one
// output row piece (image, oy, ox0..<ox1) at a time, a pair of taps per 32-bit store, the columns
// where both taps read inside the image without a test per element.
void ck_qunfold(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zp, const int16_t *x, const ck_qtap *taps,
                 ptrdiff_t m0, ptrdiff_t m1, int16_t *cols) {
    const ptrdiff_t pairs = ck_qpairs(k), positions = s->out_h * s->out_w, per_group = s->channels / s->group;
    const ptrdiff_t plane = s->height * s->width, image_size = s->channels * plane, panel_stride = pairs * QP * 2;
    const ptrdiff_t sw = s->stride_w;
    zero_padding(cols, k, m1 - m0);
    for (ptrdiff_t m = m0; m < m1;) {
        const ptrdiff_t image = m / positions, oy = (m % positions) / s->out_w, ox0 = m % s->out_w;
        const ptrdiff_t ox1 = (m1 - m) < (s->out_w - ox0) ? ox0 + (m1 - m) : s->out_w;
        const size_t q = (size_t)(m - m0);
        const int16_t *group_image = x + image * image_size + g * per_group * plane;
        for (ptrdiff_t p = 0; p < pairs; ++p) {
            const ck_qtap_run a = ck_qtap_in_row(s, taps, 2 * p, k, oy, ox0, ox1);
            const ck_qtap_run b = ck_qtap_in_row(s, taps, 2 * p + 1, k, oy, ox0, ox1);
            const ptrdiff_t both_first = a.first > b.first ? a.first : b.first;
            const ptrdiff_t both_end = a.end < b.end ? a.end : b.end;
            const int16_t *ra = group_image + (a.inside ? a.offset : 0);
            const int16_t *rb = group_image + (b.inside ? b.offset : 0);
            size_t lane = q % QP;
            int16_t *d = cols + (q / QP) * panel_stride + p * QP * 2 + lane * 2;
            for (ptrdiff_t ox = ox0; ox < ox1; ++ox) {
                if (ox >= both_first && ox < both_end) {  // both inside: the run without tests
#ifdef __SSE2__
                    if (sw == 1) {  // 8 columns per step while they fit in the panel
                        const __m128i z = _mm_set1_epi16((int16_t)zp);
                        for (; ox + 8 <= both_end && lane <= QP - 8; ox += 8) {
                            const __m128i va = _mm_sub_epi16(_mm_loadu_si128((const __m128i *)(ra + ox)), z);
                            const __m128i vb = _mm_sub_epi16(_mm_loadu_si128((const __m128i *)(rb + ox)), z);
                            _mm_storeu_si128((__m128i *)d, _mm_unpacklo_epi16(va, vb));
                            _mm_storeu_si128((__m128i *)(d + 8), _mm_unpackhi_epi16(va, vb));
                            d += 16;
                            lane += 8;
                            if (lane == QP) lane = 0, d += panel_stride - QP * 2;
                        }
                    }
#endif
                    for (; ox < both_end; ++ox) {
                        const uint32_t low = (uint16_t)(ra[ox * sw] - zp), high = (uint16_t)(rb[ox * sw] - zp);
                        *(ck_pair32 *)d = low | high << 16;
                        d += 2;
                        if (++lane == QP) lane = 0, d += panel_stride - QP * 2;
                    }
                    if (ox == ox1) break;
                }
                const int16_t va = ox >= a.first && ox < a.end ? (int16_t)(ra[ox * sw] - zp) : 0;
                const int16_t vb = ox >= b.first && ox < b.end ? (int16_t)(rb[ox * sw] - zp) : 0;
                *(ck_pair32 *)d = (uint32_t)(uint16_t)va | (uint32_t)(uint16_t)vb << 16;
                d += 2;
                if (++lane == QP) lane = 0, d += panel_stride - QP * 2;
            }
        }
        m += ox1 - ox0;
    }
}

// Rows m0..<m1 of a [batch, k] input (minus the zero point) into column panels.
void ck_qunfold_rows(const int16_t *x, ptrdiff_t k, int32_t zp, ptrdiff_t m0, ptrdiff_t m1, int16_t *cols) {
    const ptrdiff_t pairs = ck_qpairs(k), count = m1 - m0;
    zero_padding(cols, k, count);
    for (ptrdiff_t q = 0; q < count; ++q) {
        const int16_t *row = x + (m0 + q) * k;
        int16_t *dst = cols + (q / QP) * pairs * QP * 2 + (q % QP) * 2;
        for (ptrdiff_t t = 0; t < k; ++t) dst[(t >> 1) * QP * 2 + (t & 1)] = (int16_t)(row[t] - zp);
    }
}
