// im2col without bounds-check overhead: see ckernels.h.
#include "ckernels.h"

void ck_im2col(const float *image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h,
               ptrdiff_t kernel_w, ptrdiff_t stride_h, ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left,
               ptrdiff_t dilation_h, ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, float *columns) {
    float *restrict out = columns;
    for (ptrdiff_t c = 0; c < channels; ++c) {
        const float *plane = image + c * height * width;
        for (ptrdiff_t i = 0; i < kernel_h; ++i) {
            for (ptrdiff_t j = 0; j < kernel_w; ++j) {
                const ptrdiff_t shift = j * dilation_w - pad_left;  // x = ox·stride + shift
                // Output columns whose tap lies inside the row: first ≤ ox < end.
                ptrdiff_t first = 0, end = out_w;
                if (shift < 0) first = (-shift + stride_w - 1) / stride_w;
                if (width - shift <= 0) {
                    end = 0;
                } else {
                    const ptrdiff_t limit = (width - shift + stride_w - 1) / stride_w;  // ox·stride + shift < width
                    if (limit < end) end = limit;
                }
                if (first > end) first = end;
                for (ptrdiff_t oy = 0; oy < out_h; ++oy, out += out_w) {
                    const ptrdiff_t y = oy * stride_h - pad_top + i * dilation_h;
                    if (y < 0 || y >= height) {
                        for (ptrdiff_t ox = 0; ox < out_w; ++ox) out[ox] = 0;
                        continue;
                    }
                    const float *restrict row = plane + y * width + shift;
                    for (ptrdiff_t ox = 0; ox < first; ++ox) out[ox] = 0;
                    if (stride_w == 1) {
                        for (ptrdiff_t ox = first; ox < end; ++ox) out[ox] = row[ox];
                    } else {
                        for (ptrdiff_t ox = first; ox < end; ++ox) out[ox] = row[ox * stride_w];
                    }
                    for (ptrdiff_t ox = end; ox < out_w; ++ox) out[ox] = 0;
                }
            }
        }
    }
}
