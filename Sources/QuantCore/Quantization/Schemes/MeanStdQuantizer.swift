/// Statistical ("mean-std") quantization: clip each block at `μ ± kσ`, then uniform asymmetric
/// levels over the clipped range: `x ≈ scale · (q − zeroPoint)`.
///
/// - Per block: `μ` and the population standard deviation `σ` (over the block as pruned), `k = 3`
///   (`clipDeviations`). The clipping range is `[min(μ − kσ, 0), max(μ + kσ, 0)]` intersected
///   with `[min(w, 0), max(w, 0)]`, so it never exceeds the data and always contains 0.
/// - Then exactly the affine asymmetric formula (see `AffineQuantizer`): codes `0 … 2^b − 1`,
///   `scale = (hi − lo) / (2^b − 1)`, `zeroPoint = saturate(−roundHalfToEven(lo / scale))`; weights
///   beyond the range saturate. Zero is exactly representable. Stochastic rounding applies; the
///   `RangeMethod` is not used (the statistics choose the range).
/// - Storage: `b`-bit codes, a float32 scale and a `b`-bit zero point per block; effective bits
///   per weight `b + (32 + b) / blockSize`. Exports as ONNX `DequantizeLinear` like asymmetric.
///
/// Worked table, 2 bits, a block with `μ = 0.5`, `σ = 0.5`, `min = −1.2`, `max = 5`:
/// range `[−1, 2] ∩ [−1.2, 5] = [−1, 2]`, scale = 3 / 3 = 1, zeroPoint = 1 (levels −1, 0, 1, 2):
///
/// | x | q | x' |
/// | --- | --- | --- |
/// | 5.0 | 3 (saturated) | 2.0 |
/// | 0.6 | 2 | 1.0 |
/// | 0.4 | 1 | 0.0 |
/// | −1.2 | 0 (saturated) | −1.0 |
enum MeanStdQuantizer {
    /// `k` in `μ ± kσ`.
    static let clipDeviations: Double = 3

    /// The clipping range `[min(μ − kσ, 0), max(μ + kσ, 0)] ∩ [min(w, 0), max(w, 0)]`.
    static func clipRange(
        mean: Double, deviation: Double, minimum: Float, maximum: Float
    ) -> (lower: Float, upper: Float) {
        let lower = max(Float(min(mean - clipDeviations * deviation, 0)), min(minimum, 0))
        let upper = min(Float(max(mean + clipDeviations * deviation, 0)), max(maximum, 0))
        return (lower, upper)
    }

    /// The mean and population standard deviation of `values` (0, 0 when empty).
    static func meanAndDeviation(_ values: UnsafeBufferPointer<Float>) -> (mean: Double, deviation: Double) {
        guard !values.isEmpty else { return (0, 0) }
        let count = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / count
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count
        return (mean, variance.squareRoot())
    }

    /// Quantizes one block: statistics, clipping range, then asymmetric affine codes.
    static func quantizeBlock(_ block: BlockBuffers, bitWidth: Int) -> BlockParameters {
        let (mean, deviation) = meanAndDeviation(block.values)
        let (minimum, maximum) = ClippingRange.minMax(block.values)
        let (lower, upper) = clipRange(mean: mean, deviation: deviation, minimum: minimum, maximum: maximum)
        let parameters = AffineQuantizer.parameters(.meanStd, bitWidth: bitWidth, lower: lower, upper: upper)
        AffineQuantizer.code(block, with: parameters)
        return BlockParameters(scale: parameters.scale, zeroPoint: parameters.zeroPoint)
    }
}
