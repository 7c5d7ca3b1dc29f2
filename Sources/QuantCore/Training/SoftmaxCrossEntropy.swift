import Foundation

/// Softmax cross-entropy from logits, computed stably (log-sum-exp with the row maximum subtracted).
///
/// For one row z `[K]` with label y: `loss = log Σ_j e^(z_j) − z_y` and
/// `∂loss/∂z = softmax(z) − onehot(y)`. Worked example: z = [0, 0], y = 0 → loss = log 2 ≈ 0.6931,
/// gradient [−0.5, 0.5].
enum SoftmaxCrossEntropy {
    /// Returns `Σ_rows loss / normalizer` and its gradient with respect to the logits `[B, K]`.
    ///
    /// - Parameters:
    ///   - logits: `[B, K]`.
    ///   - labels: B class indices, each in `0..<K`.
    ///   - normalizer: what the summed loss is divided by; the batch size gives the mean. A batch
    ///     split across threads passes the whole batch's size to every part.
    static func lossAndGradient(logits: Tensor, labels: [Int], normalizer: Int) -> (loss: Float, gradient: Tensor) {
        let rows = logits.shape[0], classes = logits.shape[1]
        let scale = 1 / Double(max(normalizer, 1))
        var gradient = [Float](repeating: 0, count: rows * classes)  // [B, K]
        var total: Double = 0
        for row in 0..<rows {
            let z = logits.storage[(row * classes)..<((row + 1) * classes)]
            let maximum = Double(z.max() ?? 0)
            var sum: Double = 0
            for value in z { sum += exp(Double(value) - maximum) }
            let logSumExp = maximum + log(sum)
            total += logSumExp - Double(z[z.startIndex + labels[row]])
            for (offset, value) in z.enumerated() {
                let probability = exp(Double(value) - logSumExp)
                let target: Double = offset == labels[row] ? 1 : 0
                gradient[row * classes + offset] = Float((probability - target) * scale)
            }
        }
        return (Float(total * scale), Tensor(shape: [rows, classes], storage: gradient))
    }
}
