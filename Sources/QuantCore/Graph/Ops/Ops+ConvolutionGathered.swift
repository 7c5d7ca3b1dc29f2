import CKernels

/// Convolutions with small output planes (ResNet's 7×7 and 14×14 stages), multiplied for several
/// images at once.
///
/// The GEMM's micro-kernels work on panels of 16 (AVX2) or 32 (AVX-512) output positions: a
/// 7×7 plane (49 positions) fills 49 of 64 lanes, so a quarter of the arithmetic is wasted when
/// each image is one GEMM. Here one GEMM (CKernels `ck_sgemm_segments`) multiplies the column
/// matrices of a group of images as if they sat side by side (`[K, images · P]`), reading each
/// image's columns where they lie (a pointwise convolution's image is its own column matrix;
/// others are unfolded into one buffer) and writing each image's `[M, P]` straight into the
/// output on top of the bias. Each output is the same dot product summed in the same order as
/// the per-image GEMM (the K slicing depends on K only), so the result is bit for bit the same.
extension Ops {
    /// Bytes of column matrix one group of images may take.
    static let gatheredColumnBytes = 8 << 20

    /// Whether a convolution with `positions` outputs per channel and `batch` images is worth
    /// multiplying several images at once: planes under 256 positions whose last 16-wide panel
    /// leaves at least 5 % of the lanes empty.
    static func gathersImages(positions: Int, batch: Int) -> Bool {
        guard batch > 1, positions > 0, positions < 256 else { return false }
        let padded = (positions + 15) / 16 * 16
        return (padded - positions) * 20 >= padded
    }

    /// One group convolution (`group == 1`) of the whole batch, images gathered into shared GEMMs.
    ///
    /// - Parameters:
    ///   - image: `[N, C, H, W]` (or `[N, C, L]`).
    ///   - weights: `[M, K]` with `K = C · kH · kW`.
    ///   - bias: `[M]`, each output channel's starting value (zeros for a Conv without bias).
    ///   - activation: bounds applied to the output as it is written (a fused ReLU/Clip).
    ///   - addend: `[N, M, P]` added to the output before the clamp (a fused residual Add).
    ///   - out: `[N, M, P]`, every element written.
    ///   - columnBytes: the most column matrix one group of images may take (at least one image;
    ///     a pointwise convolution reads its images in place and needs none).
    static func convolveGatheringImages(
        image: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: [Float], activation: OutputClamp? = nil,
        addend: UnsafePointer<Float>? = nil, problem: ConvolutionProblem,
        geometry: ConvolutionGeometry, isPointwise: Bool, out: UnsafeMutablePointer<Float>,
        columnBytes: Int = gatheredColumnBytes
    ) {
        let k = geometry.columnRows, positions = geometry.columnCount, m = problem.outputChannels
        let imageSize = problem.inputChannels * geometry.inputHeight * geometry.inputWidth
        OutputClamp.withBounds(activation) { bounds in
            bias.withUnsafeBufferPointer { starts in
                guard let starts = starts.baseAddress else { return }
                if isPointwise {
                    // Each image [C, H·W] is its own column matrix: read where it lies.
                    ck_sgemm_segments(
                        m, k, weights, k, problem.batch, positions, image, imageSize, out, m * positions, starts,
                        bounds, addend)
                    return
                }
                let perImage = max(1, k * positions * MemoryLayout<Float>.stride)
                let groupSize = max(1, min(problem.batch, columnBytes / perImage))
                var columns = [Float](unsafeUninitializedCapacity: k * positions * groupSize) { buffer, initialized in
                    initialized = buffer.count
                }
                columns.withUnsafeMutableBufferPointer { columnBuffer in
                    guard let unfolded = columnBuffer.baseAddress else { return }
                    var first = 0
                    while first < problem.batch {
                        let count = min(groupSize, problem.batch - first)
                        for index in 0..<count {
                            Im2Col.unfoldFast(
                                image + (first + index) * imageSize, geometry: geometry,
                                into: unfolded + index * k * positions)
                        }
                        ck_sgemm_segments(
                            m, k, weights, k, count, positions, unfolded, k * positions, out + first * m * positions,
                            m * positions, starts, bounds, addend.map { $0 + first * m * positions })
                        first += count
                    }
                }
            }
        }
    }
}
