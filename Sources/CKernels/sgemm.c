// Packed, cache-blocked SGEMM (Goto/BLIS structure) with run-time chosen micro-kernels.
//
//   for each NC-wide column block of B and C
//     for each KC-deep slice of K:      pack B[KC × NC] into NR-wide panels      (stays in L2/L3)
//       for each MC-tall row block:     pack alpha·A[MC × KC] into MR-tall panels (stays in L2)
//         for each NR panel, MR panel:  micro-kernel: MR×NR accumulators in registers, C += A·B
//
// Packing pads partial panels with zeros, so the micro-kernels always run full MR×NR tiles and
// only the write-back is clipped. Summation over K runs in ascending order within each KC slice
// and slice by slice, so a given variant is deterministic regardless of how callers split rows.
#include "ckernels.h"
#include "epilogue.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86_64 1
#endif

enum { KC = 256, MC = 96, NC = 2048 };  // MC is a multiple of every MR (12, 6, 4); NC of every NR.

// A micro-kernel computes one MR×NR tile: C[rows × columns] += A-panel · B-panel over kc.
// The A panel is read at a[r · a_row + p · a_k]: packed panels have a_row = 1, a_k = MR; A read
// in place (row-major, alpha = 1) has a_row = lda, a_k = 1. Both read the same values in the
// same order, so the two forms give bit-identical results.
typedef void (*microkernel)(ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, float *c,
                            ptrdiff_t ldc, int rows, int columns);

typedef struct {
    int mr, nr;
    microkernel kernel;
    const char *name;
    int id;  // as in ck_sgemm_force_variant
} variant;

// Adds the rows × columns corner of a packed MR×NR tile to C.
static void add_tile(const float *tile, int nr, float *c, ptrdiff_t ldc, int rows, int columns) {
    for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < columns; ++j) c[r * ldc + j] += tile[r * nr + j];
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

__attribute__((target("avx2,fma"), always_inline)) static inline void kernel_avx2_body(
    ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, float *c, ptrdiff_t ldc, int rows,
    int columns) {
#define CK_ROW(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    CK_ROW(0) CK_ROW(1) CK_ROW(2) CK_ROW(3) CK_ROW(4) CK_ROW(5)
#undef CK_ROW
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8);
#define CK_FMA(r)                                              \
    {                                                          \
        const __m256 value = _mm256_broadcast_ss(a + r * a_row); \
        c##r##0 = _mm256_fmadd_ps(value, b0, c##r##0);          \
        c##r##1 = _mm256_fmadd_ps(value, b1, c##r##1);          \
    }
        CK_FMA(0) CK_FMA(1) CK_FMA(2) CK_FMA(3) CK_FMA(4) CK_FMA(5)
