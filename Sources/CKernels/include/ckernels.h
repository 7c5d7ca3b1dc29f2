// CKernels: the few numeric inner loops that need the CPU's widest vector instructions.
//
// Swift picks one instruction set at compile time (x86-64 baseline: SSE2); these kernels carry
// AVX-512 and AVX2+FMA variants chosen at run time from what the CPU reports, with a portable
// fallback. Everything here is tested against QuantCore's plain Swift references.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C[m×n] += alpha · op(A) · op(B), all row-major.
///
/// op(A) is m×k: A is stored m×k (lda ≥ k) or, when trans_a, k×m (lda ≥ m).
/// op(B) is k×n: B is stored k×n (ldb ≥ n) or, when trans_b, n×k (ldb ≥ k).
/// C is m×n with ldc ≥ n. Single-threaded; callers split work over rows of C.
/// The result is deterministic for a given CPU variant (fixed blocking, fixed summation order).
void ck_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
              const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc);

/// ck_sgemm with an epilogue: when row_init is not NULL, C's previous contents are ignored and
/// row i starts from row_init[i] (C[i, ·] = row_init[i] + alpha · (op(A) · op(B))[i, ·], bit for
/// bit what filling C with row_init and calling ck_sgemm gives); when clamp is not NULL, every
/// element of the result v becomes (v < clamp[0] ? clamp[0] : v) and then (v > clamp[1] ? clamp[1]
/// : v), applied to each tile of C as it is finished (a ReLU, ReLU6 or Clip fused into the
/// product; NaN stays NaN). When addend is not NULL (a matrix laid out as C: m×n, rows ldc apart),
/// its element is added to each finished element before the clamp — a residual Add fused into
/// the product: (row_init + A·B) + addend, bit for bit the Add's own result. addend may not
/// overlap C. Nothing is written when m, n or k is not positive.
void ck_sgemm_epilogue(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                       ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *row_init,
                       const float *clamp, const float *addend);

/// B of a GEMM packed once, for many products with it (a layer's weights over many batches).
typedef struct ck_packed_matrix ck_packed_matrix;

/// Packs op(B) (k×n; B stored k×n with ldb ≥ n or, when trans_b, n×k with ldb ≥ k) for the
/// calling thread's variant. NULL when n or k is not positive or memory ran out.
ck_packed_matrix *ck_sgemm_pack_b(int trans_b, ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb);

/// ck_sgemm_pack_b into `reused` (a matrix from either function, or NULL) when its storage is
/// large enough, else into a new matrix (`reused` freed): for a B packed anew for every image.
/// NULL (and `reused` freed) when n or k is not positive or memory ran out.
ck_packed_matrix *ck_sgemm_repack_b(ck_packed_matrix *reused, int trans_b, ptrdiff_t n, ptrdiff_t k, const float *b,
                                    ptrdiff_t ldb);

/// Frees a matrix from ck_sgemm_pack_b (NULL is ignored).
void ck_sgemm_free_packed(ck_packed_matrix *packed);

/// The bytes a packed matrix holds.
size_t ck_sgemm_packed_bytes(const ck_packed_matrix *packed);

/// 1 when `packed` was packed for the variant the calling thread uses now.
int ck_sgemm_packed_for_this_thread(const ck_packed_matrix *packed);

/// C[m×n] += alpha · op(A) · B with B packed by ck_sgemm_pack_b: bit for bit what ck_sgemm
/// gives for the same operands with the variant B was packed for. Safe to call from many
/// threads at once with the same packed B.
void ck_sgemm_packed_b(int trans_a, ptrdiff_t m, float alpha, const float *a, ptrdiff_t lda,
                       const ck_packed_matrix *b, float *c, ptrdiff_t ldc);

