import Testing

@testable import QuantCore

@Suite struct PrunerTests {
    /// Random weights rounded to a coarse grid so that equal magnitudes (ties) are common.
    static func weights(count: Int, seed: UInt64, step: Float = 0.05) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in (generator.nextFloat(in: -1...1) / step).rounded() * step }
    }

    static func row(_ values: [Float]) -> Tensor { Tensor(shape: [1, values.count], storage: values) }

    @Test func workedExampleFromTheDocumentation() {
        let weights = Self.row([0.5, 0.4, 0.0, 0.3, -0.2, 0.1])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .threshold(0.1)) == [
                false, false, true, false, false, true,
            ])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .sparsity(0.5)) == [
                false, false, true, false, true, true,
            ])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .pattern(keep: 1, of: 2))
                == [false, true, true, false, false, true])
    }

    // MARK: Threshold

    @Test func thresholdPrunesAtOrBelow() {
        let weights = Self.row([0.1, -0.1, 0.10001, -0.2, 0])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .threshold(0.1)) == [true, true, false, false, true])
    }

    @Test func zeroThresholdPrunesOnlyExactZeros() {
        let weights = Self.row([0, -0.0, 1e-30, -1e-30, 0.5])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .threshold(0)) == [true, true, false, false, false])
    }

    @Test func negativeThresholdPrunesNothingAndNaNIsKept() {
        let weights = Self.row([0, .nan, 1])
        #expect(Pruner.mask(for: weights, outputChannelAxis: 0, rule: .threshold(-1)) == [false, false, false])
        #expect(Pruner.mask(for: weights, outputChannelAxis: 0, rule: .threshold(10)) == [true, false, true])
    }

    @Test(arguments: [1, 2, 3])
    func thresholdAtOrAboveTheLargestMagnitudePrunesEverything(seed: UInt64) {
        let values = Self.weights(count: 200, seed: seed)
        let largest = values.map(abs).max() ?? 0
        let tensor = Tensor(shape: [10, 20], storage: values)
        for threshold in [largest, largest * 2] {
            #expect(Pruner.mask(for: tensor, outputChannelAxis: 0, rule: .threshold(threshold)).allSatisfy { $0 })
        }
    }

    // MARK: Sparsity

    @Test(arguments: [0.0, 0.1, 0.29, 0.5, 0.75, 0.9, 0.999], [1, 7, 100, 1000])
    func sparsityPrunesExactlyRoundOfSTimesN(sparsity: Double, count: Int) {
        let values = Self.weights(count: count, seed: UInt64(count))
        let mask = Pruner.mask(for: Self.row(values), outputChannelAxis: 0, rule: .sparsity(sparsity))
        let expectedCount = Int((sparsity * Double(count)).rounded(.toNearestOrEven))
        #expect(mask.filter { $0 }.count == expectedCount)
        // Every pruned magnitude is at most every kept one.
        let pruned = values.indices.filter { mask[$0] }.map { abs(values[$0]) }
        let kept = values.indices.filter { !mask[$0] }.map { abs(values[$0]) }
        if let largestPruned = pruned.max(), let smallestKept = kept.min() {
            #expect(largestPruned <= smallestKept)
        }
    }

    @Test func decimalSparsityLandsOnTheCountItNames() {
        #expect(Pruner.prunedCount(forSparsity: 0.29, of: 100) == 29)
        #expect(Pruner.prunedCount(forSparsity: 0.7, of: 10) == 7)
        #expect(Pruner.prunedCount(forSparsity: 0.8, of: 72) == 58)  // 57.6: torch rounds, ⌊⌋ gave 57
        // Exact halves go to even, as Python's round: 3.5 → 4, 2.5 → 2, 0.5 → 0.
        #expect(Pruner.prunedCount(forSparsity: 0.5, of: 7) == 4)
        #expect(Pruner.prunedCount(forSparsity: 0.5, of: 5) == 2)
        #expect(Pruner.prunedCount(forSparsity: 0.5, of: 1) == 0)
        #expect(Pruner.prunedCount(forSparsity: 0.25, of: 6) == 2)
        #expect(Pruner.prunedCount(forSparsity: -1, of: 7) == 0)
        #expect(Pruner.prunedCount(forSparsity: 1, of: 7) == 7)
    }

    @Test func sparsityBreaksTiesByLowerIndex() {
        let weights = Self.row([0.2, -0.1, 0.1, 0.1, 0.3, -0.1])
        // 3 of 6: four weights tie at |w| = 0.1 for the 3 slots; indices 1, 2, 3 win over 5.
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .sparsity(0.5)) == [
                false, true, true, true, false, false,
            ])
    }

    @Test func magnitudeOrderMatchesASortByMagnitudeThenIndex() {
        var values = Self.weights(count: 2000, seed: 11)
        values += [0, -0.0, .infinity, -.infinity, .nan, 0]
        let expected = values.indices.sorted { left, right in
            let a = abs(values[left]).isNaN ? Float.infinity : abs(values[left])
            let b = abs(values[right]).isNaN ? Float.infinity : abs(values[right])
            if a != b { return a < b }
            if abs(values[left]).isNaN != abs(values[right]).isNaN { return !abs(values[left]).isNaN }
            return left < right
        }
        #expect(Pruner.magnitudeOrder(of: values) == expected)
    }

    @Test func sparsityNeverPrunesNaNBeforeNumbers() {
        #expect(
            Pruner.mask(for: Self.row([.nan, 0.2, 0.1]), outputChannelAxis: 0, rule: .sparsity(0.67)) == [
                false, true, true,
            ])
    }

    @Test func matchingThresholdIsTheLargestPrunedMagnitude() {
        let weights = Self.row([0.4, -0.1, 0.1, 0.0])
        #expect(Pruner.threshold(forSparsity: 0.5, of: weights) == 0.1)
        // round(0.1 · 4) = 0 prunes nothing; round(0.2 · 4) = 1 prunes the 0.0.
        #expect(Pruner.threshold(forSparsity: 0.1, of: weights) == nil)
        #expect(Pruner.threshold(forSparsity: 0.2, of: weights) == 0)
        #expect(Pruner.threshold(forSparsity: 0.75, of: weights) == 0.1)
        // round(0.8 · 4) = 3; round(0.9 · 4) = 4 prunes all, up to 0.4.
        #expect(Pruner.threshold(forSparsity: 0.8, of: weights) == 0.1)
        #expect(Pruner.threshold(forSparsity: 0.9, of: weights) == 0.4)
    }

    @Test(arguments: [0.3, 0.6, 0.95])
    func thresholdingAtTheMatchingThresholdPrunesASuperset(sparsity: Double) {
        let tensor = Self.row(Self.weights(count: 500, seed: 9))
        let sparse = Pruner.mask(for: tensor, outputChannelAxis: 0, rule: .sparsity(sparsity))
        guard let threshold = Pruner.threshold(forSparsity: sparsity, of: tensor) else {
            Issue.record("no threshold")
            return
        }
        let thresholded = Pruner.mask(for: tensor, outputChannelAxis: 0, rule: .threshold(threshold))
        #expect(zip(sparse, thresholded).allSatisfy { !$0 || $1 })
        #expect(Pruner.largestPrunedMagnitude(of: tensor.storage, mask: sparse) == threshold)
    }

    // MARK: N:M

    @Test func patternOnConvRowsKeepsTheLargestTwoOfFour() {
        // Conv [out 2, in 1, 2, 2]: each output channel's row is 4 contiguous weights.
        let weights = Tensor(shape: [2, 1, 2, 2], storage: [0.1, -0.9, 0.5, 0.2, 4, 3, -2, 1])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .pattern(keep: 2, of: 4))
                == [true, false, false, true, false, false, true, true])
    }

    @Test func patternOnMatMulRunsDownEachColumn() {
        // MatMul [in 4, out 2]: column 0 = [1, 2, 3, 4], column 1 = [-4, -3, -2, -1].
        let weights = Tensor(shape: [4, 2], storage: [1, -4, 2, -3, 3, -2, 4, -1])
        let mask = Pruner.mask(for: weights, outputChannelAxis: 1, rule: .pattern(keep: 1, of: 2))
        // Column 0 windows (1, 2), (3, 4) keep 2 and 4; column 1 windows (-4, -3), (-2, -1) keep -4 and -2.
        #expect(mask == [true, false, false, true, true, false, false, true])
    }

    @Test func patternShortLastWindowKeepsItsLargest() {
        let weights = Self.row([1, 2, 3, 4, 5, 6])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .pattern(keep: 2, of: 4))
                == [true, true, false, false, false, false])
        #expect(
            Pruner.mask(for: Self.row([1, 2, 3, 4, 5]), outputChannelAxis: 0, rule: .pattern(keep: 2, of: 4))
                == [true, true, false, false, false])
    }

    @Test func patternTiesKeepTheLowerIndex() {
        #expect(
            Pruner.mask(for: Self.row([0.5, -0.5, 0.5, 0.5]), outputChannelAxis: 0, rule: .pattern(keep: 2, of: 4))
                == [false, false, true, true])
    }

    @Test(arguments: [(1, 2), (2, 4), (1, 4), (3, 8)], [0, 1])
    func patternIsValidInEveryWindow(pattern: (keep: Int, of: Int), axis: Int) {
        // Conv-like [out 6, 16] along axis 0, or MatMul-like [16, out 6] along axis 1.
        let shape = axis == 0 ? [6, 16] : [16, 6]
        let tensor = Tensor(shape: shape, storage: Self.weights(count: 96, seed: 5, step: 0.001))
        let mask = Pruner.mask(for: tensor, outputChannelAxis: axis, rule: .pattern(keep: pattern.keep, of: pattern.of))
        for channel in 0..<6 {
            let row = (0..<16).map { axis == 0 ? channel * 16 + $0 : $0 * 6 + channel }
            for start in stride(from: 0, to: 16, by: pattern.of) {
                let window = Array(row[start..<(start + pattern.of)])
                let kept = window.filter { !mask[$0] }
                #expect(kept.count == pattern.keep)
                let smallestKept = kept.map { abs(tensor.storage[$0]) }.min() ?? 0
                let largestPruned = window.filter { mask[$0] }.map { abs(tensor.storage[$0]) }.max() ?? 0
                #expect(largestPruned <= smallestKept)
            }
        }
    }

    @Test func invalidPatternsAreClamped() {
        let weights = Self.row([1, 2, 3, 4])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .pattern(keep: 4, of: 4)) == [
                false, false, false, false,
            ])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .pattern(keep: 1, of: 0)) == [
                false, false, false, false,
            ])
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 0, rule: .pattern(keep: 0, of: 2)) == [true, true, true, true])
        // An axis outside the shape treats the tensor as one row.
        #expect(
            Pruner.mask(for: weights, outputChannelAxis: 5, rule: .pattern(keep: 1, of: 4)) == [
                true, true, true, false,
            ])
    }
}