#undef CK_FMA
        a += a_k;
        pb += 16;
    }
    if (rows == 6 && columns == 16) {
#define CK_STORE(r)                                                                           \
    _mm256_storeu_ps(c + r * ldc, _mm256_add_ps(_mm256_loadu_ps(c + r * ldc), c##r##0));     \
    _mm256_storeu_ps(c + r * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + r * ldc + 8), c##r##1));
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
        kernel_avx2_body(kc, a, 1, 6, pb, c, ldc, rows, columns);
    } else {
        kernel_avx2_body(kc, a, a_row, a_k, pb, c, ldc, rows, columns);
    }
}

// MARK: AVX-512: 12×32, twenty-four 16-wide accumulators.

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
#define CK512_STORE(r)                                                                       \
    _mm512_storeu_ps(c + r * ldc, _mm512_add_ps(_mm512_loadu_ps(c + r * ldc), c##r##0));    \
    _mm512_storeu_ps(c + r * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + r * ldc + 16), c##r##1));
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
    add_tile(tile, 32, c, ldc, rows, columns);

// The body, inlined into the packed form (a_row = 1, a_k = 12: constant offsets) and the
// general strided form, so each compiles to its own straight-line loop.
__attribute__((target("avx512f"), always_inline)) static inline void kernel_avx512_body(
    ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k, const float *pb, float *c, ptrdiff_t ldc, int rows,
    int columns) {
    CK512_ACCUMULATORS
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m512 b0 = _mm512_load_ps(pb), b1 = _mm512_load_ps(pb + 16);
        CK512_FMA(0, a[0]) CK512_FMA(1, a[a_row]) CK512_FMA(2, a[2 * a_row]) CK512_FMA(3, a[3 * a_row])
        CK512_FMA(4, a[4 * a_row]) CK512_FMA(5, a[5 * a_row]) CK512_FMA(6, a[6 * a_row])
        CK512_FMA(7, a[7 * a_row]) CK512_FMA(8, a[8 * a_row]) CK512_FMA(9, a[9 * a_row])
        CK512_FMA(10, a[10 * a_row]) CK512_FMA(11, a[11 * a_row])
        a += a_k;
        pb += 32;
    }
    CK512_WRITE_BACK
}

// The in-place form: twelve row pointers indexed by p, so the twelve broadcasts have
// independent addresses (computing each from the previous one, as the compiler does for
// `a + r * lda`, makes a chain of twelve dependent adds per step that stalls the FMAs).
__attribute__((target("avx512f"))) static void kernel_avx512_rows(ptrdiff_t kc, const float *a, ptrdiff_t lda,
                                                                  const float *pb, float *c, ptrdiff_t ldc, int rows,
                                                                  int columns) {
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda;
    const float *a5 = a + 5 * lda, *a6 = a + 6 * lda, *a7 = a + 7 * lda, *a8 = a + 8 * lda, *a9 = a + 9 * lda;
    const float *a10 = a + 10 * lda, *a11 = a + 11 * lda;
    // Opaque to the optimizer, which would otherwise derive each pointer from the previous one.
    __asm__("" : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5));
    __asm__("" : "+r"(a6), "+r"(a7), "+r"(a8), "+r"(a9), "+r"(a10), "+r"(a11));
    CK512_ACCUMULATORS
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m512 b0 = _mm512_load_ps(pb + 32 * p), b1 = _mm512_load_ps(pb + 32 * p + 16);
        CK512_FMA(0, a0[p]) CK512_FMA(1, a1[p]) CK512_FMA(2, a2[p]) CK512_FMA(3, a3[p]) CK512_FMA(4, a4[p])
        CK512_FMA(5, a5[p]) CK512_FMA(6, a6[p]) CK512_FMA(7, a7[p]) CK512_FMA(8, a8[p]) CK512_FMA(9, a9[p])
        CK512_FMA(10, a10[p]) CK512_FMA(11, a11[p])
    }
    CK512_WRITE_BACK
}

__attribute__((target("avx512f"))) static void kernel_avx512(ptrdiff_t kc, const float *a, ptrdiff_t a_row,
                                                             ptrdiff_t a_k, const float *pb, float *c, ptrdiff_t ldc,
                                                             int rows, int columns) {
    if (a_row == 1 && a_k == 12) {
        kernel_avx512_body(kc, a, 1, 12, pb, c, ldc, rows, columns);
    } else if (a_k == 1) {
        kernel_avx512_rows(kc, a, a_row, pb, c, ldc, rows, columns);
    } else {
        kernel_avx512_body(kc, a, a_row, a_k, pb, c, ldc, rows, columns);
    }
}

#endif  // CK_X86_64

// MARK: variant selection