/// C[m×n] = A[m×k] (row-major, lda) · B with B packed by ck_sgemm_pack_b, with the epilogue
/// (row_init, clamp; each may be NULL) of ck_sgemm_epilogue: bit for bit ck_sgemm_epilogue on
/// the same operands with the variant B was packed for.
void ck_sgemm_packed_b_epilogue(ptrdiff_t m, const float *a, ptrdiff_t lda, const ck_packed_matrix *b, float *c,
                                ptrdiff_t ldc, const float *row_init, const float *clamp);

/// A pointwise convolution (1×1, stride 1, no padding, one group) of one image [channels,
/// height, width] into `expanded` channels — pw_init[e] + Σ_c pw_weights[e][c] · image[c], clamped
/// to pw_clamp (not NULL: {low, high}) — then a depthwise convolution of those channels (one
/// output plane each: weights [expanded][kernel_h][kernel_w], the geometry of ck_depthwise_conv,
/// planes starting from dw_init, clamped to dw_clamp) into out [expanded, out_h, out_w]. Made in
/// blocks of expanded channels small enough to stay in cache (the image packed once, for every
/// block), so the expanded tensor is never written whole; bit for bit ck_sgemm_epilogue followed
/// by ck_depthwise_conv. pw_init and dw_init must not be NULL. Returns 1 when done, 0 where
/// ck_depthwise_conv would decline (nothing written) or memory ran out (`out` then unspecified).
int ck_pointwise_depthwise(const float *image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width,
                           const float *pw_weights, ptrdiff_t expanded, const float *pw_init, const float *pw_clamp,
                           const float *dw_weights, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t stride_h,
                           ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t dilation_h,
                           ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, const float *dw_init,
                           const float *dw_clamp, float *out);

/// The number of masks ck_conv_masks writes: one per tap for every 32 output positions.
ptrdiff_t ck_conv_mask_count(ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t out_h, ptrdiff_t out_w);

/// For every 32 output positions and every tap (i, j) of a 2-D convolution's window, the bits
/// of the positions whose tap reads inside the image (not the padding). Depends only on the
/// geometry: compute once, use for every image.
void ck_conv_masks(ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t pad_top,
                   ptrdiff_t pad_left, ptrdiff_t dilation_h, ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w,
                   uint32_t *masks);

/// C[m × out_h·out_w] += A[m × channels·kernel_h·kernel_w] (row-major, lda) · im2col(image), the
/// unfolding fused into the packing of B (no column matrix is written). Applies to stride 1 with
/// out_w == width on the avx512 and avx2-fma variants; returns 1 when done, 0 (having done nothing) otherwise,
/// and then the caller runs ck_im2col and ck_sgemm, which give the same result bit for bit.
/// row_init, clamp and addend (each may be NULL) as in ck_sgemm_epilogue.
int ck_sgemm_conv(ptrdiff_t m, const float *a, ptrdiff_t lda, const float *image, ptrdiff_t channels,
                  ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t stride_h,
                  ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t dilation_h,
                  ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, const uint32_t *masks, float *c,
                  ptrdiff_t ldc, const float *row_init, const float *clamp, const float *addend);

/// Spins (with the CPU's pause hint) while *value == unchanged, at most `spins` times; 1 when it
/// changed. For a thread that expects work or a result within microseconds: waking a parked
/// thread costs tens of microseconds on a virtual machine, a few pauses cost nanoseconds.
int ck_spin_while_equal(const int *value, int unchanged, long spins);

/// Spins while *value != target, at most `spins` times; 1 when it became `target`.
int ck_spin_until_equal(const int *value, int target, long spins);

/// Stores `new_value` into *value with release ordering (read by ck_spin_while_equal).
void ck_atomic_store(int *value, int new_value);

/// ck_sgemm_epilogue(0, 0, m, n, k, 1, a, lda, b, ldb, c, ldc, row_init, clamp, addend) without packing
/// B (read in place; only a partial last column panel is copied), bit for bit the same result,
/// for products with few rows (a pointwise convolution reading its image [C, H·W] directly).
/// Returns 0, computing nothing, where this thread's variant has no such kernel (only AVX-512).
int ck_sgemm_direct(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b,
                    ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *row_init, const float *clamp,
                    const float *addend);

