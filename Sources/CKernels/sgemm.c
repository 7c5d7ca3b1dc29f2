// Packed, cache-blocked SGEMM (Goto/BLIS structure) with run-time chosen micro-kernels.
//
//   for each NC-wide column block of B and C
//     for each KC-deep slice of K:      pack B[KC × NC] into NR-wide panels      (stays in L2/L3)
//       for each MC-tall row block:     pack alpha·A[MC × KC] into MR-tall panels (stays in L2)
//         for each sweep of columns:    KC × nb of the packed B (sgemm_internal.h)
//           for each MR panel:          its rows of C written left to right
//             for each NR panel:        micro-kernel: MR×NR accumulators in registers, C += A·B
//
// A sweep is one NR panel for deep K slices (Goto's order: the B panel stays in L1 while every
// row panel uses it) and up to 512 KiB of B for shallow ones (at most 128 deep), whose tiles are
// too short to hide writing C: there one NR panel at a time touched all MC rows of a large C (96
// write streams, more than the prefetchers track) and every line became a demand miss. Measured
// with a C harness (batches of 16 images, one thread): a 256 × 3136 × 64 product (ResNet-50's
// first expanding 1×1 convolution) 1.6–2.0 → 0.8–0.9 ms per image, 512 × 784 × 128 0.87 → 0.70 ms;
// in ResNet-50 itself (one thread, per layer, best of two runs) its three 256 × 3136 × 64
// layers went from 1.73–1.84 to 0.83–1.01 ms per image.
//
// Packing pads partial panels with zeros, so the micro-kernels always run full MR×NR tiles and
// only the write-back is clipped. Summation over K runs in ascending order within each KC slice
// and slice by slice, so a given variant is deterministic regardless of how callers split rows.
#include "ckernels.h"
#include "epilogue.h"
#include "sgemm_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86_64 1
#endif



// Adds the rows × columns corner of a packed MR×NR tile to C.
static void add_tile(const float *tile, int nr, float *c, ptrdiff_t ldc, int rows, int columns) {
    for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < columns; ++j) c[r * ldc + j] += tile[r * nr + j];
    }
}

// add_tile with the fused epilogue: each row starts from init[r] (when init is not NULL), the
// addend's element is added (when addend is not NULL: a residual Add, rows ldc apart like C's),
// and the result is clamped to {low, high} (when clamp is not NULL) as ck_clamp_rows does.
static void finish_tile(const float *tile, int nr, float *c, ptrdiff_t ldc, int rows, int columns, const float *init,
                        const float *clamp, const float *addend) {
    for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < columns; ++j) {
            float value = (init ? init[r] : c[r * ldc + j]) + tile[r * nr + j];
            if (addend) value = value + addend[r * ldc + j];
            if (clamp) {
                value = value < clamp[0] ? clamp[0] : value;
                value = value > clamp[1] ? clamp[1] : value;
            }
            c[r * ldc + j] = value;
        }
    }
}

// MARK: portable (any CPU): 4×16, left to the compiler's auto-vectorizer.

static void kernel_portable(ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, float *c,
                            ptrdiff_t ldc, int rows, int columns) {
    float acc[4][16];
    memset(acc, 0, sizeof acc);
    for (ptrdiff_t p = 0; p < kc; ++p) {
        for (int r = 0; r < 4; ++r) {
            const float value = a[r * a_row];
            for (int j = 0; j < 16; ++j) acc[r][j] += value * pb[j];
        }
        a += a_k;
        pb += 16;
    }
    add_tile(&acc[0][0], 16, c, ldc, rows, columns);
}

#if CK_X86_64

// MARK: AVX2 + FMA: 6×16, twelve 8-wide accumulators.

// R_MAX (a constant where inlined): the rows multiplied, 6 for a full panel; a partial last
// panel of at most 2 or 4 rows (64 = 10·6 + 4, 32 = 5·6 + 2) skips the padded rows' arithmetic.
// Each row's sums are the same operations in the same order either way.
__attribute__((target("avx2,fma"), always_inline)) static inline void kernel_avx2_body(
    const int R_MAX, ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, float *c,
    ptrdiff_t ldc, int rows, int columns) {
#define CK_ROW(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    CK_ROW(0) CK_ROW(1) CK_ROW(2) CK_ROW(3) CK_ROW(4) CK_ROW(5)
#undef CK_ROW
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8);
#define CK_FMA(r)                                                \
    if (R_MAX > r) {                                             \
        const __m256 value = _mm256_broadcast_ss(a + r * a_row); \
        c##r##0 = _mm256_fmadd_ps(value, b0, c##r##0);           \
        c##r##1 = _mm256_fmadd_ps(value, b1, c##r##1);           \
    }
        CK_FMA(0) CK_FMA(1) CK_FMA(2) CK_FMA(3) CK_FMA(4) CK_FMA(5)