static const variant portable_variant = {4, 16, kernel_portable, "portable", 1};
#if CK_X86_64
static const variant avx2_variant = {6, 16, kernel_avx2, "avx2-fma", 2};
static const variant avx512_variant = {12, 32, kernel_avx512, "avx512", 3};
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
            if (columns == 16 && nr == 16) {
                // The common AVX2 panel: a fixed-size copy the compiler inlines (a memcpy call per
                // 64 bytes cost several percent of a ResNet pass).
                for (ptrdiff_t p = 0; p < kc; ++p) {
                    const float *restrict source = b + (p0 + p) * ldb + j0 + jp;
                    float *restrict target = out + p * 16;
                    for (int j = 0; j < 16; ++j) target[j] = source[j];
                }
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

static ptrdiff_t round_up(ptrdiff_t value, ptrdiff_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// K splits into equal slices of at most KC: a short last slice would cost a full pass over C.
static ptrdiff_t slice_depth(ptrdiff_t k) {
    const ptrdiff_t slices = (k + KC - 1) / KC;
    return (k + slices - 1) / slices;
}

// What happens to C around the products of one K slice (both NULL: plain C += A·B).
// row_init (first slice only): each tile of C starts from its row's value instead of its
// contents, so a convolution's bias is written where the tile is hot, not by a pass over C
// beforehand; same values, same order as filling C with the bias first. clamp (last slice
// only): {low, high} applied to each finished tile (a fused ReLU / ReLU6 / Clip), with Clip's
// rule: v < low ? low : v, then v > high ? high : v (NaN stays NaN; low > high gives high).
typedef struct {
    const float *row_init;  // indexed by C's absolute row
    const float *clamp;
} epilogue;

// One micro-kernel call with the epilogue around it.
static inline void tile(const variant *v, epilogue e, ptrdiff_t kc, const float *a, ptrdiff_t a_row, ptrdiff_t a_k,
                        const float *pb, float *c, ptrdiff_t ldc, ptrdiff_t row, int rows, int columns) {
    if (e.row_init) ck_fill_rows(v->id >= 2, c, ldc, e.row_init + row, rows, columns);
    v->kernel(kc, a, a_row, a_k, pb, c, ldc, rows, columns);
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
    if (in_place) {
        const ptrdiff_t full = mc / mr * mr;
        if (full < mc) pack_a(0, a, lda, ic + full, mc - full, pc, kc, 1.0f, mr, packed_a);
        for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
            const int columns = (nc - jr) < nr ? (int)(nc - jr) : nr;
            for (ptrdiff_t ir = 0; ir < full; ir += mr) {
                tile(v, e, kc, a + (ic + ir) * lda + pc, lda, 1, packed_b + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc,
                     ic + ir, mr, columns);
            }
            if (full < mc) {
                tile(v, e, kc, packed_a, 1, mr, packed_b + jr * kc, c + (ic + full) * ldc + jc + jr, ldc, ic + full,
                     (int)(mc - full), columns);
            }
        }
        return;
    }
    pack_a(trans_a, a, lda, ic, mc, pc, kc, alpha, mr, packed_a);
    for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
        const int columns = (nc - jr) < nr ? (int)(nc - jr) : nr;
        for (ptrdiff_t ir = 0; ir < mc; ir += mr) {
            const int rows = (mc - ir) < mr ? (int)(mc - ir) : mr;
            tile(v, e, kc, packed_a + ir * kc, 1, mr, packed_b + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, ic + ir,
                 rows, columns);
        }
    }
}

// The epilogue of the K slice starting at pc (of depth kc, of k in all).
static epilogue slice_epilogue(epilogue e, ptrdiff_t pc, ptrdiff_t kc, ptrdiff_t k) {
    return (epilogue){pc == 0 ? e.row_init : NULL, pc + kc >= k ? e.clamp : NULL};
}

// The blocked loops over C for one variant; B either packed on the fly (prepacked == NULL) or
// taken from a matrix packed by ck_sgemm_pack_b, whose blocks come in the same order.
static void multiply(const variant *v, int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                     const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, const float *prepacked, float *c,
                     ptrdiff_t ldc, epilogue e) {
    const int mr = v->mr, nr = v->nr;
    const ptrdiff_t ncMax = n < NC ? round_up(n, nr) : NC;
    const ptrdiff_t kcMax = slice_depth(k);
    const ptrdiff_t mcMax = m < MC ? round_up(m, mr) : MC;
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
            if (prepacked) block += round_up(nc, nr) * kc;
        }
    }
}

void ck_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
              ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc) {
    ck_sgemm_epilogue(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, c, ldc, NULL, NULL);
}

void ck_sgemm_epilogue(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                       ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *row_init,
                       const float *clamp) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    multiply(current_variant(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, NULL, c, ldc,
             (epilogue){row_init, clamp});
}

// MARK: prepacked B

struct ck_packed_matrix {
    const variant *kind;
    ptrdiff_t n, k;
    float *data;  // every (NC block, K slice) of B packed as pack_b lays it out, in loop order
};

