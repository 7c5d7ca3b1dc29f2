import CKernels

/// 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) algorithm (CKernels `ck_winograd_conv`):
/// each 2×2 block of outputs from a transformed 4×4 block of the input, 16 multiply-adds per
/// input channel where the direct sum takes 36, the products as 16 GEMMs over the channels.
///
/// Not bit for bit the direct sum: the transforms add and subtract inputs (and halve weights)
/// before the products, so each output differs from im2col + GEMM by rounding, a few units in the
/// last place of the largest term (`WinogradConvolutionTests` bounds it against
/// `Ops.convolutionReference`; ONNX's model zoo graphs still agree with onnxruntime within 1.3e-6
/// of each row's largest output). A NaN input reaches only the outputs whose window holds it, as
/// in the direct sum, but an infinite one can give NaN (∞ − ∞ inside a transform) where the direct
/// sum gives ±∞. Taken only where it pays and on AVX-512 (the kernel declines elsewhere): in a C
/// harness (batches of 16, one thread, weights transformed beforehand as the cache does) against
/// the fused im2col GEMM it replaces, 0.57–0.74× the time from 64 input and 32 output channels on
/// (ResNet-50's and VGG-19's 3×3 layers, DenseNet-121's 128 → 32 ones, 7×7 to 224×224 planes);
/// narrower layers gain less or lose (32 → 32 channels on a 14×14 plane: 1.06×).
public enum WinogradConvolution {
    /// Whether `Ops.convolution` takes this path where it applies (default). Tests that pin
    /// im2col + GEMM's bits, and benchmarks timing both paths in one process, turn it off; set
    /// it before any evaluation starts.
    public nonisolated(unsafe) static var isEnabled = true

    /// Smallest input and output channel counts that take the path (see the type's measurements).
    public static let minimumInputChannels = 64
    public static let minimumOutputChannels = 32

    /// Whether a convolution (one group) with this geometry and output channel count is taken.
    static func applies(geometry g: ConvolutionGeometry, outputChannels: Int, group: Int) -> Bool {
        isEnabled && group == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideHeight == 1
            && g.strideWidth == 1 && g.dilationHeight == 1 && g.dilationWidth == 1 && g.padTop >= 0
            && g.padLeft >= 0 && g.padBottom >= 0 && g.padRight >= 0 && g.outputHeight > 0 && g.outputWidth > 0
            && g.channels >= minimumInputChannels && outputChannels >= minimumOutputChannels
            && GEMM.kernelVariant == "avx512"
    }

    /// The weights `[M, C, 3, 3]` transformed for `convolve` (`[16, M, C]`).
    static func transformedWeights(_ weights: UnsafePointer<Float>, outputChannels m: Int, channels c: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: 16 * m * c) { buffer, count in
            ck_winograd_weights(m, c, weights, buffer.baseAddress!)
            count = 16 * m * c
        }
    }

    /// `output = rowStart[o] + W ⋆ X` (then `+ addend`, then the clamp) for a batch of images.
    ///
    /// - Parameters:
    ///   - images: `[batch, C, H, W]`.
    ///   - geometry: the window (`applies` holds).
    ///   - transformed: `transformedWeights` of `[M, C, 3, 3]`.
    ///   - output: `[batch, M, outH, outW]`.
    /// - Returns: `false`, having written nothing, where the kernel declines (not AVX-512, or out
    ///   of memory).
    static func convolve(
        images: UnsafePointer<Float>, batch: Int, geometry g: ConvolutionGeometry, outputChannels m: Int,
        transformed: [Float], rowStart: UnsafePointer<Float>, clamp: OutputClamp?, addend: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>
    ) -> Bool {
        transformed.withUnsafeBufferPointer { u in
            OutputClamp.withBounds(clamp) { bounds in
                ck_winograd_conv(
                    batch, g.channels, g.inputHeight, g.inputWidth, images, m, u.baseAddress, g.padTop, g.padLeft,
                    g.outputHeight, g.outputWidth, 0, output, rowStart, bounds, addend) != 0
            }
        }
    }
}