/// C_s[m × width] (+)= A[m × k] (row-major, lda) · B_s[k × width] for s = 0 ..< count, with
/// B_s = b + s·b_stride and C_s = c + s·c_stride (both row-major, `width` columns): the segments'
/// columns multiplied as one GEMM of count·width columns, so narrow products (a convolution's
/// 7×7 output planes, image by image) fill the micro-kernel's panels. row_init, clamp and addend
/// (each may be NULL; the addend laid out as C, segments c_stride apart) as in ck_sgemm_epilogue.
/// Bit for bit one ck_sgemm_epilogue per segment.
void ck_sgemm_segments(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, ptrdiff_t count, ptrdiff_t width,
                       const float *b, ptrdiff_t b_stride, float *c, ptrdiff_t c_stride, const float *row_init,
                       const float *clamp, const float *addend);

/// The variant ck_sgemm uses on this CPU: "avx512", "avx2-fma" or "portable".
const char *ck_sgemm_variant(void);

/// Forces a variant for tests and benchmarks: 0 = best available, 1 = portable, 2 = avx2-fma,
/// 3 = avx512 (ignored when the CPU lacks it), for the calling thread only. Returns the variant
/// now in use on this thread.
const char *ck_sgemm_force_variant(int variant);

/// The calling thread's variant as a number (as in ck_sgemm_force_variant: 1 portable, 2 avx2-fma,
/// 3 avx512); the other kernels with variants follow it, so forcing one forces them all.
int ck_variant_id(void);

/// Winograd F(2×2, 3×3): a 3×3 convolution's weights [m, c, 3, 3] transformed once for
/// ck_winograd_conv into u [16][m][c] (U = G g Gᵀ per output and input channel).
void ck_winograd_weights(ptrdiff_t m, ptrdiff_t c, const float *weights, float *u);

/// The tiles per chunk ck_winograd_conv takes when passed chunk 0.
ptrdiff_t ck_winograd_chunk(ptrdiff_t channels, ptrdiff_t m);

/// A stride-1, dilation-1, single-group 3×3 convolution of `batch` images [channels, height,
/// width] into out [batch, m, out_h, out_w] by Winograd's F(2×2, 3×3) algorithm, the weights
/// from ck_winograd_weights: each output is row_init[o] (0 when NULL) + the transformed sum,
/// then + addend's element (laid out as out; may be NULL), then clamped as in
/// ck_sgemm_epilogue (when clamp is not NULL). Zeros outside the image (pad_top, pad_left on
/// the leading sides; out_h, out_w fix the trailing ones). 2.25× fewer multiply-adds than the
/// direct sum; the result differs from it by rounding only (the transforms add and subtract
/// inputs before the products: a few units in the last place of the largest term). `chunk`:
/// tiles per GEMM (0: ck_winograd_chunk). AVX-512 only: returns 0 (nothing written) on other
/// variants and when out of memory, 1 when done. Single-threaded.
int ck_winograd_conv(ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width, const float *image,
                     ptrdiff_t m, const float *u, ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t out_h,
                     ptrdiff_t out_w, ptrdiff_t chunk, float *out, const float *row_init, const float *clamp,
                     const float *addend);

/// Depthwise 2-D convolution of one image, added to `out`: every input channel c of `image`
/// [channels, height, width] makes `multiplier` output planes out[c·multiplier + m] [out_h, out_w]
/// += Σ_{i,j} weights[c·multiplier + m][i][j] · image[c][oy·stride_h − pad_top + i·dilation_h]
/// [ox·stride_w − pad_left + j·dilation_w] (0 outside the image), read directly (no column matrix).
/// Each output's taps are summed from 0 in (i, j) order, then added to `out`: the same operations
/// as ck_im2col + ck_sgemm with one group per channel on the same variant, hence the same bits.
/// With `plane_init` (not NULL) an output plane starts from plane_init[output] instead of its
/// contents, written just before the plane is computed (bit for bit filling `out` first); with
/// `clamp` {low, high} (not NULL) each finished plane is clamped as in ck_sgemm_epilogue.
/// Returns 1 when done, 0 (having done nothing) for more than 256 taps, negative padding or
/// out of memory.
int ck_depthwise_conv(const float *image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width, const float *weights,
                      ptrdiff_t multiplier, ptrdiff_t kernel_h, ptrdiff_t kernel_w, ptrdiff_t stride_h,
                      ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t dilation_h,
                      ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, float *out, const float *plane_init,
                      const float *clamp);

