// Winograd F(2×2, 3×3) convolution: see ckernels.h (`ck_winograd_weights`, `ck_winograd_conv`).
//
// Each 2×2 block of outputs ("tile") comes from a 4×4 block of the input d: V = Bᵀ d B per
// input channel, then per transform position (16 of them) one GEMM over the channels,
// Z = U · V with U = G g Gᵀ the transformed weights, then Y = Aᵀ Z A. 16 multiply-adds per
// channel and tile instead of 36: 2.25× fewer. The tiles are taken 64 at a time across the
// images of the batch (so V and Z stay in L2); the GEMMs are ck_sgemm's blocks and micro-kernel,
// V written already packed. The input and output
// transforms are AVX-512 (16 tiles per vector: a tile's 4 input columns are the even and odd
// lanes of two masked loads, zeros outside the image; the output's two columns are interleaved
// back with permutes); other variants decline. Additions and subtractions (and halvings in G)
// only, `fp contract(off)`.
#include "ckernels.h"
#include "sgemm_internal.h"

#include <stdlib.h>
#include <string.h>

#pragma clang fp contract(off)

void ck_winograd_weights(ptrdiff_t m, ptrdiff_t c, const float *weights, float *u) {
    const ptrdiff_t plane = m * c;
    for (ptrdiff_t o = 0; o < m; ++o) {
        for (ptrdiff_t ch = 0; ch < c; ++ch) {
            const float *g = weights + (o * c + ch) * 9;
            float t[4][3];  // G g: rows of the 3×3 kernel combined
            for (int s = 0; s < 3; ++s) {
                t[0][s] = g[s];
                t[1][s] = ((g[s] + g[3 + s]) + g[6 + s]) * 0.5f;
                t[2][s] = ((g[s] - g[3 + s]) + g[6 + s]) * 0.5f;
                t[3][s] = g[6 + s];
            }
            float *out = u + o * c + ch;
            for (int r = 0; r < 4; ++r) {  // (G g) Gᵀ
                out[(4 * r + 0) * plane] = t[r][0];
                out[(4 * r + 1) * plane] = ((t[r][0] + t[r][1]) + t[r][2]) * 0.5f;
                out[(4 * r + 2) * plane] = ((t[r][0] - t[r][1]) + t[r][2]) * 0.5f;
                out[(4 * r + 3) * plane] = t[r][2];
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/// What one call works on.
typedef struct {
    ptrdiff_t channels, height, width, m, pad_top, pad_left, out_h, out_w;
    ptrdiff_t tiles_h, tiles_w;  // tiles per image: ceil(out / 2) each way
    ptrdiff_t chunk;             // tiles per chunk (Z's row length; V's columns), a multiple of 32
    ptrdiff_t depth;             // the GEMM's K slices (ck_gemm_slice_depth of the channels)
    ptrdiff_t v_plane, z_plane;  // floats from one of V's (Z's) 16 matrices to the next (see WINO_SKEW)
    const float *image, *row_init, *clamp, *addend;
    float *out;
    float *v, *z;      // [16] × B packed as the GEMM packs it (see input_segment), [16][m][chunk]
    __mmask16 *masks;  // per 16 tiles of a segment: the input lanes inside the row, 4 loads
} wino_call;

// Floats between the end of one of V's (or Z's) 16 matrices and the start of the next. Their
// sizes are multiples of 4 KiB (64 tiles × 4 bytes × channels), so without a gap the 16 streams
// a transform stores (or loads) fall in the same L1 sets: 4–10 % of a layer in the C harness.
#ifndef WINO_SKEW
#define WINO_SKEW 16
#endif

#define WINO_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))

/// Lanes l of 16 floats from column `x` on with 0 ≤ x + l < width.
WINO_TARGET static inline __mmask16 inside(ptrdiff_t x, ptrdiff_t width) {
    if (x >= 0 && x + 16 <= width) return (__mmask16)0xFFFF;
    if (x >= width || x + 16 <= 0) return 0;
    const ptrdiff_t low = x < 0 ? -x : 0, high = width - x < 16 ? width - x : 16;
    return (__mmask16)(((1u << high) - 1) & ~((1u << low) - 1));
}

/// Even lanes of the 32 floats a:b, and odd ones.
WINO_TARGET static inline __m512 evens(__m512 a, __m512 b) {
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
}
WINO_TARGET static inline __m512 odds(__m512 a, __m512 b) {
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
}

/// Bᵀ d B for tiles j0 ..< j0 + count of tile row `ti` of image `n`, into V's columns from
/// `column`, 16 tiles at a time: per input row the 4 columns of each tile are the even and odd
/// lanes of two masked 32-float loads (zeros outside the image), then the row and column
/// combinations in registers. Each of the 16 matrices of V (channels × chunk) is stored the way
/// the GEMM's pack_b lays out B, so the products read it in place: per K slice (`depth` channels
/// from pc on, `kc` deep), 32-column panels, each kc rows of 32 — channel ch, tile t at
/// pc·chunk + (t / 32)·kc·32 + (ch − pc)·32 + t % 32. 16 tiles that cross a panel's end are
/// two masked stores.
WINO_TARGET static void input_segment(const wino_call *call, ptrdiff_t n, ptrdiff_t ti, ptrdiff_t j0,
                                      ptrdiff_t count, ptrdiff_t column) {
    const ptrdiff_t width = call->width, x0 = 2 * j0 - call->pad_left, y0 = 2 * ti - call->pad_top;
    const ptrdiff_t blocks = (count + 15) / 16, plane = call->v_plane;
    __mmask16 *masks = call->masks;
    for (ptrdiff_t b = 0; b < blocks; ++b) {
        const ptrdiff_t x = x0 + 32 * b;
        masks[4 * b] = inside(x, width);
        masks[4 * b + 1] = inside(x + 16, width);
        masks[4 * b + 2] = inside(x + 2, width);
        masks[4 * b + 3] = inside(x + 18, width);
    }
    const float *rows[4];
    for (ptrdiff_t ch = 0; ch < call->channels; ++ch) {
        const float *source = call->image + (n * call->channels + ch) * call->height * width;
        for (int r = 0; r < 4; ++r) {
            const ptrdiff_t y = y0 + r;
            rows[r] = y >= 0 && y < call->height ? source + y * width + x0 : NULL;
        }
        const ptrdiff_t pc = ch / call->depth * call->depth;
        const ptrdiff_t panel = 32 * (call->channels - pc < call->depth ? call->channels - pc : call->depth);
        float *target = call->v + pc * call->chunk + (ch - pc) * 32;
        for (ptrdiff_t b = 0; b < blocks; ++b) {
            const __mmask16 *mask = masks + 4 * b;
            __m512 d[4][4];  // per input row: tile columns 0..3
            for (int r = 0; r < 4; ++r) {
                if (!rows[r]) {
                    d[r][0] = d[r][1] = d[r][2] = d[r][3] = _mm512_setzero_ps();
                    continue;
                }
                const float *p = rows[r] + 32 * b;
                const __m512 e0 = _mm512_maskz_loadu_ps(mask[0], p), e1 = _mm512_maskz_loadu_ps(mask[1], p + 16);
                const __m512 f0 = _mm512_maskz_loadu_ps(mask[2], p + 2), f1 = _mm512_maskz_loadu_ps(mask[3], p + 18);
                d[r][0] = evens(e0, e1);
                d[r][1] = odds(e0, e1);
                d[r][2] = evens(f0, f1);
                d[r][3] = odds(f0, f1);
            }
            __m512 w[4][4];  // Bᵀ d
            for (int s = 0; s < 4; ++s) {
                w[0][s] = _mm512_sub_ps(d[0][s], d[2][s]);
                w[1][s] = _mm512_add_ps(d[1][s], d[2][s]);
                w[2][s] = _mm512_sub_ps(d[2][s], d[1][s]);
                w[3][s] = _mm512_sub_ps(d[1][s], d[3][s]);
            }
            const ptrdiff_t left = count - 16 * b, t = column + 16 * b, lane = t & 31;
            const __mmask16 store = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            const __mmask16 first = lane <= 16 ? store : (__mmask16)(store & ((1u << (32 - lane)) - 1));
            const __mmask16 second = (__mmask16)(store & ~first);  // lanes in the next panel
            float *out = target + (t >> 5) * panel + lane, *next = out + panel - 32;
            __m512 v[16];
            for (int r = 0; r < 4; ++r) {  // (Bᵀ d) B
                v[4 * r] = _mm512_sub_ps(w[r][0], w[r][2]);
                v[4 * r + 1] = _mm512_add_ps(w[r][1], w[r][2]);
                v[4 * r + 2] = _mm512_sub_ps(w[r][2], w[r][1]);
                v[4 * r + 3] = _mm512_sub_ps(w[r][1], w[r][3]);
            }
            for (int k = 0; k < 16; ++k) _mm512_mask_storeu_ps(out + k * plane, first, v[k]);
            if (second) {
                for (int k = 0; k < 16; ++k) _mm512_mask_storeu_ps(next + k * plane, second, v[k]);
            }
        }
    }
}

/// row_init + y, + the addend, clamped, stored under `mask` (ONNX Clip's rule, as epilogue.h).
WINO_TARGET static inline void finish_store(float *target, const float *add, __mmask16 mask, __m512 start,
                                            __m512 y, const float *clamp) {
    __m512 value = _mm512_add_ps(start, y);
    if (add) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, add));
    if (clamp) {
        const __m512 low = _mm512_set1_ps(clamp[0]), high = _mm512_set1_ps(clamp[1]);
        value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, low, _CMP_LT_OQ), low);
        value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, high, _CMP_GT_OQ), high);
    }
    _mm512_mask_storeu_ps(target, mask, value);
}