#undef CK_FMA
        a += a_k;
        pb += 16;
    }
    if (columns == 16) {
#define CK_STORE(r)                                                                               \
    if (r < rows) {                                                                               \
        _mm256_storeu_ps(c + r * ldc, _mm256_add_ps(_mm256_loadu_ps(c + r * ldc), c##r##0));     \
        _mm256_storeu_ps(c + r * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + r * ldc + 8), c##r##1)); \
    }
        CK_STORE(0) CK_STORE(1) CK_STORE(2) CK_STORE(3) CK_STORE(4) CK_STORE(5)
#undef CK_STORE
        return;
    }
    float tile[6 * 16] __attribute__((aligned(32)));
#define CK_SPILL(r)                              \
    _mm256_store_ps(tile + r * 16, c##r##0);     \
    _mm256_store_ps(tile + r * 16 + 8, c##r##1);
    CK_SPILL(0) CK_SPILL(1) CK_SPILL(2) CK_SPILL(3) CK_SPILL(4) CK_SPILL(5)
#undef CK_SPILL
    add_tile(tile, 16, c, ldc, rows, columns);
}

__attribute__((target("avx2,fma"))) static void kernel_avx2(ptrdiff_t kc, const float *a, ptrdiff_t a_row,
                                                            ptrdiff_t a_k, const float *pb, float *c, ptrdiff_t ldc,
                                                            int rows, int columns) {
    if (a_row == 1 && a_k == 6) {
        if (rows <= 2) {
            kernel_avx2_body(2, kc, a, 1, 6, pb, c, ldc, rows, columns);
        } else if (rows <= 4) {
            kernel_avx2_body(4, kc, a, 1, 6, pb, c, ldc, rows, columns);
        } else {
            kernel_avx2_body(6, kc, a, 1, 6, pb, c, ldc, rows, columns);
        }
    } else {
        kernel_avx2_body(6, kc, a, a_row, a_k, pb, c, ldc, rows, columns);
    }
}

// MARK: AVX-512: 12×32, twenty-four 16-wide accumulators.

// One finished 16-wide row piece: init (or C's contents) + the accumulator, + the addend's 16
// values (a residual Add) when addend is not NULL, then the clamp with Clip's rule (v < low ? low
// : v, then v > high ? high : v; NaN stays NaN).
__attribute__((target("avx512f"), always_inline)) static inline __m512 finish512(__m512 acc, const float *c,
                                                                                 const float *init, int r,
                                                                                 const float *clamp,
                                                                                 const float *addend) {
    __m512 value = _mm512_add_ps(init ? _mm512_set1_ps(init[r]) : _mm512_loadu_ps(c), acc);
    if (addend) value = _mm512_add_ps(value, _mm512_loadu_ps(addend));
    if (clamp) {
        const __m512 low = _mm512_set1_ps(clamp[0]), high = _mm512_set1_ps(clamp[1]);
        value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, low, _CMP_LT_OQ), low);
        value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, high, _CMP_GT_OQ), high);
    }
    return value;
}

// Shared by both AVX-512 forms: the accumulators c<r>0, c<r>1 for rows r = 0…11, and their
// write-back into C (straight for a full tile, through a spilled tile for a clipped one).
#define CK512_ZERO(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
#define CK512_ACCUMULATORS                                                     \
    CK512_ZERO(0) CK512_ZERO(1) CK512_ZERO(2) CK512_ZERO(3) CK512_ZERO(4)      \
    CK512_ZERO(5) CK512_ZERO(6) CK512_ZERO(7) CK512_ZERO(8) CK512_ZERO(9)      \
    CK512_ZERO(10) CK512_ZERO(11)
#define CK512_FMA(r, value)                                \
    {                                                      \
        const __m512 broadcast = _mm512_set1_ps(value);    \
        c##r##0 = _mm512_fmadd_ps(broadcast, b0, c##r##0); \
        c##r##1 = _mm512_fmadd_ps(broadcast, b1, c##r##1); \
    }
