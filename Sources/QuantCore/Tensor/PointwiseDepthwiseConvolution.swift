import CKernels

/// A pointwise convolution and the depthwise convolution that reads its output (MobileNets'
/// expansions) image by image (CKernels `ck_pointwise_depthwise`): the expanded channels are made
/// a cache-sized block at a time and convolved while they are in cache, so the expanded tensor —
/// the largest of such a network (4.8 MB an image at 112×112 × 96 channels) — is never written
/// whole and read back from memory.
///
/// Its specification is the two run apart: each block is the same GEMM rows
/// (`ck_sgemm_packed_b_epilogue`) and the same depthwise planes, so the output is bit for bit
/// what `Ops.convolution` gives for the two (`PointwiseDepthwiseConvolutionTests`).
public enum PointwiseDepthwiseConvolution {
    /// Whether the executor runs a pointwise Conv and the depthwise Conv after it this way
    /// (default). For benchmarks and tests only: `false` runs them apart, to time both paths in
    /// one process. Set it before any evaluation starts.
    public nonisolated(unsafe) static var isEnabled = true

    /// One image: `output = depthwise(clamp(pointwise(image)))`, clamped.
    ///
    /// - Parameters:
    ///   - image: `[C, H, W]`.
    ///   - channels: `C`.
    ///   - pointwiseWeights: `[E, C]`; `pointwiseStart`: `[E]` (the bias, or zeros).
    ///   - pointwiseClamp: the fused activation after the pointwise convolution.
    ///   - geometry: the depthwise window over the `[E, H, W]` expanded planes (`channels == E`).
    ///   - depthwiseWeights: `[E, kH, kW]`; `depthwiseStart`: `[E]` (the bias, or zeros).
    ///   - depthwiseClamp: the fused activation after the depthwise convolution.
    ///   - output: `[E, outH, outW]`, every element written.
    /// - Returns: `false` where the kernel declines (more than 256 taps, out of memory); the
    ///   output is then unspecified.
    static func run(
        image: UnsafePointer<Float>, channels: Int, pointwiseWeights: UnsafePointer<Float>,
        pointwiseStart: UnsafePointer<Float>, pointwiseClamp: OutputClamp?, geometry g: ConvolutionGeometry,
        depthwiseWeights: UnsafePointer<Float>, depthwiseStart: UnsafePointer<Float>, depthwiseClamp: OutputClamp?,
        into output: UnsafeMutablePointer<Float>
    ) -> Bool {
        OutputClamp.withBounds(pointwiseClamp) { first in
            OutputClamp.withBounds(depthwiseClamp) { second in
                ck_pointwise_depthwise(
                    image, channels, g.inputHeight, g.inputWidth, pointwiseWeights, g.channels, pointwiseStart, first,
                    depthwiseWeights, g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth, g.padTop,
                    g.padLeft, g.dilationHeight, g.dilationWidth, g.outputHeight, g.outputWidth, depthwiseStart,
                    second, output) != 0
            }
        }
    }
}
