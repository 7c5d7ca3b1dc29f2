// The integer model's direct convolution (AVX-512 VNNI u8 path, group 1, no dilation; see
// qconv.h): no im2col. The input's bytes u (ck_qbytes) are laid out once per call as planes of
// four channels interleaved ("NCHW4c"), images stacked, padding shared between neighbouring
// rows and images (a row's right padding is the next row's left padding), and split into
// stride_h × stride_w phases, so a tap of 16 consecutive output positions is 64 consecutive
// bytes: one load, the u8 columns of vpdpbusd. Output positions count in that padded, phased
// grid ("slots"); slots that are padding are computed and not stored. Weights are packed for
// this order of the depth (ck_qpack_direct): channel quad, kernel row, kernel column.
// The sums are the im2col path's sums (same products, integer addition), so the codes are its
// codes bit for bit.
#include <stdlib.h>
#include <string.h>

#include "qconv.h"

ptrdiff_t ck_qpack_direct_count(ptrdiff_t n, ptrdiff_t channels, ptrdiff_t kernel_h, ptrdiff_t kernel_w) {
    return (n + QC - 1) / QC * QC * ((channels + 3) / 4) * kernel_h * kernel_w;
}

void ck_qpack_direct(ptrdiff_t n, ptrdiff_t channels, ptrdiff_t kernel_h, ptrdiff_t kernel_w, const int8_t *w,
                     int32_t *packed) {
    const ptrdiff_t taps = kernel_h * kernel_w, k = channels * taps, kq = (channels + 3) / 4 * taps;
    for (ptrdiff_t panel = 0; panel * QC < n; ++panel) {
        for (ptrdiff_t q = 0; q < kq; ++q) {
            const ptrdiff_t cq = q / taps, tap = q % taps;
            for (ptrdiff_t r = 0; r < QC; ++r) {
                const ptrdiff_t row = panel * QC + r;
                uint32_t word = 0;
                for (ptrdiff_t b = 0; b < 4; ++b) {
                    const ptrdiff_t c = 4 * cq + b;
                    if (row < n && c < channels) word |= (uint32_t)(uint8_t)w[row * k + c * taps + tap] << (8 * b);
                }
                packed[(panel * kq + q) * QC + r] = (int32_t)word;
            }
        }
    }
}

int ck_qdirect_fits(const ck_qconv_shape *s) {
    return s->group == 1 && s->dilation_h == 1 && s->dilation_w == 1 && s->stride_h >= 1 && s->stride_w >= 1 &&
           s->stride_h <= 4 && s->stride_w <= 4 && s->pad_top >= 0 && s->pad_left >= 0;
}

#ifdef CK_QCONV_X86
#define CK_QD __attribute__((target("avx512vnni,avx512bw,avx512vl,avx512f")))
enum { TILE = 3 };  // 16-slot parts per tile: 8 channels × 48 slots, 24 accumulators

