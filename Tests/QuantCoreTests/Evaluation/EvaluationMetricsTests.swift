import Foundation
import Testing

@testable import QuantCore

@Suite struct EvaluationMetricsTests {
    @Test func argmaxTiesAndNaN() {
        #expect(EvaluationMetrics.argmax([2, 1, 0] as [Float]) == 0)
        #expect(EvaluationMetrics.argmax([0, 3, 3] as [Float]) == 1)
        #expect(EvaluationMetrics.argmax([Float.nan, 1, 2]) == 2)
        #expect(EvaluationMetrics.argmax([-Float.infinity, -.infinity]) == 0)
        #expect(EvaluationMetrics.argmax([Float.nan, .nan]) == 0)
        #expect(EvaluationMetrics.argmax([Float]()) == 0)
        // Works on slices of a larger buffer (how the evaluator calls it).
        let storage: [Float] = [9, 9, 9, 1, 4, 2]
        #expect(EvaluationMetrics.argmax(storage[3..<6]) == 1)
    }

    @Test func rankMatchesTheTableInTheDocs() {
        #expect(EvaluationMetrics.rank(of: 2, in: [2, 1, 0] as [Float]) == 2)
        #expect(EvaluationMetrics.rank(of: 2, in: [1, 3, 3] as [Float]) == 1)
        #expect(EvaluationMetrics.rank(of: 2, in: [5, 5, 5] as [Float]) == 2)
        #expect(EvaluationMetrics.rank(of: 0, in: [Float.nan, 1]) == 2)
        #expect(EvaluationMetrics.rank(of: 5, in: [1, 2] as [Float]) == 2)
        #expect(EvaluationMetrics.isInTopK([1, 3, 3] as [Float], label: 2, k: 2))
        #expect(!EvaluationMetrics.isInTopK([1, 3, 3] as [Float], label: 2, k: 1))
        // With fewer classes than k every label is in the top k.
        #expect(EvaluationMetrics.isInTopK([0, 9] as [Float], label: 0, k: 5))
    }

    @Test func logSoftmaxIsStable() {
        // [1000, 0]: exp(1000) overflows Double, the shifted form does not.
        // log softmax = [−log(1 + e⁻¹⁰⁰⁰), −1000 − log(1 + e⁻¹⁰⁰⁰)] = [0, −1000] in Double.
        #expect(EvaluationMetrics.logSoftmax([1000, 0] as [Float]) == [0, -1000])
        #expect(EvaluationMetrics.negativeLogLikelihood([1000, 0] as [Float], label: 1) == 1000)
        #expect(EvaluationMetrics.negativeLogLikelihood([-1000, -1000] as [Float], label: 0) == log(2.0))
        // Probabilities sum to one.
        let probabilities = EvaluationMetrics.logSoftmax([0.5, -2, 3, 1] as [Float]).map { exp($0) }
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-12)
        #expect(EvaluationMetrics.negativeLogLikelihood([1, Float.nan], label: 0).isNaN)
        #expect(EvaluationMetrics.negativeLogLikelihood([1, 2] as [Float], label: 7) == .infinity)
    }
}
