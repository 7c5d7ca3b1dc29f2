/// Ternary weight networks (TWN, Li & Liu 2016): `x ≈ α · q`, `q ∈ {−1, 0, +1}`.
///
/// - Per block threshold `Δ = 0.7 · mean |w|` (over the block as pruned, so pruned weights count
///   as 0), codes `−1` for `w < −Δ`, `0` for `|w| ≤ Δ`, `+1` for `w > Δ`, and
///   `α = mean |w|` over the weights with `|w| > Δ` (0 when there are none).
/// - Zero is exactly representable (code 0); pruned weights have `|w| = 0 ≤ Δ` and stay 0.
/// - Storage: 2 bits per weight (log2 3 ≈ 1.58 with base-3 packing) and a float32 α per block:
///   `2 + 32 / blockSize` bits per weight. `RangeMethod` and stochastic rounding are not used.
///
/// Worked table, block `[0.9, −0.6, 0.1, 0.0]`: mean |w| = 0.4, Δ = 0.28, α = (0.9 + 0.6) / 2 = 0.75:
///
/// | x | q | x' |
/// | --- | --- | --- |
/// | 0.9 | +1 | 0.75 |
/// | −0.6 | −1 | −0.75 |
/// | 0.1 | 0 | 0 |
/// | 0.0 | 0 | 0 |
enum TernaryQuantizer {
    /// TWN's threshold factor: `Δ = thresholdFactor · mean |w|`.
    static let thresholdFactor: Float = 0.7

    /// Quantizes one block: threshold, codes, then α over the weights above the threshold.
    static func quantizeBlock(_ block: BlockBuffers) -> BlockParameters {
        let values = block.values
        guard !values.isEmpty else { return BlockParameters(scale: 0) }
        let meanMagnitude = Float(values.reduce(0.0) { $0 + Double(abs($1)) } / Double(values.count))
        let threshold = thresholdFactor * meanMagnitude
        var magnitudeSum: Double = 0
        var aboveCount = 0
        for i in values.indices {
            let x = values[i]
            block.codes[i] = x > threshold ? 1 : (x < -threshold ? -1 : 0)
            if block.codes[i] != 0 {
                magnitudeSum += Double(abs(x))
                aboveCount += 1
            }
        }
        let alpha = aboveCount > 0 ? Float(magnitudeSum / Double(aboveCount)) : 0
        for i in values.indices { block.dequantized[i] = Float(block.codes[i]) * alpha }
        return BlockParameters(scale: alpha)
    }
}