/// im2col for one image of a 2-D convolution: `image` [channels, height, width] unfolds into
/// `columns` [channels·kernel_h·kernel_w, out_h·out_w], zeros where a tap falls in the padding.
/// The specification is QuantCore's `Im2Col.unfold`; this is the same loop without Swift's
/// overflow checks, with contiguous runs for stride 1.
void ck_im2col(const float *image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h,
               ptrdiff_t kernel_w, ptrdiff_t stride_h, ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left,
               ptrdiff_t dilation_h, ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, float *columns);

/// The smallest and largest of `count` values (0, 0 when empty); values must not be NaN.
void ck_min_max(const float *values, ptrdiff_t count, float *lower, float *upper);

/// The smallest and largest finite value; returns 0 (and lower > upper) when none is finite.
int ck_finite_min_max(const float *values, ptrdiff_t count, float *lower, float *upper);

/// Over two arrays a, b: sums = {Σa², Σb², Σa·b, Σ(a − b)²} (float lanes per block of 4096
/// elements, blocks in double), the largest |a − b| and the count of b == 0.
void ck_comparison_sums(const float *a, const float *b, ptrdiff_t count, double sums[4], float *max_error,
                        ptrdiff_t *zeros);

/// Adds to counts[bins] how many values fall in each of `bins` equal bins over [lower, upper]
/// (the last bin closed), computed in double exactly as QuantCore's `WeightHistogram.count`;
/// values outside (or NaN) are counted in *outside.
void ck_histogram(const float *values, ptrdiff_t count, ptrdiff_t bins, float lower, float upper, ptrdiff_t *counts,
                  ptrdiff_t *outside);

/// A per-channel affine map over `planes` planes of `size` values (channel `p % channels` for
/// plane p), then an optional clamp: out = multiplier[c] · in + offset[c] (a multiply, then an
/// add: never fused, so every variant gives the plain expression's bits), then, when `clamp` is
/// not NULL, Clip's rule (v < low ? low : v, then v > high ? high : v). `in` may be `out`.
/// BatchNormalization at inference (with a ReLU or Clip fused after it). Follows the GEMM's
/// variant (`ck_variant_id`).
void ck_channel_affine(const float *in, float *out, ptrdiff_t planes, ptrdiff_t size, ptrdiff_t channels,
                       const float *multiplier, const float *offset, const float *clamp);

/// For each value: code = saturate(rint(value / scale) + zero_point) into [lowest, highest]
/// (NaN → lowest), dequantized = (code − zero_point) · scale — QuantCore's AffineQuantizer
/// bit for bit, vectorized.
void ck_affine_code(const float *values, ptrdiff_t count, float scale, int32_t zero_point, int32_t lowest,
                    int32_t highest, int32_t *codes, float *dequantized);

/// The integer model's input codes (qcodes.c): code = rint(value / scale) + zero_point saturated
/// into [lowest, highest] (NaN → lowest), as int16 — QuantCore's ActivationQuantizer.quantize.
void ck_quantize_codes16(const float *values, ptrdiff_t count, float scale, int32_t zero_point, int32_t lowest,
                         int32_t highest, int16_t *codes);

