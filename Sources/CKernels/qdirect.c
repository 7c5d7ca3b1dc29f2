// The integer model's direct convolution (AVX-512 VNNI u8 path, group 1, no dilation; see
// qconv.h): no im2col. The input's bytes u (ck_qbytes) are laid out once per call as planes of
// four channels interleaved ("NCHW4c"), images stacked, padding shared between neighbouring
// rows and images (a row's right padding is the next row's left padding), and split into
// stride_h × stride_w phases, so a tap of 16 consecutive output positions is 64 consecutive
// bytes: one load, the u8 columns of vpdpbusd. Output positions count in that padded, phased
// grid ("slots"); slots that are padding are computed and not stored — or, where they would be a
// fifth or more of the slots (small planes), not computed either: the call's positions are
// gathered into compact rows first (multiply_compact). Weights are packed for
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

// This thread's planes (`which` 0) and compacted rows (1), kept between calls (a batch's planes
// are megabytes: no fresh pages, no zeroing by the kernel per layer); grown as needed, NULL when
// memory runs out.
static void *scratch(int which, size_t bytes) {
    static _Thread_local void *buffer[2] = {NULL, NULL};
    static _Thread_local size_t capacity[2] = {0, 0};
    if (bytes > capacity[which]) {
        free(buffer[which]);
        capacity[which] = bytes + bytes / 4;
        buffer[which] = malloc(capacity[which]);
        if (!buffer[which]) capacity[which] = 0;
    }
    return buffer[which];
}

// A row of 4 channels' codes (channel b at c[b] + offset, NULL past the depth: zu) as 32-bit
// pixels of bytes u = code + shift; 0 when a code lies outside [lo, hi] (then u would wrap).
CK_QD static int interleave_row(const int16_t *const c[4], ptrdiff_t offset, ptrdiff_t width, int32_t shift,
                                int32_t zu, int16_t lo, int16_t hi, uint32_t *pixels) {
    const __m256i add = _mm256_set1_epi16((int16_t)shift);
    const __m128i zu_bytes = _mm_set1_epi8((char)zu);
    __m256i low = _mm256_set1_epi16(INT16_MAX), high = _mm256_set1_epi16(INT16_MIN);
    for (ptrdiff_t x = 0; x < width; x += 16) {
        const ptrdiff_t n = width - x < 16 ? width - x : 16;
        const __mmask16 mask = (__mmask16)((1u << n) - 1);
        __m128i v[4];
        for (int b = 0; b < 4; ++b) {
            if (!c[b]) {
                v[b] = zu_bytes;
                continue;
            }
            const __m256i codes = _mm256_maskz_loadu_epi16(mask, c[b] + offset + x);
            low = _mm256_mask_min_epi16(low, mask, low, codes), high = _mm256_mask_max_epi16(high, mask, high, codes);
            v[b] = _mm256_cvtepi16_epi8(_mm256_add_epi16(codes, add));
        }
        const __m128i ab0 = _mm_unpacklo_epi8(v[0], v[1]), ab1 = _mm_unpackhi_epi8(v[0], v[1]);
        const __m128i cd0 = _mm_unpacklo_epi8(v[2], v[3]), cd1 = _mm_unpackhi_epi8(v[2], v[3]);
        const __m128i quarters[4] = {_mm_unpacklo_epi16(ab0, cd0), _mm_unpackhi_epi16(ab0, cd0),
                                     _mm_unpacklo_epi16(ab1, cd1), _mm_unpackhi_epi16(ab1, cd1)};
        for (int q = 0; q < 4; ++q) {  // pixels x + 4q … x + 4q + 3, those below width
            const ptrdiff_t left = n - 4 * q;
            if (left <= 0) break;
            _mm_mask_storeu_epi32(pixels + x + 4 * q, (__mmask8)(left >= 4 ? 0xF : (1u << left) - 1), quarters[q]);
        }
    }
    if (_mm256_cmpgt_epi16_mask(_mm256_set1_epi16(lo), low) || _mm256_cmpgt_epi16_mask(high, _mm256_set1_epi16(hi)))
        return 0;
    return 1;
}

// Stride 2's two phases of a row of pixels: the even ones to `even`, the odd ones to `odd`.
CK_QD static void split_pairs(const uint32_t *pixels, ptrdiff_t width, uint32_t *even, uint32_t *odd) {
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_add_epi32(evens, _mm512_set1_epi32(1));
    ptrdiff_t j = 0;
    for (; 2 * j + 32 <= width; j += 16) {
        const __m512i a = _mm512_loadu_si512(pixels + 2 * j), b = _mm512_loadu_si512(pixels + 2 * j + 16);
        _mm512_storeu_si512(even + j, _mm512_permutex2var_epi32(a, evens, b));
        _mm512_storeu_si512(odd + j, _mm512_permutex2var_epi32(a, odds, b));
    }
    for (ptrdiff_t x = 2 * j; x < width; ++x) (x % 2 ? odd : even)[x / 2] = pixels[x];
}

