// The integer model's fast Conv / Gemm / MatMul (see ckernels.h, ck_qconv): int8 weights packed
// once as int16 pairs, activation codes minus their zero point unfolded straight into panels of
// 16 positions × pairs of taps (int16), an int32 GEMM of 4 channels × 16 positions per tile
// (vpmaddwd: int16 × int16 → int32 pair sums, so nothing saturates), and MLAS's float
// requantization of each finished tile, written to the NCHW (or [batch, features]) output. With
// AVX-512 VNNI the tiles are 4 channels × 32 positions of 512-bit vpdpwssd, or, when the codes fit
// in a byte, of vpdpbusd on bytes (the u8 path, below).
// Integer sums do not depend on their order and the requantization is the same float operations
// in the same order, so every variant gives the scalar variant's bits.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_QCONV_X86 1
#endif

enum { QP = 16, QC = 4 };  // positions per column panel, channels per weight panel

static ptrdiff_t pairs_of(ptrdiff_t k) { return (k + 1) / 2; }

static ptrdiff_t quads_of(ptrdiff_t k) { return (k + 3) / 4; }

// The packed words: int16 pairs (panels × pairs × 4), then int8 quads for the u8 VNNI path
// (panels × quads × 4), then each channel's weight sum (panels × 4).
ptrdiff_t ck_qpack_weights_count(ptrdiff_t n, ptrdiff_t k) {
    return (n + QC - 1) / QC * (pairs_of(k) + quads_of(k) + 1) * QC;
}

void ck_qpack_weights(ptrdiff_t n, ptrdiff_t k, const int8_t *w, int32_t *packed) {
    const ptrdiff_t pairs = pairs_of(k), quads = quads_of(k), panels = (n + QC - 1) / QC;
    int32_t *quad_words = packed + panels * pairs * QC, *sums = quad_words + panels * quads * QC;
    for (ptrdiff_t panel = 0; panel < panels; ++panel) {
        for (ptrdiff_t p = 0; p < pairs; ++p) {
            for (ptrdiff_t r = 0; r < QC; ++r) {
                const ptrdiff_t row = panel * QC + r;
                int16_t low = 0, high = 0;
                if (row < n) {
                    low = w[row * k + 2 * p];
                    if (2 * p + 1 < k) high = w[row * k + 2 * p + 1];
                }
                packed[(panel * pairs + p) * QC + r] = (int32_t)(((uint32_t)(uint16_t)high << 16) | (uint16_t)low);
            }
        }
        for (ptrdiff_t q = 0; q < quads; ++q) {
            for (ptrdiff_t r = 0; r < QC; ++r) {
                const ptrdiff_t row = panel * QC + r;
                uint32_t word = 0;
                for (ptrdiff_t b = 0; b < 4; ++b) {
                    const ptrdiff_t t = 4 * q + b;
                    if (row < n && t < k) word |= (uint32_t)(uint8_t)w[row * k + t] << (8 * b);
                }
                quad_words[(panel * quads + q) * QC + r] = (int32_t)word;
            }
        }
        for (ptrdiff_t r = 0; r < QC; ++r) {
            const ptrdiff_t row = panel * QC + r;
            int32_t sum = 0;
            for (ptrdiff_t t = 0; row < n && t < k; ++t) sum += w[row * k + t];
            sums[panel * QC + r] = sum;
        }
    }
}

// Column panels per chunk: about 96 KiB of columns, so a chunk stays in L2 while every weight
// panel passes over it.
static ptrdiff_t chunk_panels(ptrdiff_t k) {
    const ptrdiff_t panel_bytes = pairs_of(k) * QP * 4, panels = (96 * 1024) / (panel_bytes > 0 ? panel_bytes : 1);
    return panels < 1 ? 1 : (panels > 64 ? 64 : panels);
}

ptrdiff_t ck_qbuffer_count(ptrdiff_t k) { return chunk_panels(k) * pairs_of(k) * QP; }

