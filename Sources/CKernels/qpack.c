// The integer model's weight packing and scratch sizes (see qconv.h): int8 weight rows packed
// once at lowering, for every variant's tiles.
#include "qconv.h"

// The packed words: int16 pairs (panels × pairs × 4), then int8 quads for the u8 VNNI path
// (panels × quads × 4), then each channel's weight sum (panels × 4).
ptrdiff_t ck_qpack_weights_count(ptrdiff_t n, ptrdiff_t k) {
    return (n + QC - 1) / QC * (ck_qpairs(k) + ck_qquads(k) + 1) * QC;
}

void ck_qpack_weights(ptrdiff_t n, ptrdiff_t k, const int8_t *w, int32_t *packed) {
    const ptrdiff_t pairs = ck_qpairs(k), quads = ck_qquads(k), panels = (n + QC - 1) / QC;
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

ptrdiff_t ck_qchunk_panels(ptrdiff_t k) {
    const ptrdiff_t panel_bytes = ck_qpairs(k) * QP * 4, panels = (96 * 1024) / (panel_bytes > 0 ? panel_bytes : 1);
    return panels < 1 ? 1 : (panels > 64 ? 64 : panels);
}

// A u8 panel is quads × QP words against pairs × QP for the int16 pairs'. With the int16 count
// (3 panels for a 784-deep Gemm), 48 positions made a 32-position tile and a 16-position one
// that multiplied its lone panel twice: a quarter of the products thrown away.
ptrdiff_t ck_qchunk_panels_u8(ptrdiff_t k) {
    const ptrdiff_t fit = ck_qchunk_panels(k) * ck_qpairs(k) / (ck_qquads(k) > 0 ? ck_qquads(k) : 1);
    return fit >= 2 ? fit & ~(ptrdiff_t)1 : 1;
}

ptrdiff_t ck_qbuffer_count(ptrdiff_t k) { return ck_qchunk_panels(k) * ck_qpairs(k) * QP; }
