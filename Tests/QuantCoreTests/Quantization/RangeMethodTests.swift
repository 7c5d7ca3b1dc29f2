import Testing
@testable import QuantCore

@Suite struct RangeMethodTests {
    @Test func percentileInterpolatesLikeNumPy() {
        let sorted: [Float] = [1, 2, 3, 4, 5]
        #expect(SortedFloats.percentile(50, ofSorted: sorted) == 3)
        #expect(SortedFloats.percentile(100, ofSorted: sorted) == 5)
        #expect(SortedFloats.percentile(90, ofSorted: sorted) == 4.6)  // rank 3.6
        #expect(SortedFloats.percentile(0, ofSorted: sorted) == 1)
        #expect(SortedFloats.percentile(50, ofSorted: []) == 0)
    }

    @Test(arguments: [10, 1023, 1024, 5000])
    func radixSortMatchesTheStandardSort(count: Int) {
        var values = QuantizationTestData.values(count, .heavyTailed, seed: UInt64(count))
        if count > 3 { values[0] = -0.0; values[1] = 0; values[2] = -.greatestFiniteMagnitude }
        let sorted = SortedFloats.ascending(values)
        #expect(
            sorted.map(\.bitPattern)
                == values.sorted { SortedFloats.orderKey($0) < SortedFloats.orderKey($1) }.map(\.bitPattern))
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func percentileClipsAndSaturatesTheOutlier() throws {
        // 99 values 0.01…0.99 and one outlier 10: the 99th percentile of |w| is 0.99 + 0.01 · 0.01 … ≈ 0.99.
        let values = (1...99).map { Float($0) / 100 } + [10]
        let tensor = Tensor(shape: [100], storage: values)
        let clipped = try QuantizationTestData.quantize(
            tensor, scheme: .symmetric, bitWidth: 8, granularity: .tensor, range: .percentile(99))
        let sorted = SortedFloats.ascending(values)
        #expect(clipped.scales[0] == SortedFloats.percentile(99, ofSorted: sorted) / 127)
        #expect(clipped.codes[99] == 127)  // the outlier saturates
        let full = try QuantizationTestData.quantize(tensor, scheme: .symmetric, bitWidth: 8, granularity: .tensor)
        #expect(clipped.scales[0] < full.scales[0] / 5)
        // Asymmetric clips each tail: [P1, P99] of w.
        let asymmetric = try QuantizationTestData.quantize(
            Tensor(shape: [101], storage: values + [-10]), scheme: .asymmetric, bitWidth: 8, granularity: .tensor,
            range: .percentile(99))
        #expect(asymmetric.dequantized[99] < 1.1 && asymmetric.dequantized[100] > -1.1)
    }

    @Test(arguments: [Scheme.symmetric, .symmetricFull, .asymmetric, .powerOfTwo, .fp8E4M3, .nf4])
    func mseSearchNeverLosesToMinMax(scheme: Scheme) throws {
        let bits = scheme.allowedBitWidths.contains(4) ? 4 : scheme.defaultBitWidth
        for distribution in [WeightDistribution.withOutliers, .heavyTailed, .uniform] {
            let tensor = QuantizationTestData.tensor([4, 256], distribution, seed: 21)
            let minMax = try QuantizationTestData.quantize(tensor, scheme: scheme, bitWidth: bits, range: .minMax)
            let mse = try QuantizationTestData.quantize(tensor, scheme: scheme, bitWidth: bits, range: .mse)
            let again = try QuantizationTestData.quantize(tensor, scheme: scheme, bitWidth: bits, range: .mse)
            #expect(mse == again)
            #expect(
                QuantizationTestData.meanSquaredError(mse.dequantized, tensor.storage)
                    <= QuantizationTestData.meanSquaredError(minMax.dequantized, tensor.storage) * (1 + 1e-9))
            if distribution == .withOutliers, scheme != .fp8E4M3 {
                // Outliers make clipping pay off: some block picks a range below its min-max.
                #expect(zip(mse.scales, minMax.scales).contains { $0 < $1 })
            }
        }
    }

    @Test func mseRatiosRunFromOneDownToTheSmallest() {
        #expect(ClippingRange.mseRatios.count == 100)
        #expect(ClippingRange.mseRatios.first == 1)
        #expect(abs(Double(ClippingRange.mseRatios.last ?? 0) - 0.2) < 1e-6)
        // Ties keep the larger range.
        #expect(ClippingRange.bestRatio { _ in 1 } == 1)
    }

    @Test func rejectsPercentilesOutsideTheUnitRange() {
        let tensor = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        for p in [0.0, -1, 100.5, .nan] {
            #expect(throws: QuantizationError.self) {
                try QuantizationTestData.quantize(tensor, scheme: .symmetric, bitWidth: 8, range: .percentile(p))
            }
        }
    }
}

@Suite struct AffineSquaredErrorTests {
    @Test(arguments: [Scheme.symmetric, .asymmetric], [2, 4, 8])
    func vectorizedErrorMatchesTheReference(scheme: Scheme, bitWidth: Int) {
        let values = QuantizationTestData.values(1003, .laplace, seed: 4)
        let parameters = AffineQuantizer.parameters(scheme, bitWidth: bitWidth, lower: -0.1, upper: 0.08)
        values.withUnsafeBufferPointer { buffer in
            let fast = AffineQuantizer.squaredError(buffer, parameters)
            let reference = AffineQuantizer.referenceSquaredError(buffer, parameters)
            #expect(abs(fast - reference) <= 1e-6 * reference)
        }
    }
}
