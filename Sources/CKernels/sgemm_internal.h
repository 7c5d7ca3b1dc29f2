// Internals of the packed SGEMM (sgemm.c) shared with the convolution drivers (sgemm_conv.c,
// sgemm_segments.c): the blocking, the micro-kernel variants and one block of the driver.
#ifndef CKERNELS_SGEMM_INTERNAL_H
#define CKERNELS_SGEMM_INTERNAL_H

#include <stddef.h>

enum { KC = 256, MC = 96, NC = 2048 };  // MC is a multiple of every MR (12, 6, 4); NC of every NR.

// A micro-kernel computes one MR×NR tile: C[rows × columns] += A-panel · B-panel over kc.
// The A panel is read at a[r · a_row + p · a_k]: packed panels have a_row = 1, a_k = MR; A read
// in place (row-major, alpha = 1) has a_row = lda, a_k = 1. Both read the same values in the
// same order, so the two forms give bit-identical results.
typedef void (*microkernel)(ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, float *c,
                            ptrdiff_t ldc, int rows, int columns);

// The AVX-512 kernel also applies the epilogue (see `epilogue` below) in its write-back: the
// tile starts from `init` (one value per row, not NULL) instead of C's contents and is clamped
// to `clamp` {low, high} (not NULL) before it is stored, so C is written once per tile instead
// of filled, accumulated and clamped in three passes. Same operations in the same order.
typedef void (*fused_microkernel)(ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb,
                                  float *c, ptrdiff_t ldc, int rows, int columns, const float *init,
                                  const float *clamp, const float *addend);

typedef struct {
    int mr, nr;
    microkernel kernel;
    const char *name;
    int id;                   // as in ck_sgemm_force_variant
    fused_microkernel fused;  // NULL: the epilogue runs around `kernel`
} variant;

// What happens to C around the products of one K slice (both NULL: plain C += A·B).
// row_init (first slice only): each tile of C starts from its row's value instead of its
// contents, so a convolution's bias is written where the tile is hot, not by a pass over C
// beforehand; same values, same order as filling C with the bias first. clamp (last slice
// only): {low, high} applied to each finished tile (a fused ReLU / ReLU6 / Clip), with Clip's
// rule: v < low ? low : v, then v > high ? high : v (NaN stays NaN; low > high gives high).
// addend (last slice only, before the clamp): a matrix laid out as C (same strides from c_base,
// C's start) whose elements are added to the finished tile — a residual Add fused into the
// convolution before it: (bias + A·B) + addend, the Add's own operation on the same values.
typedef struct {
    const float *row_init;  // indexed by C's absolute row
    const float *clamp;
    const float *addend;    // NULL: none
    const float *c_base;    // where C starts (the addend's offsets are C's)
} epilogue;

/// The addend's elements for the tile of C starting at `c` (NULL without an addend).
static inline const float *ck_epilogue_addend(epilogue e, const float *c) {
    return e.addend ? e.addend + (c - e.c_base) : NULL;
}

static inline ptrdiff_t ck_round_up(ptrdiff_t value, ptrdiff_t multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

// One row of a full packed panel of B: nr floats (32 on AVX-512, 16 on AVX2 and portable)
// copied inline; a memcpy call per 64 or 128 bytes cost several percent of a pass.
static inline void ck_copy_panel_row(float *restrict out, const float *restrict source, int nr) {
    if (nr == 32) {
        for (int j = 0; j < 32; ++j) out[j] = source[j];
    } else if (nr == 16) {
        for (int j = 0; j < 16; ++j) out[j] = source[j];
    } else {
        for (int j = 0; j < nr; ++j) out[j] = source[j];
    }
}

// How a block of C is walked, per K slice kc deep: in sweeps of ck_gemm_sweep_columns(kc, nr)
// columns, every MR-row panel multiplying a sweep's B panels left to right before the next row
// panel starts. For a shallow slice (kc <= SWEEP_DEPTH) a sweep is up to SWEEP_BYTES of packed
// B, kept in L2 while the row panels pass, and C is written as MR sequential streams (one row
// panel's rows) instead of one per row of the MC block: with Goto's order (every row panel on one
// NR panel of B in turn) a shallow product wrote all 96 rows of a multi-megabyte C at once, more
// streams than the prefetchers follow, and each line of C was a demand miss — ResNet-50's
// 256 × 3136 × 64 products ran at half speed (sgemm.c's header). For a deeper slice a tile's
// arithmetic hides C's writes, and a sweep is one NR panel: Goto's order, B's panel in L1
// across the row panels (sweeps there measured no faster, and slower for 3×3 convolutions).
enum { SWEEP_BYTES = 512 * 1024, SWEEP_DEPTH = 128 };

/// Columns of B per sweep of the row panels: a multiple of nr, at least nr (nr: Goto's order).
static inline ptrdiff_t ck_gemm_sweep_columns(ptrdiff_t kc, int nr) {
    if (kc > SWEEP_DEPTH) return nr;
    const ptrdiff_t columns = SWEEP_BYTES / (ptrdiff_t)sizeof(float) / (kc > 0 ? kc : 1) / nr * nr;
    return columns < nr ? nr : columns;
}

/// The variant this thread multiplies with (id 1 portable, 2 AVX2 + FMA, 3 AVX-512).
const variant *ck_gemm_current(void);

/// This thread's packing buffers for A and B, grown to at least `count` floats (64-byte aligned).
float *ck_gemm_reserve_a(size_t count);
float *ck_gemm_reserve_b(size_t count);

/// The depth of K's slices: equal slices of at most KC.
ptrdiff_t ck_gemm_slice_depth(ptrdiff_t k);

/// The epilogue of the K slice starting at pc (of depth kc, of k in all).
epilogue ck_gemm_slice_epilogue(epilogue e, ptrdiff_t pc, ptrdiff_t kc, ptrdiff_t k);

/// C[ic ..< ic+mc, jc ..< jc+nc] += A[ic ..< ic+mc, pc ..< pc+kc] (row-major, read in place) ·
/// the packed B block, with the epilogue around each tile.
void ck_gemm_block(const variant *v, const float *a, ptrdiff_t lda, ptrdiff_t ic, ptrdiff_t mc, ptrdiff_t pc,
                   ptrdiff_t kc, const float *packed_b, ptrdiff_t jc, ptrdiff_t nc, float *c, ptrdiff_t ldc,
                   float *packed_a, epilogue e);

/// One micro-kernel call on a rows × columns tile of C (its first row is C's row `row`, for the
/// epilogue's row_init), the epilogue around it.
void ck_gemm_tile(const variant *v, epilogue e, ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k,
                  const float *pb, float *c, ptrdiff_t ldc, ptrdiff_t row, int rows, int columns);

/// ck_gemm_tile with B read in place (a full NR-column panel, rows ldb floats apart) where the
/// variant has such a kernel (AVX-512); returns 0, computing nothing, elsewhere.
int ck_gemm_direct_tile(const variant *v, epilogue e, ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k,
                        const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, ptrdiff_t row, int rows, int columns);

/// A[i0 ..< i0+mc, p0 ..< p0+kc] (row-major) into zero-padded MR-row panels.
void ck_gemm_pack_a(const float *a, ptrdiff_t lda, ptrdiff_t i0, ptrdiff_t mc, ptrdiff_t p0, ptrdiff_t kc, int mr,
                    float *out);

#endif
