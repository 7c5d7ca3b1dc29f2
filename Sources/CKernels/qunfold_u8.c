// im2col of activation codes as bytes for the AVX-512 VNNI u8 path of the integer model's Conv /
// Gemm (see qconv.h): codes as u = x − zero_point + zu (zu: the u of 0.0, so every code of the
// input and the padding lies in 0…255), 4 taps per 32-bit lane, panels of 16 positions × quads.
// Σ (x − zp) · w = Σ u · w − zu · Σ w, exact in int32 (vpdpbusd sums without saturation); the
// correction goes into the bias (qvnni.c). 16 output columns per step: per tap one masked load
// of the codes (padding and the columns past the row read as the zero point), one add, one
// narrowing to bytes; four taps interleaved and stored with masks across the panel boundary.
#include <stdlib.h>
#include <string.h>

#include "qconv.h"

int32_t ck_qbyte_zero(int32_t lo, int32_t hi, int32_t zp) {
    lo = zp < lo ? zp : lo;
    hi = zp > hi ? zp : hi;
    return hi - lo > 255 ? -1 : zp - lo;
}

void ck_qcode_range(const int16_t *x, ptrdiff_t count, int32_t *lo, int32_t *hi) {
    int16_t a = INT16_MAX, b = INT16_MIN;
    for (ptrdiff_t i = 0; i < count; ++i) {
        a = x[i] < a ? x[i] : a;
        b = x[i] > b ? x[i] : b;
    }
    *lo = a, *hi = b;
}

#ifdef CK_QCONV_X86
#define CK_QU8 __attribute__((target("avx512f,avx512bw,avx512vl,bmi2")))

// The columns lo ≤ j < hi (of 0 ≤ j < 16) as a mask.
static inline uint32_t span_mask(ptrdiff_t lo, ptrdiff_t hi) {
    return lo >= hi ? 0u : (uint32_t)(((1ull << hi) - 1) & ~((1ull << lo) - 1));
}

// The bytes u of one tap (image row `row`) for columns ox … ox + n − 1 (n ≤ 16): zu where it
// reads padding (or lies past the depth).
CK_QU8 static inline __m128i tap_bytes(ck_qtap_run run, const uint8_t *row, ptrdiff_t ox, ptrdiff_t n,
                                       ptrdiff_t sw, __m128i zu) {
    if (!run.inside) return zu;
    const uint32_t mask = span_mask(run.first > ox ? run.first - ox : 0, run.end - ox < n ? run.end - ox : n);
    if (mask == 0xFFFFu && sw == 1) return _mm_loadu_si128((const __m128i *)(row + ox));
    if (sw == 1) return _mm_mask_loadu_epi8(zu, (__mmask16)mask, row + ox);
    if (sw == 2) {  // 32 bytes, the even ones kept (the low halves of 16 int16 lanes)
        const __m256i wide = _mm256_mask_loadu_epi8(_mm256_broadcastsi128_si256(zu),
                                                    (__mmask32)_pdep_u32(mask, 0x55555555u), row + 2 * ox);
        return _mm256_cvtepi16_epi8(wide);
    }
    uint8_t bytes[QP];
    _mm_storeu_si128((__m128i *)bytes, zu);
    for (ptrdiff_t j = 0; j < QP; ++j)
        if ((mask >> j) & 1) bytes[j] = row[(ox + j) * sw];
    return _mm_loadu_si128((const __m128i *)bytes);
}

// Stores 16 quads (one per position q … q + n − 1 of quad row p) into their panels.
CK_QU8 static inline void store_quads(__m512i v, uint8_t *cols, ptrdiff_t panel_stride, ptrdiff_t p, ptrdiff_t q,
                                      ptrdiff_t n) {
    const ptrdiff_t lane = q % QP, first = n < QP - lane ? n : QP - lane;
    uint8_t *base = cols + (q / QP) * panel_stride + p * QP * 4;
    _mm512_mask_storeu_epi32(base + lane * 4, (__mmask16)span_mask(0, first), v);
    if (n > first) _mm512_mask_storeu_epi32(base + panel_stride - first * 4, (__mmask16)span_mask(first, n), v);
}