/// Aᵀ Z A for the same tiles, 16 at a time, the two columns of each tile interleaved into the
/// output rows with permutes, then row_init + y, + addend, clamp.
WINO_TARGET static void output_segment(const wino_call *call, ptrdiff_t n, ptrdiff_t ti, ptrdiff_t j0,
                                       ptrdiff_t count, ptrdiff_t column) {
    const ptrdiff_t plane = call->z_plane, out_w = call->out_w, oy = 2 * ti;
    const int second_row = oy + 1 < call->out_h;
    const __m512i low_half = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high_half = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (ptrdiff_t o = 0; o < call->m; ++o) {
        const float *z = call->z + o * call->chunk + column;
        const __m512 start = _mm512_set1_ps(call->row_init ? call->row_init[o] : 0.0f);
        const ptrdiff_t row0 = ((n * call->m + o) * call->out_h + oy) * out_w;
        for (ptrdiff_t j = 0; j < count; j += 16) {
            __m512 a[4], b[4];
            for (int s = 0; s < 4; ++s) {  // Aᵀ Z
                const __m512 z0 = _mm512_loadu_ps(z + s * plane + j), z1 = _mm512_loadu_ps(z + (4 + s) * plane + j);
                const __m512 z2 = _mm512_loadu_ps(z + (8 + s) * plane + j);
                const __m512 z3 = _mm512_loadu_ps(z + (12 + s) * plane + j);
                a[s] = _mm512_add_ps(_mm512_add_ps(z0, z1), z2);
                b[s] = _mm512_sub_ps(_mm512_sub_ps(z1, z2), z3);
            }
            const __m512 y00 = _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]);
            const __m512 y01 = _mm512_sub_ps(_mm512_sub_ps(a[1], a[2]), a[3]);
            const __m512 y10 = _mm512_add_ps(_mm512_add_ps(b[0], b[1]), b[2]);
            const __m512 y11 = _mm512_sub_ps(_mm512_sub_ps(b[1], b[2]), b[3]);
            const ptrdiff_t x = 2 * (j0 + j), left = out_w - x;  // output columns x ..< x + 32
            const __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
            const __mmask16 m1 =
                left >= 32 ? (__mmask16)0xFFFF : left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
            // Z's columns past `count` are stale: the tiles beyond the segment are masked off.
            const ptrdiff_t tiles = count - j;
            const __mmask16 t0 = tiles >= 8 ? m0 : (__mmask16)(m0 & ((1u << (2 * tiles)) - 1));
            const __mmask16 t1 = tiles >= 16 ? m1 : tiles > 8 ? (__mmask16)(m1 & ((1u << (2 * (tiles - 8))) - 1)) : 0;
            const float *add = call->addend ? call->addend + row0 + x : NULL;
            float *target = call->out + row0 + x;
            finish_store(target, add, t0, start, _mm512_permutex2var_ps(y00, low_half, y01), call->clamp);
            finish_store(target + 16, add ? add + 16 : NULL, t1, start, _mm512_permutex2var_ps(y00, high_half, y01),
                         call->clamp);
            if (second_row) {
                finish_store(target + out_w, add ? add + out_w : NULL, t0, start,
                             _mm512_permutex2var_ps(y10, low_half, y11), call->clamp);
                finish_store(target + out_w + 16, add ? add + out_w + 16 : NULL, t1, start,
                             _mm512_permutex2var_ps(y10, high_half, y11), call->clamp);
            }
        }
    }
}

