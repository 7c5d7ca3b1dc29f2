// The integer model's fast Conv / Gemm / MatMul (see ckernels.h, ck_qconv; the parts in
// qconv.h): the variant asked for, chunks of output positions unfolded into one reused buffer
// and multiplied by every weight panel, group by group. int16 pair paths (scalar, AVX2, AVX-512
// VNNI vpdpwssd) for any codes; with VNNI, when the codes a call reads span at most 256 values,
// the u8 path (vpdpbusd on bytes).
#include <stdlib.h>

#include "qconv.h"

int ck_qvariant(int variant) {
#ifdef CK_QCONV_X86
    const int avx2 = __builtin_cpu_supports("avx2");
    const int vnni = avx2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                     __builtin_cpu_supports("bmi2");
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

// Every weight panel over every column panel of one chunk (positions m0..<m1) of int16 pairs,
// requantized.
static void multiply_chunk(int variant, const ck_qlinear_params *w, ptrdiff_t g, const int16_t *cols, ptrdiff_t m0,
                           ptrdiff_t m1, ck_qdestination d) {
    ck_qtile_kernel tile_fn = ck_qtile_scalar;
    ck_qrequantize_kernel requantize_fn = ck_qrequantize_scalar;
#ifdef CK_QCONV_X86
    if (variant >= 2) tile_fn = ck_qtile_avx2, requantize_fn = ck_qrequantize_avx2;
#endif
    const ptrdiff_t n = w->n, pairs = ck_qpairs(w->k), count = m1 - m0;
    const ptrdiff_t span = variant == 3 ? 2 : 1;  // column panels per tile
    const int32_t *packed = w->packed + g * ck_qpack_weights_count(n, w->k);
    int32_t tile[2 * QC * QP] __attribute__((aligned(64)));
    int16_t codes[QP] __attribute__((aligned(32)));
    for (ptrdiff_t panel = 0; panel * QC < n; ++panel) {
        const int32_t *weights = packed + panel * pairs * QC;
        for (ptrdiff_t q = 0; q < count; q += span * QP) {
            const int32_t *c0 = (const int32_t *)cols + (q / QP) * pairs * QP;
#ifdef CK_QCONV_X86
            if (span == 2) {  // a lone last panel is multiplied twice (the second copy is not stored)
                ck_qtile2_vnni(pairs, weights, c0, q + QP < count ? c0 + pairs * QP : c0, tile);
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
                    requantize_fn(tile + (part * QC + r) * QP, w->bias[channel], w, channel, codes);
                    ck_qstore(codes, lanes, m0 + start, d.out + channel * d.channel_stride, d.positions,
                              d.image_stride);
                }
            }
        }
    }
}