CK_QU8 void ck_qbytes(const int16_t *x, ptrdiff_t count, int32_t shift, uint8_t *u) {
    const __m512i add = _mm512_set1_epi16((int16_t)shift);
    ptrdiff_t i = 0;
    for (; i + 32 <= count; i += 32)
        _mm256_storeu_si256((__m256i *)(u + i), _mm512_cvtepi16_epi8(_mm512_add_epi16(_mm512_loadu_si512(x + i), add)));
    for (; i < count; ++i) u[i] = (uint8_t)(x[i] + shift);
}

CK_QU8 void ck_qunfold_u8(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zu, const uint8_t *u,
                          ptrdiff_t first_image, const ck_qtap *taps, ptrdiff_t m0, ptrdiff_t m1, uint8_t *cols) {
    const ptrdiff_t quads = ck_qquads(k), positions = s->out_h * s->out_w, per_group = s->channels / s->group;
    const ptrdiff_t plane = s->height * s->width, image_size = s->channels * plane, panel_stride = quads * QP * 4;
    const ptrdiff_t sw = s->stride_w, count = m1 - m0, panels = (count + QP - 1) / QP;
    memset(cols + (panels - 1) * panel_stride, 0, (size_t)panel_stride);  // lanes past count
    const __m128i zu_bytes = _mm_set1_epi8((char)zu);
    for (ptrdiff_t m = m0; m < m1;) {
        const ptrdiff_t image = m / positions, oy = (m % positions) / s->out_w, ox0 = m % s->out_w;
        const ptrdiff_t ox1 = (m1 - m) < (s->out_w - ox0) ? ox0 + (m1 - m) : s->out_w;
        const uint8_t *group_image = u + (image - first_image) * image_size + g * per_group * plane;
        for (ptrdiff_t p = 0; p < quads; ++p) {
            ck_qtap_run run[4];
            const uint8_t *row[4];
            for (int b = 0; b < 4; ++b) {
                run[b] = ck_qtap_in_row(s, taps, 4 * p + b, k, oy, ox0, ox1);
                row[b] = group_image + (run[b].inside ? run[b].offset : 0);
            }
            for (ptrdiff_t ox = ox0; ox < ox1; ox += QP) {
                const ptrdiff_t n = ox1 - ox < QP ? ox1 - ox : QP;
                const __m128i a = tap_bytes(run[0], row[0], ox, n, sw, zu_bytes);
                const __m128i b = tap_bytes(run[1], row[1], ox, n, sw, zu_bytes);
                const __m128i c = tap_bytes(run[2], row[2], ox, n, sw, zu_bytes);
                const __m128i d = tap_bytes(run[3], row[3], ox, n, sw, zu_bytes);
                const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
                const __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
                const __m256i low = _mm256_set_m128i(_mm_unpackhi_epi16(ab0, cd0), _mm_unpacklo_epi16(ab0, cd0));
                const __m256i high = _mm256_set_m128i(_mm_unpackhi_epi16(ab1, cd1), _mm_unpacklo_epi16(ab1, cd1));
                const __m512i quad_row = _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
                store_quads(quad_row, cols, panel_stride, p, m - m0 + (ox - ox0), n);
            }
        }
        m += ox1 - ox0;
    }
}

// Stride-1 convolutions whose output rows are as wide as the input rows: position m of an
// image reads plane[m + dy · width + dx] for a tap at (dy, dx), so 16 consecutive positions
// (across output rows) are one contiguous run of the plane, loaded with one masked load whose
// mask — the positions whose (y, x) lies inside the image — comes from `valid`, a byte per
// kernel offset and position (ck_qflat_valid).
int ck_qflat_fits(const ck_qconv_shape *s) {
    return s->stride_h == 1 && s->stride_w == 1 && s->out_w == s->width &&
           s->kernel_h * s->kernel_w * (s->out_h * s->out_w + QP) <= (1 << 20);
}

