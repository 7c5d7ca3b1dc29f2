// A pointwise convolution and the depthwise convolution that reads its output (MobileNets'
// expansions): see ckernels.h.
//
// Run apart, the pointwise convolution writes its whole expanded tensor (MobileNetV2's 96
// channels at 112×112 are 4.8 MB an image, 77 MB for a batch of 16) and the depthwise one reads it
// back, both from memory. Here the image is packed once (ck_sgemm_repack_b, storage kept per
// thread) and the expanded channels are made a block at a time into a per-thread buffer of about
// BLOCK_BYTES, which the depthwise kernel reads while it is still in L2. Each block is the same
// GEMM rows (ck_sgemm_packed_b_epilogue: a row's sum does not depend on the rows beside it) and
// the same depthwise planes, so the bits are those of the two run apart.
#include "ckernels.h"

#include <stdlib.h>

// A harness may build with a smaller block to test many blocks on small images.
#ifndef CK_POINTWISE_DEPTHWISE_BLOCK_BYTES
#define CK_POINTWISE_DEPTHWISE_BLOCK_BYTES (512 * 1024)
#endif
enum { BLOCK_BYTES = CK_POINTWISE_DEPTHWISE_BLOCK_BYTES, BLOCK_ROWS = 12 };  // 12: the AVX-512 micro-kernel's rows

static _Thread_local ck_packed_matrix *packed_image = NULL;
static _Thread_local float *block_buffer = NULL;
static _Thread_local size_t block_capacity = 0;

int ck_pointwise_depthwise(const float *image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width,
                           const float *pw_weights, ptrdiff_t expanded, const float *pw_init, const float *pw_clamp,
                           const float *dw_weights, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t stride_h,
                           ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t dilation_h,
                           ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, const float *dw_init,
                           const float *dw_clamp, float *out) {
    if (channels <= 0 || expanded <= 0 || height <= 0 || width <= 0 || out_h <= 0 || out_w <= 0 || !pw_init ||
        !dw_init) {
        return 0;
    }
    // ck_depthwise_conv's own refusals, checked before anything is written.
    if (kernel_h <= 0 || kernel_w <= 0 || kernel_h * kernel_w > 256 || stride_h <= 0 || stride_w <= 0 ||
        dilation_h <= 0 || dilation_w <= 0 || pad_top < 0 || pad_left < 0) {
        return 0;
    }
    const ptrdiff_t plane = height * width, taps = kernel_h * kernel_w, out_plane = out_h * out_w;
    ptrdiff_t rows = BLOCK_BYTES / (plane * (ptrdiff_t)sizeof(float)) / BLOCK_ROWS * BLOCK_ROWS;
    if (rows < BLOCK_ROWS) rows = BLOCK_ROWS;
    if (rows > expanded) rows = expanded;
    const size_t needed = (size_t)(rows * plane);
    if (needed > block_capacity) {
        float *grown = aligned_alloc(64, (needed * sizeof(float) + 63) / 64 * 64);
        if (!grown) return 0;
        free(block_buffer);
        block_buffer = grown;
        block_capacity = needed;
    }
    packed_image = ck_sgemm_repack_b(packed_image, 0, plane, channels, image, plane);
    if (!packed_image) return 0;
    for (ptrdiff_t first = 0; first < expanded; first += rows) {
        const ptrdiff_t count = expanded - first < rows ? expanded - first : rows;
        ck_sgemm_packed_b_epilogue(count, pw_weights + first * channels, channels, packed_image, block_buffer, plane,
                                   pw_init + first, pw_clamp);
        if (!ck_depthwise_conv(block_buffer, count, height, width, dw_weights + first * taps, 1, kernel_h, kernel_w,
                               stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, out_h, out_w,
                               out + first * out_plane, dw_init + first, dw_clamp)) {
            return 0;  // out of memory for its scratch plane
        }
    }
    return 1;
}