ck_packed_matrix *ck_sgemm_pack_b(int trans_b, ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb) {
    if (n <= 0 || k <= 0) return NULL;
    const variant *v = current_variant();
    const ptrdiff_t kcMax = slice_depth(k);
    ptrdiff_t count = 0;
    for (ptrdiff_t jc = 0; jc < n; jc += NC) count += round_up((n - jc) < NC ? (n - jc) : NC, v->nr) * k;
    ck_packed_matrix *packed = malloc(sizeof *packed);
    float *data = aligned_alloc(64, ((size_t)count * sizeof(float) + 63) / 64 * 64);
    if (!packed || !data) {
        free(packed);
        free(data);
        return NULL;
    }
    float *out = data;
    for (ptrdiff_t jc = 0; jc < n; jc += NC) {
        const ptrdiff_t nc = (n - jc) < NC ? (n - jc) : NC;
        for (ptrdiff_t pc = 0; pc < k; pc += kcMax) {
            const ptrdiff_t kc = (k - pc) < kcMax ? (k - pc) : kcMax;
            pack_b(trans_b, b, ldb, pc, kc, jc, nc, v->nr, out);
            out += round_up(nc, v->nr) * kc;
        }
    }
    *packed = (ck_packed_matrix){v, n, k, data};
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
        count += round_up((packed->n - jc) < NC ? (packed->n - jc) : NC, packed->kind->nr) * packed->k;
    }
    return (size_t)count * sizeof(float);
}

int ck_sgemm_packed_for_this_thread(const ck_packed_matrix *packed) {
    return packed != NULL && packed->kind == current_variant();
}

void ck_sgemm_packed_b(int trans_a, ptrdiff_t m, float alpha, const float *a, ptrdiff_t lda,
                       const ck_packed_matrix *b, float *c, ptrdiff_t ldc) {
    if (m <= 0 || !b) return;
    multiply(b->kind, trans_a, 0, m, b->n, b->k, alpha, a, lda, NULL, 0, b->data, c, ldc, (epilogue){NULL, NULL});
}

// MARK: convolution with im2col fused into the packing of B

// Which rows of the unfolded image a stride-1 convolution can read straight from the image:
// with stride 1 and out_w == width, output position p = oy·width + ox reads, for the tap
// (i, j), image element p + (i·dil_h − pad_top)·width + (j·dil_w − pad_left) of the channel's
// plane, a fixed offset from p. The bits say which of those reads fall inside the image (the
// others are zeros of the padding); AVX-512 masked loads then pack 32 positions of a tap
// at once, and never touch memory under a clear bit.
static int conv_fusable(ptrdiff_t width, ptrdiff_t stride_h, ptrdiff_t stride_w, ptrdiff_t out_w) {
    return stride_h == 1 && stride_w == 1 && out_w == width && out_w > 0;
}

ptrdiff_t ck_conv_mask_count(ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t out_h, ptrdiff_t out_w) {
    return (out_h * out_w + 31) / 32 * kernel_h * kernel_w;
}

void ck_conv_masks(ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t pad_top,
                   ptrdiff_t pad_left, ptrdiff_t dilation_h, ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w,
                   uint32_t *masks) {
    const ptrdiff_t positions = out_h * out_w, taps = kernel_h * kernel_w, panels = (positions + 31) / 32;
    memset(masks, 0, (size_t)(panels * taps) * sizeof *masks);
    for (ptrdiff_t p = 0; p < positions; ++p) {
        const ptrdiff_t oy = p / out_w, ox = p % out_w;
        uint32_t *panel = masks + (p / 32) * taps;
        const uint32_t bit = (uint32_t)1 << (p % 32);
        for (ptrdiff_t i = 0; i < kernel_h; ++i) {
            const ptrdiff_t y = oy + i * dilation_h - pad_top;
            if (y < 0 || y >= height) continue;
            for (ptrdiff_t j = 0; j < kernel_w; ++j) {
                const ptrdiff_t x = ox + j * dilation_w - pad_left;
                if (x >= 0 && x < width) panel[i * kernel_w + j] |= bit;
            }
        }
    }
}