#define CK512_STORE(r)                                                          \
    _mm512_storeu_ps(c + r * ldc, finish512(c##r##0, c + r * ldc, init, r, clamp, addend ? addend + r * ldc : NULL)); \
    _mm512_storeu_ps(c + r * ldc + 16, finish512(c##r##1, c + r * ldc + 16, init, r, clamp, addend ? addend + r * ldc + 16 : NULL));
#define CK512_SPILL(r)                           \
    _mm512_store_ps(tile + r * 32, c##r##0);     \
    _mm512_store_ps(tile + r * 32 + 16, c##r##1);
#define CK512_WRITE_BACK                                                                      \
    if (rows == 12 && columns == 32) {                                                        \
        CK512_STORE(0) CK512_STORE(1) CK512_STORE(2) CK512_STORE(3) CK512_STORE(4)            \
        CK512_STORE(5) CK512_STORE(6) CK512_STORE(7) CK512_STORE(8) CK512_STORE(9)            \
        CK512_STORE(10) CK512_STORE(11)                                                       \
        return;                                                                               \
    }                                                                                         \
    float tile[12 * 32] __attribute__((aligned(64)));                                         \
    CK512_SPILL(0) CK512_SPILL(1) CK512_SPILL(2) CK512_SPILL(3) CK512_SPILL(4) CK512_SPILL(5) \
    CK512_SPILL(6) CK512_SPILL(7) CK512_SPILL(8) CK512_SPILL(9) CK512_SPILL(10)               \
    CK512_SPILL(11)                                                                           \
    finish_tile(tile, 32, c, ldc, rows, columns, init, clamp, addend);

// The body, inlined into the packed form (a_row = 1, a_k = 12: constant offsets) and the
// general strided form, so each compiles to its own straight-line loop.
// B's rows are b_k floats apart: 32 in a packed panel, ldb where B is read in place
// (ck_gemm_direct_tile).
__attribute__((target("avx512f"), always_inline)) static inline void kernel_avx512_body(
    ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, ptrdiff_t b_k, float *c,
    ptrdiff_t ldc, int rows, int columns, const float *init, const float *clamp,
    const float *addend) {
    CK512_ACCUMULATORS
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16);
        CK512_FMA(0, a[0]) CK512_FMA(1, a[a_row]) CK512_FMA(2, a[2 * a_row]) CK512_FMA(3, a[3 * a_row])
        CK512_FMA(4, a[4 * a_row]) CK512_FMA(5, a[5 * a_row]) CK512_FMA(6, a[6 * a_row])
        CK512_FMA(7, a[7 * a_row]) CK512_FMA(8, a[8 * a_row]) CK512_FMA(9, a[9 * a_row])
        CK512_FMA(10, a[10 * a_row]) CK512_FMA(11, a[11 * a_row])
        a += a_k;
        pb += b_k;
    }
    CK512_WRITE_BACK
}

// The in-place form: twelve row pointers indexed by p, so the twelve broadcasts have
// independent addresses (computing each from the previous one, as the compiler does for
// `a + r * lda`, makes a chain of twelve dependent adds per step that stalls the FMAs).
__attribute__((target("avx512f"), always_inline)) static inline void kernel_avx512_rows(
    ptrdiff_t kc, const float *a, ptrdiff_t lda, const float *pb, ptrdiff_t b_k, float *c, ptrdiff_t ldc, int rows,
    int columns, const float *init, const float *clamp,
    const float *addend) {
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda;
    const float *a5 = a + 5 * lda, *a6 = a + 6 * lda, *a7 = a + 7 * lda, *a8 = a + 8 * lda, *a9 = a + 9 * lda;
    const float *a10 = a + 10 * lda, *a11 = a + 11 * lda;
    // Opaque to the optimizer, which would otherwise derive each pointer from the previous one.
    __asm__("" : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5));
    __asm__("" : "+r"(a6), "+r"(a7), "+r"(a8), "+r"(a9), "+r"(a10), "+r"(a11));
    CK512_ACCUMULATORS
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m512 b0 = _mm512_loadu_ps(pb + b_k * p), b1 = _mm512_loadu_ps(pb + b_k * p + 16);
        CK512_FMA(0, a0[p]) CK512_FMA(1, a1[p]) CK512_FMA(2, a2[p]) CK512_FMA(3, a3[p]) CK512_FMA(4, a4[p])
        CK512_FMA(5, a5[p]) CK512_FMA(6, a6[p]) CK512_FMA(7, a7[p]) CK512_FMA(8, a8[p]) CK512_FMA(9, a9[p])
        CK512_FMA(10, a10[p]) CK512_FMA(11, a11[p])
    }
    CK512_WRITE_BACK
}

// A partial row panel (the last of a row block whose rows are not a multiple of 12: 64 = 5·12 + 4)
// multiplied on the rows it has, at most R_MAX = 4 or 8 of them: the 12-row body would compute
// every padded row too (ResNet's 64-channel layers paid 12.5 % more arithmetic, MobileNetV2's
// 16-channel ones 50 %). Each row's sums are the same operations in the same order as the
// 12-row body's, so the values are bit for bit the same.
#define CK512_SHORT_FMA(r, value) \
    if (R_MAX > r) CK512_FMA(r, value)
#define CK512_SHORT_STORE(r) \
    if (r < rows) { CK512_STORE(r) }
__attribute__((target("avx512f"), always_inline)) static inline void kernel_avx512_short(
    const int R_MAX, ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, ptrdiff_t b_k,
    float *c, ptrdiff_t ldc, int rows, int columns, const float *init, const float *clamp,
    const float *addend) {
    CK512_ACCUMULATORS
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16);
        CK512_SHORT_FMA(0, a[0]) CK512_SHORT_FMA(1, a[a_row]) CK512_SHORT_FMA(2, a[2 * a_row])
        CK512_SHORT_FMA(3, a[3 * a_row]) CK512_SHORT_FMA(4, a[4 * a_row]) CK512_SHORT_FMA(5, a[5 * a_row])
        CK512_SHORT_FMA(6, a[6 * a_row]) CK512_SHORT_FMA(7, a[7 * a_row])
        a += a_k;
        pb += b_k;
    }
    if (columns == 32) {
        CK512_SHORT_STORE(0) CK512_SHORT_STORE(1) CK512_SHORT_STORE(2) CK512_SHORT_STORE(3)
        CK512_SHORT_STORE(4) CK512_SHORT_STORE(5) CK512_SHORT_STORE(6) CK512_SHORT_STORE(7)
        return;
    }
    float tile[8 * 32] __attribute__((aligned(64)));
    CK512_SPILL(0) CK512_SPILL(1) CK512_SPILL(2) CK512_SPILL(3) CK512_SPILL(4) CK512_SPILL(5) CK512_SPILL(6)
    CK512_SPILL(7)
    finish_tile(tile, 32, c, ldc, rows, columns, init, clamp, addend);
}