// Zeroes what no tap writes: the high half of the last pair when k is odd, the lanes past `count`.
static void zero_padding(int16_t *cols, ptrdiff_t k, ptrdiff_t count) {
    const ptrdiff_t pairs = pairs_of(k), panels = (count + QP - 1) / QP;
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

// Where a tap reads, independent of the output position: its offset in the group's channels
// (channel plane + dilated kernel row · width + shift), its row offset dy (y = oy · stride_h + dy)
// and the output columns [first, end) whose x lies inside the row.
typedef struct {
    ptrdiff_t offset, dy, first, end;
} tap_geometry;

static void tap_geometries(const ck_qconv_shape *s, ptrdiff_t k, tap_geometry *taps) {
    const ptrdiff_t window = s->kernel_h * s->kernel_w;
    for (ptrdiff_t t = 0; t < k; ++t) {
        const ptrdiff_t c = t / window, i = (t % window) / s->kernel_w, j = t % s->kernel_w;
        const ptrdiff_t shift = j * s->dilation_w - s->pad_left, dy = i * s->dilation_h - s->pad_top;
        taps[t].dy = dy;
        taps[t].offset = c * s->height * s->width + shift;
        inside_columns(shift, s->stride_w, s->width, s->out_w, &taps[t].first, &taps[t].end);
    }
}

// A tap over one output row piece ox0..<ox1: its input row (NULL in the padding) and the columns
// first ≤ ox < end that read inside it.
typedef struct {
    const int16_t *row;
    ptrdiff_t first, end;
} tap_run;

static inline tap_run tap_in_row(const ck_qconv_shape *s, const int16_t *group_image, const tap_geometry *taps,
                                 ptrdiff_t t, ptrdiff_t k, ptrdiff_t oy, ptrdiff_t ox0, ptrdiff_t ox1) {
    tap_run run = {NULL, ox0, ox0};
    if (t >= k) return run;
    const ptrdiff_t y = oy * s->stride_h + taps[t].dy;
    if (y < 0 || y >= s->height) return run;
    const ptrdiff_t first = taps[t].first < ox0 ? ox0 : taps[t].first, end = taps[t].end > ox1 ? ox1 : taps[t].end;
    if (first >= end) return run;
    run.row = group_image + taps[t].offset + y * s->width;
    run.first = first;
    run.end = end;
    return run;
}

// im2col of group g for output positions m0..<m1 (over the whole batch) into column panels: one
// output row piece (image, oy, ox0..<ox1) at a time, a pair of taps per 32-bit store, the columns
// where both taps read inside the image without a test per element.
static void unfold(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zp, const int16_t *x,
                   const tap_geometry *taps, ptrdiff_t m0, ptrdiff_t m1, int16_t *cols) {
    const ptrdiff_t pairs = pairs_of(k), positions = s->out_h * s->out_w, per_group = s->channels / s->group;
    const ptrdiff_t plane = s->height * s->width, image_size = s->channels * plane, panel_stride = pairs * QP * 2;
    const ptrdiff_t sw = s->stride_w;
    zero_padding(cols, k, m1 - m0);
    for (ptrdiff_t m = m0; m < m1;) {
        const ptrdiff_t image = m / positions, oy = (m % positions) / s->out_w, ox0 = m % s->out_w;
        const ptrdiff_t ox1 = (m1 - m) < (s->out_w - ox0) ? ox0 + (m1 - m) : s->out_w;
        const size_t q = (size_t)(m - m0);
        const int16_t *group_image = x + image * image_size + g * per_group * plane;
        for (ptrdiff_t p = 0; p < pairs; ++p) {
            const tap_run a = tap_in_row(s, group_image, taps, 2 * p, k, oy, ox0, ox1);
            const tap_run b = tap_in_row(s, group_image, taps, 2 * p + 1, k, oy, ox0, ox1);
            const ptrdiff_t both_first = a.first > b.first ? a.first : b.first;
            const ptrdiff_t both_end = a.end < b.end ? a.end : b.end;
            size_t lane = q % QP;
            int16_t *d = cols + (q / QP) * panel_stride + p * QP * 2 + lane * 2;
            for (ptrdiff_t ox = ox0; ox < ox1; ++ox) {
                if (ox >= both_first && ox < both_end) {  // both inside: the run without tests
                    const int16_t *ra = a.row, *rb = b.row;
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
                const int16_t va = ox >= a.first && ox < a.end ? (int16_t)(a.row[ox * sw] - zp) : 0;
                const int16_t vb = ox >= b.first && ox < b.end ? (int16_t)(b.row[ox * sw] - zp) : 0;
                *(ck_pair32 *)d = (uint32_t)(uint16_t)va | (uint32_t)(uint16_t)vb << 16;
                d += 2;
                if (++lane == QP) lane = 0, d += panel_stride - QP * 2;
            }
        }
        m += ox1 - ox0;
    }
}

// Rows m0..<m1 of a [batch, k] input (minus the zero point) into column panels.
static void unfold_rows(const int16_t *x, ptrdiff_t k, int32_t zp, ptrdiff_t m0, ptrdiff_t m1, int16_t *cols) {
    const ptrdiff_t pairs = pairs_of(k), count = m1 - m0;
    zero_padding(cols, k, count);
    for (ptrdiff_t q = 0; q < count; ++q) {
        const int16_t *row = x + (m0 + q) * k;
        int16_t *dst = cols + (q / QP) * pairs * QP * 2 + (q % QP) * 2;
        for (ptrdiff_t t = 0; t < k; ++t) dst[(t >> 1) * QP * 2 + (t & 1)] = (int16_t)(row[t] - zp);
    }
}

typedef uint8_t __attribute__((may_alias)) ck_byte;

// The u8 VNNI path: codes as u = x − zero_point + zu (zu: the u of 0.0, so every code of the
// input and the padding lies in 0…255), 4 taps per 32-bit lane, panels of 16 positions × quads.
// Σ (x − zp) · w = Σ u · w − zu · Σ w, exact in int32 (vpdpbusd sums without saturation); the
// correction goes into the bias, which wraps as the sums do.
static void unfold_u8(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zp, int32_t zu, const int16_t *x,
                      const tap_geometry *taps, ptrdiff_t m0, ptrdiff_t m1, uint8_t *cols) {
    const ptrdiff_t quads = quads_of(k), positions = s->out_h * s->out_w, per_group = s->channels / s->group;
    const ptrdiff_t plane = s->height * s->width, image_size = s->channels * plane, panel_stride = quads * QP * 4;
    const ptrdiff_t sw = s->stride_w, shift = zu - zp, count = m1 - m0, panels = (count + QP - 1) / QP;
    memset(cols + (panels - 1) * panel_stride, 0, (size_t)panel_stride);  // lanes past count
    for (ptrdiff_t m = m0; m < m1;) {
        const ptrdiff_t image = m / positions, oy = (m % positions) / s->out_w, ox0 = m % s->out_w;
        const ptrdiff_t ox1 = (m1 - m) < (s->out_w - ox0) ? ox0 + (m1 - m) : s->out_w;
        const size_t q = (size_t)(m - m0);
        const int16_t *group_image = x + image * image_size + g * per_group * plane;
        for (ptrdiff_t p = 0; p < quads; ++p) {
            tap_run run[4];
            ptrdiff_t all_first = ox0, all_end = ox1;
            for (int b = 0; b < 4; ++b) {
                run[b] = tap_in_row(s, group_image, taps, 4 * p + b, k, oy, ox0, ox1);
                if (run[b].first > all_first) all_first = run[b].first;
                if (run[b].end < all_end) all_end = run[b].end;
            }
            size_t lane = q % QP;
            ck_byte *d = cols + (q / QP) * panel_stride + p * QP * 4 + lane * 4;
            for (ptrdiff_t ox = ox0; ox < ox1; ++ox) {
                if (ox >= all_first && ox < all_end) {
#ifdef __SSE2__
                    if (sw == 1) {  // 8 columns × 4 taps per step while they fit in the panel
                        const __m128i add = _mm_set1_epi16((int16_t)shift);
#define CK_QBYTES(r) \
    _mm_packus_epi16(_mm_add_epi16(_mm_loadu_si128((const __m128i *)(run[r].row + ox)), add), _mm_setzero_si128())
                        for (; ox + 8 <= all_end && lane <= QP - 8; ox += 8) {
                            const __m128i ab = _mm_unpacklo_epi8(CK_QBYTES(0), CK_QBYTES(1));
                            const __m128i cd = _mm_unpacklo_epi8(CK_QBYTES(2), CK_QBYTES(3));
                            _mm_storeu_si128((__m128i *)d, _mm_unpacklo_epi16(ab, cd));
                            _mm_storeu_si128((__m128i *)(d + 16), _mm_unpackhi_epi16(ab, cd));
                            d += 32;
                            lane += 8;
                            if (lane == QP) lane = 0, d += panel_stride - QP * 4;
                        }
#undef CK_QBYTES
                    }
#endif
                    for (; ox < all_end; ++ox) {
                        const ptrdiff_t at = ox * sw;
                        d[0] = (uint8_t)(run[0].row[at] + shift), d[1] = (uint8_t)(run[1].row[at] + shift);
                        d[2] = (uint8_t)(run[2].row[at] + shift), d[3] = (uint8_t)(run[3].row[at] + shift);
                        d += 4;
                        if (++lane == QP) lane = 0, d += panel_stride - QP * 4;
                    }
                    if (ox == ox1) break;
                }
                for (int b = 0; b < 4; ++b) {
                    const int inside = ox >= run[b].first && ox < run[b].end;
                    d[b] = (uint8_t)(inside ? run[b].row[ox * sw] + shift : zu);
                }
                d += 4;
                if (++lane == QP) lane = 0, d += panel_stride - QP * 4;
            }
        }
        m += ox1 - ox0;
    }
}

static void unfold_rows_u8(const int16_t *x, ptrdiff_t k, int32_t zp, int32_t zu, ptrdiff_t m0, ptrdiff_t m1,
                           uint8_t *cols) {
    const ptrdiff_t quads = quads_of(k), count = m1 - m0, panels = (count + QP - 1) / QP;
    memset(cols + (panels - 1) * quads * QP * 4, 0, (size_t)(quads * QP * 4));
    for (ptrdiff_t q = 0; q < count; ++q) {
        const int16_t *row = x + (m0 + q) * k;
        ck_byte *dst = cols + (q / QP) * quads * QP * 4 + (q % QP) * 4;
        for (ptrdiff_t t = 0; t < quads * 4; ++t)
            dst[(t >> 2) * QP * 4 + (t & 3)] = (uint8_t)(t < k ? row[t] - zp + zu : zu);
    }
}

// The u of 0.0 for codes lo…hi with zero point zp (u = x − lo, the zero point included in the
// range), or −1 when they do not fit in a byte.
static int32_t byte_zero(int32_t lo, int32_t hi, int32_t zp) {
    lo = zp < lo ? zp : lo;
    hi = zp > hi ? zp : hi;
    return hi - lo > 255 ? -1 : zp - lo;
}

// The smallest and largest of `count` codes.
static void code_range(const int16_t *x, ptrdiff_t count, int32_t *lo, int32_t *hi) {
    int16_t a = INT16_MAX, b = INT16_MIN;
    for (ptrdiff_t i = 0; i < count; ++i) {
        a = x[i] < a ? x[i] : a;
        b = x[i] > b ? x[i] : b;
    }
    *lo = a, *hi = b;
}

// A tile: tile[r·16 + lane] = Σ_p madd(weights pair p of channel r, columns pair p of lane).
typedef void (*tile_kernel)(ptrdiff_t pairs, const int32_t *w, const int32_t *cols, int32_t *tile);
// Requantizes 16 sums of one channel to codes.
typedef void (*requantize_kernel)(const int32_t *acc, int32_t bias, float multiplier, int32_t zp, float lowest,
                                  float highest, int16_t *codes);

static void tile_scalar(ptrdiff_t pairs, const int32_t *w, const int32_t *cols, int32_t *tile) {
    const int16_t *c16 = (const int16_t *)cols;  // written as int16 pairs by unfold
    for (ptrdiff_t r = 0; r < QC; ++r) {
        for (ptrdiff_t lane = 0; lane < QP; ++lane) {
            uint32_t sum = 0;  // wraps as vpaddd does
            for (ptrdiff_t p = 0; p < pairs; ++p) {
                const uint32_t a = (uint32_t)w[p * QC + r];
                const int16_t *b = c16 + (p * QP + lane) * 2;
                sum += (uint32_t)((int32_t)(int16_t)(a & 0xFFFF) * b[0]) + (uint32_t)((int32_t)(int16_t)(a >> 16) * b[1]);
            }
            tile[r * QP + lane] = (int32_t)sum;
        }
    }
}

static void requantize_scalar(const int32_t *acc, int32_t bias, float multiplier, int32_t zp, float lowest,
                              float highest, int16_t *codes) {
    for (ptrdiff_t lane = 0; lane < QP; ++lane) {
        const int32_t sum = (int32_t)((uint32_t)acc[lane] + (uint32_t)bias);
        float scaled = nearbyintf((float)sum * multiplier);
        scaled = scaled < lowest ? lowest : (scaled > highest ? highest : scaled);
        codes[lane] = (int16_t)((int32_t)scaled + zp);
    }
}

#ifdef CK_QCONV_X86
#define CK_QTILE_BODY(MADD_ADD)                                                   \
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, \
            c21 = c00, c30 = c00, c31 = c00;                                      \
    for (ptrdiff_t p = 0; p < pairs; ++p) {                                       \
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)(cols + p * QP));  \
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(cols + p * QP + 8)); \
        const int32_t *wp = w + p * QC;                                           \
        __m256i a = _mm256_set1_epi32(wp[0]);                                     \
        c00 = MADD_ADD(c00, a, b0), c01 = MADD_ADD(c01, a, b1);                   \
        a = _mm256_set1_epi32(wp[1]);                                             \
        c10 = MADD_ADD(c10, a, b0), c11 = MADD_ADD(c11, a, b1);                   \
        a = _mm256_set1_epi32(wp[2]);                                             \
        c20 = MADD_ADD(c20, a, b0), c21 = MADD_ADD(c21, a, b1);                   \
        a = _mm256_set1_epi32(wp[3]);                                             \
        c30 = MADD_ADD(c30, a, b0), c31 = MADD_ADD(c31, a, b1);                   \
    }                                                                             \
    __m256i *out = (__m256i *)tile;                                               \
    _mm256_storeu_si256(out + 0, c00), _mm256_storeu_si256(out + 1, c01);         \
    _mm256_storeu_si256(out + 2, c10), _mm256_storeu_si256(out + 3, c11);         \
    _mm256_storeu_si256(out + 4, c20), _mm256_storeu_si256(out + 5, c21);         \
    _mm256_storeu_si256(out + 6, c30), _mm256_storeu_si256(out + 7, c31);