/// Runs `segment` over the tiles first ..< first + count (global index over the batch), each
/// maximal run of one tile row at a time, its V/Z column counted from 0.
WINO_TARGET static void for_segments(const wino_call *call, ptrdiff_t first, ptrdiff_t count,
                                     void (*segment)(const wino_call *, ptrdiff_t, ptrdiff_t, ptrdiff_t, ptrdiff_t,
                                                     ptrdiff_t)) {
    const ptrdiff_t per_image = call->tiles_h * call->tiles_w;
    for (ptrdiff_t done = 0; done < count;) {
        const ptrdiff_t t = first + done, n = t / per_image, rest = t % per_image;
        const ptrdiff_t ti = rest / call->tiles_w, j0 = rest % call->tiles_w;
        ptrdiff_t run = call->tiles_w - j0;
        if (run > count - done) run = count - done;
        segment(call, n, ti, j0, run, done);
        done += run;
    }
}

WINO_TARGET static void run_avx512(const wino_call *call, ptrdiff_t batch, const float *u, const float *zeros,
                                   const variant *kind, float *packed_a) {
    const ptrdiff_t total = batch * call->tiles_h * call->tiles_w;
    for (ptrdiff_t first = 0; first < total; first += call->chunk) {
        const ptrdiff_t count = total - first < call->chunk ? total - first : call->chunk;
        for_segments(call, first, count, input_segment);
        // Z_k = U_k · V_k, K slice by slice, as ck_sgemm_epilogue's driver walks a packed B.
        for (int k = 0; k < 16; ++k) {
            const float *uk = u + k * call->m * call->channels, *vk = call->v + k * call->v_plane;
            float *zk = call->z + k * call->z_plane;
            const epilogue e = {zeros, NULL, NULL, zk};
            for (ptrdiff_t pc = 0; pc < call->channels; pc += call->depth) {
                const ptrdiff_t kc = call->channels - pc < call->depth ? call->channels - pc : call->depth;
                for (ptrdiff_t ic = 0; ic < call->m; ic += MC) {
                    const ptrdiff_t mc = call->m - ic < MC ? call->m - ic : MC;
                    ck_gemm_block(kind, uk, call->channels, ic, mc, pc, kc, vk + pc * call->chunk, 0, count, zk,
                                  call->chunk, packed_a, ck_gemm_slice_epilogue(e, pc, kc, call->channels));
                }
            }
        }
        for_segments(call, first, count, output_segment);
    }
}
#endif