// The images' codes x (NCHW, from image 0 of `x`) as bytes u = x − zp + zu into the phased
// planes of `l` (zu elsewhere); 0 when a code lies outside [lo, hi].
CK_QD static int lay_out(const ck_qconv_shape *s, const layout *l, ptrdiff_t images, int32_t zu, int32_t zp,
                         int16_t lo, int16_t hi, const int16_t *x, uint32_t *planes) {
    const ptrdiff_t sh = s->stride_h, sw = s->stride_w, plane = s->height * s->width;
    const ptrdiff_t phase_size = l->quads * l->slots;
    const uint32_t fill = 0x01010101u * (uint8_t)zu;
    for (ptrdiff_t i = 0; i < sh * sw * phase_size; ++i) planes[i] = fill;
    uint32_t *pixels = sw == 1 ? NULL : malloc((size_t)s->width * sizeof(uint32_t));
    if (sw != 1 && !pixels) return 0;
    int fits = 1;
    for (ptrdiff_t image = 0; image < images && fits; ++image) {
        const int16_t *in = x + image * s->channels * plane;
        for (ptrdiff_t cq = 0; cq < l->quads && fits; ++cq) {
            const int16_t *c[4];
            for (int b = 0; b < 4; ++b) c[b] = 4 * cq + b < s->channels ? in + (4 * cq + b) * plane : NULL;
            for (ptrdiff_t y = 0; y < s->height && fits; ++y) {
                const ptrdiff_t py = s->pad_top + image * l->image_rows + y;
                uint32_t *row = planes + (py % sh) * sw * phase_size + cq * l->slots + l->margin + (py / sh) * l->width;
                fits = interleave_row(c, y * s->width, s->width, zu - zp, zu, lo, hi, sw == 1 ? row : pixels);
                if (sw == 2) {
                    split_pairs(pixels, s->width, row, row + phase_size);
                    continue;
                }
                for (ptrdiff_t rx = 0; sw > 1 && rx < sw && rx < s->width; ++rx) {
                    uint32_t *dst = row + rx * phase_size;
                    for (ptrdiff_t xx = rx, j = 0; xx < s->width; xx += sw, ++j) dst[j] = pixels[xx];
                }
            }
        }
    }
    free(pixels);
    return fits;
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

// One panel pair (8 channels, or the last 4) over the slots block ..< block_end (the block's
// first slot at `planes`): tiles of 8 × 48, requantized and stored where `where` says.
CK_QD static void multiply_block(const ck_qlinear_params *w, int32_t zu, const int32_t *sums, ptrdiff_t panel,
                                 ptrdiff_t kq, const uint8_t *planes, const ptrdiff_t *offsets, ptrdiff_t block,
                                 ptrdiff_t block_end, const runs *where, ck_qdestination d) {
    const ptrdiff_t n = w->n, panels_n = (n + QC - 1) / QC;
    const __m512 lowest = _mm512_set1_ps((float)(w->low - w->output_zero_point));
    const __m512 highest = _mm512_set1_ps((float)(w->high - w->output_zero_point));
    const __m512i zp = _mm512_set1_epi32(w->output_zero_point);
    const int both = panel + 1 < panels_n;
    const int32_t *w0 = w->direct + panel * kq * QC, *w1 = both ? w0 + kq * QC : w0;
    const ptrdiff_t rows = n - panel * QC < (both ? 8 : 4) ? n - panel * QC : (both ? 8 : 4);
    const ptrdiff_t first_channel = panel * QC;
    int32_t bias[8];
    for (ptrdiff_t r = 0; r < rows; ++r)  // less zu · Σ w, wrapping as the sums do
        bias[r] = (int32_t)((uint32_t)w->bias[first_channel + r] - (uint32_t)zu * (uint32_t)sums[panel * QC + r]);
    for (ptrdiff_t slot = block; slot < block_end; slot += TILE * QP) {
        __m512i acc[8 * TILE];
        const uint8_t *at = planes + 4 * (slot - block);
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
                const __m256i v = ck_qrequantize16(acc[TILE * r + part], bias[r], w, channel, zp, lowest, highest);
                int16_t *out = d.out + channel * d.channel_stride;
                for (int j = 0; j < at_part->count; ++j)
                    _mm256_mask_storeu_epi16(out + at_part->offset[j], at_part->mask[j], v);
            }
        }
    }
}

