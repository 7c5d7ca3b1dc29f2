// The integer model's fast Conv / Gemm / MatMul (see ckernels.h, ck_qconv): int8 weights packed
// once as int16 pairs, activation codes minus their zero point unfolded straight into panels of
// 16 positions × pairs of taps (int16), an int32 GEMM of 4 channels × 16 positions per tile
// (vpmaddwd: int16 × int16 → int32 pair sums, so nothing saturates), and MLAS's float
// requantization of each finished tile, written to the NCHW (or [batch, features]) output.
// Integer sums do not depend on their order and the requantization is the same float operations
// in the same order, so every variant gives the scalar variant's bits.
#include <math.h>
#include <string.h>

#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_QCONV_X86 1
#endif

enum { QP = 16, QC = 4 };  // positions per column panel, channels per weight panel

static ptrdiff_t pairs_of(ptrdiff_t k) { return (k + 1) / 2; }

ptrdiff_t ck_qpack_weights_count(ptrdiff_t n, ptrdiff_t k) { return (n + QC - 1) / QC * pairs_of(k) * QC; }

void ck_qpack_weights(ptrdiff_t n, ptrdiff_t k, const int8_t *w, int32_t *packed) {
    const ptrdiff_t pairs = pairs_of(k), panels = (n + QC - 1) / QC;
    for (ptrdiff_t panel = 0; panel < panels; ++panel) {
        for (ptrdiff_t p = 0; p < pairs; ++p) {
            for (ptrdiff_t r = 0; r < QC; ++r) {
                const ptrdiff_t row = panel * QC + r;
                int16_t low = 0, high = 0;
                if (row < n) {
                    low = w[row * k + 2 * p];
                    if (2 * p + 1 < k) high = w[row * k + 2 * p + 1];
                }
                packed[(panel * pairs + p) * QC + r] = (int32_t)(((uint32_t)(uint16_t)high << 16) | (uint16_t)low);
            }
        }
    }
}

// Column panels per chunk: about 96 KiB of columns, so a chunk stays in L2 while every weight
// panel passes over it.
static ptrdiff_t chunk_panels(ptrdiff_t k) {
    const ptrdiff_t panel_bytes = pairs_of(k) * QP * 4, panels = (96 * 1024) / (panel_bytes > 0 ? panel_bytes : 1);
    return panels < 1 ? 1 : (panels > 64 ? 64 : panels);
}

ptrdiff_t ck_qbuffer_count(ptrdiff_t k) { return chunk_panels(k) * pairs_of(k) * QP; }

// Zeroes what no tap writes: the high half of the last pair when k is odd, the lanes past `count`.
static void zero_padding(int16_t *cols, ptrdiff_t k, ptrdiff_t count) {
    const ptrdiff_t pairs = pairs_of(k), panels = (count + QP - 1) / QP;
    if (k & 1) {
        for (ptrdiff_t panel = 0; panel < panels; ++panel) {
            int16_t *pair = cols + (panel * pairs + pairs - 1) * QP * 2;
            for (ptrdiff_t lane = 0; lane < QP; ++lane) pair[lane * 2 + 1] = 0;
        }
    }
    const ptrdiff_t used = count % QP;
    if (used) {
        int16_t *panel = cols + (panels - 1) * pairs * QP * 2;
        for (ptrdiff_t p = 0; p < pairs; ++p) memset(panel + (p * QP + used) * 2, 0, (size_t)(QP - used) * 4);
    }
}