ptrdiff_t ck_winograd_chunk(ptrdiff_t channels, ptrdiff_t m) {
    // 64 tiles: measured (C harness, batches of 16, one thread, 32–512 tiles tried) the fastest
    // or within noise of it for 64–512 channels; two of the GEMM's 32-column panels.
    (void)channels, (void)m;
    return 64;
}

int ck_winograd_conv(ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width, const float *image,
                     ptrdiff_t m, const float *u, ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t out_h,
                     ptrdiff_t out_w, ptrdiff_t chunk, float *out, const float *row_init, const float *clamp,
                     const float *addend) {
#if defined(__x86_64__)
    if (ck_variant_id() != 3) return 0;
    if (batch <= 0 || channels <= 0 || m <= 0 || out_h <= 0 || out_w <= 0) return 1;
    wino_call call = {
        .channels = channels, .height = height, .width = width, .m = m, .pad_top = pad_top,
        .pad_left = pad_left, .out_h = out_h, .out_w = out_w, .tiles_h = (out_h + 1) / 2,
        .tiles_w = (out_w + 1) / 2, .chunk = chunk > 0 ? chunk : ck_winograd_chunk(channels, m),
        .image = image, .row_init = row_init, .clamp = clamp, .addend = addend, .out = out,
    };
    // Whole 32-column panels of V; Z's rows are read 16 tiles at a time past the last tile.
    call.chunk = (call.chunk + 31) / 32 * 32;
    call.depth = ck_gemm_slice_depth(channels);
    const variant *kind = ck_gemm_current();
    float *packed_a = ck_gemm_reserve_a((size_t)((m < MC ? ck_round_up(m, kind->mr) : MC) * call.depth));
    if (!packed_a || kind->nr != 32) return 0;
    call.v_plane = channels * call.chunk + WINO_SKEW;
    call.z_plane = m * call.chunk + WINO_SKEW;
    const size_t v_count = (size_t)(16 * call.v_plane), z_count = (size_t)(16 * call.z_plane);
    float *work = malloc((v_count + z_count + 16 + (size_t)m) * sizeof(float));  // 16: Z's last row read whole
    __mmask16 *masks = malloc((size_t)(4 * ((call.tiles_w + 15) / 16)) * sizeof(__mmask16));
    if (!work || !masks) {
        free(work);
        free(masks);
        return 0;
    }
    call.v = work;
    call.z = work + v_count;
    call.masks = masks;
    float *zeros = call.z + z_count + 16;
    memset(zeros, 0, (size_t)m * sizeof(float));
    run_avx512(&call, batch, u, zeros, kind, packed_a);
    free(masks);
    free(work);
    return 1;
#else
    (void)batch, (void)channels, (void)height, (void)width, (void)image, (void)m, (void)u, (void)pad_top;
    (void)pad_left, (void)out_h, (void)out_w, (void)chunk, (void)out, (void)row_init, (void)clamp, (void)addend;
    return 0;
#endif
}