// A packed partial panel of at most 8 rows through kernel_avx512_short; 0 when the tile is not one.
__attribute__((target("avx512f"), always_inline)) static inline int kernel_avx512_partial(
    ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, ptrdiff_t b_k, float *c,
    ptrdiff_t ldc, int rows, int columns, const float *init, const float *clamp,
    const float *addend) {
    if (rows > 8 || a_row != 1 || a_k != 12) return 0;
    if (rows <= 4) {
        kernel_avx512_short(4, kc, a, 1, 12, pb, b_k, c, ldc, rows, columns, init, clamp, addend);
    } else {
        kernel_avx512_short(8, kc, a, 1, 12, pb, b_k, c, ldc, rows, columns, init, clamp, addend);
    }
    return 1;
}

__attribute__((target("avx512f"))) static void kernel_avx512_fused(ptrdiff_t kc, const float *a, ptrdiff_t a_row,
                                                                   ptrdiff_t a_k, const float *pb, float *c,
                                                                   ptrdiff_t ldc, int rows, int columns,
                                                                   const float *init, const float *clamp,
    const float *addend) {
    if (rows < 12 && kernel_avx512_partial(kc, a, a_row, a_k, pb, 32, c, ldc, rows, columns, init, clamp, addend)) return;
    if (a_row == 1 && a_k == 12) {
        kernel_avx512_body(kc, a, 1, 12, pb, 32, c, ldc, rows, columns, init, clamp, addend);
    } else if (a_k == 1) {
        kernel_avx512_rows(kc, a, a_row, pb, 32, c, ldc, rows, columns, init, clamp, addend);
    } else {
        kernel_avx512_body(kc, a, a_row, a_k, pb, 32, c, ldc, rows, columns, init, clamp, addend);
    }
}

// The fused kernel with B read in place, rows ldb floats apart (a full 32-column panel).
__attribute__((target("avx512f"))) static void kernel_avx512_direct(ptrdiff_t kc, const float *a, ptrdiff_t a_row,
                                                                    ptrdiff_t a_k, const float *b, ptrdiff_t ldb,
                                                                    float *c, ptrdiff_t ldc, int rows, int columns,
                                                                    const float *init, const float *clamp,
    const float *addend) {
    if (rows < 12 && kernel_avx512_partial(kc, a, a_row, a_k, b, ldb, c, ldc, rows, columns, init, clamp, addend)) return;
    if (a_row == 1 && a_k == 12) {
        kernel_avx512_body(kc, a, 1, 12, b, ldb, c, ldc, rows, columns, init, clamp, addend);
    } else if (a_k == 1) {
        kernel_avx512_rows(kc, a, a_row, b, ldb, c, ldc, rows, columns, init, clamp, addend);
    } else {
        kernel_avx512_body(kc, a, a_row, a_k, b, ldb, c, ldc, rows, columns, init, clamp, addend);
    }
}