// im2col of group g for output positions m0..<m1 (over the whole batch) into column panels.
static void unfold(const ck_qconv_shape *s, ptrdiff_t g, ptrdiff_t k, int32_t zp, const int16_t *x, ptrdiff_t m0,
                   ptrdiff_t m1, int16_t *cols) {
    const ptrdiff_t pairs = pairs_of(k), positions = s->out_h * s->out_w, per_group = s->channels / s->group;
    const ptrdiff_t count = m1 - m0, plane = s->height * s->width, image_size = s->channels * plane;
    zero_padding(cols, k, count);
    ptrdiff_t t = 0;
    for (ptrdiff_t c = 0; c < per_group; ++c) {
        for (ptrdiff_t i = 0; i < s->kernel_h; ++i) {
            for (ptrdiff_t j = 0; j < s->kernel_w; ++j, ++t) {
                const int16_t *channel = x + (g * per_group + c) * plane;
                const ptrdiff_t dy = i * s->dilation_h - s->pad_top, dx = j * s->dilation_w - s->pad_left;
                ptrdiff_t image = m0 / positions, rest = m0 % positions;
                ptrdiff_t oy = rest / s->out_w, ox = rest % s->out_w;
                int16_t *dst = cols + (t >> 1) * QP * 2 + (t & 1);
                for (ptrdiff_t q = 0; q < count; ++q) {
                    const ptrdiff_t y = oy * s->stride_h + dy, xx = ox * s->stride_w + dx;
                    int16_t v = 0;
                    if (y >= 0 && y < s->height && xx >= 0 && xx < s->width)
                        v = (int16_t)(channel[image * image_size + y * s->width + xx] - zp);
                    dst[(q / QP) * pairs * QP * 2 + (q % QP) * 2] = v;
                    if (++ox == s->out_w) {
                        ox = 0;
                        if (++oy == s->out_h) oy = 0, ++image;
                    }
                }
            }
        }
    }
}

// Rows m0..<m1 of a [batch, k] input (minus the zero point) into column panels.
static void unfold_rows(const int16_t *x, ptrdiff_t k, int32_t zp, ptrdiff_t m0, ptrdiff_t m1, int16_t *cols) {
    const ptrdiff_t pairs = pairs_of(k), count = m1 - m0;
    zero_padding(cols, k, count);
    for (ptrdiff_t q = 0; q < count; ++q) {
        const int16_t *row = x + (m0 + q) * k;
        int16_t *dst = cols + (q / QP) * pairs * QP * 2 + (q % QP) * 2;
        for (ptrdiff_t t = 0; t < k; ++t) dst[(t >> 1) * QP * 2 + (t & 1)] = (int16_t)(row[t] - zp);
    }
}

// A tile: tile[r·16 + lane] = Σ_p madd(weights pair p of channel r, columns pair p of lane).
typedef void (*tile_kernel)(ptrdiff_t pairs, const int32_t *w, const int32_t *cols, int32_t *tile);
// Requantizes 16 sums of one channel to codes.
typedef void (*requantize_kernel)(const int32_t *acc, int32_t bias, float multiplier, int32_t zp, float lowest,
                                  float highest, int16_t *codes);

