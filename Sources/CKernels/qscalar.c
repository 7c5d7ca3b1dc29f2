// The integer model's scalar tile, requantization and output store (see qconv.h): the C
// reference every vector variant of ck_qconv / ck_qdense is checked against, bit for bit.
#include <math.h>
#include <string.h>

#include "qconv.h"

void ck_qtile_scalar(ptrdiff_t pairs, const int32_t *w, const int32_t *cols, int32_t *tile) {
    const int16_t *c16 = (const int16_t *)cols;  // written as int16 pairs by ck_qunfold
    for (ptrdiff_t r = 0; r < QC; ++r) {
        for (ptrdiff_t lane = 0; lane < QP; ++lane) {
            uint32_t sum = 0;  // wraps as vpaddd does
            for (ptrdiff_t p = 0; p < pairs; ++p) {
                const uint32_t a = (uint32_t)w[p * QC + r];
                const int16_t *b = c16 + (p * QP + lane) * 2;
                sum += (uint32_t)((int32_t)(int16_t)(a & 0xFFFF) * b[0]) + (uint32_t)((int32_t)(int16_t)(a >> 16) * b[1]);
            }
            tile[r * QP + lane] = (int32_t)sum;
        }
    }
}

// MLAS's requantization: int32 + bias → float × multiplier → round half to even → clamp → + zp;
// or TFLite's: int32 + bias → MultiplyByQuantizedMultiplier → + zp → clamp (wrapping int32 adds).
void ck_qrequantize_scalar(const int32_t *acc, int32_t bias, const ck_qlinear_params *w, ptrdiff_t channel,
                           int16_t *codes) {
    const int32_t zp = w->output_zero_point;
    if (w->fixed_point) {
        const ck_qfixed f = w->fixed_point[channel];
        for (ptrdiff_t lane = 0; lane < QP; ++lane) {
            const int32_t sum = (int32_t)((uint32_t)acc[lane] + (uint32_t)bias);
            const int32_t y = (int32_t)((uint32_t)ck_qfixed_apply(sum, f) + (uint32_t)zp);
            codes[lane] = (int16_t)(y < w->low ? w->low : (y > w->high ? w->high : y));
        }
        return;
    }
    const float multiplier = w->multipliers[channel];
    const float lowest = (float)(w->low - zp), highest = (float)(w->high - zp);
    for (ptrdiff_t lane = 0; lane < QP; ++lane) {
        const int32_t sum = (int32_t)((uint32_t)acc[lane] + (uint32_t)bias);
        float scaled = nearbyintf((float)sum * multiplier);
        scaled = scaled < lowest ? lowest : (scaled > highest ? highest : scaled);
        codes[lane] = (int16_t)((int32_t)scaled + zp);
    }
}

void ck_qstore(const int16_t *codes, ptrdiff_t count, ptrdiff_t m, int16_t *channel, ptrdiff_t positions,
               ptrdiff_t image_stride) {
    ptrdiff_t image = m / positions, p = m % positions;
    if (p + count <= positions) {
        memcpy(channel + image * image_stride + p, codes, (size_t)count * sizeof(int16_t));
        return;
    }
    for (ptrdiff_t i = 0; i < count; ++i) {
        channel[image * image_stride + p] = codes[i];
        if (++p == positions) p = 0, ++image;
    }
}