ptrdiff_t ck_qflat_valid_count(const ck_qconv_shape *s) {
    return s->kernel_h * s->kernel_w * (s->out_h * s->out_w + QP);
}

void ck_qflat_valid(const ck_qconv_shape *s, uint8_t *valid) {
    const ptrdiff_t positions = s->out_h * s->out_w, stride = positions + QP;
    for (ptrdiff_t i = 0; i < s->kernel_h; ++i) {
        for (ptrdiff_t j = 0; j < s->kernel_w; ++j) {
            const ptrdiff_t dy = i * s->dilation_h - s->pad_top, dx = j * s->dilation_w - s->pad_left;
            uint8_t *row = valid + (i * s->kernel_w + j) * stride;
            for (ptrdiff_t m = 0; m < stride; ++m) {
                const ptrdiff_t y = m / s->out_w + dy, x = m % s->out_w + dx;
                row[m] = m < positions && y >= 0 && y < s->height && x >= 0 && x < s->width;
            }
        }
    }
}

CK_QU8 void ck_qunfold_u8_flat(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zu, const uint8_t *u,
                               ptrdiff_t first_image, const uint8_t *valid, ptrdiff_t m0, ptrdiff_t m1,
                               uint8_t *cols) {
    const ptrdiff_t quads = ck_qquads(k), positions = s->out_h * s->out_w, per_group = s->channels / s->group;
    const ptrdiff_t plane = s->height * s->width, image_size = s->channels * plane, panel_stride = quads * QP * 4;
    const ptrdiff_t window = s->kernel_h * s->kernel_w, count = m1 - m0, panels = (count + QP - 1) / QP;
    const ptrdiff_t valid_stride = positions + QP;
    memset(cols + (panels - 1) * panel_stride, 0, (size_t)panel_stride);  // lanes past count
    const __m128i zu_bytes = _mm_set1_epi8((char)zu);
    // Per tap: its plane and kernel offset (the read's displacement from the position).
    ptrdiff_t stack_shift[256], stack_kernel[256];
    ptrdiff_t *shift = k <= 256 ? stack_shift : malloc((size_t)k * sizeof(ptrdiff_t));
    ptrdiff_t *kernel = k <= 256 ? stack_kernel : malloc((size_t)k * sizeof(ptrdiff_t));
    if (!shift || !kernel) return;
    for (ptrdiff_t t = 0; t < k; ++t) {
        const ptrdiff_t c = t / window, i = (t % window) / s->kernel_w, j = t % s->kernel_w;
        kernel[t] = t % window;
        shift[t] = c * plane + (i * s->dilation_h - s->pad_top) * s->width + j * s->dilation_w - s->pad_left;
    }
    for (ptrdiff_t m = m0; m < m1;) {
        const ptrdiff_t image = m / positions, position = m % positions;
        const ptrdiff_t n = positions - position < m1 - m ? (positions - position < QP ? positions - position : QP)
                                                          : (m1 - m < QP ? m1 - m : QP);
        const uint8_t *at = u + (image - first_image) * image_size + g * per_group * plane + position;
        const __mmask16 lanes = (__mmask16)span_mask(0, n);
        for (ptrdiff_t p = 0; p < quads; ++p) {
            __m128i tap[4];
            for (int b = 0; b < 4; ++b) {
                const ptrdiff_t t = 4 * p + b;
                if (t >= k) {
                    tap[b] = zu_bytes;
                    continue;
                }
                const __m128i inside = _mm_loadu_si128((const __m128i *)(valid + kernel[t] * valid_stride + position));
                const __mmask16 mask = _mm_test_epi8_mask(inside, inside) & lanes;
                tap[b] = _mm_mask_loadu_epi8(zu_bytes, mask, at + shift[t]);
            }
            const __m128i ab0 = _mm_unpacklo_epi8(tap[0], tap[1]), ab1 = _mm_unpackhi_epi8(tap[0], tap[1]);
            const __m128i cd0 = _mm_unpacklo_epi8(tap[2], tap[3]), cd1 = _mm_unpackhi_epi8(tap[2], tap[3]);
            const __m256i low = _mm256_set_m128i(_mm_unpackhi_epi16(ab0, cd0), _mm_unpacklo_epi16(ab0, cd0));
            const __m256i high = _mm256_set_m128i(_mm_unpackhi_epi16(ab1, cd1), _mm_unpacklo_epi16(ab1, cd1));
            store_quads(_mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1), cols, panel_stride, p, m - m0, n);
        }
        m += n;
    }
    if (shift != stack_shift) free(shift);
    if (kernel != stack_kernel) free(kernel);
}

