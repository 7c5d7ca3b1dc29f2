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

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86_64 1
#endif

enum { KC = 256, MC = 96, NC = 2048 };  // MC is a multiple of every MR (12, 6, 4); NC of every NR.

typedef void (*microkernel)(ptrdiff_t kc, const float *pa, const float *pb, float *c, ptrdiff_t ldc, int rows,
                            int columns);

typedef struct {
    int mr, nr;
    microkernel kernel;
    const char *name;
} variant;

// Adds the rows × columns corner of a packed MR×NR tile to C.
static void add_tile(const float *tile, int nr, float *c, ptrdiff_t ldc, int rows, int columns) {
    for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < columns; ++j) c[r * ldc + j] += tile[r * nr + j];
    }
}

// MARK: portable (any CPU): 4×16, left to the compiler's auto-vectorizer.

static void kernel_portable(ptrdiff_t kc, const float *pa, const float *pb, float *c, ptrdiff_t ldc, int rows,
                            int columns) {
    float acc[4][16];
    memset(acc, 0, sizeof acc);
    for (ptrdiff_t p = 0; p < kc; ++p) {
        for (int r = 0; r < 4; ++r) {
            const float a = pa[r];
            for (int j = 0; j < 16; ++j) acc[r][j] += a * pb[j];
        }
        pa += 4;
        pb += 16;
    }
    add_tile(&acc[0][0], 16, c, ldc, rows, columns);
}

#if CK_X86_64

// MARK: AVX2 + FMA: 6×16, twelve 8-wide accumulators.

__attribute__((target("avx2,fma"))) static void kernel_avx2(ptrdiff_t kc, const float *pa, const float *pb, float *c,
                                                            ptrdiff_t ldc, int rows, int columns) {
#define CK_ROW(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    CK_ROW(0) CK_ROW(1) CK_ROW(2) CK_ROW(3) CK_ROW(4) CK_ROW(5)
#undef CK_ROW
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8);
#define CK_FMA(r)                                           \
    {                                                       \
        const __m256 a = _mm256_broadcast_ss(pa + r);       \
        c##r##0 = _mm256_fmadd_ps(a, b0, c##r##0);          \
        c##r##1 = _mm256_fmadd_ps(a, b1, c##r##1);          \
    }
        CK_FMA(0) CK_FMA(1) CK_FMA(2) CK_FMA(3) CK_FMA(4) CK_FMA(5)
#undef CK_FMA
        pa += 6;
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

// MARK: AVX-512: 12×32, twenty-four 16-wide accumulators.

__attribute__((target("avx512f"))) static void kernel_avx512(ptrdiff_t kc, const float *pa, const float *pb, float *c,
                                                             ptrdiff_t ldc, int rows, int columns) {
#define CK_ROW(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    CK_ROW(0) CK_ROW(1) CK_ROW(2) CK_ROW(3) CK_ROW(4) CK_ROW(5)
    CK_ROW(6) CK_ROW(7) CK_ROW(8) CK_ROW(9) CK_ROW(10) CK_ROW(11)
#undef CK_ROW
    for (ptrdiff_t p = 0; p < kc; ++p) {
        const __m512 b0 = _mm512_load_ps(pb), b1 = _mm512_load_ps(pb + 16);
#define CK_FMA(r)                                           \
    {                                                       \
        const __m512 a = _mm512_set1_ps(pa[r]);             \
        c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0);          \
        c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1);          \
    }
        CK_FMA(0) CK_FMA(1) CK_FMA(2) CK_FMA(3) CK_FMA(4) CK_FMA(5)
        CK_FMA(6) CK_FMA(7) CK_FMA(8) CK_FMA(9) CK_FMA(10) CK_FMA(11)
#undef CK_FMA
        pa += 12;
        pb += 32;
    }
    if (rows == 12 && columns == 32) {
#define CK_STORE(r)                                                                              \
    _mm512_storeu_ps(c + r * ldc, _mm512_add_ps(_mm512_loadu_ps(c + r * ldc), c##r##0));        \
    _mm512_storeu_ps(c + r * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + r * ldc + 16), c##r##1));
        CK_STORE(0) CK_STORE(1) CK_STORE(2) CK_STORE(3) CK_STORE(4) CK_STORE(5)
        CK_STORE(6) CK_STORE(7) CK_STORE(8) CK_STORE(9) CK_STORE(10) CK_STORE(11)
#undef CK_STORE
        return;
    }
    float tile[12 * 32] __attribute__((aligned(64)));
#define CK_SPILL(r)                               \
    _mm512_store_ps(tile + r * 32, c##r##0);      \
    _mm512_store_ps(tile + r * 32 + 16, c##r##1);
    CK_SPILL(0) CK_SPILL(1) CK_SPILL(2) CK_SPILL(3) CK_SPILL(4) CK_SPILL(5)
    CK_SPILL(6) CK_SPILL(7) CK_SPILL(8) CK_SPILL(9) CK_SPILL(10) CK_SPILL(11)
#undef CK_SPILL
    add_tile(tile, 32, c, ldc, rows, columns);
}

#endif  // CK_X86_64

// MARK: variant selection

static const variant portable_variant = {4, 16, kernel_portable, "portable"};
#if CK_X86_64
static const variant avx2_variant = {6, 16, kernel_avx2, "avx2-fma"};
static const variant avx512_variant = {12, 32, kernel_avx512, "avx512"};
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

void ck_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
              ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    const variant *v = current_variant();
    const int mr = v->mr, nr = v->nr;
    const ptrdiff_t ncMax = n < NC ? round_up(n, nr) : NC;
    // Split K into equal slices of at most KC: a short last slice would cost a full pass over C.
    const ptrdiff_t slices = (k + KC - 1) / KC, kcMax = (k + slices - 1) / slices;
    const ptrdiff_t mcMax = m < MC ? round_up(m, mr) : MC;
    float *packed_b = reserve(&buffer_b, &capacity_b, (size_t)(ncMax * kcMax));
    float *packed_a = reserve(&buffer_a, &capacity_a, (size_t)(mcMax * kcMax));
    if (!packed_a || !packed_b) abort();  // out of memory for a few hundred KiB: nothing sensible left
    for (ptrdiff_t jc = 0; jc < n; jc += NC) {
        const ptrdiff_t nc = (n - jc) < NC ? (n - jc) : NC;
        for (ptrdiff_t pc = 0; pc < k; pc += kcMax) {
            const ptrdiff_t kc = (k - pc) < kcMax ? (k - pc) : kcMax;
            pack_b(trans_b, b, ldb, pc, kc, jc, nc, nr, packed_b);
            for (ptrdiff_t ic = 0; ic < m; ic += MC) {
                const ptrdiff_t mc = (m - ic) < MC ? (m - ic) : MC;
                pack_a(trans_a, a, lda, ic, mc, pc, kc, alpha, mr, packed_a);
                for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
                    const int columns = (nc - jr) < nr ? (int)(nc - jr) : nr;
                    for (ptrdiff_t ir = 0; ir < mc; ir += mr) {
                        const int rows = (mc - ir) < mr ? (int)(mc - ir) : mr;
                        v->kernel(kc, packed_a + ir * kc, packed_b + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, rows,
                                  columns);
                    }
                }
            }
        }
    }
}