static ptrdiff_t round_up(ptrdiff_t x, ptrdiff_t m) { return (x + m - 1) / m * m; }
static ptrdiff_t floor_div(ptrdiff_t a, ptrdiff_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// The padded, phased layout of `images` images: a padded row is `row` pixels (the image's
// width, then zu up to the next row), an image `image_rows` rows (its height, then zu rows),
// image rows starting at padded row pad_top; phase (ry, rx) holds padded pixel (y, x) with
// y ≡ ry, x ≡ rx at slot (y / stride_h) · width + x / stride_w, after `margin` slots of zu.
typedef struct {
    ptrdiff_t row, image_rows, width, margin, slots, quads;
} layout;

static layout layout_of(const ck_qconv_shape *s, ptrdiff_t images) {
    const ptrdiff_t pad_right = (s->out_w - 1) * s->stride_w + s->kernel_w - s->pad_left - s->width;
    const ptrdiff_t pad_bottom = (s->out_h - 1) * s->stride_h + s->kernel_h - s->pad_top - s->height;
    const ptrdiff_t gap_w = s->pad_left > pad_right ? s->pad_left : pad_right;
    const ptrdiff_t gap_h = s->pad_top > pad_bottom ? s->pad_top : pad_bottom;
    layout l;
    l.row = round_up(s->width + (gap_w > 0 ? gap_w : 0), s->stride_w);
    l.image_rows = round_up(s->height + (gap_h > 0 ? gap_h : 0), s->stride_h);
    l.width = l.row / s->stride_w;
    l.margin = round_up(s->pad_left / s->stride_w + 2, 16);
    const ptrdiff_t rows = round_up(s->pad_top + images * l.image_rows, s->stride_h) / s->stride_h + 2;
    l.slots = l.margin + rows * l.width + 4 * QP + l.width;
    l.quads = (s->channels + 3) / 4;
    return l;
}

// This thread's planes, kept between calls (a batch's planes are megabytes: no fresh pages, no
// zeroing by the kernel per layer); grown as needed, NULL when memory runs out.
static void *scratch(size_t bytes) {
    static _Thread_local void *buffer = NULL;
    static _Thread_local size_t capacity = 0;
    if (bytes > capacity) {
        free(buffer);
        capacity = bytes + bytes / 4;
        buffer = malloc(capacity);
        if (!buffer) capacity = 0;
    }
    return buffer;
}

// Padded rows of 4 channels' bytes as 32-bit pixels (channels past the depth read as zu).
CK_QD static void interleave_row(const uint8_t *c0, const uint8_t *c1, const uint8_t *c2, const uint8_t *c3,
                                 ptrdiff_t width, uint32_t *pixels) {
    ptrdiff_t x = 0;
    for (; x + 16 <= width; x += 16) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(c0 + x)), b = _mm_loadu_si128((const __m128i *)(c1 + x));
        const __m128i c = _mm_loadu_si128((const __m128i *)(c2 + x)), d = _mm_loadu_si128((const __m128i *)(c3 + x));
        const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
        const __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
        _mm_storeu_si128((__m128i *)(pixels + x), _mm_unpacklo_epi16(ab0, cd0));
        _mm_storeu_si128((__m128i *)(pixels + x + 4), _mm_unpackhi_epi16(ab0, cd0));
        _mm_storeu_si128((__m128i *)(pixels + x + 8), _mm_unpacklo_epi16(ab1, cd1));
        _mm_storeu_si128((__m128i *)(pixels + x + 12), _mm_unpackhi_epi16(ab1, cd1));
    }
    for (; x < width; ++x)
        pixels[x] = (uint32_t)c0[x] | (uint32_t)c1[x] << 8 | (uint32_t)c2[x] << 16 | (uint32_t)c3[x] << 24;
}

// The images' bytes u (NCHW, from image 0 of `u`) into the phased planes of `l` (zu elsewhere).
CK_QD static int lay_out(const ck_qconv_shape *s, const layout *l, ptrdiff_t images, int32_t zu, const uint8_t *u,
                          uint32_t *planes) {
    const ptrdiff_t sh = s->stride_h, sw = s->stride_w, plane = s->height * s->width;
    const ptrdiff_t phase_size = l->quads * l->slots;
    const uint32_t fill = 0x01010101u * (uint8_t)zu;
    for (ptrdiff_t i = 0; i < sh * sw * phase_size; ++i) planes[i] = fill;
    uint8_t *zero_row = malloc((size_t)s->width);
    uint32_t *pixels = malloc((size_t)s->width * sizeof(uint32_t));
    if (!zero_row || !pixels) {
        free(zero_row);
        free(pixels);
        return 0;
    }
    memset(zero_row, zu, (size_t)s->width);
    for (ptrdiff_t image = 0; image < images; ++image) {
        const uint8_t *in = u + image * s->channels * plane;
        for (ptrdiff_t cq = 0; cq < l->quads; ++cq) {
            const uint8_t *c[4];
            for (int b = 0; b < 4; ++b) c[b] = 4 * cq + b < s->channels ? in + (4 * cq + b) * plane : NULL;
            for (ptrdiff_t y = 0; y < s->height; ++y) {
                const ptrdiff_t offset = y * s->width;
                interleave_row(c[0] + offset, c[1] ? c[1] + offset : zero_row, c[2] ? c[2] + offset : zero_row,
                               c[3] ? c[3] + offset : zero_row, s->width, pixels);
                const ptrdiff_t py = s->pad_top + image * l->image_rows + y;
                for (ptrdiff_t rx = 0; rx < sw && rx < s->width; ++rx) {
                    uint32_t *dst = planes + ((py % sh) * sw + rx) * phase_size + cq * l->slots + l->margin +
                                    (py / sh) * l->width;
                    if (sw == 1) {
                        memcpy(dst, pixels, (size_t)s->width * sizeof(uint32_t));
                    } else {
                        for (ptrdiff_t x = rx, j = 0; x < s->width; x += sw, ++j) dst[j] = pixels[x];
                    }
                }
            }
        }
    }
    free(zero_row);
    free(pixels);
    return 1;
}