// Rows m0..<m1 of a [batch, k] input: per row 64 codes at a time narrowed to bytes, their 16
// quads scattered to the quad rows of the row's lane; every code compared with lo…hi on the way.
CK_QU8 int ck_qunfold_rows_u8(const int16_t *x, ptrdiff_t k, int32_t zp, int32_t zu, int32_t lo, int32_t hi,
                              ptrdiff_t m0, ptrdiff_t m1, uint8_t *cols) {
    const ptrdiff_t quads = ck_qquads(k), count = m1 - m0, panels = (count + QP - 1) / QP;
    const ptrdiff_t panel_stride = quads * QP * 4;
    memset(cols + (panels - 1) * panel_stride, 0, (size_t)panel_stride);
    const __m512i zps = _mm512_set1_epi16((int16_t)zp), shift = _mm512_set1_epi16((int16_t)(zu - zp));
    const __m512i low = _mm512_set1_epi16((int16_t)(lo < INT16_MIN ? INT16_MIN : lo));
    const __m512i high = _mm512_set1_epi16((int16_t)(hi > INT16_MAX ? INT16_MAX : hi));
    const __m512i offsets = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(QP * 4));
    __mmask32 outside = 0;
    for (ptrdiff_t q = 0; q < count; ++q) {
        const int16_t *row = x + (m0 + q) * k;
        uint8_t *dst = cols + (q / QP) * panel_stride + (q % QP) * 4;
        for (ptrdiff_t t = 0; t < quads * 4; t += 64) {
            const ptrdiff_t left = k - t;
            const __mmask32 m_low = left >= 32 ? 0xFFFFFFFFu : (uint32_t)((1ull << left) - 1);
            const __mmask32 m_high =
                left >= 64 ? 0xFFFFFFFFu : (left <= 32 ? 0u : (uint32_t)((1ull << (left - 32)) - 1));
            const __m512i ra = _mm512_mask_loadu_epi16(zps, m_low, row + t);
            const __m512i rb = _mm512_mask_loadu_epi16(zps, m_high, row + t + 32);
            outside |= _mm512_mask_cmplt_epi16_mask(m_low, ra, low) | _mm512_mask_cmpgt_epi16_mask(m_low, ra, high) |
                       _mm512_mask_cmplt_epi16_mask(m_high, rb, low) | _mm512_mask_cmpgt_epi16_mask(m_high, rb, high);
            const __m512i a = _mm512_add_epi16(ra, shift), b = _mm512_add_epi16(rb, shift);
            const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi16_epi8(a)),
                                                 _mm512_cvtepi16_epi8(b), 1);
            const ptrdiff_t n = quads - t / 4 < QP ? quads - t / 4 : QP;
            _mm512_mask_i32scatter_epi32(dst + (t / 4) * QP * 4, (__mmask16)span_mask(0, n), offsets, v, 1);
        }
    }
    return outside == 0;
}
#endif