// Panels per group of output channels whose weights (kq quads per channel) stay in L2: a deep
// layer's megabytes of weights are read once per call (or chunk), not once per block of slots.
static ptrdiff_t panels_per_group(ptrdiff_t kq) {
    enum { GROUP_BYTES = 192 * 1024 };
    const ptrdiff_t pair_bytes = 2 * kq * QC * 4;
    return 2 * (GROUP_BYTES / pair_bytes > 1 ? GROUP_BYTES / pair_bytes : 1);
}

// Where the 16 positions from m on (m < m1, counted over the batch) are stored: one run per
// image they fall in.
static runs runs_compact(ptrdiff_t positions, ptrdiff_t m, ptrdiff_t m1, ptrdiff_t image_stride) {
    runs r;
    r.count = 0;
    for (ptrdiff_t lane = 0; lane < QP && m + lane < m1;) {
        const ptrdiff_t at = m + lane, image = at / positions, p = at % positions;
        ptrdiff_t n = positions - p;
        if (n > QP - lane) n = QP - lane;
        if (at + n > m1) n = m1 - at;
        r.mask[r.count] = (__mmask16)((((1u << n) - 1) << lane) & 0xFFFF);
        r.offset[r.count] = image * image_stride + p - lane;
        ++r.count;
        lane += n;
    }
    return r;
}

// The compacted form of a call: for each block of BLOCK output positions of m0..<m1, each tap
// quad's bytes of those positions gathered from the phased planes into a row of their own (the
// block's rows one after another, so a block is one contiguous stretch), and the tiles run over
// the positions themselves: no padding slot is multiplied. The same products of the same bytes
// as the slots of the planes, so the same sums. Gathered a chunk of blocks (about 4 MiB of rows)
// at a time, so the rows do not grow with the batch.
CK_QD static int multiply_compact(const ck_qconv_shape *s, const ck_qlinear_params *w, int32_t zu, const layout *l,
                                  const uint32_t *planes, const ptrdiff_t *offsets, ptrdiff_t kq, const int32_t *sums,
                                  ptrdiff_t first_image, ptrdiff_t m0, ptrdiff_t m1, ck_qdestination d) {
    const ptrdiff_t positions = s->out_h * s->out_w, per_image = l->image_rows / s->stride_h;
    enum { BLOCK = 2 * TILE * QP, CHUNK_BYTES = 4 << 20 };
    const ptrdiff_t count = m1 - m0, fitting = CHUNK_BYTES / (4 * kq * BLOCK) * BLOCK;
    ptrdiff_t chunk = round_up(count, BLOCK) < fitting ? round_up(count, BLOCK) : (fitting > 0 ? fitting : BLOCK);
    if (w->compaction > 1) chunk = (ptrdiff_t)(w->compaction - 1) * BLOCK;  // tests: chunks of that many blocks
    uint32_t *rows = scratch(1, (size_t)((kq + 1) * chunk) * sizeof(uint32_t));
    ptrdiff_t *row_offsets = malloc((size_t)kq * sizeof(ptrdiff_t));
    if (!rows || !row_offsets) {
        free(row_offsets);
        return 0;
    }
    int32_t *slot = (int32_t *)(rows + kq * chunk);  // each position's slot (the last one's past the end)
    for (ptrdiff_t q = 0; q < kq; ++q) row_offsets[q] = 4 * q * BLOCK;
    const ptrdiff_t panels_n = (w->n + QC - 1) / QC, group = panels_per_group(kq);
    for (ptrdiff_t start = 0; start < count; start += chunk) {  // positions start ..< end of the call
        const ptrdiff_t end = count - start < chunk ? count : start + chunk;
        for (ptrdiff_t i = 0; i < chunk; ++i) {
            const ptrdiff_t m = (start + i < end ? m0 + start + i : m0 + end - 1) - first_image * positions;
            const ptrdiff_t image = m / positions, p = m % positions;
            slot[i] = (int32_t)((image * per_image + p / s->out_w) * l->width + p % s->out_w);
        }
        for (ptrdiff_t i = 0; i < round_up(end - start, BLOCK); i += QP) {  // block b's row q: (b · kq + q) · BLOCK
            const __m512i index = _mm512_loadu_si512(slot + i);
            uint32_t *to = rows + (i / BLOCK) * kq * BLOCK + i % BLOCK;
            for (ptrdiff_t q = 0; q < kq; ++q)
                _mm512_storeu_si512(to + q * BLOCK, _mm512_i32gather_epi32(index, planes + offsets[q] / 4, 4));
        }
        for (ptrdiff_t first_panel = 0; first_panel < panels_n; first_panel += group) {
            const ptrdiff_t end_panel = panels_n - first_panel < group ? panels_n : first_panel + group;
            for (ptrdiff_t block = start; block < end; block += BLOCK) {
                const ptrdiff_t block_end = end - block < BLOCK ? end : block + BLOCK;
                runs where[BLOCK / QP];
                for (ptrdiff_t part = 0; part * QP < block_end - block; ++part)
                    where[part] = runs_compact(positions, m0 + block + part * QP, m1, d.image_stride);
                for (ptrdiff_t panel = first_panel; panel < end_panel; panel += 2)
                    multiply_block(w, zu, sums, panel, kq, (const uint8_t *)(rows + (block - start) * kq), row_offsets,
                                   block, block_end, where, d);
            }
        }
    }
    free(row_offsets);
    return 1;
}

