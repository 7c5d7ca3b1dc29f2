import Foundation

/// Plain reference code for classification metrics on one row of logits.
///
/// Every function ranks classes the same way: by logit, highest first, ties broken by the
/// lower class index; NaN logits rank below every number. So the prediction (`argmax`) is
/// always the class of rank 0, and a label is in the top k exactly when its rank is below k.
///
/// | logits          | argmax | rank of class 2 | top-1 / top-2 hit for label 2 |
/// |-----------------|--------|-----------------|-------------------------------|
/// | [2, 1, 0]       | 0      | 2               | no / no                       |
/// | [1, 3, 3]       | 1      | 1               | no / yes                      |
/// | [5, 5, 5]       | 0      | 2               | no / no                       |
public enum EvaluationMetrics {
    /// The z value of a two-sided 95 % normal interval (the 0.975 quantile of N(0, 1)).
    public static let z95 = 1.959963984540054

    /// The index of the largest logit; ties go to the lowest index, NaN never wins (0 if all NaN or empty).
    public static func argmax(_ logits: some Collection<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        var hasBest = false
        for (index, value) in logits.enumerated() where !value.isNaN {
            if !hasBest || value > bestValue {
                best = index
                bestValue = value
                hasBest = true
            }
        }
        return best
    }

    /// The position of class `label` when classes are sorted by logit (0 = the prediction).
    ///
    /// Counts the classes ranked above it: a larger logit, or an equal one at a lower index.
    /// A NaN logit for `label` ranks last.
    public static func rank(of label: Int, in logits: some Collection<Float>) -> Int {
        let values = Array(logits)
        guard values.indices.contains(label) else { return values.count }
        let target = values[label]
        if target.isNaN { return values.count }
        var above = 0
        for (index, value) in values.enumerated() where value > target || (value == target && index < label) {
            above += 1
        }
        return above
    }

    /// Whether class `label` is among the `k` highest logits (always true when `k` ≥ the class count).
    public static func isInTopK(_ logits: some Collection<Float>, label: Int, k: Int) -> Bool {
        rank(of: label, in: logits) < k
    }

    /// The log-softmax of `logits`, computed stably in `Double`: `(l_i − m) − log Σ_j exp(l_j − m)`, m = max.
    public static func logSoftmax(_ logits: some Collection<Float>) -> [Double] {
        let values = logits.map(Double.init)
        let (maximum, logSum) = shiftedLogSumExp(values)
        return values.map { ($0 - maximum) - logSum }
    }

    /// The cross-entropy of the softmax of `logits` against class `label`: `−log softmax(l)[label]`.
    ///
    /// Computed as `(m − l_label) + log Σ_j exp(l_j − m)` with m = max, so no term overflows
    /// and large equal logits lose no precision. Example: logits [2, 1, 0], label 0 →
    /// log(1 + e⁻¹ + e⁻²) ≈ 0.407606. An out-of-range label gives +∞, a NaN logit NaN.
    public static func negativeLogLikelihood(_ logits: some Collection<Float>, label: Int) -> Double {
        let values = logits.map(Double.init)
        guard values.indices.contains(label) else { return .infinity }
        let (maximum, logSum) = shiftedLogSumExp(values)
        return (maximum - values[label]) + logSum
    }

    /// The Wilson score interval for a binomial proportion `successes / trials` at normal quantile `z`.
    ///
    /// With p = k/n: center = (p + z²/2n) / (1 + z²/n),
    /// half width = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²). Unlike p ± z·√(p(1−p)/n) it stays
    /// inside [0, 1] and is sensible at p = 0 or 1. No trials gives [0, 1].
    public static func wilsonInterval(successes: Int, trials: Int, z: Double = z95) -> ClosedRange<Double> {
        guard trials > 0 else { return 0...1 }
        let n = Double(trials)
        let p = Double(min(max(successes, 0), trials)) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let halfWidth = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        // Exactly 0 and 1 at the ends (the formula gives them only up to rounding).
        let lower = p == 0 ? 0 : max(0, center - halfWidth)
        let upper = p == 1 ? 1 : min(1, center + halfWidth)
        return lower...max(lower, upper)
    }

    /// The maximum m and `log Σ exp(x_i − m)`; NaN when any value is NaN.
    private static func shiftedLogSumExp(_ values: [Double]) -> (maximum: Double, logSum: Double) {
        if values.contains(where: \.isNaN) { return (.nan, .nan) }
        guard let maximum = values.max() else { return (-.infinity, -.infinity) }
        guard maximum.isFinite else {
            // All −∞ (no probability anywhere) or some +∞: the result is undefined.
            return (maximum, .nan)
        }
        var sum = 0.0
        for value in values { sum += exp(value - maximum) }
        return (maximum, log(sum))
    }
}