#define CK_MADD_AVX2(c, a, b) _mm256_add_epi32(c, _mm256_madd_epi16(a, b))
__attribute__((target("avx2"))) static void tile_avx2(ptrdiff_t pairs, const int32_t *w, const int32_t *cols,
                                                      int32_t *tile) {
    CK_QTILE_BODY(CK_MADD_AVX2)
}

// AVX-512 VNNI: vpdpwssd on 512-bit registers (the same int16 pair sums as vpmaddwd, added to
// int32 without saturation in one instruction), one register per 16-position pair row, two
// column panels (32 positions) × 4 channels per tile.
__attribute__((target("avx512vnni,avx512bw,avx512f"))) static void tile2_vnni(ptrdiff_t pairs, const int32_t *w,
                                                                              const int32_t *c0, const int32_t *c1,
                                                                              int32_t *tile) {
    __m512i a00 = _mm512_setzero_si512(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
            a31 = a00;
    for (ptrdiff_t p = 0; p < pairs; ++p) {
        const __m512i b0 = _mm512_loadu_si512(c0 + p * QP), b1 = _mm512_loadu_si512(c1 + p * QP);
        const int32_t *wp = w + p * QC;
        __m512i a = _mm512_set1_epi32(wp[0]);
        a00 = _mm512_dpwssd_epi32(a00, a, b0), a01 = _mm512_dpwssd_epi32(a01, a, b1);
        a = _mm512_set1_epi32(wp[1]);
        a10 = _mm512_dpwssd_epi32(a10, a, b0), a11 = _mm512_dpwssd_epi32(a11, a, b1);
        a = _mm512_set1_epi32(wp[2]);
        a20 = _mm512_dpwssd_epi32(a20, a, b0), a21 = _mm512_dpwssd_epi32(a21, a, b1);
        a = _mm512_set1_epi32(wp[3]);
        a30 = _mm512_dpwssd_epi32(a30, a, b0), a31 = _mm512_dpwssd_epi32(a31, a, b1);
    }
    _mm512_storeu_si512(tile + 0 * QP, a00), _mm512_storeu_si512(tile + 1 * QP, a10);
    _mm512_storeu_si512(tile + 2 * QP, a20), _mm512_storeu_si512(tile + 3 * QP, a30);
    _mm512_storeu_si512(tile + 4 * QP, a01), _mm512_storeu_si512(tile + 5 * QP, a11);
    _mm512_storeu_si512(tile + 6 * QP, a21), _mm512_storeu_si512(tile + 7 * QP, a31);
}

__attribute__((target("avx2"))) static void requantize_avx2(const int32_t *acc, int32_t bias, float multiplier,
                                                            int32_t zp, float lowest, float highest,
                                                            int16_t *codes) {
    const __m256i b = _mm256_set1_epi32(bias), z = _mm256_set1_epi32(zp);
    const __m256 m = _mm256_set1_ps(multiplier), low = _mm256_set1_ps(lowest), high = _mm256_set1_ps(highest);
    __m256i half[2];
    for (int h = 0; h < 2; ++h) {
        const __m256i sum = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + 8 * h)), b);
        __m256 scaled = _mm256_mul_ps(_mm256_cvtepi32_ps(sum), m);
        scaled = _mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        scaled = _mm256_min_ps(_mm256_max_ps(scaled, low), high);
        half[h] = _mm256_add_epi32(_mm256_cvtps_epi32(scaled), z);
    }
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(half[0], half[1]), 0xD8);
    _mm256_storeu_si256((__m256i *)codes, packed);
}

