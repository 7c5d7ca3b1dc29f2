// Internals of the integer model's Conv / Gemm / MatMul (ck_qconv, ck_qdense in ckernels.h),
// shared by the files that hold its parts:
//   qpack.c       weight packing, chunk sizes;
//   qunfold.c     im2col of codes into int16 pair panels (scalar, AVX2 and VNNI int16 paths);
//   qunfold_u8.c  im2col of codes into byte quad panels (the AVX-512 VNNI u8 path);
//   qscalar.c     the scalar tile, requantization and output store (the C reference);
//   qavx2.c       the AVX2 tile and requantization;
//   qvnni.c       the AVX-512 VNNI tiles (vpdpwssd on pairs, vpdpbusd on bytes);
//   qdirect.c     the direct convolution of the u8 path (no im2col; NCHW4c phased planes);
//   qconv.c       the drivers: variant choice, chunks, groups.
// Panels: 16 output positions (QP) × pairs or quads of taps; weight panels of 4 channels (QC).
// Integer sums do not depend on their order and every requantization is the same float
// operations in the same order (or, in TFLite's fixed point, the same integers), so every
// variant gives the scalar variant's bits.
#ifndef CKERNELS_QCONV_H
#define CKERNELS_QCONV_H

#include <stddef.h>
#include <stdint.h>

#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_QCONV_X86 1
#endif

enum { QP = 16, QC = 4 };  // positions per column panel, channels per weight panel

static inline ptrdiff_t ck_qpairs(ptrdiff_t k) { return (k + 1) / 2; }
static inline ptrdiff_t ck_qquads(ptrdiff_t k) { return (k + 3) / 4; }

/// Column panels per chunk (qpack.c): about 96 KiB of columns, so a chunk stays in L2.
ptrdiff_t ck_qchunk_panels(ptrdiff_t k);
/// Column panels of the u8 path per chunk: as many byte-quad panels as the same buffer holds
/// (about twice ck_qchunk_panels), even where possible so its 32-position tiles are all whole.
ptrdiff_t ck_qchunk_panels_u8(ptrdiff_t k);

/// Where a tap reads, independent of the output position: its offset in the group's channels
/// (channel plane + shift), its row offset dy (y = oy · stride_h + dy) and the output columns
/// [first, end) whose x lies inside the row.
typedef struct {
    ptrdiff_t offset, dy, first, end;
} ck_qtap;

/// A tap over one output row piece ox0..<ox1: whether it reads inside the image at all (not in
/// the padding rows, not past the depth), its row's offset from the group's first channel plane
/// and the columns first ≤ ox < end that read inside the row.
typedef struct {
    int inside;
    ptrdiff_t offset, first, end;
} ck_qtap_run;

void ck_qtaps(const ck_qconv_shape *s, ptrdiff_t k, ck_qtap *taps);

static inline ck_qtap_run ck_qtap_in_row(const ck_qconv_shape *s, const ck_qtap *taps, ptrdiff_t t, ptrdiff_t k,
                                         ptrdiff_t oy, ptrdiff_t ox0, ptrdiff_t ox1) {
    ck_qtap_run run = {0, 0, ox0, ox0};
    if (t >= k) return run;
    const ptrdiff_t y = oy * s->stride_h + taps[t].dy;
    if (y < 0 || y >= s->height) return run;
    const ptrdiff_t first = taps[t].first < ox0 ? ox0 : taps[t].first, end = taps[t].end > ox1 ? ox1 : taps[t].end;
    if (first >= end) return run;
    run.inside = 1;
    run.offset = taps[t].offset + y * s->width;
    run.first = first;
    run.end = end;
    return run;
}

/// im2col of group g for output positions m0..<m1 (over the whole batch), codes minus the zero
/// point, into panels of 16 positions × int16 tap pairs (qunfold.c); the same for rows of a
/// [batch, k] input.
void ck_qunfold(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zp, const int16_t *x, const ck_qtap *taps,
                ptrdiff_t m0, ptrdiff_t m1, int16_t *cols);
void ck_qunfold_rows(const int16_t *x, ptrdiff_t k, int32_t zp, ptrdiff_t m0, ptrdiff_t m1, int16_t *cols);

