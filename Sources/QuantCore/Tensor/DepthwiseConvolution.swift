import CKernels

/// Depthwise convolution read directly from the image (CKernels `ck_depthwise_conv`): one
/// group per input channel, no column matrix, vectorized along output rows.
///
/// im2col + GEMM with `group == channels` is its specification: per output element the same
/// taps, summed from 0 in the same order and then added to the output, so the result is bit for
/// bit what `Im2Col.unfoldFast` + `GEMM.multiply` give group by group on the same CPU variant
/// (`DepthwiseConvolutionTests`).
public enum DepthwiseConvolution {
    /// Whether `Ops.convolution` takes this kernel for depthwise convolutions (default). For
    /// benchmarks only: `false` sends them through im2col + GEMM group by group, as before the
    /// kernel existed, to time both paths in one process. Set it before any evaluation starts.
    public nonisolated(unsafe) static var isEnabled = true

    /// `output[c·multiplier + m] += weights[c·multiplier + m] ⋆ image[c]` for every channel `c`
    /// of one image.
    ///
    /// - Parameters:
    ///   - image: `[C, H, W]` (the geometry's `channels` is `C`).
    ///   - geometry: the window; `geometry.channels` input planes.
    ///   - multiplier: output planes per input plane (`M / C`).
    ///   - weights: `[C·multiplier, kH, kW]`.
    ///   - output: `[C·multiplier, outH, outW]`, added to.
    ///   - planeStart: when given, `[C·multiplier]` values each output plane starts from instead
    ///     of its contents (a bias), written just before the plane is computed.
    ///   - clamp: bounds applied to each finished plane (a fused ReLU/Clip).
    /// - Returns: `false`, having done nothing, where the kernel declines (more than 256 taps).
    public static func add(
        image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, multiplier: Int, weights: UnsafePointer<Float>,
        planeStart: UnsafePointer<Float>? = nil, clamp: OutputClamp? = nil, into output: UnsafeMutablePointer<Float>
    ) -> Bool {
        OutputClamp.withBounds(clamp) { bounds in
            ck_depthwise_conv(
                image, g.channels, g.inputHeight, g.inputWidth, weights, multiplier, g.kernelHeight, g.kernelWidth,
                g.strideHeight, g.strideWidth, g.padTop, g.padLeft, g.dilationHeight, g.dilationWidth, g.outputHeight,
                g.outputWidth, output, planeStart, bounds) != 0
        }
    }
}