// The u8 path's tile: 512-bit vpdpbusd (u8 columns × s8 weights, 4 products per int32 lane).
__attribute__((target("avx512vnni,avx512bw,avx512f"))) static void tile2_vnni_u8(ptrdiff_t quads, const int32_t *w,
                                                                                 const int32_t *c0,
                                                                                 const int32_t *c1, int32_t *tile) {
    __m512i a00 = _mm512_setzero_si512(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
            a31 = a00;
    for (ptrdiff_t p = 0; p < quads; ++p) {
        const __m512i b0 = _mm512_loadu_si512(c0 + p * QP), b1 = _mm512_loadu_si512(c1 + p * QP);
        const int32_t *wp = w + p * QC;
        __m512i a = _mm512_set1_epi32(wp[0]);
        a00 = _mm512_dpbusd_epi32(a00, b0, a), a01 = _mm512_dpbusd_epi32(a01, b1, a);
        a = _mm512_set1_epi32(wp[1]);
        a10 = _mm512_dpbusd_epi32(a10, b0, a), a11 = _mm512_dpbusd_epi32(a11, b1, a);
        a = _mm512_set1_epi32(wp[2]);
        a20 = _mm512_dpbusd_epi32(a20, b0, a), a21 = _mm512_dpbusd_epi32(a21, b1, a);
        a = _mm512_set1_epi32(wp[3]);
        a30 = _mm512_dpbusd_epi32(a30, b0, a), a31 = _mm512_dpbusd_epi32(a31, b1, a);
    }
    _mm512_storeu_si512(tile + 0 * QP, a00), _mm512_storeu_si512(tile + 1 * QP, a10);
    _mm512_storeu_si512(tile + 2 * QP, a20), _mm512_storeu_si512(tile + 3 * QP, a30);
    _mm512_storeu_si512(tile + 4 * QP, a01), _mm512_storeu_si512(tile + 5 * QP, a11);
    _mm512_storeu_si512(tile + 6 * QP, a21), _mm512_storeu_si512(tile + 7 * QP, a31);
}

static void store(const int16_t *codes, ptrdiff_t count, ptrdiff_t m, int16_t *channel, ptrdiff_t positions,
                  ptrdiff_t image_stride);

// multiply_chunk for the u8 path (VNNI only): quads instead of pairs, the bias less zu · Σ w.
__attribute__((target("avx512vnni,avx512bw,avx512f"))) static void multiply_chunk_u8(
    const ck_qlinear_params *w, ptrdiff_t g, int32_t zu, const uint8_t *cols, ptrdiff_t m0, ptrdiff_t m1,
    int16_t *out, ptrdiff_t positions, ptrdiff_t channel_stride, ptrdiff_t image_stride) {
    const ptrdiff_t n = w->n, pairs = pairs_of(w->k), quads = quads_of(w->k), count = m1 - m0;
    const ptrdiff_t panels_n = (n + QC - 1) / QC;
    const int32_t *packed = w->packed + g * ck_qpack_weights_count(n, w->k);
    const int32_t *quad_words = packed + panels_n * pairs * QC, *sums = quad_words + panels_n * quads * QC;
    const float lowest = (float)(w->low - w->output_zero_point), highest = (float)(w->high - w->output_zero_point);
    int32_t tile[2 * QC * QP] __attribute__((aligned(64)));
    int16_t codes[QP] __attribute__((aligned(32)));
    for (ptrdiff_t panel = 0; panel < panels_n; ++panel) {
        const int32_t *weights = quad_words + panel * quads * QC;
        for (ptrdiff_t q = 0; q < count; q += 2 * QP) {
            const int32_t *c0 = (const int32_t *)cols + (q / QP) * quads * QP;
            tile2_vnni_u8(quads, weights, c0, q + QP < count ? c0 + quads * QP : c0, tile);
            for (ptrdiff_t part = 0; part < 2 && q + part * QP < count; ++part) {
                const ptrdiff_t start = q + part * QP, lanes = count - start < QP ? count - start : QP;
                for (ptrdiff_t r = 0; r < QC && panel * QC + r < n; ++r) {
                    const ptrdiff_t channel = g * n + panel * QC + r;
                    const int32_t bias =
                        (int32_t)((uint32_t)w->bias[channel] - (uint32_t)zu * (uint32_t)sums[panel * QC + r]);
                    requantize_avx2(tile + (part * QC + r) * QP, bias, w->multipliers[channel], w->output_zero_point,
                                    lowest, highest, codes);
                    store(codes, lanes, m0 + start, out + channel * channel_stride, positions, image_stride);
                }
            }
        }
    }
}

#endif

int ck_qvariant(int variant) {
#ifdef CK_QCONV_X86
    const int avx2 = __builtin_cpu_supports("avx2");
    const int vnni = avx2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512f");
    if (variant == 1) return 1;
    if (variant == 3) return vnni ? 3 : (avx2 ? 2 : 1);
    if (variant == 2) return avx2 ? 2 : 1;
    return vnni ? 3 : (avx2 ? 2 : 1);
#else
    (void)variant;
    return 1;
#endif
}

const char *ck_qvariant_name(int variant) {
    switch (ck_qvariant(variant)) {
    case 3: return "avx512-vnni";
    case 2: return "avx2";
    default: return "scalar";
    }
}

// Writes `count` codes of output channel `channel` for positions m, m+1, … (across images).
static void store(const int16_t *codes, ptrdiff_t count, ptrdiff_t m, int16_t *channel, ptrdiff_t positions,
                  ptrdiff_t image_stride) {
    ptrdiff_t image = m / positions, p = m % positions;
    if (p + count <= positions) {
        memcpy(channel + image * image_stride + p, codes, (size_t)count * sizeof(int16_t));
        return;
    }
    for (ptrdiff_t i = 0; i < count; ++i) {
        channel[image * image_stride + p] = codes[i];
        if (++p == positions) p = 0, ++image;
    }
}

// Every weight panel over every column panel of one chunk (positions m0..<m1), requantized.
static void multiply_chunk(int variant, const ck_qlinear_params *w, ptrdiff_t g, const int16_t *cols, ptrdiff_t m0,
                           ptrdiff_t m1, int16_t *out, ptrdiff_t positions, ptrdiff_t channel_stride,
                           ptrdiff_t image_stride) {
    tile_kernel tile_fn = tile_scalar;
    requantize_kernel requantize_fn = requantize_scalar;
#ifdef CK_QCONV_X86
    if (variant >= 2) tile_fn = tile_avx2, requantize_fn = requantize_avx2;
#else
    (void)variant;
#endif
    const ptrdiff_t n = w->n, pairs = pairs_of(w->k), count = m1 - m0;
    const ptrdiff_t span = variant == 3 ? 2 : 1;  // column panels per tile
    const int32_t *packed = w->packed + g * ck_qpack_weights_count(n, w->k);
    const float lowest = (float)(w->low - w->output_zero_point), highest = (float)(w->high - w->output_zero_point);
    int32_t tile[2 * QC * QP] __attribute__((aligned(64)));
    int16_t codes[QP] __attribute__((aligned(32)));
    for (ptrdiff_t panel = 0; panel * QC < n; ++panel) {
        const int32_t *weights = packed + panel * pairs * QC;
        for (ptrdiff_t q = 0; q < count; q += span * QP) {
            const int32_t *c0 = (const int32_t *)cols + (q / QP) * pairs * QP;
#ifdef CK_QCONV_X86
            if (span == 2) {
                // A lone last panel is multiplied twice (the second copy is not stored).
                tile2_vnni(pairs, weights, c0, q + QP < count ? c0 + pairs * QP : c0, tile);
            } else {
                tile_fn(pairs, weights, c0, tile);
            }
#else
            tile_fn(pairs, weights, c0, tile);
#endif
            for (ptrdiff_t part = 0; part < span && q + part * QP < count; ++part) {
                const ptrdiff_t start = q + part * QP, lanes = count - start < QP ? count - start : QP;
                for (ptrdiff_t r = 0; r < QC && panel * QC + r < n; ++r) {
                    const ptrdiff_t channel = g * n + panel * QC + r;
                    requantize_fn(tile + (part * QC + r) * QP, w->bias[channel], w->multipliers[channel],
                                  w->output_zero_point, lowest, highest, codes);
                    store(codes, lanes, m0 + start, out + channel * channel_stride, positions, image_stride);
                }
            }
        }
    }
}

void ck_qconv(int variant, const ck_qconv_shape *shape, const ck_qlinear_params *params, const int16_t *x,
              ptrdiff_t m0, ptrdiff_t m1, int32_t *buffer, int16_t *out) {
    variant = ck_qvariant(variant);
    const ptrdiff_t positions = shape->out_h * shape->out_w, step = chunk_panels(params->k) * QP;
    tap_geometry stack_taps[256];
    tap_geometry *taps = params->k <= 256 ? stack_taps : malloc((size_t)params->k * sizeof(tap_geometry));
    if (!taps) return;
    tap_geometries(shape, params->k, taps);
    int32_t zu = -1;
#ifdef CK_QCONV_X86
    if (variant == 3 && m0 < m1) {  // the u8 path when this range's images' codes fit in a byte
        const ptrdiff_t image_size = shape->channels * shape->height * shape->width;
        const ptrdiff_t first = m0 / positions, last = (m1 - 1) / positions;
        int32_t lo, hi;
        code_range(x + first * image_size, (last - first + 1) * image_size, &lo, &hi);
        zu = byte_zero(lo, hi, params->input_zero_point);
    }
#endif
    for (ptrdiff_t start = m0; start < m1; start += step) {
        const ptrdiff_t end = m1 - start < step ? m1 : start + step;
        for (ptrdiff_t g = 0; g < shape->group; ++g) {
#ifdef CK_QCONV_X86
            if (zu >= 0) {
                unfold_u8(shape, g, params->k, params->input_zero_point, zu, x, taps, start, end, (uint8_t *)buffer);
                multiply_chunk_u8(params, g, zu, (const uint8_t *)buffer, start, end, out, positions, positions,
                                  shape->group * params->n * positions);
                continue;
            }
#endif
            unfold(shape, g, params->k, params->input_zero_point, x, taps, start, end, (int16_t *)buffer);
            multiply_chunk(variant, params, g, (const int16_t *)buffer, start, end, out, positions, positions,
                           shape->group * params->n * positions);
        }
    }
    if (taps != stack_taps) free(taps);
}

void ck_qdense(int variant, const ck_qlinear_params *params, const int16_t *x, ptrdiff_t m0, ptrdiff_t m1,
               int32_t *buffer, int16_t *out) {
    variant = ck_qvariant(variant);
    const ptrdiff_t step = chunk_panels(params->k) * QP;
    int32_t zu = -1;
#ifdef CK_QCONV_X86
    if (variant == 3 && m0 < m1) {
        int32_t lo, hi;
        code_range(x + m0 * params->k, (m1 - m0) * params->k, &lo, &hi);
        zu = byte_zero(lo, hi, params->input_zero_point);
    }
#endif
    for (ptrdiff_t start = m0; start < m1; start += step) {
        const ptrdiff_t end = m1 - start < step ? m1 : start + step;
#ifdef CK_QCONV_X86
        if (zu >= 0) {
            unfold_rows_u8(x, params->k, params->input_zero_point, zu, start, end, (uint8_t *)buffer);
            multiply_chunk_u8(params, 0, zu, (const uint8_t *)buffer, start, end, out, 1, 1, params->n);
            continue;
        }
#endif
        unfold_rows(x, params->k, params->input_zero_point, start, end, (int16_t *)buffer);
        multiply_chunk(variant, params, 0, (const int16_t *)buffer, start, end, out, 1, 1, params->n);
    }
}