/// Integer GEMM (qgemm.c): C[m×n] = A[m×k] · B[n×k]ᵀ, int16 activations (codes minus zero
/// point), int8 weights (one row per output channel), int32 sums. ck_qgemm_s16s8 picks the widest
/// variant the CPU has (AVX2, else scalar); ck_qgemm_s16s8_avx2 is the AVX2 one (scalar when the
/// CPU lacks AVX2) and ck_qgemm_s16s8_scalar the reference. All give the same bits.
void ck_qgemm_s16s8(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, const int8_t *b, int32_t *c);
void ck_qgemm_s16s8_avx2(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, const int8_t *b, int32_t *c);
void ck_qgemm_s16s8_scalar(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, const int8_t *b, int32_t *c);
/// "avx2" or "scalar": the variant ck_qgemm_s16s8 runs.
const char *ck_qgemm_variant(void);

/// The integer model's fast Conv / Gemm / MatMul (qconv.c and the files qconv.h lists). Weights:
/// int8 rows [n × k] packed once by ck_qpack_weights into ck_qpack_weights_count(n, k) int32
/// (int16 pairs, 4 channels per panel; then int8 quads and each channel's weight sum for the
/// VNNI u8 path). Variants: 0 = the best the CPU has, 1 = scalar C, 2 = AVX2, 3 = AVX-512 VNNI
/// (vpdpbusd on byte codes, vpdpwssd on wider ones; when the CPU has it, else AVX2, else
/// scalar); ck_qvariant says which one a request runs. Every variant gives the bits of
/// QuantCore's Swift reference (IntegerKernels.requantize of the int32 sums).
ptrdiff_t ck_qpack_weights_count(ptrdiff_t n, ptrdiff_t k);
void ck_qpack_weights(ptrdiff_t n, ptrdiff_t k, const int8_t *w, int32_t *packed);
/// A convolution's weights for the direct kernel of the AVX-512 VNNI u8 path (qdirect.c): depth
/// ordered channel quad, kernel row, kernel column, 4 channels per word (past the depth: 0),
/// panels of 4 output channels; n output channels, `channels` input channels (group 1).
ptrdiff_t ck_qpack_direct_count(ptrdiff_t n, ptrdiff_t channels, ptrdiff_t kernel_h, ptrdiff_t kernel_w);
void ck_qpack_direct(ptrdiff_t n, ptrdiff_t channels, ptrdiff_t kernel_h, ptrdiff_t kernel_w, const int8_t *w,
                     int32_t *packed);
int ck_qvariant(int variant);
/// "scalar", "avx2" or "avx512-vnni": what ck_qvariant(variant) runs.
const char *ck_qvariant_name(int variant);
/// int32 elements of the scratch buffer each concurrent call of ck_qconv / ck_qdense needs.
ptrdiff_t ck_qbuffer_count(ptrdiff_t k);

/// A convolution's input and geometry (NCHW, explicit padding, floor mode).
typedef struct {
    ptrdiff_t batch, channels, height, width;
    ptrdiff_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    ptrdiff_t out_h, out_w, group;
} ck_qconv_shape;

/// TFLite's fixed-point multiplier of one output channel: real ≈ multiplier · 2^(shift − 31),
/// multiplier in [2^30, 2^31) (or 0), as QuantCore's FixedPointMultiplier computes it.
typedef struct {
    int32_t multiplier, shift;
} ck_qfixed;

/// One lowered layer: n output channels per group, depth k, the packed weights (group g's at
/// packed + g · ck_qpack_weights_count(n, k)), an int32 bias and a float multiplier per output
/// channel, the input's zero point, the output's zero point and its code range [low, high].
/// With `fixed_point` NULL every tile is requantized as MLAS does (float multiplier, round half
/// to even); otherwise with fixed_point[channel] as TFLite does (MultiplyByQuantizedMultiplier:
/// doubling high multiply, then a rounding shift), and `multipliers` is not read. `direct`: the
/// weights packed by ck_qpack_direct for a convolution the direct kernel can run (group 1, no
/// dilation), or NULL. [input_low, input_high]: the range the input's codes are declared to lie
/// in (their type's; low > high: unknown), so the u8 path need not scan them first (a code
/// found outside sends the call down the scanning path). `compaction`: whether the direct kernel
/// gathers each tap's bytes of the call's output positions into rows of their own first (so no
/// padding slot is multiplied; qdirect.c): 0 where the padding slots would be a fifth or more of
/// the work (7×7 planes: 64 slots for 49 positions), 1 always, -1 never, k > 1 always and k − 1
/// blocks of 96 positions gathered at a time (about 4 MiB of rows otherwise; these for tests).
typedef struct {
    ptrdiff_t n, k;
    const int32_t *packed;
    const int32_t *direct;
    const int32_t *bias;
    const float *multipliers;
    const ck_qfixed *fixed_point;
    int32_t input_zero_point, output_zero_point, low, high;
    int32_t input_low, input_high;
    int32_t compaction;
} ck_qlinear_params;

