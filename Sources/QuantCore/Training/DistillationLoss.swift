import Foundation

/// Knowledge distillation (Hinton et al.): the student matches the teacher's soft outputs at a
/// temperature T, plus cross-entropy on the labels where there are labels.
///
/// Per row, with student logits s, teacher logits t, p = softmax(t / T), q = softmax(s / T):
/// `loss = T² · KL(p ‖ q) + w · CE(softmax(s), y)`, and
/// `∂loss/∂s = T · (q − p) + w · (softmax(s) − onehot(y))` (the T² keeps the soft term's gradient
/// on the scale of the hard one as T grows). PyTorch: `T**2 * kl_div(log_softmax(s/T), p,
/// reduction="batchmean") + w * cross_entropy(s, y)`. Worked example: s = t, w = 0 → loss 0, gradient 0.
struct DistillationLoss: Sendable, Equatable {
    /// The temperature T (> 0).
    var temperature: Float
    /// The weight w of the cross-entropy term (0: distillation only).
    var labelWeight: Float

    /// `Σ_rows loss / normalizer` and its gradient with respect to the student's logits `[B, K]`.
    ///
    /// - Parameters:
    ///   - teacher: the teacher's logits for the same rows, `[B, K]`.
    ///   - labels: B class indices, or nil for unlabeled data (the cross-entropy term is dropped).
    ///   - normalizer: the whole mini-batch's size (a batch split across threads passes it to every part).
    func lossAndGradient(
        student: Tensor, teacher: Tensor, labels: [Int]?, normalizer: Int
    ) -> (loss: Float, gradient: Tensor) {
        let rows = student.shape[0], classes = student.shape[1]
        let scale = 1 / Double(max(normalizer, 1))
        let t = Double(temperature), w = labels == nil ? 0 : Double(labelWeight)
        var gradient = [Float](repeating: 0, count: rows * classes)
        var total: Double = 0
        for row in 0..<rows {
            let range = (row * classes)..<((row + 1) * classes)
            let s = student.storage[range].map { Double($0) }, z = teacher.storage[range].map { Double($0) }
            let logQ = DistillationLoss.logSoftmax(s.map { $0 / t })
            let logP = DistillationLoss.logSoftmax(z.map { $0 / t })
            let logHard = DistillationLoss.logSoftmax(s)
            var kl: Double = 0
            for k in 0..<classes { kl += exp(logP[k]) * (logP[k] - logQ[k]) }
            total += t * t * kl
            if let labels { total -= w * logHard[labels[row]] }
            for k in 0..<classes {
                var g = t * (exp(logQ[k]) - exp(logP[k]))
                if let labels { g += w * (exp(logHard[k]) - (k == labels[row] ? 1 : 0)) }
                gradient[row * classes + k] = Float(g * scale)
            }
        }
        return (Float(total * scale), Tensor(shape: [rows, classes], storage: gradient))
    }

    /// `log softmax(x)`, computed stably.
    static func logSoftmax(_ x: [Double]) -> [Double] {
        let maximum = x.max() ?? 0
        let logSum = maximum + log(x.reduce(0) { $0 + exp($1 - maximum) })
        return x.map { $0 - logSum }
    }
}
