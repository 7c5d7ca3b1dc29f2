import Foundation
import Testing

@testable import QuantCore

@Suite struct ErrorMetricsTests {
    @Test func handComputedExample() {
        let metrics = ErrorMetrics(float: [1, -2, 0, 3], dequantized: [1, -2.5, 0, 3])
        #expect(metrics.meanSquaredError == 0.0625)
        #expect(abs((metrics.sqnrDecibels ?? 0) - 10 * log10(14 / 0.25)) < 1e-12)
        #expect(abs((metrics.sqnrDecibels ?? 0) - 17.4818) < 1e-4)
        #expect(abs(metrics.cosineSimilarity - 15 / (14 * 16.25).squareRoot()) < 1e-12)
        #expect(metrics.maxAbsoluteError == 0.5)
        #expect(metrics.sparsity == 0.25)
    }

    @Test func signFlipGivesCosineMinusOneAndZeroDecibels() {
        // Σw² = 2, Σ(w − w')² = 8 → 10·log10(0.25) = −6.02 dB.
        let metrics = ErrorMetrics(float: [1, -1], dequantized: [-1, 1])
        #expect(metrics.cosineSimilarity == -1)
        #expect(abs((metrics.sqnrDecibels ?? 0) - 10 * log10(0.25)) < 1e-12)
        #expect(metrics.meanSquaredError == 4)
        #expect(metrics.maxAbsoluteError == 2)
        #expect(metrics.sparsity == 0)
    }

    @Test func exactCopyHasInfiniteSQNRStoredAsNil() throws {
        let metrics = ErrorMetrics(float: [0.5, 0, -0.25], dequantized: [0.5, 0, -0.25])
        #expect(metrics.meanSquaredError == 0)
        #expect(metrics.sqnrDecibels == nil)
        #expect(metrics.cosineSimilarity == 1)
        #expect(metrics.maxAbsoluteError == 0)
        #expect(abs(metrics.sparsity - 1.0 / 3.0) < 1e-15)
        // JSON-safe: encodes and decodes.
        let data = try JSONEncoder().encode(metrics)
        #expect(try JSONDecoder().decode(ErrorMetrics.self, from: data) == metrics)
    }

    @Test func allZeroTensors() {
        let both = ErrorMetrics(float: [0, 0], dequantized: [0, 0])
        #expect(both.cosineSimilarity == 1)
        #expect(both.sqnrDecibels == nil)
        #expect(both.sparsity == 1)
        let floatZero = ErrorMetrics(float: [0, 0], dequantized: [0, 1])
        #expect(floatZero.cosineSimilarity == 0)
        #expect(floatZero.sqnrDecibels == ErrorMetrics.minimumSQNR)
        let decodedZero = ErrorMetrics(float: [1, 0], dequantized: [0, 0])
        #expect(decodedZero.cosineSimilarity == 0)
        #expect(decodedZero.sqnrDecibels == 0)  // Σw² = Σ(w − w')² = 1
        #expect(decodedZero.sparsity == 1)
    }

    @Test func emptyInputsLookExact() {
        let metrics = ErrorMetrics(float: [], dequantized: [])
        #expect(
            metrics
                == ErrorMetrics(
                    meanSquaredError: 0, sqnrDecibels: nil, cosineSimilarity: 1, maxAbsoluteError: 0, sparsity: 0))
    }

    @Test func tensorAndQuantizedWeightsConvenience() {
        let float = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        let quantized = QuantizedWeights(
            settings: LayerSettings(bitWidth: 8), shape: [2, 2], dequantized: [1, 2, 3, 3], codes: [1, 2, 3, 3],
            bitWidth: 8, scales: [1], zeroPoints: [], codebook: [], blockCount: 1, prunedMask: [])
        let metrics = ErrorMetrics(float: float, quantized: quantized)
        #expect(metrics.meanSquaredError == 0.25)
        #expect(abs((metrics.sqnrDecibels ?? 0) - 10 * log10(30.0)) < 1e-12)
    }
}
