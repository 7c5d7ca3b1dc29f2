import Foundation
import Testing

@testable import QuantCore

@Suite struct WeightHistogramTests {
    @Test func workedExampleFromTheDocumentation() {
        let histogram = WeightHistogram(of: [-1, 0, 0.5, 1], dequantized: [-1, 0, 0, 1], binCount: 4)
        #expect(histogram.binEdges == [-1, -0.5, 0, 0.5, 1])
        #expect(histogram.floatCounts == [1, 0, 1, 2])
        #expect(histogram.dequantizedCounts == [1, 0, 2, 1])
        #expect(histogram.levels == [-1, 0, 1])
        #expect(!histogram.levelsAreCapped)
        #expect(histogram.prunedBand == nil)
        #expect(histogram.floatOutsideCount == 0 && histogram.dequantizedOutsideCount == 0)
    }

    @Test func sharedRangeCoversBothArrays() {
        let histogram = WeightHistogram(of: [0, 1], dequantized: [-1, 3], binCount: 2)
        #expect(histogram.binEdges == [-1, 1, 3])
        #expect(histogram.floatCounts == [1, 1])
        #expect(histogram.dequantizedCounts == [1, 1])
    }

    @Test(arguments: [1, 2, 3, 7, 64, 257])
    func anyBinCountCountsEveryValueOnceAndTheTopEdgeGoesLast(binCount: Int) {
        var generator = SplitMix64(seed: UInt64(binCount))
        var values = (0..<1000).map { _ in generator.nextFloat(in: -2...3) }
        values += [-2, 3]  // both ends exactly
        let histogram = WeightHistogram(of: values, dequantized: values, binCount: binCount, range: -2...3)
        #expect(histogram.binCount == binCount)
        #expect(histogram.binEdges.count == binCount + 1)
        #expect(histogram.binEdges.first == -2 && histogram.binEdges.last == 3)
        #expect(zip(histogram.binEdges, histogram.binEdges.dropFirst()).allSatisfy { $0 < $1 })
        #expect(histogram.floatCounts.reduce(0, +) == values.count)
        #expect(histogram.dequantizedCounts == histogram.floatCounts)
        let onlyTop = WeightHistogram(of: [3], dequantized: [], binCount: binCount, range: -2...3)
        #expect(onlyTop.floatCounts.last == 1)
    }

    @Test func binCountBelowOneIsOneBin() {
        let histogram = WeightHistogram(of: [1, 2, 3], dequantized: [1, 2, 3], binCount: 0)
        #expect(histogram.floatCounts == [3])
        #expect(histogram.binEdges == [1, 3])
    }

    @Test func constantTensorsGetAWidenedRange() {
        let zeros = WeightHistogram(of: [0, 0, 0], dequantized: [0, 0, 0], binCount: 3)
        #expect(zeros.binEdges.first == -0.5 && zeros.binEdges.last == 0.5)
        #expect(zeros.floatCounts == [0, 3, 0])
        #expect(zeros.levels == [0])
        let fours = WeightHistogram(of: [4, 4], dequantized: [4, 4], binCount: 2)
        #expect(fours.binEdges == [2, 4, 6])
        #expect(fours.floatCounts == [0, 2])  // 4 sits on the middle edge: the upper bin
        let empty = WeightHistogram(of: [], dequantized: [], binCount: 4)
        #expect(empty.floatCounts == [0, 0, 0, 0] && empty.levels.isEmpty)
    }

    @Test func valuesOutsideAnExplicitRangeAndNonFiniteValuesAreCountedApart() {
        let histogram = WeightHistogram(
            of: [-5, 0, 0.25, 5, .nan], dequantized: [.infinity, 0, 0, 0, -0.0], binCount: 2, range: -1...1)
        #expect(histogram.floatCounts == [0, 2])
        #expect(histogram.floatOutsideCount == 3)
        #expect(histogram.dequantizedCounts == [0, 4])
        #expect(histogram.dequantizedOutsideCount == 1)
        #expect(histogram.levels == [0])  // −0 is 0, ∞ is no level
    }