/// Output codes of the convolution for output positions m0..<m1 counted over the whole batch
/// (m = image · out_h · out_w + oy · out_w + ox), all channels, written to `out` (NCHW). Threads
/// may run disjoint ranges at once, each with its own `buffer` of ck_qbuffer_count(k) int32.
void ck_qconv(int variant, const ck_qconv_shape *shape, const ck_qlinear_params *params, const int16_t *x,
              ptrdiff_t m0, ptrdiff_t m1, int32_t *buffer, int16_t *out);
/// The same for Gemm / MatMul: rows m0..<m1 of x [batch, k] to out [batch, n].
void ck_qdense(int variant, const ck_qlinear_params *params, const int16_t *x, ptrdiff_t m0, ptrdiff_t m1,
               int32_t *buffer, int16_t *out);

/// Float max pooling of `planes` planes [height, width] (dilation 1, any window, stride, pads,
/// windows past the end as with ceil_mode) into [out_h, out_w] each: per output, the taps inside
/// the plane in row-major order, `best = v > best ? v : best` from -infinity — QuantCore's
/// `Ops.pool` loop, bit for bit (NaN never wins; of +0 and -0 the first tap's stays; a window with
/// no tap inside gives -infinity).
void ck_max_pool2d(const float *restrict x, ptrdiff_t planes, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h,
                   ptrdiff_t kernel_w, ptrdiff_t stride_h, ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left,
                   ptrdiff_t out_h, ptrdiff_t out_w, float *restrict out);

/// MaxPool (the largest code of each window; INT16_MIN for a window wholly in the padding) or,
/// with `average`, AveragePool (round-half-even of the mean of code − zero_point over the taps
/// inside, or over all taps with count_include_pad, plus zero_point, clamped to [low, high]) of
/// `planes` planes [height, width] of codes, floor mode (qpool.c): QuantCore's
/// IntegerKernels.pool without bounds checks.
void ck_qpool(const int16_t *x, ptrdiff_t planes, ptrdiff_t height, ptrdiff_t width, ptrdiff_t kernel_h,
              ptrdiff_t kernel_w, ptrdiff_t stride_h, ptrdiff_t stride_w, ptrdiff_t pad_top, ptrdiff_t pad_left,
              ptrdiff_t dilation_h, ptrdiff_t dilation_w, ptrdiff_t out_h, ptrdiff_t out_w, int average,
              int count_include_pad, int32_t zero_point, int32_t low, int32_t high, int16_t *out);

/// glibc: serve allocations below mmap_threshold bytes from the heap (reused after free, no page
/// faults) and return memory to the system only past trim_threshold free bytes; every thread
/// allocates from the one main arena (a worker's own arena maps buffers over 64 MiB afresh each
/// time). Returns 1 when applied, 0 elsewhere (other C libraries).
int ck_keep_large_buffers_in_heap(size_t mmap_threshold, size_t trim_threshold);

/// GFLOP/s of `steps` steps of independent FMA chains on this thread, `lanes` wide (16: AVX-512,
/// 8: AVX2 + FMA), as the core runs them now (peak.c; quantdash-bench's measured peak); 0 where
/// that width is not available.
double ck_fma_gigaflops(int lanes, long steps);

#ifdef __cplusplus
}
#endif

#endif