__attribute__((target("avx512f"))) static void kernel_avx512(ptrdiff_t kc, const float *a, ptrdiff_t a_row,
                                                             ptrdiff_t a_k, const float *pb, float *c, ptrdiff_t ldc,
                                                             int rows, int columns) {
    kernel_avx512_fused(kc, a, a_row, a_k, pb, c, ldc, rows, columns, NULL, NULL, NULL);
}

#endif  // CK_X86_64

// MARK: variant selection

static const variant portable_variant = {4, 16, kernel_portable, "portable", 1, NULL};
#if CK_X86_64
static const variant avx2_variant = {6, 16, kernel_avx2, "avx2-fma", 2, NULL};
static const variant avx512_variant = {12, 32, kernel_avx512, "avx512", 3, kernel_avx512_fused};
#endif

// Per thread, so a test forcing a variant never changes what other threads compute.
static _Thread_local const variant *forced_variant = NULL;

static const variant *best_variant(void) {
#if CK_X86_64
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return &avx512_variant;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &avx2_variant;
#endif
    return &portable_variant;
}

static const variant *current_variant(void) {
    const variant *forced = forced_variant;
    if (forced) return forced;
    static _Atomic(const variant *) best = NULL;
    const variant *chosen = best;
    if (!chosen) {
        chosen = best_variant();
        best = chosen;
    }
    return chosen;
}

const char *ck_sgemm_variant(void) { return current_variant()->name; }

int ck_variant_id(void) { return current_variant()->id; }

const char *ck_sgemm_force_variant(int choice) {
    const variant *chosen = NULL;
    switch (choice) {
    case 1: chosen = &portable_variant; break;
#if CK_X86_64
    case 2:
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) chosen = &avx2_variant;
        break;
    case 3:
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) chosen = &avx512_variant;
        break;
#endif
    default: break;
    }
    forced_variant = chosen;
    return ck_sgemm_variant();
}

// MARK: packing

// alpha · A[i0 ..< i0+mc, p0 ..< p0+kc] into MR-row panels: panel-major, then k, then row.
static void pack_a(int trans_a, const float *a, ptrdiff_t lda, ptrdiff_t i0, ptrdiff_t mc, ptrdiff_t p0, ptrdiff_t kc,
                   float alpha, int mr, float *restrict out) {
    for (ptrdiff_t ip = 0; ip < mc; ip += mr) {
        const int rows = (mc - ip) < mr ? (int)(mc - ip) : mr;
        if (trans_a) {
            for (ptrdiff_t p = 0; p < kc; ++p) {
                const float *source = a + (p0 + p) * lda + i0 + ip;
                int r = 0;
                for (; r < rows; ++r) out[r] = alpha * source[r];
                for (; r < mr; ++r) out[r] = 0;
                out += mr;
            }
        } else {
            for (int r = 0; r < rows; ++r) {
                const float *source = a + (i0 + ip + r) * lda + p0;
                for (ptrdiff_t p = 0; p < kc; ++p) out[p * mr + r] = alpha * source[p];
            }
            for (int r = rows; r < mr; ++r) {
                for (ptrdiff_t p = 0; p < kc; ++p) out[p * mr + r] = 0;
            }
            out += kc * mr;
        }
    }
}

// B[p0 ..< p0+kc, j0 ..< j0+nc] into NR-column panels: panel-major, then k, then column.
static void pack_b(int trans_b, const float *b, ptrdiff_t ldb, ptrdiff_t p0, ptrdiff_t kc, ptrdiff_t j0, ptrdiff_t nc,
                   int nr, float *restrict out) {
    for (ptrdiff_t jp = 0; jp < nc; jp += nr) {
        const int columns = (nc - jp) < nr ? (int)(nc - jp) : nr;
        if (trans_b) {
            for (int j = 0; j < columns; ++j) {
                const float *source = b + (j0 + jp + j) * ldb + p0;
                for (ptrdiff_t p = 0; p < kc; ++p) out[p * nr + j] = source[p];
            }
            for (int j = columns; j < nr; ++j) {
                for (ptrdiff_t p = 0; p < kc; ++p) out[p * nr + j] = 0;
            }
        } else {
            if (columns == nr) {  // a full panel: fixed-size copies the compiler inlines
                for (ptrdiff_t p = 0; p < kc; ++p) ck_copy_panel_row(out + p * nr, b + (p0 + p) * ldb + j0 + jp, nr);
                out += kc * nr;
                continue;
            }
            for (ptrdiff_t p = 0; p < kc; ++p) {
                const float *source = b + (p0 + p) * ldb + j0 + jp;
                memcpy(out + p * nr, source, (size_t)columns * sizeof(float));
                if (columns < nr) memset(out + p * nr + columns, 0, (size_t)(nr - columns) * sizeof(float));
            }
        }
        out += kc * nr;
    }
}