void ck_qconv(int variant, const ck_qconv_shape *shape, const ck_qlinear_params *params, const int16_t *x,
              ptrdiff_t m0, ptrdiff_t m1, int32_t *buffer, int16_t *out) {
    variant = ck_qvariant(variant);
    const ptrdiff_t positions = shape->out_h * shape->out_w;
    ptrdiff_t step = ck_qchunk_panels(params->k) * QP;
    const ck_qdestination d = {out, positions, positions, shape->group * params->n * positions};
    int32_t zu = -1;  // the u8 path's u of 0.0 (x86 only; -1: the int16 pairs)
    (void)zu;
    uint8_t *bytes = NULL;  // the u8 path's codes of this range's images, as bytes
    uint8_t *valid = NULL;  // which kernel offsets read inside the image, for ck_qunfold_u8_flat
    const ptrdiff_t first_image = m0 < m1 ? m0 / positions : 0;
    (void)first_image;  // read by the u8 path only (x86)
#ifdef CK_QCONV_X86
    if (variant == 3 && m0 < m1) {  // the u8 path when this range's images' codes fit in a byte
        const ptrdiff_t image_size = shape->channels * shape->height * shape->width;
        const ptrdiff_t count = ((m1 - 1) / positions - first_image + 1) * image_size;
        const int16_t *images = x + first_image * image_size;
        const int direct = params->direct && ck_qdirect_fits(shape);
        int32_t lo = params->input_low, hi = params->input_high;
        // The declared range first (no scan; a code outside it ends the direct call unwritten).
        if (direct && lo <= hi && (zu = ck_qbyte_zero(lo, hi, params->input_zero_point)) >= 0 &&
            ck_qconv_direct(shape, params, zu, (int16_t)lo, (int16_t)hi, images, first_image, m0, m1, d))
            return;
        ck_qcode_range(images, count, &lo, &hi);
        zu = ck_qbyte_zero(lo, hi, params->input_zero_point);
        if (direct && zu >= 0 &&
            ck_qconv_direct(shape, params, zu, (int16_t)lo, (int16_t)hi, images, first_image, m0, m1, d))
            return;  // done without im2col
        if (zu >= 0) bytes = malloc((size_t)count);
        if (bytes) {
            ck_qbytes(images, count, zu - params->input_zero_point, bytes);
            if (ck_qflat_fits(shape)) valid = malloc((size_t)ck_qflat_valid_count(shape));
            if (valid) ck_qflat_valid(shape, valid);
        } else {
            zu = -1;
        }
    }
#endif
    ck_qtap stack_taps[256];
    ck_qtap *taps = params->k <= 256 ? stack_taps : malloc((size_t)params->k * sizeof(ck_qtap));
    if (!taps) {
        free(bytes);
        free(valid);
        return;
    }
    ck_qtaps(shape, params->k, taps);
#ifdef CK_QCONV_X86
    if (zu >= 0) step = ck_qchunk_panels_u8(params->k) * QP;
#endif
    for (ptrdiff_t start = m0; start < m1; start += step) {
        const ptrdiff_t end = m1 - start < step ? m1 : start + step;
        for (ptrdiff_t g = 0; g < shape->group; ++g) {
#ifdef CK_QCONV_X86
            if (zu >= 0) {
                if (valid) {
                    ck_qunfold_u8_flat(shape, g, params->k, zu, bytes, first_image, valid, start, end,
                                       (uint8_t *)buffer);
                } else {
                    ck_qunfold_u8(shape, g, params->k, zu, bytes, first_image, taps, start, end, (uint8_t *)buffer);
                }
                ck_qmultiply_chunk_u8(params, g, zu, (const uint8_t *)buffer, start, end, d);
                continue;
            }
#endif
            ck_qunfold(shape, g, params->k, params->input_zero_point, x, taps, start, end, (int16_t *)buffer);
            multiply_chunk(variant, params, g, (const int16_t *)buffer, start, end, d);
        }
    }
    if (taps != stack_taps) free(taps);
    free(bytes);
    free(valid);
}

void ck_qdense(int variant, const ck_qlinear_params *params, const int16_t *x, ptrdiff_t m0, ptrdiff_t m1,
               int32_t *buffer, int16_t *out) {
    variant = ck_qvariant(variant);
    ptrdiff_t step = ck_qchunk_panels(params->k) * QP;
    const ck_qdestination d = {out, 1, 1, params->n};
    int32_t zu = -1;  // the u8 path's u of 0.0 (x86 only; -1: the int16 pairs)
    (void)zu;
#ifdef CK_QCONV_X86
    int32_t lo = params->input_low, hi = params->input_high;  // the codes' range zu is for
    if (variant == 3 && m0 < m1) {
        // The declared range first (no scan); a chunk with a code outside it scans the rest.
        zu = lo <= hi ? ck_qbyte_zero(lo, hi, params->input_zero_point) : -1;
        if (zu < 0) {
            ck_qcode_range(x + m0 * params->k, (m1 - m0) * params->k, &lo, &hi);
            zu = ck_qbyte_zero(lo, hi, params->input_zero_point);
        }
        if (zu >= 0) step = ck_qchunk_panels_u8(params->k) * QP;
    }
#endif
    for (ptrdiff_t start = m0; start < m1; start += step) {
        ptrdiff_t end = m1 - start < step ? m1 : start + step;
#ifdef CK_QCONV_X86
        if (zu >= 0 &&
            !ck_qunfold_rows_u8(x, params->k, params->input_zero_point, zu, lo, hi, start, end, (uint8_t *)buffer)) {
            ck_qcode_range(x + start * params->k, (m1 - start) * params->k, &lo, &hi);
            zu = ck_qbyte_zero(lo, hi, params->input_zero_point);
            if (zu >= 0) {
                ck_qunfold_rows_u8(x, params->k, params->input_zero_point, zu, lo, hi, start, end, (uint8_t *)buffer);
            } else {  // the int16 pairs from here on, in their own (smaller) chunks
                step = ck_qchunk_panels(params->k) * QP;
                end = m1 - start < step ? m1 : start + step;
            }
        }
        if (zu >= 0) {
            ck_qmultiply_chunk_u8(params, 0, zu, (const uint8_t *)buffer, start, end, d);
            continue;
        }
#endif
        ck_qunfold_rows(x, params->k, params->input_zero_point, start, end, (int16_t *)buffer);
        multiply_chunk(variant, params, 0, (const int16_t *)buffer, start, end, d);
    }
}
