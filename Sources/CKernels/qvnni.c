// The integer model's AVX-512 VNNI tiles (see qconv.h): 512-bit vpdpwssd on int16 pairs, and
// the u8 path: vpdpbusd on byte quads (u8 columns × s8 weights, 4 products per int32 lane,
// no saturation) over tiles of 8 channels × 32 positions, requantized in registers (MLAS's
// float operations or TFLite's fixed point, 16 lanes at once) and stored with masks.
#include "qconv.h"

#ifdef CK_QCONV_X86

// AVX-512 VNNI: vpdpwssd on 512-bit registers (the same int16 pair sums as vpmaddwd, added to
// int32 without saturation in one instruction), one register per 16-position pair row, two
// column panels (32 positions) × 4 channels per tile.
CK_VNNI void ck_qtile2_vnni(ptrdiff_t pairs, const int32_t *w,
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

// Sums of `rows` (4 or 8) channels × 32 positions: acc[2·r + part], channels 0–3 from the weight
// panel w0, 4–7 from w1.
CK_VNNI __attribute__((always_inline)) static inline void dot_u8(const int rows, ptrdiff_t quads,
                                                                  const int32_t *w0, const int32_t *w1,
                                                                  const int32_t *c0, const int32_t *c1,
                                                                  __m512i *acc) {
    for (int i = 0; i < 2 * rows; ++i) acc[i] = _mm512_setzero_si512();
    for (ptrdiff_t p = 0; p < quads; ++p) {
        const __m512i b0 = _mm512_loadu_si512(c0 + p * QP), b1 = _mm512_loadu_si512(c1 + p * QP);
        for (int r = 0; r < rows; ++r) {
            const __m512i a = _mm512_set1_epi32(r < 4 ? w0[p * QC + r] : w1[p * QC + r - 4]);
            acc[2 * r] = _mm512_dpbusd_epi32(acc[2 * r], b0, a);
            acc[2 * r + 1] = _mm512_dpbusd_epi32(acc[2 * r + 1], b1, a);
        }
    }
}

CK_VNNI void ck_qmultiply_chunk_u8(const ck_qlinear_params *w, ptrdiff_t g, int32_t zu, const uint8_t *cols,
                                   ptrdiff_t m0, ptrdiff_t m1, ck_qdestination d) {
    const ptrdiff_t n = w->n, pairs = ck_qpairs(w->k), quads = ck_qquads(w->k), count = m1 - m0;
    const ptrdiff_t panels_n = (n + QC - 1) / QC;
    const int32_t *packed = w->packed + g * ck_qpack_weights_count(n, w->k);
    const int32_t *quad_words = packed + panels_n * pairs * QC, *sums = quad_words + panels_n * quads * QC;
    const __m512 lowest = _mm512_set1_ps((float)(w->low - w->output_zero_point));
    const __m512 highest = _mm512_set1_ps((float)(w->high - w->output_zero_point));
    const __m512i zp = _mm512_set1_epi32(w->output_zero_point);
    for (ptrdiff_t panel = 0; panel < panels_n; panel += 2) {
        const int both = panel + 1 < panels_n;
        const int32_t *w0 = quad_words + panel * quads * QC, *w1 = both ? w0 + quads * QC : w0;
        const ptrdiff_t rows = n - panel * QC < (both ? 8 : 4) ? n - panel * QC : (both ? 8 : 4);
        const ptrdiff_t first_channel = g * n + panel * QC;
        int32_t bias[8];
        for (ptrdiff_t r = 0; r < rows; ++r)  // less zu · Σ w, wrapping as the sums do
            bias[r] = (int32_t)((uint32_t)w->bias[first_channel + r] - (uint32_t)zu * (uint32_t)sums[panel * QC + r]);
        for (ptrdiff_t q = 0; q < count; q += 2 * QP) {
            const int32_t *c0 = (const int32_t *)cols + (q / QP) * quads * QP;
            const int32_t *c1 = q + QP < count ? c0 + quads * QP : c0;  // a lone last panel twice
            __m512i acc[16];
            if (both) {
                dot_u8(8, quads, w0, w1, c0, c1, acc);
            } else {
                dot_u8(4, quads, w0, w1, c0, c1, acc);
            }
            for (ptrdiff_t part = 0; part < 2 && q + part * QP < count; ++part) {
                const ptrdiff_t start = m0 + q + part * QP, lanes = m1 - start < QP ? m1 - start : QP;
                const ptrdiff_t image = start / d.positions, position = start % d.positions;
                int16_t codes[8][QP] __attribute__((aligned(32)));
                for (ptrdiff_t r = 0; r < rows; ++r) {
                    const ptrdiff_t channel = first_channel + r;
                    const __m256i v = ck_qrequantize16(acc[2 * r + part], bias[r], w, channel, zp, lowest, highest);
                    int16_t *out = d.out + channel * d.channel_stride;
                    if (d.positions > 1 && position + lanes <= d.positions) {
                        _mm256_mask_storeu_epi16(out + image * d.image_stride + position,
                                                 (__mmask16)((1u << lanes) - 1), v);
                    } else {
                        _mm256_store_si256((__m256i *)codes[r], v);
                        if (d.positions > 1) ck_qstore(codes[r], lanes, start, out, d.positions, d.image_stride);
                    }
                }
                if (d.positions == 1) {  // [batch, n]: each row's `rows` channels side by side
                    int16_t *out = d.out + first_channel + start * d.image_stride;
                    for (ptrdiff_t lane = 0; lane < lanes; ++lane, out += d.image_stride)
                        for (ptrdiff_t r = 0; r < rows; ++r) out[r] = codes[r][lane];
                }
            }
        }
    }
}
#endif