// MARK: driver

// Per-thread packing buffers, grown on demand and kept (a thread keeps at most two).
static _Thread_local float *buffer_a = NULL, *buffer_b = NULL;
static _Thread_local size_t capacity_a = 0, capacity_b = 0;

static float *reserve(float **buffer, size_t *capacity, size_t count) {
    if (count <= *capacity) return *buffer;
    free(*buffer);
    const size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    *buffer = aligned_alloc(64, bytes);
    *capacity = *buffer ? count : 0;
    return *buffer;
}


// K splits into equal slices of at most KC: a short last slice would cost a full pass over C.
static ptrdiff_t slice_depth(ptrdiff_t k) {
    const ptrdiff_t slices = (k + KC - 1) / KC;
    return (k + slices - 1) / slices;
}


// One micro-kernel call with the epilogue around it.
static inline void tile(const variant *v, epilogue e, ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k,
                        const float *pb, float *c, ptrdiff_t ldc, ptrdiff_t row, int rows, int columns) {
    const float *addend = ck_epilogue_addend(e, c);
    if (v->fused) {
        v->fused(kc, a, a_row, a_k, pb, c, ldc, rows, columns, e.row_init ? e.row_init + row : NULL, e.clamp, addend);
        return;
    }
    if (e.row_init) ck_fill_rows(v->id >= 2, c, ldc, e.row_init + row, rows, columns);
    v->kernel(kc, a, a_row, a_k, pb, c, ldc, rows, columns);
    if (addend) ck_add_rows(v->id >= 2, c, ldc, addend, rows, columns);
    if (e.clamp) ck_clamp_rows(v->id >= 2, c, ldc, e.clamp, rows, columns);
}

// C[ic ..< ic+mc, jc ..< jc+nc] += op(A)[ic ..< ic+mc, pc ..< pc+kc] · (packed B block).
//
// A is read in place when it is row-major and alpha is 1 (full MR-row panels; a partial last
// panel is packed, zero-padded), otherwise packed (scaled by alpha) first. Same values, same
// order either way.
static void multiply_block(const variant *v, int trans_a, float alpha, const float *a, ptrdiff_t lda, ptrdiff_t ic,
                           ptrdiff_t mc, ptrdiff_t pc, ptrdiff_t kc, const float *packed_b, ptrdiff_t jc, ptrdiff_t nc,
                           float *c, ptrdiff_t ldc, float *packed_a, epilogue e) {
    const int mr = v->mr, nr = v->nr;
    const int in_place = !trans_a && alpha == 1.0f;
    const ptrdiff_t full = in_place ? mc / mr * mr : 0;  // row panels read in place
    if (!in_place) {
        pack_a(trans_a, a, lda, ic, mc, pc, kc, alpha, mr, packed_a);
    } else if (full < mc) {
        pack_a(0, a, lda, ic + full, mc - full, pc, kc, 1.0f, mr, packed_a);
    }
    const ptrdiff_t sweep = ck_gemm_sweep_columns(kc, nr);
    for (ptrdiff_t jb = 0; jb < nc; jb += sweep) {
        const ptrdiff_t je = nc - jb < sweep ? nc : jb + sweep;
        for (ptrdiff_t ir = 0; ir < mc; ir += mr) {
            const int rows = (mc - ir) < mr ? (int)(mc - ir) : mr;
            const float *panel = ir < full ? a + (ic + ir) * lda + pc : packed_a + (ir - full) * kc;
            const ptrdiff_t a_row = ir < full ? lda : 1, a_k = ir < full ? 1 : mr;
            for (ptrdiff_t jr = jb; jr < je; jr += nr) {
                const int columns = (nc - jr) < nr ? (int)(nc - jr) : nr;
                tile(v, e, kc, panel, a_row, a_k, packed_b + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, ic + ir, rows,
                     columns);
            }
        }
    }
}