// Sums of `rows` (4 or 8) channels × 16·`parts` slots: acc[parts·r + part]; tap q reads at
// byte offset offsets[q] from `at` (this tile's first slot in the first plane).
CK_QD __attribute__((always_inline)) static inline void dot_direct(const int rows, const int parts, ptrdiff_t quads,
                                                                   const int32_t *w0, const int32_t *w1,
                                                                   const uint8_t *at, const ptrdiff_t *offsets,
                                                                   __m512i *acc) {
    for (int i = 0; i < parts * rows; ++i) acc[i] = _mm512_setzero_si512();
    for (ptrdiff_t p = 0; p < quads; ++p) {
        const uint8_t *c = at + offsets[p];
        __m512i b[3];
        for (int part = 0; part < parts; ++part) b[part] = _mm512_loadu_si512(c + 4 * QP * part);
        for (int r = 0; r < rows; ++r) {
            const __m512i a = _mm512_set1_epi32(r < 4 ? w0[p * QC + r] : w1[p * QC + r - 4]);
            for (int part = 0; part < parts; ++part)
                acc[parts * r + part] = _mm512_dpbusd_epi32(acc[parts * r + part], b[part], a);
        }
    }
}

// Where the 16 slots from `slot` on are stored: runs of lanes, each within one output row
// (positions m0 ≤ m < m1 only; up to 16 when the slot rows are narrow), as a mask and an offset
// from the output's start such that lane j goes to offset + j.
typedef struct {
    int count;
    __mmask16 mask[QP];
    ptrdiff_t offset[QP];
} runs;

static runs runs_of(const ck_qconv_shape *s, const layout *l, ptrdiff_t first_image, ptrdiff_t slot,
                    ptrdiff_t m0, ptrdiff_t m1, ptrdiff_t image_stride) {
    runs r;
    r.count = 0;
    const ptrdiff_t per_image = l->image_rows / s->stride_h, positions = s->out_h * s->out_w;
    for (ptrdiff_t lane = 0; lane < QP;) {
        const ptrdiff_t at = slot + lane, qrow = at / l->width, x = at % l->width;
        const ptrdiff_t n = l->width - x < QP - lane ? l->width - x : QP - lane;  // lanes left in this slot row
        const ptrdiff_t image = qrow / per_image, oy = qrow % per_image;
        if (oy < s->out_h && x < s->out_w) {
            const ptrdiff_t base = (first_image + image) * positions + oy * s->out_w;  // m of (oy, 0)
            ptrdiff_t lo = x, hi = x + n < s->out_w ? x + n : s->out_w;              // ox range
            if (base + lo < m0) lo = m0 - base;
            if (base + hi > m1) hi = m1 - base;
            if (lo < hi) {
                const uint32_t bits = (uint32_t)(((1ull << (hi - x)) - 1) & ~((1ull << (lo - x)) - 1));
                r.mask[r.count] = (__mmask16)(bits << lane);
                r.offset[r.count] = (first_image + image) * image_stride + oy * s->out_w + x - lane;
                ++r.count;
            }
        }
        lane += n;
    }
    return r;
}

