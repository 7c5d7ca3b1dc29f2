import Foundation

/// How far dequantized weights are from the float weights they replace.
///
/// With `w` the float weights, `w'` the dequantized ones and `n` their count (sums in `Double`):
///
/// | metric | formula | exact copy |
/// | --- | --- | --- |
/// | `meanSquaredError` | `Σ(w − w')² / n` | 0 |
/// | `sqnrDecibels` | `10 · log10(Σw² / Σ(w − w')²)` | `nil` (+∞) |
/// | `cosineSimilarity` | `Σw·w' / √(Σw² · Σw'²)`, 1 when both are all zero, 0 when one is | 1 |
/// | `maxAbsoluteError` | `max |w − w'|` | 0 |
/// | `sparsity` | fraction of `w'` exactly 0 | fraction of `w` exactly 0 |
///
/// SQNR is +∞ when nothing changed; it is stored as `nil` so the value survives JSON (which has
/// no infinity). When the float weights are all zero but the dequantized ones are not, SQNR is
/// `minimumSQNR` (−∞ capped). Empty inputs give the exact-copy column.
///
/// Example: `w = [1, -2, 0, 3]`, `w' = [1, -2.5, 0, 3]` → MSE 0.0625, SQNR 10·log10(14 / 0.25)
/// = 17.48 dB, cosine 15 / √(14 · 16.25) = 0.99449, max error 0.5, sparsity 0.25.
public struct ErrorMetrics: Sendable, Equatable, Codable {
    /// The SQNR reported when the float signal is zero but the error is not (−∞ capped).
    public static let minimumSQNR: Double = -300

    /// Mean of the squared differences.
    public var meanSquaredError: Double
    /// Signal-to-quantization-noise ratio in decibels; nil when the error is exactly zero (+∞).
    public var sqnrDecibels: Double?
    /// Cosine of the angle between the float and the dequantized weights, in [−1, 1].
    public var cosineSimilarity: Double
    /// The largest absolute difference.
    public var maxAbsoluteError: Double
    /// Fraction of dequantized weights that are exactly zero.
    public var sparsity: Double

    /// Creates metrics from known values.
    public init(
        meanSquaredError: Double, sqnrDecibels: Double?, cosineSimilarity: Double, maxAbsoluteError: Double,
        sparsity: Double
    ) {
        self.meanSquaredError = meanSquaredError
        self.sqnrDecibels = sqnrDecibels
        self.cosineSimilarity = cosineSimilarity
        self.maxAbsoluteError = maxAbsoluteError
        self.sparsity = sparsity
    }

    /// Compares float weights with their dequantized values in one pass.
    ///
    /// - Precondition: both arrays have the same count.
    public init(float: [Float], dequantized: [Float]) {
        precondition(
            float.count == dequantized.count, "\(float.count) float vs \(dequantized.count) dequantized weights")
        var signal = 0.0  // Σw²
        var decoded = 0.0  // Σw'²
        var dot = 0.0  // Σw·w'
        var noise = 0.0  // Σ(w − w')²
        var maxError = 0.0
        var zeros = 0
        for index in float.indices {
            let original = Double(float[index])
            let value = Double(dequantized[index])
            let difference = original - value
            signal += original * original
            decoded += value * value
            dot += original * value
            noise += difference * difference
            maxError = max(maxError, abs(difference))
            if value == 0 { zeros += 1 }
        }
        self.init(
            count: float.count, signal: signal, decoded: decoded, dot: dot, noise: noise, maxError: maxError,
            zeros: zeros)
    }

    /// Compares a float weight tensor with its quantized form.
    /// The same metrics from `VectorReductions.comparisonSums` (float sums in blocks of 4096,
    /// blocks in `Double`): what the dashboard and reports use for speed. Agrees with
    /// `init(float:dequantized:)` to a relative 1e-5 in every sum (`VectorReductionsTests`);
    /// sparsity and "no noise" exactly.
    static func fast(float: [Float], dequantized: [Float]) -> ErrorMetrics {
        precondition(
            float.count == dequantized.count, "\(float.count) float vs \(dequantized.count) dequantized weights")
        let sums = float.withUnsafeBufferPointer { a in
            dequantized.withUnsafeBufferPointer { b in VectorReductions.comparisonSums(a, b) }
        }
        return ErrorMetrics(
            count: float.count, signal: sums.signal, decoded: sums.decoded, dot: sums.dot, noise: sums.noise,
            maxError: sums.maxError, zeros: sums.zeros)
    }

    /// Metrics from the sums over `count` weights.
    private init(
        count weightCount: Int, signal: Double, decoded: Double, dot: Double, noise: Double, maxError: Double,
        zeros: Int
    ) {
        let count = Double(max(weightCount, 1))
        meanSquaredError = noise / count
        if noise == 0 {
            sqnrDecibels = nil
        } else if signal == 0 {
            sqnrDecibels = ErrorMetrics.minimumSQNR
        } else {
            sqnrDecibels = max(10 * log10(signal / noise), ErrorMetrics.minimumSQNR)
        }
        if noise == 0 {
            cosineSimilarity = 1
        } else if signal == 0 || decoded == 0 {
            cosineSimilarity = 0
        } else {
            cosineSimilarity = min(max(dot / (signal * decoded).squareRoot(), -1), 1)
        }
        maxAbsoluteError = maxError
        sparsity = weightCount == 0 ? 0 : Double(zeros) / count
    }

    public init(float: Tensor, quantized: QuantizedWeights) {
        self.init(float: float.storage, dequantized: quantized.dequantized)
    }
}
