/// How a `RangeMethod` picks a block's clipping range. Weights beyond it saturate.
///
/// - `minMax`: the block's `[min, max]` (symmetric schemes and absmax-scaled ones use `max |w|`).
/// - `percentile(p)`: symmetric and absmax-scaled schemes clip `|w|` at its `p`-th percentile;
///   asymmetric clips each tail, `[P(100 − p), P(p)]` of `w`. Percentiles interpolate linearly
///   between sorted values (NumPy's default), over the block as pruned (pruned weights count as 0).
/// - `mse`: tries `mseCandidateCount` ratios `r` evenly spaced from 1.0 down to `mseSmallestRatio`,
///   clips the min-max range to `r · [min, max]`, and keeps the ratio whose quantize-dequantize
///   squared error (round to nearest) over the block is smallest; ties keep the larger range.
///   Deterministic. Costs 100 quantize passes over the block.
enum ClippingRange {
    /// Number of clip ratios the MSE search tries.
    static let mseCandidateCount = 100
    /// The smallest clip ratio the MSE search tries.
    static let mseSmallestRatio: Double = 0.2

    /// The clip ratios the MSE search tries, largest (1.0) first.
    static let mseRatios: [Float] = (0..<mseCandidateCount).map { index in
        Float(1 - (1 - mseSmallestRatio) * Double(index) / Double(mseCandidateCount - 1))
    }

    /// The clipping range `(lower, upper)` of an affine block; symmetric schemes use `max(|lower|, |upper|)`.
    static func affine(
        _ values: UnsafeBufferPointer<Float>, scheme: Scheme, bitWidth: Int, method: RangeMethod
    ) -> (lower: Float, upper: Float) {
        let isSymmetric = scheme == .symmetric || scheme == .symmetricFull
        switch method {
        case .minMax:
            return minMax(values)
        case .percentile(let p):
            if isSymmetric {
                let magnitude = SortedFloats.percentile(p, ofSorted: SortedFloats.ascending(values.map(abs)))
                return (-magnitude, magnitude)
            }
            let sorted = SortedFloats.ascending(Array(values))
            return (SortedFloats.percentile(100 - p, ofSorted: sorted), SortedFloats.percentile(p, ofSorted: sorted))
        case .mse:
            let (lower, upper) = minMax(values)
            let ratio = bestRatio { ratio in
                let parameters = AffineQuantizer.parameters(
                    scheme, bitWidth: bitWidth, lower: lower * ratio, upper: upper * ratio)
                return AffineQuantizer.squaredError(values, parameters)
            }
            return (lower * ratio, upper * ratio)
        }
    }

    /// The clipping magnitude of a block for schemes scaled by `max |w|` (power-of-two, FP8, NF4).
    ///
    /// - Parameter squaredError: the block's quantize-dequantize squared error when clipped at a magnitude.
    static func magnitude(
        _ values: UnsafeBufferPointer<Float>, method: RangeMethod, squaredError: (Float) -> Double
    ) -> Float {
        switch method {
        case .minMax:
            return maxMagnitude(values)
        case .percentile(let p):
            return SortedFloats.percentile(p, ofSorted: SortedFloats.ascending(values.map(abs)))
        case .mse:
            let magnitude = maxMagnitude(values)
            return magnitude * bestRatio { squaredError(magnitude * $0) }
        }
    }

    /// The smallest and largest value, `(0, 0)` for an empty block.
    static func minMax(_ values: UnsafeBufferPointer<Float>) -> (lower: Float, upper: Float) {
        VectorReductions.minMax(values)  // exact: min and max do not round
    }

    /// The largest |value|.
    static func maxMagnitude(_ values: UnsafeBufferPointer<Float>) -> Float {
        VectorReductions.maxMagnitude(values)
    }

    /// The clip ratio with the smallest `squaredError`; ties keep the larger ratio.
    static func bestRatio(_ squaredError: (Float) -> Double) -> Float {
        var best = (ratio: Float(1), error: Double.infinity)
        for ratio in mseRatios {
            let error = squaredError(ratio)
            if error < best.error { best = (ratio, error) }
        }
        return best.ratio
    }
}
