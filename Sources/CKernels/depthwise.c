// Direct depthwise convolution: see ckernels.h.
//
// On AVX-512, three paths read the image itself: stride 1 with whole output rows flattens the
// plane (plane_flat_avx512), column stride 2 over three adjacent columns splits each loaded row
// into its three taps (tile_s2w3_avx512), other column strides 1 and 2 take tiles of masked loads
// (tile_direct_avx512). Otherwise, per input channel, the plane is first copied into a zero-padded
// scratch plane, split by column phase for strided convolutions (phase q holds padded columns q,
// q + stride, q + 2·stride, …), so every tap of every output row reads a contiguous run: tap (i, j)
// of output (oy, ox) is scratch row oy·stride_h + i·dilation_h, phase (j·dilation_w) mod stride_w,
// column ox + (j·dilation_w) div stride_w. Padding reads as 0 exactly as im2col writes it, and each output's taps are summed from 0
// in (i, j) order (fused multiply-add on the vector variants) and then added to the output — the
// order and operations of the GEMM micro-kernels on im2col's matrix, hence the same bits.
#include "ckernels.h"
#include "epilogue.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86_64 1
#endif

// Output rows per tile, and the columns every scratch row has beyond the last output (so a full
// vector tile never reads outside the scratch; its surplus lanes are not stored).
enum { TILE_ROWS = 4, TILE_COLUMNS = 32, MAX_TAPS = 256 };
// The flattened and the three-column paths; a C harness builds with either 0 to compare (bits and
// time) against the tiles they replace.
#ifndef CK_DEPTHWISE_FLAT
#define CK_DEPTHWISE_FLAT 1
#endif
#ifndef CK_DEPTHWISE_S2W3
#define CK_DEPTHWISE_S2W3 1
#endif

typedef struct {
    ptrdiff_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, out_h, out_w;
    ptrdiff_t rows;      // scratch rows
    ptrdiff_t width;     // scratch columns per phase
    ptrdiff_t row_step;  // floats from one scratch row to the next: stride_w · width
} layout;