CK_QD int ck_qconv_direct(const ck_qconv_shape *s, const ck_qlinear_params *w, int32_t zu, const uint8_t *u,
                           ptrdiff_t first_image, ptrdiff_t m0, ptrdiff_t m1, ck_qdestination d) {
    const ptrdiff_t positions = s->out_h * s->out_w, last_image = (m1 - 1) / positions;
    const ptrdiff_t images = last_image - first_image + 1;
    const layout l = layout_of(s, images);
    const ptrdiff_t sh = s->stride_h, sw = s->stride_w, taps = s->kernel_h * s->kernel_w, kq = l.quads * taps;
    const ptrdiff_t phase_size = l.quads * l.slots, per_image = l.image_rows / sh;
    uint32_t *planes = scratch((size_t)(sh * sw * phase_size) * sizeof(uint32_t));
    ptrdiff_t *offsets = malloc((size_t)kq * sizeof(ptrdiff_t));
    if (!planes || !offsets || !lay_out(s, &l, images, zu, u, planes)) {
        free(offsets);
        return 0;
    }
    for (ptrdiff_t q = 0; q < kq; ++q) {  // byte offsets of each tap from a slot's first plane
        const ptrdiff_t cq = q / taps, ky = (q % taps) / s->kernel_w, kx = q % s->kernel_w;
        const ptrdiff_t ry = ky % sh, rx = ((kx - s->pad_left) % sw + sw) % sw;
        const ptrdiff_t slot = (ky / sh) * l.width + floor_div(kx - s->pad_left, sw);
        offsets[q] = 4 * ((ry * sw + rx) * phase_size + cq * l.slots + l.margin + slot);
    }
    const ptrdiff_t n = w->n, panels_n = (n + QC - 1) / QC;
    const int32_t *sums = w->packed + panels_n * (ck_qpairs(w->k) + ck_qquads(w->k)) * QC;
    const __m512 lowest = _mm512_set1_ps((float)(w->low - w->output_zero_point));
    const __m512 highest = _mm512_set1_ps((float)(w->high - w->output_zero_point));
    const __m512i zp = _mm512_set1_epi32(w->output_zero_point);
    const ptrdiff_t local0 = m0 - first_image * positions, local1 = m1 - first_image * positions;
    const ptrdiff_t slot0 = ((local0 / positions) * per_image + (local0 % positions) / s->out_w) * l.width;
    const ptrdiff_t slot1 = (((local1 - 1) / positions) * per_image + ((local1 - 1) % positions) / s->out_w + 1) * l.width;
    enum { BLOCK = 6 * TILE * QP };  // slots per block: its columns stay in L1/L2 across the channels
    for (ptrdiff_t block = slot0; block < slot1; block += BLOCK) {
        const ptrdiff_t block_end = slot1 - block < BLOCK ? slot1 : block + BLOCK;
        runs where[BLOCK / QP];  // each 16 slots' stores, the same for every channel
        for (ptrdiff_t part = 0; part * QP < block_end - block; ++part)
            where[part] = runs_of(s, &l, first_image, block + part * QP, m0, m1, d.image_stride);
        for (ptrdiff_t panel = 0; panel < panels_n; panel += 2) {
            const int both = panel + 1 < panels_n;
            const int32_t *w0 = w->direct + panel * kq * QC, *w1 = both ? w0 + kq * QC : w0;
            const ptrdiff_t rows = n - panel * QC < (both ? 8 : 4) ? n - panel * QC : (both ? 8 : 4);
            const ptrdiff_t first_channel = panel * QC;
            int32_t bias[8];
            for (ptrdiff_t r = 0; r < rows; ++r)  // less zu · Σ w, wrapping as the sums do
                bias[r] = (int32_t)((uint32_t)w->bias[first_channel + r] -
                                    (uint32_t)zu * (uint32_t)sums[panel * QC + r]);
            for (ptrdiff_t slot = block; slot < block_end; slot += TILE * QP) {
                __m512i acc[8 * TILE];
                const uint8_t *at = (const uint8_t *)planes + 4 * slot;
                if (both) {
                    dot_direct(8, TILE, kq, w0, w1, at, offsets, acc);
                } else {
                    dot_direct(4, TILE, kq, w0, w1, at, offsets, acc);
                }
                for (ptrdiff_t part = 0; part < TILE && slot + part * QP < block_end; ++part) {
                    const runs *at_part = &where[(slot - block) / QP + part];
                    if (at_part->count == 0) continue;
                    for (ptrdiff_t r = 0; r < rows; ++r) {
                        const ptrdiff_t channel = first_channel + r;
                        const __m256i v =
                            ck_qrequantize16(acc[TILE * r + part], bias[r], w, channel, zp, lowest, highest);
                        int16_t *out = d.out + channel * d.channel_stride;
                        for (int j = 0; j < at_part->count; ++j)
                            _mm256_mask_storeu_epi16(out + at_part->offset[j], at_part->mask[j], v);
                    }
                }
            }
        }
    }
    free(offsets);
    return 1;
}
#endif
