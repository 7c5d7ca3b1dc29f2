/// Convolutions with small output planes (ResNet's 7×7 and 14×14 stages), multiplied for several
/// images at once.
///
/// The GEMM's micro-kernels work on panels of 16 (AVX2) or 32 (AVX-512) output positions: a
/// 7×7 plane (49 positions) fills 49 of 64 lanes, so a quarter of the arithmetic is wasted when
/// each image is one GEMM. Here the column matrices of a group of images sit side by side
/// (`[K, images · P]`), one GEMM writes `[M, images · P]` on top of the bias, and the rows are
/// copied out to `[N, M, P]`. Each output is the same dot product summed in the same order as
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
    ///   - out: `[N, M, P]`, every element written.
    ///   - columnBytes: the most column matrix one group of images may take (at least one image).
    static func convolveGatheringImages(
        image: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: [Float], activation: OutputClamp? = nil,
        problem: ConvolutionProblem,
        geometry: ConvolutionGeometry, isPointwise: Bool, out: UnsafeMutablePointer<Float>,
        columnBytes: Int = gatheredColumnBytes
    ) {
        let k = geometry.columnRows, positions = geometry.columnCount, m = problem.outputChannels
        let imageSize = problem.inputChannels * geometry.inputHeight * geometry.inputWidth
        let perImage = max(1, k * positions * MemoryLayout<Float>.stride)
        let groupSize = max(1, min(problem.batch, columnBytes / perImage))
        var columns = [Float](repeating: 0, count: k * groupSize * positions)
        var single = isPointwise ? [] : [Float](repeating: 0, count: k * positions)
        var product = [Float](repeating: 0, count: m * groupSize * positions)
        columns.withUnsafeMutableBufferPointer { columnBuffer in
            single.withUnsafeMutableBufferPointer { singleBuffer in
                product.withUnsafeMutableBufferPointer { productBuffer in
                    guard let gathered = columnBuffer.baseAddress, let result = productBuffer.baseAddress else {
                        return
                    }
                    var first = 0
                    while first < problem.batch {
                        let count = min(groupSize, problem.batch - first)
                        let width = count * positions
                        for index in 0..<count {
                            let source = image + (first + index) * imageSize
                            var unfolded = UnsafePointer(source)
                            if !isPointwise, let scratch = singleBuffer.baseAddress {
                                Im2Col.unfoldFast(source, geometry: geometry, into: scratch)
                                unfolded = UnsafePointer(scratch)
                            }
                            for row in 0..<k {
                                (gathered + row * width + index * positions).update(
                                    from: unfolded + row * positions, count: positions)
                            }
                        }
                        bias.withUnsafeBufferPointer { starts in
                            guard let starts = starts.baseAddress else { return }
                            GEMM.multiply(
                                m: m, n: width, k: k, a: weights, b: gathered, rowStart: starts, clamp: activation,
                                c: result)
                        }
                        for index in 0..<count {
                            let target = out + (first + index) * m * positions
                            for channel in 0..<m {
                                (target + channel * positions).update(
                                    from: result + channel * width + index * positions, count: positions)
                            }
                        }
                        first += count
                    }
                }
            }
        }
    }
}