/// The u8 path (qunfold_u8.c, AVX-512 only): codes as bytes u = x − zp + zu (ck_qbytes, once per
/// call, into `u` from image `first_image` on), unfolded into panels of 16 positions × tap
/// quads; padding reads as zu, taps past k as zu (their weights are 0).
void ck_qbytes(const int16_t *x, ptrdiff_t count, int32_t shift, uint8_t *u);
void ck_qunfold_u8(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zu, const uint8_t *u,
                   ptrdiff_t first_image, const ck_qtap *taps, ptrdiff_t m0, ptrdiff_t m1, uint8_t *cols);
/// The u8 unfolding of a stride-1 convolution whose output rows are as wide as its input rows
/// (ck_qflat_fits), from a table of which kernel offsets read inside the image at each position
/// (ck_qflat_valid_count bytes, filled by ck_qflat_valid once per call).
int ck_qflat_fits(const ck_qconv_shape *s);
ptrdiff_t ck_qflat_valid_count(const ck_qconv_shape *s);
void ck_qflat_valid(const ck_qconv_shape *s, uint8_t *valid);
void ck_qunfold_u8_flat(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zu, const uint8_t *u,
                        ptrdiff_t first_image, const uint8_t *valid, ptrdiff_t m0, ptrdiff_t m1, uint8_t *cols);
/// Rows m0..<m1 of a [batch, k] input as bytes; returns 0 (the columns then unusable) when a code
/// lies outside lo…hi (the range zu was chosen for), 1 otherwise.
int ck_qunfold_rows_u8(const int16_t *x, ptrdiff_t k, int32_t zp, int32_t zu, int32_t lo, int32_t hi, ptrdiff_t m0,
                       ptrdiff_t m1, uint8_t *cols);

/// The u of 0.0 for codes lo…hi with zero point zp, or −1 when they do not fit in a byte; the
/// smallest and largest of `count` codes (qunfold_u8.c).
int32_t ck_qbyte_zero(int32_t lo, int32_t hi, int32_t zp);
void ck_qcode_range(const int16_t *x, ptrdiff_t count, int32_t *lo, int32_t *hi);

/// Where a multiplied chunk's codes go: channel c, position m (counted over the batch) is
/// out[c · channel_stride + (m / positions) · image_stride + m % positions].
typedef struct {
    int16_t *out;
    ptrdiff_t positions, channel_stride, image_stride;
} ck_qdestination;

/// Writes `count` codes of one output channel (`channel` = out + c · channel_stride) for
/// positions m, m+1, … (qscalar.c).
void ck_qstore(const int16_t *codes, ptrdiff_t count, ptrdiff_t m, int16_t *channel, ptrdiff_t positions,
               ptrdiff_t image_stride);

/// Tiles: tile[r·16 + lane] = Σ_p madd(weights pair p of channel r, columns pair p of lane).
typedef void (*ck_qtile_kernel)(ptrdiff_t pairs, const int32_t *w, const int32_t *cols, int32_t *tile);
/// Requantizes 16 sums of channel `channel` (plus `bias`) to codes, in the layer's arithmetic
/// (w->fixed_point: TFLite's fixed point, else MLAS's float multiplier).
typedef void (*ck_qrequantize_kernel)(const int32_t *acc, int32_t bias, const ck_qlinear_params *w,
                                      ptrdiff_t channel, int16_t *codes);

/// TFLite's MultiplyByQuantizedMultiplier (double rounding): RoundingDivideByPOT(
/// SaturatingRoundingDoublingHighMul(x · 2^left, multiplier), right), the C reference the vector
/// forms are checked against (through QuantCore's FixedPointMultiplier.apply, bit for bit).
static inline int32_t ck_qfixed_apply(int32_t x, ck_qfixed f) {
    const int left = f.shift > 0 ? f.shift : 0, right = f.shift > 0 ? 0 : -f.shift;
    const int32_t a = (int32_t)((uint32_t)x << left);  // x · 2^left, wrapping as int32 does in practice
    int32_t high = INT32_MAX;
    if (!(a == INT32_MIN && f.multiplier == INT32_MIN)) {
        const int64_t product = (int64_t)a * f.multiplier;
        const int64_t nudge = product >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
        high = (int32_t)((product + nudge) / ((int64_t)1 << 31));
    }
    const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
    const int32_t remainder = high & mask, threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + (remainder > threshold ? 1 : 0);
}

void ck_qtile_scalar(ptrdiff_t pairs, const int32_t *w, const int32_t *cols, int32_t *tile);
void ck_qrequantize_scalar(const int32_t *acc, int32_t bias, const ck_qlinear_params *w, ptrdiff_t channel,
                           int16_t *codes);