CK_QD int ck_qconv_direct(const ck_qconv_shape *s, const ck_qlinear_params *w, int32_t zu, int16_t lo, int16_t hi,
                          const int16_t *x, ptrdiff_t first_image, ptrdiff_t m0, ptrdiff_t m1, ck_qdestination d) {
    const ptrdiff_t positions = s->out_h * s->out_w, last_image = (m1 - 1) / positions;
    const ptrdiff_t images = last_image - first_image + 1;
    const layout l = layout_of(s, images);
    const ptrdiff_t sh = s->stride_h, sw = s->stride_w, taps = s->kernel_h * s->kernel_w, kq = l.quads * taps;
    const ptrdiff_t phase_size = l.quads * l.slots, per_image = l.image_rows / sh;
    uint32_t *planes = scratch(0, (size_t)(sh * sw * phase_size) * sizeof(uint32_t));
    ptrdiff_t *offsets = malloc((size_t)kq * sizeof(ptrdiff_t));
    if (!planes || !offsets || !lay_out(s, &l, images, zu, w->input_zero_point, lo, hi, x, planes)) {
        free(offsets);
        return 0;
    }
    for (ptrdiff_t q = 0; q < kq; ++q) {  // byte offsets of each tap from a slot's first plane
        const ptrdiff_t cq = q / taps, ky = (q % taps) / s->kernel_w, kx = q % s->kernel_w;
        const ptrdiff_t ry = ky % sh, rx = ((kx - s->pad_left) % sw + sw) % sw;
        const ptrdiff_t slot = (ky / sh) * l.width + floor_div(kx - s->pad_left, sw);
        offsets[q] = 4 * ((ry * sw + rx) * phase_size + cq * l.slots + l.margin + slot);
    }
    const ptrdiff_t panels_n = (w->n + QC - 1) / QC;
    const int32_t *sums = w->packed + panels_n * (ck_qpairs(w->k) + ck_qquads(w->k)) * QC;
    // Compacted when the padding slots would be a fifth or more of an image's slots: ResNet-18's
    // 7×7 layers (64 slots for 49 positions) went from 0.67 to 0.55 ms per image on one thread;
    // its 14×14 ones (225 for 196) took the same time either way (the gathers cost what the
    // padding did), so they stay on the planes.
    const ptrdiff_t image_slots = per_image * l.width;
    if (w->compaction > 0 || (w->compaction == 0 && 5 * (image_slots - positions) >= image_slots)) {
        const int done = multiply_compact(s, w, zu, &l, planes, offsets, kq, sums, first_image, m0, m1, d);
        free(offsets);
        return done;
    }
    const ptrdiff_t local0 = m0 - first_image * positions, local1 = m1 - first_image * positions;
    const ptrdiff_t slot0 = ((local0 / positions) * per_image + (local0 % positions) / s->out_w) * l.width;
    const ptrdiff_t slot1 = (((local1 - 1) / positions) * per_image + ((local1 - 1) % positions) / s->out_w + 1) * l.width;
    // Panel pairs in groups whose weights stay in L2, then blocks of slots whose columns stay in
    // L1/L2 across the group's channels.
    enum { BLOCK = 6 * TILE * QP };
    const ptrdiff_t group = panels_per_group(kq);
    for (ptrdiff_t first_panel = 0; first_panel < panels_n; first_panel += group) {
        const ptrdiff_t end_panel = panels_n - first_panel < group ? panels_n : first_panel + group;
        for (ptrdiff_t block = slot0; block < slot1; block += BLOCK) {
            const ptrdiff_t block_end = slot1 - block < BLOCK ? slot1 : block + BLOCK;
            runs where[BLOCK / QP];  // each 16 slots' stores, the same for every channel
            for (ptrdiff_t part = 0; part * QP < block_end - block; ++part)
                where[part] = runs_of(s, &l, first_image, block + part * QP, m0, m1, d.image_stride);
            for (ptrdiff_t panel = first_panel; panel < end_panel; panel += 2)
                multiply_block(w, zu, sums, panel, kq, (const uint8_t *)planes + 4 * block, offsets, block, block_end,
                               where, d);
        }
    }
    free(offsets);
    return 1;
}
#endif