#if CK_X86_64
// Rows pc ..< pc+kc, positions jc ..< jc+nc of the unfolded image, in pack_b's 32-wide panels.
__attribute__((target("avx512f"))) static void pack_conv_avx512(
    const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t pad_top,
    ptrdiff_t pad_left, ptrdiff_t dilation_h, ptrdiff_t dilation_w, const uint32_t *masks, ptrdiff_t pc, ptrdiff_t kc,
    ptrdiff_t jc, ptrdiff_t nc, float *restrict out) {
    const ptrdiff_t taps = kernel_h * kernel_w, plane = height * width;
    const uintptr_t base = (uintptr_t)image;
    // Where row pc starts: its channel and tap, then stepped along without dividing.
    const ptrdiff_t first_channel = pc / taps, first_tap = pc % taps;
    for (ptrdiff_t jp = 0; jp < nc; jp += 32) {
        const ptrdiff_t p0 = jc + jp;  // a multiple of 32 (NC is), so panels match the masks'
        const uint32_t *panel_masks = masks + (p0 / 32) * taps;
        ptrdiff_t channel = first_channel, tap = first_tap, i = first_tap / kernel_w, j = first_tap % kernel_w;
        for (ptrdiff_t kk = 0; kk < kc; ++kk) {
            const uint32_t mask = panel_masks[tap];
            const ptrdiff_t offset =
                channel * plane + p0 + (i * dilation_h - pad_top) * width + (j * dilation_w - pad_left);
            // An address computed as an integer: it may lie outside the image where the mask is clear.
            const float *source = (const float *)(base + (uintptr_t)(offset * (ptrdiff_t)sizeof(float)));
            _mm512_store_ps(out + kk * 32, _mm512_maskz_loadu_ps((__mmask16)(mask & 0xFFFF), source));
            _mm512_store_ps(out + kk * 32 + 16, _mm512_maskz_loadu_ps((__mmask16)(mask >> 16), source + 16));
            if (++j == kernel_w) {
                j = 0;
                if (++i == kernel_h) i = 0;
            }
            if (++tap == taps) {
                tap = 0;
                ++channel;
            }
        }
        out += kc * 32;
    }
}

// Rows pc ..< pc+kc, positions jc ..< jc+nc of the unfolded image, in pack_b's 16-wide panels:
// the AVX2 form of pack_conv_avx512. A 16-position panel uses half of its 32-position mask;
// AVX masked loads (vmaskmovps) read nothing under a clear lane, and a panel whose 16 reads are
// all inside the image is two plain loads.
__attribute__((target("avx2,fma"))) static void pack_conv_avx2(
    const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t pad_top,
    ptrdiff_t pad_left, ptrdiff_t dilation_h, ptrdiff_t dilation_w, const uint32_t *masks, ptrdiff_t pc, ptrdiff_t kc,
    ptrdiff_t jc, ptrdiff_t nc, float *restrict out) {
    const ptrdiff_t taps = kernel_h * kernel_w, plane = height * width;
    const uintptr_t base = (uintptr_t)image;
    const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const ptrdiff_t first_channel = pc / taps, first_tap = pc % taps;
    for (ptrdiff_t jp = 0; jp < nc; jp += 16) {
        const ptrdiff_t p0 = jc + jp;  // a multiple of 16 (NC is), so a panel is one half of a mask
        const uint32_t *panel_masks = masks + (p0 / 32) * taps;
        const int shift = (int)(p0 % 32);
        ptrdiff_t channel = first_channel, tap = first_tap, i = first_tap / kernel_w, j = first_tap % kernel_w;
        for (ptrdiff_t kk = 0; kk < kc; ++kk) {
            const uint32_t mask = (panel_masks[tap] >> shift) & 0xFFFF;
            const ptrdiff_t offset =
                channel * plane + p0 + (i * dilation_h - pad_top) * width + (j * dilation_w - pad_left);
            // An address computed as an integer: it may lie outside the image where the mask is clear.
            const float *source = (const float *)(base + (uintptr_t)(offset * (ptrdiff_t)sizeof(float)));
            if (mask == 0xFFFF) {
                _mm256_store_ps(out + kk * 16, _mm256_loadu_ps(source));
                _mm256_store_ps(out + kk * 16 + 8, _mm256_loadu_ps(source + 8));
            } else if (mask == 0) {
                _mm256_store_ps(out + kk * 16, _mm256_setzero_ps());
                _mm256_store_ps(out + kk * 16 + 8, _mm256_setzero_ps());
            } else {
                const __m256i low = _mm256_set1_epi32((int)(mask & 0xFF)), high = _mm256_set1_epi32((int)(mask >> 8));
                const __m256i select_low = _mm256_cmpeq_epi32(_mm256_and_si256(low, lanes), lanes);
                const __m256i select_high = _mm256_cmpeq_epi32(_mm256_and_si256(high, lanes), lanes);
                _mm256_store_ps(out + kk * 16, _mm256_maskload_ps(source, select_low));
                _mm256_store_ps(out + kk * 16 + 8, _mm256_maskload_ps(source + 8, select_high));
            }
            if (++j == kernel_w) {
                j = 0;
                if (++i == kernel_h) i = 0;
            }
            if (++tap == taps) {
                tap = 0;
                ++channel;
            }
        }
        out += kc * 16;
    }
}
#endif

