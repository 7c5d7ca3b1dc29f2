import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The vectorized reductions against the plain loops they replace.
@Suite struct VectorReductionsTests {
    /// Lengths around the 16-lane step and the 4096-element block.
    static let lengths = [0, 1, 15, 16, 17, 4095, 4096, 4097, 100_003]

    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in generator.nextFloat(in: -3...2) }
    }

    @Test(arguments: lengths)
    func minMaxIsExact(count: Int) {
        let values = Self.values(count, seed: UInt64(count))
        let (lower, upper) = values.withUnsafeBufferPointer(VectorReductions.minMax)
        #expect(lower == (values.min() ?? 0) && upper == (values.max() ?? 0))
        let magnitude = values.withUnsafeBufferPointer(VectorReductions.maxMagnitude)
        #expect(magnitude == values.reduce(0) { max($0, abs($1)) })
    }

    @Test(arguments: lengths)
    func finiteMinMaxSkipsNonFinite(count: Int) {
        var values = Self.values(count, seed: 99)
        for index in stride(from: 3, to: count, by: 7) { values[index] = [.nan, .infinity, -.infinity][index % 3] }
        let finite = values.filter(\.isFinite)
        let range = values.withUnsafeBufferPointer(VectorReductions.finiteMinMax)
        if let low = finite.min(), let high = finite.max() {
            #expect(range?.lower == low && range?.upper == high)
        } else {
            #expect(range == nil)
        }
    }

    /// Fast metrics agree with the Double reference to a relative 1e-5; zero counts and "no
    /// noise" exactly; the largest error to float rounding of the difference.
    @Test(arguments: lengths.filter { $0 > 0 })
    func fastMetricsMatchReference(count: Int) {
        let float = Self.values(count, seed: 5)
        var decoded = float.map { ($0 * 7).rounded() / 7 }
        for index in stride(from: 0, to: count, by: 5) { decoded[index] = 0 }
        let reference = ErrorMetrics(float: float, dequantized: decoded)
        let fast = ErrorMetrics.fast(float: float, dequantized: decoded)
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-5 * max(abs(a), abs(b), 1e-30) }
        #expect(close(fast.meanSquaredError, reference.meanSquaredError))
        #expect(close(fast.sqnrDecibels ?? 0, reference.sqnrDecibels ?? 0))
        #expect(close(fast.cosineSimilarity, reference.cosineSimilarity))
        #expect(abs(fast.maxAbsoluteError - reference.maxAbsoluteError) <= 1e-6 * max(reference.maxAbsoluteError, 1))
        #expect(fast.sparsity == reference.sparsity)
        let identical = ErrorMetrics.fast(float: float, dequantized: float)
        #expect(identical.sqnrDecibels == nil && identical.cosineSimilarity == 1 && identical.meanSquaredError == 0)
    }

    /// The C histogram loop (taken for large layers) counts exactly like the Swift reference.
    @Test func histogramCountsMatchReference() {
        var first = Self.values(70_001, seed: 11)
        let second = first.map { ($0 * 3).rounded() / 3 }
        first[5] = .nan
        first[6] = 9  // outside
        first[7] = 2  // the upper edge: the last bin
        let counted = WeightHistogram.countBoth(first, second, bins: 37, lower: -3, upper: 2)
        let expectedFirst = WeightHistogram.count(first, bins: 37, lower: -3, upper: 2)
        let expectedSecond = WeightHistogram.count(second, bins: 37, lower: -3, upper: 2)
        #expect(counted.float.0 == expectedFirst.0 && counted.float.1 == expectedFirst.1)
        #expect(counted.dequantized.0 == expectedSecond.0 && counted.dequantized.1 == expectedSecond.1)
        #expect(expectedFirst.1 == 2)
    }
}
