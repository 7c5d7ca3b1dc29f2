// Convolution as a GEMM with im2col fused into the packing of B (see ckernels.h, ck_sgemm_conv):
// the blocked loops of sgemm.c, with B's panels unfolded straight from the image.
#include "ckernels.h"
#include "sgemm_internal.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86_64 1
#endif

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
                  ptrdiff_t ldc, const float *row_init, const float *clamp, const float *addend) {
#if CK_X86_64
    const variant *v = ck_gemm_current();
    const int wide = v->id == 3;
    if ((!wide && v->id != 2) || !conv_fusable(width, stride_h, stride_w, out_w)) return 0;
    const ptrdiff_t n = out_h * out_w, k = channels * kernel_h * kernel_w;
    if (m <= 0 || n <= 0 || k <= 0) return 1;
    const ptrdiff_t ncMax = n < NC ? ck_round_up(n, v->nr) : NC;
    const ptrdiff_t kcMax = ck_gemm_slice_depth(k);
    const ptrdiff_t mcMax = m < MC ? ck_round_up(m, v->mr) : MC;
    float *packed_b = ck_gemm_reserve_b((size_t)(ncMax * kcMax));
    float *packed_a = ck_gemm_reserve_a((size_t)(mcMax * kcMax));
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
                ck_gemm_block(v, a, lda, ic, mc, pc, kc, packed_b, jc, nc, c, ldc, packed_a,
                              ck_gemm_slice_epilogue((epilogue){row_init, clamp, addend, c}, pc, kc, k));
            }
        }
    }
    return 1;
#else
    (void)m; (void)a; (void)lda; (void)image; (void)channels; (void)height; (void)width; (void)kernel_h;
    (void)kernel_w; (void)stride_h; (void)stride_w; (void)pad_top; (void)pad_left; (void)dilation_h;
    (void)dilation_w; (void)out_h; (void)out_w; (void)masks; (void)c; (void)ldc; (void)row_init; (void)clamp;
    (void)addend;
    return 0;
#endif
}