static void tile_scalar(ptrdiff_t pairs, const int32_t *w, const int32_t *cols, int32_t *tile) {
    const int16_t *c16 = (const int16_t *)cols;  // written as int16 pairs by unfold
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

static void requantize_scalar(const int32_t *acc, int32_t bias, float multiplier, int32_t zp, float lowest,
                              float highest, int16_t *codes) {
    for (ptrdiff_t lane = 0; lane < QP; ++lane) {
        const int32_t sum = (int32_t)((uint32_t)acc[lane] + (uint32_t)bias);
        float scaled = nearbyintf((float)sum * multiplier);
        scaled = scaled < lowest ? lowest : (scaled > highest ? highest : scaled);
        codes[lane] = (int16_t)((int32_t)scaled + zp);
    }
}

#ifdef CK_QCONV_X86
#define CK_QTILE_BODY(MADD_ADD)                                                   \
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, \
            c21 = c00, c30 = c00, c31 = c00;                                      \
    for (ptrdiff_t p = 0; p < pairs; ++p) {                                       \
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)(cols + p * QP));  \
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(cols + p * QP + 8)); \
        const int32_t *wp = w + p * QC;                                           \
        __m256i a = _mm256_set1_epi32(wp[0]);                                     \
        c00 = MADD_ADD(c00, a, b0), c01 = MADD_ADD(c01, a, b1);                   \
        a = _mm256_set1_epi32(wp[1]);                                             \
        c10 = MADD_ADD(c10, a, b0), c11 = MADD_ADD(c11, a, b1);                   \
        a = _mm256_set1_epi32(wp[2]);                                             \
        c20 = MADD_ADD(c20, a, b0), c21 = MADD_ADD(c21, a, b1);                   \
        a = _mm256_set1_epi32(wp[3]);                                             \
        c30 = MADD_ADD(c30, a, b0), c31 = MADD_ADD(c31, a, b1);                   \
    }                                                                             \
    __m256i *out = (__m256i *)tile;                                               \
    _mm256_storeu_si256(out + 0, c00), _mm256_storeu_si256(out + 1, c01);         \
    _mm256_storeu_si256(out + 2, c10), _mm256_storeu_si256(out + 3, c11);         \
    _mm256_storeu_si256(out + 4, c20), _mm256_storeu_si256(out + 5, c21);         \
    _mm256_storeu_si256(out + 6, c30), _mm256_storeu_si256(out + 7, c31);

#define CK_MADD_AVX2(c, a, b) _mm256_add_epi32(c, _mm256_madd_epi16(a, b))
__attribute__((target("avx2"))) static void tile_avx2(ptrdiff_t pairs, const int32_t *w, const int32_t *cols,
                                                      int32_t *tile) {
    CK_QTILE_BODY(CK_MADD_AVX2)
}

// AVX-512 VNNI (vpdpwssd: the same pair sums, added without saturation, in one instruction).
// This machine's CPU has no VNNI: this variant is compiled and dispatched by cpuid but untested here.
#define CK_MADD_VNNI(c, a, b) _mm256_dpwssd_epi32(c, a, b)
__attribute__((target("avx512vnni,avx512vl,avx512bw,avx512f"))) static void tile_vnni(ptrdiff_t pairs,
                                                                                         const int32_t *w,
                                                                                         const int32_t *cols,
                                                                                         int32_t *tile) {
    CK_QTILE_BODY(CK_MADD_VNNI)
}

__attribute__((target("avx2"))) static void requantize_avx2(const int32_t *acc, int32_t bias, float multiplier,
                                                            int32_t zp, float lowest, float highest,
                                                            int16_t *codes) {
    const __m256i b = _mm256_set1_epi32(bias), z = _mm256_set1_epi32(zp);
    const __m256 m = _mm256_set1_ps(multiplier), low = _mm256_set1_ps(lowest), high = _mm256_set1_ps(highest);
    __m256i half[2];
    for (int h = 0; h < 2; ++h) {
        const __m256i sum = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + 8 * h)), b);
        __m256 scaled = _mm256_mul_ps(_mm256_cvtepi32_ps(sum), m);
        scaled = _mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        scaled = _mm256_min_ps(_mm256_max_ps(scaled, low), high);
        half[h] = _mm256_add_epi32(_mm256_cvtps_epi32(scaled), z);
    }
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(half[0], half[1]), 0xD8);
    _mm256_storeu_si256((__m256i *)codes, packed);
}
#endif

int ck_qvariant(int variant) {
#ifdef CK_QCONV_X86
    const int avx2 = __builtin_cpu_supports("avx2");
    const int vnni = avx2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") &&
                     __builtin_cpu_supports("avx512bw");
    if (variant == 1) return 1;
    if (variant == 3) return vnni ? 3 : (avx2 ? 2 : 1);
    if (variant == 2) return avx2 ? 2 : 1;
    return vnni ? 3 : (avx2 ? 2 : 1);
#else
    (void)variant;
    return 1;
#endif
}