#ifdef CK_QCONV_X86
void ck_qtile_avx2(ptrdiff_t pairs, const int32_t *w, const int32_t *cols, int32_t *tile);
void ck_qrequantize_avx2(const int32_t *acc, int32_t bias, const ck_qlinear_params *w, ptrdiff_t channel,
                         int16_t *codes);
/// Two column panels (32 positions) × 4 channels of vpdpwssd: tile[(part · 4 + r) · 16 + lane].
void ck_qtile2_vnni(ptrdiff_t pairs, const int32_t *w, const int32_t *c0, const int32_t *c1, int32_t *tile);
#define CK_VNNI __attribute__((target("avx512vnni,avx512bw,avx512vl,avx512f")))
// 16 sums of one channel to codes: ck_qrequantize_scalar's operations, 16 lanes at once (MLAS's
// float multiplier, or with `f` TFLite's fixed point as in qavx2.c's fixed_avx2; shared by qvnni.c and qdirect.c).
CK_VNNI static inline __m256i ck_qrequantize16(__m512i acc, int32_t bias, const ck_qlinear_params *w, ptrdiff_t channel,
                                           __m512i zp, __m512 lowest, __m512 highest) {
    const __m512i sum = _mm512_add_epi32(acc, _mm512_set1_epi32(bias));
    if (w->fixed_point) {
        const ck_qfixed f = w->fixed_point[channel];
        const int left = f.shift > 0 ? f.shift : 0, right = f.shift > 0 ? 0 : -f.shift;
        const __m512i m = _mm512_set1_epi32(f.multiplier), nudge = _mm512_set1_epi64((int64_t)1 << 30);
        const __m512i a = _mm512_sll_epi32(sum, _mm_cvtsi32_si128(left));
        const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(a, m), nudge), 31);
        const __m512i odd = _mm512_slli_epi64(
            _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), m), nudge), 1);
        const __m512i high = _mm512_mask_blend_epi32(0xAAAA, even, odd);
        const __m512i mask = _mm512_set1_epi32((int32_t)(((int64_t)1 << right) - 1)), one = _mm512_set1_epi32(1);
        const __m512i remainder = _mm512_and_si512(high, mask), half = _mm512_srai_epi32(mask, 1);
        const __m512i threshold =
            _mm512_mask_add_epi32(half, _mm512_cmplt_epi32_mask(high, _mm512_setzero_si512()), half, one);
        __m512i y = _mm512_sra_epi32(high, _mm_cvtsi32_si128(right));
        y = _mm512_mask_add_epi32(y, _mm512_cmpgt_epi32_mask(remainder, threshold), y, one);
        y = _mm512_add_epi32(y, zp);
        y = _mm512_min_epi32(_mm512_max_epi32(y, _mm512_set1_epi32(w->low)), _mm512_set1_epi32(w->high));
        return _mm512_cvtepi32_epi16(y);
    }
    __m512 scaled = _mm512_mul_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(w->multipliers[channel]));
    scaled = _mm512_roundscale_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    scaled = _mm512_min_ps(_mm512_max_ps(scaled, lowest), highest);
    return _mm512_cvtepi32_epi16(_mm512_add_epi32(_mm512_cvtps_epi32(scaled), zp));
}

/// Whether the direct kernel runs this geometry: group 1, no dilation, strides up to 4.
int ck_qdirect_fits(const ck_qconv_shape *s);
/// The direct convolution of the u8 path (qdirect.c): positions m0..<m1 from the codes x of
/// their images (image first_image on, read as bytes x − zp + zu), when ck_qdirect_fits and the
/// layer has direct weights; 0 (nothing written) when a code lies outside [lo, hi] or memory
/// for its planes runs out.
int ck_qconv_direct(const ck_qconv_shape *s, const ck_qlinear_params *w, int32_t zu, int16_t lo, int16_t hi,
                    const int16_t *x, ptrdiff_t first_image, ptrdiff_t m0, ptrdiff_t m1, ck_qdestination d);
/// The u8 path's multiply and requantization of one chunk (qvnni.c).
void ck_qmultiply_chunk_u8(const ck_qlinear_params *w, ptrdiff_t g, int32_t zu, const uint8_t *cols, ptrdiff_t m0,
                           ptrdiff_t m1, ck_qdestination d);
#endif

#endif