// The epilogue of the K slice starting at pc (of depth kc, of k in all).
static epilogue slice_epilogue(epilogue e, ptrdiff_t pc, ptrdiff_t kc, ptrdiff_t k) {
    const int last = pc + kc >= k;
    return (epilogue){pc == 0 ? e.row_init : NULL, last ? e.clamp : NULL, last ? e.addend : NULL, e.c_base};
}

// The blocked loops over C for one variant; B either packed on the fly (prepacked == NULL) or
// taken from a matrix packed by ck_sgemm_pack_b, whose blocks come in the same order.
static void multiply(const variant *v, int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                     const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, const float *prepacked, float *c,
                     ptrdiff_t ldc, epilogue e) {
    const int mr = v->mr, nr = v->nr;
    const ptrdiff_t ncMax = n < NC ? ck_round_up(n, nr) : NC;
    const ptrdiff_t kcMax = slice_depth(k);
    const ptrdiff_t mcMax = m < MC ? ck_round_up(m, mr) : MC;
    float *packed_b = prepacked ? NULL : reserve(&buffer_b, &capacity_b, (size_t)(ncMax * kcMax));
    float *packed_a = reserve(&buffer_a, &capacity_a, (size_t)(mcMax * kcMax));
    if (!packed_a || (!prepacked && !packed_b)) abort();  // a few hundred KiB: nothing sensible left
    const float *block = prepacked;
    for (ptrdiff_t jc = 0; jc < n; jc += NC) {
        const ptrdiff_t nc = (n - jc) < NC ? (n - jc) : NC;
        for (ptrdiff_t pc = 0; pc < k; pc += kcMax) {
            const ptrdiff_t kc = (k - pc) < kcMax ? (k - pc) : kcMax;
            if (!prepacked) {
                pack_b(trans_b, b, ldb, pc, kc, jc, nc, nr, packed_b);
                block = packed_b;
            }
            for (ptrdiff_t ic = 0; ic < m; ic += MC) {
                const ptrdiff_t mc = (m - ic) < MC ? (m - ic) : MC;
                multiply_block(v, trans_a, alpha, a, lda, ic, mc, pc, kc, block, jc, nc, c, ldc, packed_a,
                               slice_epilogue(e, pc, kc, k));
            }
            if (prepacked) block += ck_round_up(nc, nr) * kc;
        }
    }
}

void ck_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
              ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc) {
    ck_sgemm_epilogue(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, c, ldc, NULL, NULL, NULL);
}

void ck_sgemm_epilogue(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                       ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *row_init,
                       const float *clamp, const float *addend) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    multiply(current_variant(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, NULL, c, ldc,
             (epilogue){row_init, clamp, addend, c});
}

// MARK: prepacked B

struct ck_packed_matrix {
    const variant *kind;
    ptrdiff_t n, k;
    float *data;      // every (NC block, K slice) of B packed as pack_b lays it out, in loop order
    size_t capacity;  // floats `data` holds
};

ck_packed_matrix *ck_sgemm_pack_b(int trans_b, ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb) {
    return ck_sgemm_repack_b(NULL, trans_b, n, k, b, ldb);
}

ck_packed_matrix *ck_sgemm_repack_b(ck_packed_matrix *reused, int trans_b, ptrdiff_t n, ptrdiff_t k, const float *b,
                                    ptrdiff_t ldb) {
    if (n <= 0 || k <= 0) {
        ck_sgemm_free_packed(reused);
        return NULL;
    }
    const variant *v = current_variant();
    const ptrdiff_t kcMax = slice_depth(k);
    ptrdiff_t count = 0;
    for (ptrdiff_t jc = 0; jc < n; jc += NC) count += ck_round_up((n - jc) < NC ? (n - jc) : NC, v->nr) * k;
    ck_packed_matrix *packed = reused;
    if (!packed || packed->capacity < (size_t)count) {
        ck_sgemm_free_packed(reused);
        packed = malloc(sizeof *packed);
        float *data = aligned_alloc(64, ((size_t)count * sizeof(float) + 63) / 64 * 64);
        if (!packed || !data) {
            free(packed);
            free(data);
            return NULL;
        }
        *packed = (ck_packed_matrix){v, n, k, data, (size_t)count};
    }
    float *data = packed->data;
    float *out = data;
    for (ptrdiff_t jc = 0; jc < n; jc += NC) {
        const ptrdiff_t nc = (n - jc) < NC ? (n - jc) : NC;
        for (ptrdiff_t pc = 0; pc < k; pc += kcMax) {
            const ptrdiff_t kc = (k - pc) < kcMax ? (k - pc) : kcMax;
            pack_b(trans_b, b, ldb, pc, kc, jc, nc, v->nr, out);
            out += ck_round_up(nc, v->nr) * kc;
        }
    }
    *packed = (ck_packed_matrix){v, n, k, data, packed->capacity};
    return packed;
}