const char *ck_qvariant_name(int variant) {
    switch (ck_qvariant(variant)) {
    case 3: return "avx512-vnni";
    case 2: return "avx2";
    default: return "scalar";
    }
}

// Writes `count` codes of output channel `channel` for positions m, m+1, … (across images).
static void store(const int16_t *codes, ptrdiff_t count, ptrdiff_t m, int16_t *channel, ptrdiff_t positions,
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

// Every weight panel over every column panel of one chunk (positions m0..<m1), requantized.
static void multiply_chunk(int variant, const ck_qlinear_params *w, ptrdiff_t g, const int16_t *cols, ptrdiff_t m0,
                           ptrdiff_t m1, int16_t *out, ptrdiff_t positions, ptrdiff_t channel_stride,
                           ptrdiff_t image_stride) {
    tile_kernel tile_fn = tile_scalar;
    requantize_kernel requantize_fn = requantize_scalar;
#ifdef CK_QCONV_X86
    if (variant >= 2) tile_fn = tile_avx2, requantize_fn = requantize_avx2;
    if (variant == 3) tile_fn = tile_vnni;
#else
    (void)variant;
#endif
    const ptrdiff_t n = w->n, pairs = pairs_of(w->k), count = m1 - m0;
    const int32_t *packed = w->packed + g * ck_qpack_weights_count(n, w->k);
    const float lowest = (float)(w->low - w->output_zero_point), highest = (float)(w->high - w->output_zero_point);
    int32_t tile[QC * QP] __attribute__((aligned(32)));
    int16_t codes[QP] __attribute__((aligned(32)));
    for (ptrdiff_t panel = 0; panel * QC < n; ++panel) {
        const int32_t *weights = packed + panel * pairs * QC;
        for (ptrdiff_t q = 0; q < count; q += QP) {
            tile_fn(pairs, weights, (const int32_t *)cols + (q / QP) * pairs * QP, tile);
            const ptrdiff_t lanes = count - q < QP ? count - q : QP;
            for (ptrdiff_t r = 0; r < QC && panel * QC + r < n; ++r) {
                const ptrdiff_t channel = g * n + panel * QC + r;
                requantize_fn(tile + r * QP, w->bias[channel], w->multipliers[channel], w->output_zero_point, lowest,
                              highest, codes);
                store(codes, lanes, m0 + q, out + channel * channel_stride, positions, image_stride);
            }
        }
    }
}

void ck_qconv(int variant, const ck_qconv_shape *shape, const ck_qlinear_params *params, const int16_t *x,
              ptrdiff_t m0, ptrdiff_t m1, int32_t *buffer, int16_t *out) {
    variant = ck_qvariant(variant);
    const ptrdiff_t positions = shape->out_h * shape->out_w, step = chunk_panels(params->k) * QP;
    for (ptrdiff_t start = m0; start < m1; start += step) {
        const ptrdiff_t end = m1 - start < step ? m1 : start + step;
        for (ptrdiff_t g = 0; g < shape->group; ++g) {
            unfold(shape, g, params->k, params->input_zero_point, x, start, end, (int16_t *)buffer);
            multiply_chunk(variant, params, g, (const int16_t *)buffer, start, end, out, positions, positions,
                           shape->group * params->n * positions);
        }
    }
}

void ck_qdense(int variant, const ck_qlinear_params *params, const int16_t *x, ptrdiff_t m0, ptrdiff_t m1,
               int32_t *buffer, int16_t *out) {
    variant = ck_qvariant(variant);
    const ptrdiff_t step = chunk_panels(params->k) * QP;
    for (ptrdiff_t start = m0; start < m1; start += step) {
        const ptrdiff_t end = m1 - start < step ? m1 : start + step;
        unfold_rows(x, params->k, params->input_zero_point, start, end, (int16_t *)buffer);
        multiply_chunk(variant, params, 0, (const int16_t *)buffer, start, end, out, 1, 1, params->n);
    }
}