    @Test func levelsAreCappedAndFlagged() {
        let values = (0..<(WeightHistogram.levelCap + 10)).map { Float($0) }
        let histogram = WeightHistogram(of: values, dequantized: values, binCount: 8)
        #expect(histogram.levelsAreCapped)
        #expect(histogram.levels.count == WeightHistogram.levelCap)
        let exact = Array(values.prefix(WeightHistogram.levelCap))
        let full = WeightHistogram(of: exact, dequantized: exact + exact, binCount: 8)
        #expect(!full.levelsAreCapped && full.levels == exact)
    }

    static func quantized(
        dequantized: [Float], codes: [Int32], blockCount: Int = 1, pruning: PruningRule? = nil, mask: [Bool] = []
    ) -> QuantizedWeights {
        QuantizedWeights(
            settings: LayerSettings(bitWidth: 4, pruning: pruning), shape: [dequantized.count],
            dequantized: dequantized, codes: codes, bitWidth: 4, scales: [0.5], zeroPoints: [], codebook: [],
            blockCount: blockCount, prunedMask: mask)
    }

    @Test func levelsFromCodesMatchLevelsFromValues() {
        let float = Tensor(shape: [6], storage: [0.9, -0.6, 0.1, 0.5, -0.4, 0.05])
        let quantized = Self.quantized(dequantized: [1, -0.5, 0, 0.5, -0.5, 0], codes: [2, -1, 0, 1, -1, 0])
        let fromCodes = WeightHistogram.levels(fromCodes: quantized)
        #expect(fromCodes?.values == [-0.5, 0, 0.5, 1])
        let histogram = WeightHistogram(of: float, quantized: quantized, binCount: 4)
        #expect(histogram.levels == WeightHistogram.levels(of: quantized.dequantized).values)
        // Several blocks, or a code decoding to two values, fall back to the set.
        #expect(WeightHistogram.levels(fromCodes: Self.quantized(dequantized: [1, 2], codes: [1, 1])) == nil)
        #expect(
            WeightHistogram.levels(fromCodes: Self.quantized(dequantized: [1, 2], codes: [1, 2], blockCount: 2)) == nil)
    }

    @Test func prunedBandFollowsTheRule() {
        let float: [Float] = [0.5, -0.05, 0.2, -0.3]
        let mask = [false, true, true, false]
        #expect(
            WeightHistogram.prunedBand(for: .threshold(0.25), floatWeights: float, prunedMask: mask) == -0.25...0.25)
        #expect(WeightHistogram.prunedBand(for: .sparsity(0.5), floatWeights: float, prunedMask: mask) == -0.2...0.2)
        #expect(
            WeightHistogram.prunedBand(for: .pattern(keep: 1, of: 2), floatWeights: float, prunedMask: mask)
                == -0.2...0.2)
        #expect(WeightHistogram.prunedBand(for: .sparsity(0.5), floatWeights: float, prunedMask: []) == nil)
        #expect(WeightHistogram.prunedBand(for: nil, floatWeights: float, prunedMask: mask) == nil)
        let quantized = Self.quantized(
            dequantized: [0.5, 0, 0, -0.5], codes: [1, 0, 0, -1], pruning: .sparsity(0.5), mask: mask)
        #expect(
            WeightHistogram(of: Tensor(shape: [4], storage: float), quantized: quantized, binCount: 2).prunedBand
                == -0.2...0.2)
    }

    @Test func oneMillionWeightsIsOnePassQuick() {
        var generator = SplitMix64(seed: 1)
        let float = (0..<1_000_000).map { _ in generator.nextFloat(in: -1...1) }
        let dequantized = float.map { ($0 * 7).rounded() / 7 }  // 15 levels
        let start = Date()
        let histogram = WeightHistogram(of: float, dequantized: dequantized, binCount: 64)
        let seconds = Date().timeIntervalSince(start)
        #expect(histogram.levels.count == 15)
        #expect(histogram.floatCounts.reduce(0, +) == 1_000_000)
        #expect(seconds < 5, "took \(seconds) s (debug build; release is far faster)")
    }
}
