// GEMM with B read in place (see ckernels.h, ck_sgemm_direct): the blocked loops of sgemm.c
// without packing B, for a pointwise convolution whose B is the image [C, H·W] itself. Packing B
// costs one more pass over it per call, which a product with few rows (MobileNetV2's 1×1
// convolutions with 16–96 output channels) reuses too little to repay. Only the last, partial
// column panel is packed (zero-padded); A is read in place, its partial last row panel packed.
#include "ckernels.h"
#include "sgemm_internal.h"

#include <stdlib.h>
#include <string.h>

// Columns j0 ..< j0+columns (fewer than nr), rows p0 ..< p0+kc of B into one zero-padded panel.
static void pack_tail(const float *b, ptrdiff_t ldb, ptrdiff_t p0, ptrdiff_t kc, ptrdiff_t j0, int columns, int nr,
                      float *restrict out) {
    for (ptrdiff_t p = 0; p < kc; ++p) {
        memcpy(out + p * nr, b + (p0 + p) * ldb + j0, sizeof(float) * (size_t)columns);
        memset(out + p * nr + columns, 0, sizeof(float) * (size_t)(nr - columns));
    }
}

int ck_sgemm_direct(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b,
                    ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *row_init, const float *clamp,
                    const float *addend) {
    const variant *v = ck_gemm_current();
    if (v->id != 3) return 0;  // AVX-512 only: the other kernels read packed panels
    if (m <= 0 || n <= 0 || k <= 0) return 1;
    const int mr = v->mr, nr = v->nr;
    const ptrdiff_t kcMax = ck_gemm_slice_depth(k);
    const ptrdiff_t mcMax = m < MC ? ck_round_up(m, mr) : MC;
    float *tail = ck_gemm_reserve_b((size_t)(nr * kcMax));
    float *packed_a = ck_gemm_reserve_a((size_t)(mcMax * kcMax));
    if (!packed_a || !tail) abort();  // a few hundred KiB: nothing sensible left
    for (ptrdiff_t jc = 0; jc < n; jc += NC) {
        const ptrdiff_t nc = (n - jc) < NC ? (n - jc) : NC, whole = nc / nr * nr;
        for (ptrdiff_t pc = 0; pc < k; pc += kcMax) {
            const ptrdiff_t kc = (k - pc) < kcMax ? (k - pc) : kcMax;
            const epilogue e = ck_gemm_slice_epilogue((epilogue){row_init, clamp, addend, c}, pc, kc, k);
            const ptrdiff_t sweep = ck_gemm_sweep_columns(kc, nr);
            if (whole < nc) pack_tail(b, ldb, pc, kc, jc + whole, (int)(nc - whole), nr, tail);
            for (ptrdiff_t ic = 0; ic < m; ic += MC) {
                const ptrdiff_t mc = (m - ic) < MC ? (m - ic) : MC, full = mc / mr * mr;
                if (full < mc) ck_gemm_pack_a(a, lda, ic + full, mc - full, pc, kc, mr, packed_a);
                // Row panels sweep B's columns a few hundred KiB at a time (ck_gemm_sweep_columns).
                for (ptrdiff_t jb = 0; jb < nc; jb += sweep) {
                    const ptrdiff_t je = nc - jb < sweep ? nc : jb + sweep;
                    for (ptrdiff_t ir = 0; ir < mc; ir += mr) {
                        const int rows = (mc - ir) < mr ? (int)(mc - ir) : mr, in_place = ir < full;
                        const float *panel = in_place ? a + (ic + ir) * lda + pc : packed_a;
                        const ptrdiff_t a_row = in_place ? lda : 1, a_k = in_place ? 1 : mr;
                        for (ptrdiff_t jr = jb; jr < je; jr += nr) {
                            const int columns = (nc - jr) < nr ? (int)(nc - jr) : nr;
                            float *target = c + (ic + ir) * ldc + jc + jr;
                            if (jr < whole) {
                                ck_gemm_direct_tile(v, e, kc, panel, a_row, a_k, b + pc * ldb + jc + jr, ldb, target,
                                                    ldc, ic + ir, rows, columns);
                            } else {
                                ck_gemm_tile(v, e, kc, panel, a_row, a_k, tail, target, ldc, ic + ir, rows, columns);
                            }
                        }
                    }
                }
            }
        }
    }
    return 1;
}