static ptrdiff_t round_up(ptrdiff_t value, ptrdiff_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// The zero-padded, phase-split copy of one [height, width] plane.
static void fill_scratch(const float *plane, ptrdiff_t height, ptrdiff_t width, ptrdiff_t pad_top,
                         ptrdiff_t pad_left, const layout *l, float *restrict scratch) {
    for (ptrdiff_t r = 0; r < l->rows; ++r) {
        float *restrict row = scratch + r * l->row_step;
        const ptrdiff_t y = r - pad_top;
        if (y < 0 || y >= height) {
            memset(row, 0, sizeof(float) * (size_t)l->row_step);
            continue;
        }
        const float *source = plane + y * width;
        if (l->stride_w == 1) {
            // Column t holds x = t − pad_left.
            ptrdiff_t first = pad_left < 0 ? 0 : pad_left, end = pad_left + width;
            if (first > l->width) first = l->width;
            if (end > l->width) end = l->width;
            if (end < first) end = first;
            memset(row, 0, sizeof(float) * (size_t)first);
            memcpy(row + first, source + (first - pad_left), sizeof(float) * (size_t)(end - first));
            memset(row + end, 0, sizeof(float) * (size_t)(l->width - end));
            continue;
        }
        for (ptrdiff_t q = 0; q < l->stride_w; ++q) {
            float *restrict phase = row + q * l->width;
            for (ptrdiff_t t = 0; t < l->width; ++t) {
                const ptrdiff_t x = t * l->stride_w + q - pad_left;
                phase[t] = (x >= 0 && x < width) ? source[x] : 0.0f;
            }
        }
    }
}

// Where tap (i, j) of output (0, 0) lies in the scratch.
static ptrdiff_t tap_offset(const layout *l, ptrdiff_t i, ptrdiff_t j) {
    const ptrdiff_t column = j * l->dilation_w;
    return i * l->dilation_h * l->row_step + (column % l->stride_w) * l->width + column / l->stride_w;
}

// MARK: portable

static void plane_portable(const float *scratch, const layout *l, const float *weights, float *out) {
    const ptrdiff_t taps = l->kernel_h * l->kernel_w;
    ptrdiff_t offsets[MAX_TAPS];
    for (ptrdiff_t t = 0; t < taps; ++t) offsets[t] = tap_offset(l, t / l->kernel_w, t % l->kernel_w);
    for (ptrdiff_t oy = 0; oy < l->out_h; ++oy) {
        const float *row = scratch + oy * l->stride_h * l->row_step;
        float *destination = out + oy * l->out_w;
        for (ptrdiff_t ox = 0; ox < l->out_w; ++ox) {
            float sum = 0;
            for (ptrdiff_t t = 0; t < taps; ++t) sum += weights[t] * row[offsets[t] + ox];
            destination[ox] += sum;
        }
    }
}

#if CK_X86_64

// MARK: AVX2 + FMA: tiles of 4 rows × `vectors` 8-wide columns.

__attribute__((target("avx2,fma"), always_inline)) static inline void tile_avx2(
    const float *scratch, const layout *l, const float *weights, const ptrdiff_t *offsets, float *out, ptrdiff_t oy,
    ptrdiff_t ox, const int vectors) {
    __m256 acc[TILE_ROWS][2];
    for (int r = 0; r < TILE_ROWS; ++r) {
        for (int u = 0; u < vectors; ++u) acc[r][u] = _mm256_setzero_ps();
    }
    const ptrdiff_t taps = l->kernel_h * l->kernel_w, rows = l->stride_h * l->row_step;
    const float *base = scratch + oy * rows + ox;
    for (ptrdiff_t t = 0; t < taps; ++t) {
        const __m256 w = _mm256_broadcast_ss(weights + t);
        const float *source = base + offsets[t];
        for (int r = 0; r < TILE_ROWS; ++r) {
            for (int u = 0; u < vectors; ++u) {
                acc[r][u] = _mm256_fmadd_ps(w, _mm256_loadu_ps(source + r * rows + 8 * u), acc[r][u]);
            }
        }
    }
    for (int r = 0; r < TILE_ROWS && oy + r < l->out_h; ++r) {
        float *destination = out + (oy + r) * l->out_w + ox;
        for (int u = 0; u < vectors; ++u) {
            const ptrdiff_t count = l->out_w - ox - 8 * u;
            if (count >= 8) {
                _mm256_storeu_ps(destination + 8 * u, _mm256_add_ps(_mm256_loadu_ps(destination + 8 * u), acc[r][u]));
            } else if (count > 0) {
                const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
                const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lanes);
                const __m256 sum = _mm256_add_ps(_mm256_maskload_ps(destination + 8 * u, mask), acc[r][u]);
                _mm256_maskstore_ps(destination + 8 * u, mask, sum);
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static void plane_avx2(const float *scratch, const layout *l,
                                                            const float *weights, float *out) {
    ptrdiff_t offsets[MAX_TAPS];
    for (ptrdiff_t t = 0; t < l->kernel_h * l->kernel_w; ++t) offsets[t] = tap_offset(l, t / l->kernel_w, t % l->kernel_w);
    for (ptrdiff_t oy = 0; oy < l->out_h; oy += TILE_ROWS) {
        ptrdiff_t ox = 0;
        for (; ox + 8 < l->out_w; ox += 16) tile_avx2(scratch, l, weights, offsets, out, oy, ox, 2);
        if (ox < l->out_w) tile_avx2(scratch, l, weights, offsets, out, oy, ox, 1);
    }
}

// MARK: AVX-512: tiles of 4 rows × `vectors` 16-wide columns.



// A finished tile's write-back: each output row's lanes inside the plane get `init` (not NULL: the
// plane's starting value) or their current value, plus the tile's sums, clamped to `clamp` (not
// NULL: {low, high}, as ck_clamp_rows does). So the plane is written once, with the values
// filling, accumulating and clamping in passes of their own give.
__attribute__((target("avx512f"), always_inline)) static inline void store_tile_avx512(
    __m512 acc[TILE_ROWS][2], const layout *l, float *out, ptrdiff_t oy, ptrdiff_t ox, const int vectors,
    const float *init, const float *clamp) {
    for (int r = 0; r < TILE_ROWS && oy + r < l->out_h; ++r) {
        float *destination = out + (oy + r) * l->out_w + ox;
        for (int u = 0; u < vectors; ++u) {
            const ptrdiff_t count = l->out_w - ox - 16 * u;
            if (count <= 0) continue;
            const __mmask16 mask = count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
            const __m512 start = init ? _mm512_set1_ps(*init) : _mm512_maskz_loadu_ps(mask, destination + 16 * u);
            __m512 sum = _mm512_add_ps(start, acc[r][u]);
            if (clamp) {
                const __m512 low = _mm512_set1_ps(clamp[0]), high = _mm512_set1_ps(clamp[1]);
                sum = _mm512_mask_mov_ps(sum, _mm512_cmp_ps_mask(sum, low, _CMP_LT_OQ), low);
                sum = _mm512_mask_mov_ps(sum, _mm512_cmp_ps_mask(sum, high, _CMP_GT_OQ), high);
            }
            _mm512_mask_storeu_ps(destination + 16 * u, mask, sum);
        }
    }
}

// The tile's taps read from the scratch plane; `init` and `clamp` as in store_tile_avx512.
__attribute__((target("avx512f"), always_inline)) static inline void tile_avx512(
    const float *scratch, const layout *l, const float *weights, const ptrdiff_t *offsets, float *out, ptrdiff_t oy,
    ptrdiff_t ox, const int vectors, const float *init, const float *clamp) {
    __m512 acc[TILE_ROWS][2];
    for (int r = 0; r < TILE_ROWS; ++r) {
        for (int u = 0; u < vectors; ++u) acc[r][u] = _mm512_setzero_ps();
    }
    const ptrdiff_t taps = l->kernel_h * l->kernel_w, rows = l->stride_h * l->row_step;
    const float *base = scratch + oy * rows + ox;
    for (ptrdiff_t t = 0; t < taps; ++t) {
        const __m512 w = _mm512_set1_ps(weights[t]);
        const float *source = base + offsets[t];
        for (int r = 0; r < TILE_ROWS; ++r) {
            for (int u = 0; u < vectors; ++u) {
                acc[r][u] = _mm512_fmadd_ps(w, _mm512_loadu_ps(source + r * rows + 16 * u), acc[r][u]);
            }
        }
    }
    store_tile_avx512(acc, l, out, oy, ox, vectors, init, clamp);
}

__attribute__((target("avx512f"))) static void plane_avx512(const float *scratch, const layout *l,
                                                              const float *weights, float *out, const float *init,
                                                              const float *clamp) {
    ptrdiff_t offsets[MAX_TAPS];
    for (ptrdiff_t t = 0; t < l->kernel_h * l->kernel_w; ++t) offsets[t] = tap_offset(l, t / l->kernel_w, t % l->kernel_w);
    for (ptrdiff_t oy = 0; oy < l->out_h; oy += TILE_ROWS) {
        ptrdiff_t ox = 0;
        for (; ox + 16 < l->out_w; ox += 32) tile_avx512(scratch, l, weights, offsets, out, oy, ox, 2, init, clamp);
        if (ox < l->out_w) tile_avx512(scratch, l, weights, offsets, out, oy, ox, 1, init, clamp);
    }
}

// Column stride 1 on AVX-512 reads the image itself, without the scratch copy: per tap, each of
// the tile's rows is a masked load from the plane (lanes outside the row, and rows outside the
// plane, read as 0, exactly the scratch's padding), then the same multiply-add in the same order
// (taps in (i, j) order, each into every row and vector of the tile). A batch's input planes come
// from memory, and copying them first made the copy wait on memory for as long as the plane's
// arithmetic took; the loads now overlap the multiply-adds.
// Column stride 2 (`STRIDE` 2) loads the 32 source columns of 16 outputs and keeps the even ones
// with a permute, as the scratch's phase split did.
__attribute__((target("avx512f"), always_inline)) static inline void tile_direct_avx512(
    const int STRIDE, const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t pad_top, ptrdiff_t pad_left,
    const layout *l, const float *weights, float *out, ptrdiff_t oy, ptrdiff_t ox, const int vectors,
    const float *init, const float *clamp) {
    __m512 acc[TILE_ROWS][2];
    for (int r = 0; r < TILE_ROWS; ++r) {
        for (int u = 0; u < vectors; ++u) acc[r][u] = _mm512_setzero_ps();
    }
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i limit = _mm512_set1_epi32((int)width);
    const uintptr_t base = (uintptr_t)image;
    // Lanes k with 0 <= x + k < width.
#define CK_INSIDE(x) _mm512_cmplt_epu32_mask(_mm512_add_epi32(lanes, _mm512_set1_epi32((int)(x))), limit)
    for (ptrdiff_t i = 0; i < l->kernel_h; ++i) {
        for (ptrdiff_t j = 0; j < l->kernel_w; ++j) {
            const __m512 w = _mm512_set1_ps(weights[i * l->kernel_w + j]);
            const ptrdiff_t x = STRIDE * ox + j * l->dilation_w - pad_left;  // output ox's column
            __mmask16 inside[2][2];  // per vector: its (first, second) 16 source columns
            for (int u = 0; u < vectors; ++u) {
                inside[u][0] = CK_INSIDE(x + 16 * STRIDE * u);
                if (STRIDE == 2) inside[u][1] = CK_INSIDE(x + 32 * u + 16);
            }
            for (int r = 0; r < TILE_ROWS; ++r) {
                const ptrdiff_t y = (oy + r) * l->stride_h + i * l->dilation_h - pad_top;
                const int row_inside = y >= 0 && y < height;
                // An address computed as an integer: it may lie outside the plane where the mask is clear.
                const float *source = (const float *)(base + (uintptr_t)((y * width + x) * (ptrdiff_t)sizeof(float)));
                for (int u = 0; u < vectors; ++u) {
                    __m512 value = _mm512_setzero_ps();
                    if (row_inside) {
                        const float *columns = source + 16 * STRIDE * u;
                        value = _mm512_maskz_loadu_ps(inside[u][0], columns);
                        if (STRIDE == 2) {
                            value = _mm512_permutex2var_ps(
                                value, even, _mm512_maskz_loadu_ps(inside[u][1], columns + 16));
                        }
                    }
                    acc[r][u] = _mm512_fmadd_ps(w, value, acc[r][u]);
                }
            }
        }
    }
#undef CK_INSIDE
    store_tile_avx512(acc, l, out, oy, ox, vectors, init, clamp);
}

#define CK_DIRECT_PLANE(name, STRIDE)                                                                         \
    __attribute__((target("avx512f"))) static void name(const float *image, ptrdiff_t height, ptrdiff_t width,  \
                                                        ptrdiff_t pad_top, ptrdiff_t pad_left, const layout *l,  \
                                                        const float *weights, float *out, const float *init,    \
                                                        const float *clamp) {                                    \
        for (ptrdiff_t oy = 0; oy < l->out_h; oy += TILE_ROWS) {                                                 \
            ptrdiff_t ox = 0;                                                                                    \
            for (; ox + 16 < l->out_w; ox += 32) {                                                               \
                tile_direct_avx512(STRIDE, image, height, width, pad_top, pad_left, l, weights, out, oy, ox, 2, \
                                   init, clamp);                                                                 \
            }                                                                                                    \
            if (ox < l->out_w) {                                                                                 \
                tile_direct_avx512(STRIDE, image, height, width, pad_top, pad_left, l, weights, out, oy, ox, 1, \
                                   init, clamp);                                                                 \
            }                                                                                                    \
        }                                                                                                        \
    }
CK_DIRECT_PLANE(plane_direct_avx512, 1)
CK_DIRECT_PLANE(plane_direct2_avx512, 2)
#undef CK_DIRECT_PLANE

// Column stride 2 with three adjacent columns (kernel_w 3, dilation_w 1), the strided
// depthwise convolutions of MobileNets: per input row and vector, the 32 source columns
// x0 … x0 + 31 and column x0 + 32 are loaded once and split into the three taps' vectors — the
// even columns (j = 0), the odd ones (j = 1) and the even ones one further (j = 2, shifted in
// from column x0 + 32) — instead of two loads and a permute per tap. Each loaded row serves every
// output row of the tile that reads it (rows oy·stride_h + i·dilation_h − pad_top), taps still
// added per output in (i, j) order, rows outside the plane as 0: the bits of tile_direct_avx512.
__attribute__((target("avx512f"), always_inline)) static inline void tile_s2w3_avx512(
    const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t pad_top, ptrdiff_t pad_left, const layout *l,
    const float *weights, float *out, ptrdiff_t oy, ptrdiff_t ox, const int vectors, const float *init,
    const float *clamp) {
    __m512 acc[TILE_ROWS][2];
    for (int r = 0; r < TILE_ROWS; ++r) {
        for (int u = 0; u < vectors; ++u) acc[r][u] = _mm512_setzero_ps();
    }
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i limit = _mm512_set1_epi32((int)width);
    const ptrdiff_t x = 2 * ox - pad_left;  // the tile's first source column
#define CK_INSIDE(x) _mm512_cmplt_epu32_mask(_mm512_add_epi32(lanes, _mm512_set1_epi32((int)(x))), limit)
    __mmask16 inside[2][3];  // per vector: columns x0 … x0 + 15, x0 + 16 … x0 + 31, x0 + 32
    for (int u = 0; u < vectors; ++u) {
        inside[u][0] = CK_INSIDE(x + 32 * u);
        inside[u][1] = CK_INSIDE(x + 32 * u + 16);
        inside[u][2] = CK_INSIDE(x + 32 * u + 32) & (__mmask16)1;
    }
#undef CK_INSIDE
    const uintptr_t base = (uintptr_t)image;
    const ptrdiff_t sh = l->stride_h, dh = l->dilation_h, kh = l->kernel_h;
    const ptrdiff_t first = oy * sh - pad_top, rows = (TILE_ROWS - 1) * sh + (kh - 1) * dh + 1;
    for (ptrdiff_t t = 0; t < rows; ++t) {
        const ptrdiff_t y = first + t;
        const int row_inside = y >= 0 && y < height;
        // An address computed as an integer: it may lie outside the plane where the mask is clear.
        const uintptr_t source = base + (uintptr_t)((y * width + x) * (ptrdiff_t)sizeof(float));
        __m512 taps[2][3];
        for (int u = 0; u < vectors; ++u) {
            if (row_inside) {
                const float *columns = (const float *)(source + (uintptr_t)(128 * u));
                const __m512 a = _mm512_maskz_loadu_ps(inside[u][0], columns);
                const __m512 b = _mm512_maskz_loadu_ps(inside[u][1], columns + 16);
                const __m512 c = _mm512_maskz_loadu_ps(inside[u][2], columns + 32);
                taps[u][0] = _mm512_permutex2var_ps(a, even, b);
                taps[u][1] = _mm512_permutex2var_ps(a, odd, b);
                taps[u][2] = _mm512_castsi512_ps(
                    _mm512_alignr_epi32(_mm512_castps_si512(c), _mm512_castps_si512(taps[u][0]), 1));
            } else {
                taps[u][0] = taps[u][1] = taps[u][2] = _mm512_setzero_ps();
            }
        }
        for (int r = 0; r < TILE_ROWS; ++r) {
            const ptrdiff_t d = t - r * sh;  // = i · dilation_h for the tap row i this row is to output row r
            if (d < 0 || d % dh != 0 || d / dh >= kh) continue;
            const float *w = weights + 3 * (d / dh);
            for (int j = 0; j < 3; ++j) {
                const __m512 wj = _mm512_set1_ps(w[j]);
                for (int u = 0; u < vectors; ++u) acc[r][u] = _mm512_fmadd_ps(wj, taps[u][j], acc[r][u]);
            }
        }
    }
    store_tile_avx512(acc, l, out, oy, ox, vectors, init, clamp);
}

__attribute__((target("avx512f"))) static void plane_s2w3_avx512(const float *image, ptrdiff_t height,
                                                                   ptrdiff_t width, ptrdiff_t pad_top,
                                                                   ptrdiff_t pad_left, const layout *l,
                                                                   const float *weights, float *out,
                                                                   const float *init, const float *clamp) {
    for (ptrdiff_t oy = 0; oy < l->out_h; oy += TILE_ROWS) {
        ptrdiff_t ox = 0;
        for (; ox + 16 < l->out_w; ox += 32) {
            tile_s2w3_avx512(image, height, width, pad_top, pad_left, l, weights, out, oy, ox, 2, init, clamp);
        }
        if (ox < l->out_w) {
            tile_s2w3_avx512(image, height, width, pad_top, pad_left, l, weights, out, oy, ox, 1, init, clamp);
        }
    }
}

// Column and row stride 1 with output rows as wide as the input's (the padding left and right
// sums to the kernel's reach, as in "same" convolutions): output p = oy·out_w + ox reads tap (i, j)
// at input p + (i·dilation_h − pad_top)·width + j·dilation_w − pad_left for every p, so a vector
// of 16 consecutive outputs, even one straddling rows, reads one contiguous run per tap; its lanes
// on padding (or past the plane) load as 0 under a mask. The masks depend on the geometry only:
// made once per geometry and thread (flat_masks), then shared by every channel and image. Eight
// vectors in flight keep both FMA ports busy, on 7×7 and 14×14 planes too (rows no longer waste
// a vector's surplus lanes). Each output's taps are still summed from 0 in (i, j) order with the
// same multiply-adds (a padding lane adds w · 0, as im2col's zero does), then written as
// store_tile_avx512 writes: the same bits as the tiles.
enum { FLAT_BLOCK = 8 };

__attribute__((target("avx512f"), always_inline)) static inline void flat_block_avx512(
    const int count, const float *image, ptrdiff_t taps, const ptrdiff_t *offsets, const __mmask16 *masks,
    const float *weights, float *out, ptrdiff_t v0, ptrdiff_t plane, const float *init, const float *clamp) {
    __m512 acc[FLAT_BLOCK];
    for (int b = 0; b < count; ++b) acc[b] = _mm512_setzero_ps();
    // Addresses computed as integers: a masked-off lane's may lie outside the plane.
    const uintptr_t base = (uintptr_t)image + (uintptr_t)(64 * v0);
    const __mmask16 *m = masks + v0 * taps;
    for (ptrdiff_t t = 0; t < taps; ++t) {
        const __m512 w = _mm512_set1_ps(weights[t]);
        const uintptr_t source = base + (uintptr_t)(offsets[t] * (ptrdiff_t)sizeof(float));
        for (int b = 0; b < count; ++b) {
            acc[b] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m[b * taps + t], (const float *)(source + 64 * b)),
                                     acc[b]);
        }
    }
    for (int b = 0; b < count; ++b) {
        float *destination = out + 16 * (v0 + b);
        const ptrdiff_t left = plane - 16 * (v0 + b);
        const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __m512 start = init ? _mm512_set1_ps(*init) : _mm512_maskz_loadu_ps(mask, destination);
        __m512 sum = _mm512_add_ps(start, acc[b]);
        if (clamp) {
            const __m512 low = _mm512_set1_ps(clamp[0]), high = _mm512_set1_ps(clamp[1]);
            sum = _mm512_mask_mov_ps(sum, _mm512_cmp_ps_mask(sum, low, _CMP_LT_OQ), low);
            sum = _mm512_mask_mov_ps(sum, _mm512_cmp_ps_mask(sum, high, _CMP_GT_OQ), high);
        }
        _mm512_mask_storeu_ps(destination, mask, sum);
    }
}

__attribute__((target("avx512f"))) static void plane_flat_avx512(const float *image, ptrdiff_t taps,
                                                                   const ptrdiff_t *offsets, const __mmask16 *masks,
                                                                   ptrdiff_t plane, const float *weights, float *out,
                                                                   const float *init, const float *clamp) {
    const ptrdiff_t vectors = (plane + 15) / 16;
    ptrdiff_t v = 0;
    for (; v + FLAT_BLOCK <= vectors; v += FLAT_BLOCK) {
        flat_block_avx512(FLAT_BLOCK, image, taps, offsets, masks, weights, out, v, plane, init, clamp);
    }
    if (vectors - v >= 4) {
        flat_block_avx512(4, image, taps, offsets, masks, weights, out, v, plane, init, clamp);
        v += 4;
    }
    if (vectors - v >= 2) {
        flat_block_avx512(2, image, taps, offsets, masks, weights, out, v, plane, init, clamp);
        v += 2;
    }
    if (vectors - v >= 1) flat_block_avx512(1, image, taps, offsets, masks, weights, out, v, plane, init, clamp);
}

#endif

// The flattened plane's geometry and, per 16-output vector and tap, the lanes that read the image
// (inside it, and inside the plane): the last geometry this thread used, kept for the next call
// (a batch's images, one call each, share it).
typedef struct {
    ptrdiff_t key[9];
    ptrdiff_t offsets[MAX_TAPS];
    unsigned short *masks;  // [vector][tap]
    size_t capacity;
} flat_geometry;

static _Thread_local flat_geometry flat_cache = {{0}, {0}, NULL, 0};

static const flat_geometry *flat_masks(ptrdiff_t height, ptrdiff_t width, const layout *l, ptrdiff_t pad_top,
                                       ptrdiff_t pad_left) {
    const ptrdiff_t key[9] = {height, width, l->kernel_h, l->kernel_w, l->dilation_h, l->dilation_w,
                              pad_top, pad_left, l->out_h};
    flat_geometry *g = &flat_cache;
    if (g->masks && memcmp(g->key, key, sizeof key) == 0) return g;
    const ptrdiff_t taps = l->kernel_h * l->kernel_w, plane = l->out_h * l->out_w, vectors = (plane + 15) / 16;
    const size_t needed = (size_t)(vectors * taps);
    if (needed > g->capacity || !g->masks) {
        unsigned short *grown = malloc((needed ? needed : 1) * sizeof(unsigned short));
        if (!grown) return NULL;
        free(g->masks);
        g->masks = grown;
        g->capacity = needed;
    }
    memcpy(g->key, key, sizeof key);
    for (ptrdiff_t i = 0; i < l->kernel_h; ++i) {
        for (ptrdiff_t j = 0; j < l->kernel_w; ++j) {
            g->offsets[i * l->kernel_w + j] = (i * l->dilation_h - pad_top) * width + j * l->dilation_w - pad_left;
        }
    }
    for (ptrdiff_t v = 0; v < vectors; ++v) {
        unsigned rows[MAX_TAPS], columns[MAX_TAPS];  // per i, per j: the lanes inside
        for (ptrdiff_t i = 0; i < l->kernel_h; ++i) rows[i] = 0;
        for (ptrdiff_t j = 0; j < l->kernel_w; ++j) columns[j] = 0;
        for (ptrdiff_t k = 0; k < 16 && 16 * v + k < plane; ++k) {
            const ptrdiff_t oy = (16 * v + k) / l->out_w, ox = (16 * v + k) % l->out_w;
            for (ptrdiff_t i = 0; i < l->kernel_h; ++i) {
                const ptrdiff_t y = oy + i * l->dilation_h - pad_top;
                if (y >= 0 && y < height) rows[i] |= 1u << k;
            }
            for (ptrdiff_t j = 0; j < l->kernel_w; ++j) {
                const ptrdiff_t x = ox + j * l->dilation_w - pad_left;
                if (x >= 0 && x < width) columns[j] |= 1u << k;
            }
        }
        for (ptrdiff_t t = 0; t < taps; ++t) {
            g->masks[v * taps + t] = (unsigned short)(rows[t / l->kernel_w] & columns[t % l->kernel_w]);
        }
    }
    return g;
}

// MARK: entry point

static _Thread_local float *scratch_buffer = NULL;
static _Thread_local size_t scratch_capacity = 0;

int ck_depthwise_conv(const float *image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width, const float *weights,
                      ptrdiff_t multiplier, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t stride_h,
                      ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t dilation_h,
                      ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, float *out, const float *plane_init,
                      const float *clamp) {
    if (channels <= 0 || multiplier <= 0 || out_h <= 0 || out_w <= 0) return 1;  // nothing to add
    if (height <= 0 || width <= 0 || kernel_h <= 0 || kernel_w <= 0 || kernel_h * kernel_w > MAX_TAPS ||
        stride_h <= 0 || stride_w <= 0 || dilation_h <= 0 || dilation_w <= 0 || pad_top < 0 || pad_left < 0) {
        return 0;
    }
    layout l = {kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, out_h, out_w, 0, 0, 0};
    l.rows = (round_up(out_h, TILE_ROWS) - 1) * stride_h + (kernel_h - 1) * dilation_h + 1;
    l.width = round_up(out_w, TILE_COLUMNS) + (kernel_w - 1) * dilation_w / stride_w + 1;
    l.row_step = stride_w * l.width;
    const size_t needed = (size_t)(l.rows * l.row_step);
    if (needed > scratch_capacity) {
        float *grown = malloc(needed * sizeof(float));
        if (!grown) return 0;
        free(scratch_buffer);
        scratch_buffer = grown;
        scratch_capacity = needed;
    }
    void (*plane)(const float *, const layout *, const float *, float *) = plane_portable;
    int fused = 0;  // the AVX-512 plane writes init + sum, clamped, itself
#if CK_X86_64
    switch (ck_variant_id()) {
    case 2: plane = plane_avx2; break;
    case 3: fused = 1; break;
    default: break;
    }
#endif
    (void)fused;
    const ptrdiff_t taps = kernel_h * kernel_w, plane_size = out_h * out_w;
    const int wide = ck_variant_id() >= 2;
#if CK_X86_64
    if (fused && stride_h == 1 && stride_w == 1 && out_w == width && CK_DEPTHWISE_FLAT) {
        const flat_geometry *g = flat_masks(height, width, &l, pad_top, pad_left);
        if (g) {
            for (ptrdiff_t output = 0; output < channels * multiplier; ++output) {
                plane_flat_avx512(image + (output / multiplier) * height * width, taps, g->offsets,
                                  (const __mmask16 *)g->masks, plane_size, weights + output * taps,
                                  out + output * plane_size, plane_init ? plane_init + output : NULL, clamp);
            }
            return 1;
        }
    }
#endif
    for (ptrdiff_t c = 0; c < channels; ++c) {
#if CK_X86_64
        if (fused && stride_w <= 2) {  // straight from the image: no scratch
            for (ptrdiff_t m = 0; m < multiplier; ++m) {
                const ptrdiff_t output = c * multiplier + m;
                (stride_w == 1                             ? plane_direct_avx512
                 : kernel_w == 3 && dilation_w == 1 && CK_DEPTHWISE_S2W3 ? plane_s2w3_avx512
                                                            : plane_direct2_avx512)(
                    image + c * height * width, height, width, pad_top, pad_left, &l, weights + output * taps,
                    out + output * plane_size, plane_init ? plane_init + output : NULL, clamp);
            }
            continue;
        }
#endif
        fill_scratch(image + c * height * width, height, width, pad_top, pad_left, &l, scratch_buffer);
        for (ptrdiff_t m = 0; m < multiplier; ++m) {
            const ptrdiff_t output = c * multiplier + m;
            float *destination = out + output * plane_size;
#if CK_X86_64
            if (fused) {
                plane_avx512(scratch_buffer, &l, weights + output * taps, destination,
                             plane_init ? plane_init + output : NULL, clamp);
                continue;
            }
#endif
            if (plane_init) ck_fill_rows(wide, destination, plane_size, plane_init + output, 1, plane_size);
            plane(scratch_buffer, &l, weights + output * taps, destination);
            if (clamp) ck_clamp_rows(wide, destination, plane_size, clamp, 1, plane_size);
        }
    }
    return 1;
}