int ck_sgemm_conv(ptrdiff_t m, const float *a, ptrdiff_t lda, const float *image, ptrdiff_t channels,
                  ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t stride_h,
                  ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t dilation_h,
                  ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, const uint32_t *masks, float *c,
                  ptrdiff_t ldc, const float *row_init, const float *clamp) {
#if CK_X86_64
    const variant *v = current_variant();
    const int wide = v == &avx512_variant;
    if ((!wide && v != &avx2_variant) || !conv_fusable(width, stride_h, stride_w, out_w)) return 0;
    const ptrdiff_t n = out_h * out_w, k = channels * kernel_h * kernel_w;
    if (m <= 0 || n <= 0 || k <= 0) return 1;
    const ptrdiff_t ncMax = n < NC ? round_up(n, v->nr) : NC;
    const ptrdiff_t kcMax = slice_depth(k);
    const ptrdiff_t mcMax = m < MC ? round_up(m, v->mr) : MC;
    float *packed_b = reserve(&buffer_b, &capacity_b, (size_t)(ncMax * kcMax));
    float *packed_a = reserve(&buffer_a, &capacity_a, (size_t)(mcMax * kcMax));
    if (!packed_a || !packed_b) abort();
    for (ptrdiff_t jc = 0; jc < n; jc += NC) {
        const ptrdiff_t nc = (n - jc) < NC ? (n - jc) : NC;
        for (ptrdiff_t pc = 0; pc < k; pc += kcMax) {
            const ptrdiff_t kc = (k - pc) < kcMax ? (k - pc) : kcMax;
            if (wide) {
                pack_conv_avx512(image, height, width, kernel_h, kernel_w, pad_top, pad_left, dilation_h, dilation_w,
                                 masks, pc, kc, jc, nc, packed_b);
            } else {
                pack_conv_avx2(image, height, width, kernel_h, kernel_w, pad_top, pad_left, dilation_h, dilation_w,
                               masks, pc, kc, jc, nc, packed_b);
            }
            for (ptrdiff_t ic = 0; ic < m; ic += MC) {
                const ptrdiff_t mc = (m - ic) < MC ? (m - ic) : MC;
                multiply_block(v, 0, 1.0f, a, lda, ic, mc, pc, kc, packed_b, jc, nc, c, ldc, packed_a,
                               slice_epilogue((epilogue){row_init, clamp}, pc, kc, k));
            }
        }
    }
    return 1;
#else
    (void)m; (void)a; (void)lda; (void)image; (void)channels; (void)height; (void)width; (void)kernel_h;
    (void)kernel_w; (void)stride_h; (void)stride_w; (void)pad_top; (void)pad_left; (void)dilation_h;
    (void)dilation_w; (void)out_h; (void)out_w; (void)masks; (void)c; (void)ldc; (void)row_init; (void)clamp;
    return 0;
#endif
}