void ck_sgemm_free_packed(ck_packed_matrix *packed) {
    if (!packed) return;
    free(packed->data);
    free(packed);
}

size_t ck_sgemm_packed_bytes(const ck_packed_matrix *packed) {
    if (!packed) return 0;
    ptrdiff_t count = 0;
    for (ptrdiff_t jc = 0; jc < packed->n; jc += NC) {
        count += ck_round_up((packed->n - jc) < NC ? (packed->n - jc) : NC, packed->kind->nr) * packed->k;
    }
    return (size_t)count * sizeof(float);
}

int ck_sgemm_packed_for_this_thread(const ck_packed_matrix *packed) {
    return packed != NULL && packed->kind == current_variant();
}

void ck_sgemm_packed_b(int trans_a, ptrdiff_t m, float alpha, const float *a, ptrdiff_t lda,
                       const ck_packed_matrix *b, float *c, ptrdiff_t ldc) {
    if (m <= 0 || !b) return;
    multiply(b->kind, trans_a, 0, m, b->n, b->k, alpha, a, lda, NULL, 0, b->data, c, ldc, (epilogue){NULL, NULL, NULL, c});
}

void ck_sgemm_packed_b_epilogue(ptrdiff_t m, const float *a, ptrdiff_t lda, const ck_packed_matrix *b, float *c,
                                ptrdiff_t ldc, const float *row_init, const float *clamp) {
    if (m <= 0 || !b) return;
    multiply(b->kind, 0, 0, m, b->n, b->k, 1.0f, a, lda, NULL, 0, b->data, c, ldc,
             (epilogue){row_init, clamp, NULL, c});
}

// MARK: internals shared with sgemm_conv.c and sgemm_segments.c (sgemm_internal.h)

const variant *ck_gemm_current(void) { return current_variant(); }

float *ck_gemm_reserve_a(size_t count) { return reserve(&buffer_a, &capacity_a, count); }

float *ck_gemm_reserve_b(size_t count) { return reserve(&buffer_b, &capacity_b, count); }

ptrdiff_t ck_gemm_slice_depth(ptrdiff_t k) { return slice_depth(k); }

epilogue ck_gemm_slice_epilogue(epilogue e, ptrdiff_t pc, ptrdiff_t kc, ptrdiff_t k) {
    return slice_epilogue(e, pc, kc, k);
}

void ck_gemm_block(const variant *v, const float *a, ptrdiff_t lda, ptrdiff_t ic, ptrdiff_t mc, ptrdiff_t pc,
                   ptrdiff_t kc, const float *packed_b, ptrdiff_t jc, ptrdiff_t nc, float *c, ptrdiff_t ldc,
                   float *packed_a, epilogue e) {
    multiply_block(v, 0, 1.0f, a, lda, ic, mc, pc, kc, packed_b, jc, nc, c, ldc, packed_a, e);
}

void ck_gemm_tile(const variant *v, epilogue e, ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k,
                  const float *pb, float *c, ptrdiff_t ldc, ptrdiff_t row, int rows, int columns) {
    tile(v, e, kc, a, a_row, a_k, pb, c, ldc, row, rows, columns);
}

int ck_gemm_direct_tile(const variant *v, epilogue e, ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k,
                        const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, ptrdiff_t row, int rows, int columns) {
#if CK_X86_64
    if (v == &avx512_variant) {
        kernel_avx512_direct(kc, a, a_row, a_k, b, ldb, c, ldc, rows, columns, e.row_init ? e.row_init + row : NULL,
                             e.clamp, ck_epilogue_addend(e, c));
        return 1;
    }
#endif
    (void)v; (void)e; (void)kc; (void)a; (void)a_row; (void)a_k; (void)b; (void)ldb; (void)c; (void)ldc; (void)row;
    (void)rows; (void)columns;
    return 0;
}

void ck_gemm_pack_a(const float *a, ptrdiff_t lda, ptrdiff_t i0, ptrdiff_t mc, ptrdiff_t p0, ptrdiff_t kc, int mr,
                    float *out) {
    pack_a(0, a, lda, i0, mc, p0, kc, 1.0f, mr, out);
}
