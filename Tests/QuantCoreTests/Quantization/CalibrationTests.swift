import Testing
@testable import QuantCore

@Suite struct CalibrationTests {
    @Test func minmaxIsExactAndPicksSignedness() throws {
        var calibrator = try ActivationCalibrator()
        calibrator.observe([0.5, 3.25, 0])
        calibrator.observe([1, 2])
        #expect(calibrator.minimum == 0 && calibrator.maximum == 3.25 && calibrator.count == 5)
        #expect(calibrator.isNonNegative)
        #expect(try calibrator.threshold(method: .minmax, bitWidth: 8) == 3.25)
        let unsigned = try calibrator.quantization(method: .minmax, bitWidth: 8)
        #expect(!unsigned.isSigned && unsigned.scale == Float(3.25) / 255 && unsigned.zeroPoint == 0)
        #expect(unsigned.codeRange == 0...255)

        calibrator.observe([-4.5])
        let signed = try calibrator.quantization(method: .minmax, bitWidth: 8)
        #expect(signed.isSigned && signed.scale == Float(4.5) / 127 && signed.codeRange == -128...127)
    }

    @Test func histogramGrowsByMergingBins() throws {
        var calibrator = try ActivationCalibrator(binCount: 8)
        calibrator.observe([0.5, 1, 0])  // upper bound 1, width 0.125: bins 4, 7 (last bin holds its edge), 0
        #expect(calibrator.histogramUpperBound == 1)
        #expect(calibrator.histogram == [1, 0, 0, 0, 1, 0, 0, 1])
        calibrator.observe([3])  // bound doubles twice to 4: old bins 0…3 → 0, 4…7 → 1; 3 → bin 6
        #expect(calibrator.histogramUpperBound == 4)
        #expect(calibrator.histogram == [1, 2, 0, 0, 0, 0, 1, 0])
        #expect(calibrator.histogram.reduce(0, +) == calibrator.count)
        // Same batches, same order → same statistics.
        var again = try ActivationCalibrator(binCount: 8)
        again.observe([0.5, 1, 0])
        again.observe([3])
        #expect(again == calibrator)
    }

    @Test func onlyZerosThenValues() throws {
        var calibrator = try ActivationCalibrator(binCount: 4)
        calibrator.observe([0, 0])
        #expect(try calibrator.threshold(method: .entropy, bitWidth: 8) == 0)
        #expect(try calibrator.quantization(method: .mse, bitWidth: 8).scale == 1)  // T = 0 → scale 1
        calibrator.observe([2])
        #expect(calibrator.histogram == [2, 0, 0, 1] && calibrator.histogramUpperBound == 2)
    }

    @Test func skipsNonFiniteValues() throws {
        var calibrator = try ActivationCalibrator()
        calibrator.observe([.nan, 1, .infinity, -2, -.infinity])
        #expect(calibrator.count == 2 && calibrator.nonFiniteCount == 3)
        #expect(try calibrator.threshold(method: .minmax, bitWidth: 8) == 2)
    }

    @Test func percentileOfAKnownDistribution() throws {
        // 0, 1/100000, …, 0.99999 (uniform on [0, 1)): the 99.99th percentile is ≈ 0.9999, and the 50th 0.5.
        var calibrator = try ActivationCalibrator()
        let values = (0..<100_000).map { Float($0) / 100_000 }
        calibrator.observe(values)
        let width = calibrator.binWidth
        #expect(abs(try calibrator.threshold(method: .percentile, bitWidth: 8) - 0.9999) <= width)
        #expect(abs(try calibrator.threshold(method: .percentile, bitWidth: 8, percentile: 50) - 0.5) <= width)
        #expect(try calibrator.threshold(method: .percentile, bitWidth: 8, percentile: 100) == calibrator.maximum)
        #expect(throws: QuantizationError.invalidPercentile(0)) {
            try calibrator.threshold(method: .percentile, bitWidth: 8, percentile: 0)
        }
    }

    /// 100 000 Gaussian activations and one outlier at 100.
    private func calibratorWithOutlier(nonNegative: Bool) throws -> ActivationCalibrator {
        var calibrator = try ActivationCalibrator()
        var generator = SplitMix64(seed: 12)
        let values = (0..<100_000).map { _ in nonNegative ? abs(generator.nextGaussian()) : generator.nextGaussian() }
        calibrator.observe(values)
        calibrator.observe([100])
        return calibrator
    }

    @Test(arguments: [(CalibrationMethod.mse, Float(95)), (.percentile, 5)], [false, true])
    func histogramMethodsClipBelowTheOutlier(
        expected: (method: CalibrationMethod, below: Float), nonNegative: Bool
    ) throws {
        let (method, bound) = expected
        let calibrator = try calibratorWithOutlier(nonNegative: nonNegative)
        let threshold = try calibrator.threshold(method: method, bitWidth: 8)
        #expect(try calibrator.threshold(method: .minmax, bitWidth: 8) == 100)
        // The Gaussian bulk reaches ≈ 4.5, the outlier 100 (the histogram bound doubles to ≈ 144, so
        // bins are ≈ 0.07 wide). MSE trades one outlier's clipping error (100 − T)² against
        // 100 000 rounding errors of (T / 127)² / 12, optimal near T ≈ 66 (signed) or 89
        // (unsigned, finer steps); the 99.99th percentile lies inside the bulk.
        #expect(threshold < bound && threshold > 2, "\(method): \(threshold)")
        // Deterministic.
        #expect(try calibratorWithOutlier(nonNegative: nonNegative).threshold(method: method, bitWidth: 8) == threshold)
    }

    @Test(arguments: [false, true], [4, 8, 16])
    func entropyNeverClipsAnIsolatedOutlier(nonNegative: Bool, bitWidth: Int) throws {
        // Clipping at any T < 100 moves the outlier into an empty bin, where Q is 0: KL = ∞
        // (ModelOpt does the same: the "gaussian-with-outlier" fixture cases keep every bin).
        let calibrator = try calibratorWithOutlier(nonNegative: nonNegative)
        #expect(try calibrator.threshold(method: .entropy, bitWidth: bitWidth) == 100)
    }

    @Test func fewerBitsClipHarder() throws {
        let calibrator = try calibratorWithOutlier(nonNegative: false)
        for method in [CalibrationMethod.entropy, .mse] {
            let four = try calibrator.threshold(method: method, bitWidth: 4)
            let eight = try calibrator.threshold(method: method, bitWidth: 8)
            #expect(four <= eight, "\(method): 4-bit \(four), 8-bit \(eight)")
        }
    }

    @Test func entropyIgnoresTheSpikeOfExactZeros() throws {
        // ReLU'd Gaussian: half the values are exactly 0. Counted as they are, that spike alone
        // would make the smallest candidates look best; with bin 0 replaced by bin 1 the threshold
        // lands in the tail, near where the ModelOpt fixture ("relu-gaussian 8-bit", T ≈ 3.78) puts it.
        var calibrator = try ActivationCalibrator()
        var generator = SplitMix64(seed: 5)
        calibrator.observe((0..<100_000).map { _ in max(0, generator.nextGaussian()) })
        #expect(calibrator.isNonNegative && calibrator.zeroCount > 45_000)
        let threshold = try calibrator.threshold(method: .entropy, bitWidth: 8)
        #expect(threshold > 3 && threshold <= calibrator.maxMagnitude, "\(threshold)")
    }

    @Test(arguments: [2, 4, 8])
    func mseMatchesADirectSumOverBins(bitWidth: Int) throws {
        let calibrator = try calibratorWithOutlier(nonNegative: false)
        let width = Double(calibrator.binWidth)
        let steps = Double((1 << (bitWidth - 1)) - 1)
        var best = (edge: 0, error: Double.infinity)
        for edge in 1...calibrator.binCount {
            let threshold = Double(edge) * width
            var error: Double = 0
            for (bin, count) in calibrator.histogram.enumerated() {
                let n = Double(count) - (bin == 0 ? Double(calibrator.zeroCount) : 0)
                let center = (Double(bin) + 0.5) * width
                let rounding = (threshold / steps) * (threshold / steps) / 12
                error += bin < edge ? n * rounding : n * (center - threshold) * (center - threshold)
            }
            if error <= best.error * (1 + 1e-12) { best = (edge, error) }
        }
        let threshold = try calibrator.threshold(method: .mse, bitWidth: bitWidth)
        #expect(abs(Double(threshold) - Double(best.edge) * width) <= width * 1.01)
    }

    @Test func mseOnAUniformBulkKeepsItsRange() throws {
        // Uniform on [0, 1] with 8 bits: clipping costs more than rounding saves, so T ≈ 1.
        var calibrator = try ActivationCalibrator()
        calibrator.observe((0..<50_000).map { Float($0) / 50_000 })
        #expect(try calibrator.threshold(method: .mse, bitWidth: 8) > 0.99)
    }

    @Test func rejectsMisuse() throws {
        #expect(throws: QuantizationError.invalidBinCount(0)) { try ActivationCalibrator(binCount: 0) }
        let empty = try ActivationCalibrator()
        #expect(throws: QuantizationError.noCalibrationData) { try empty.threshold(method: .minmax, bitWidth: 8) }
        var calibrator = try ActivationCalibrator()
        calibrator.observe([1])
        #expect(throws: QuantizationError.unsupportedActivationBitWidth(1)) {
            try calibrator.threshold(method: .minmax, bitWidth: 1)
        }
        #expect(throws: QuantizationError.unsupportedActivationBitWidth(17)) {
            try calibrator.quantization(method: .mse, bitWidth: 17)
        }
    }
}

@Suite struct ActivationQuantizerTests {
    @Test func workedTable() throws {
        // Signed 8-bit, T = 1.27 → scale 1.27 / 127.
        let parameters = try ActivationQuantization(threshold: 1.27, bitWidth: 8, isSigned: true)
        #expect(parameters.scale == Float(1.27) / 127)
        #expect(ActivationQuantizer.quantize(0.5, with: parameters) == 50)
        #expect(ActivationQuantizer.quantize(-1.5, with: parameters) == -128)  // the int8 type's range
        #expect(ActivationQuantizer.quantize(1.5, with: parameters) == 127)
        // Ties to even with an exact scale.
        let unit = try ActivationQuantization(scale: 1, bitWidth: 8, isSigned: false)
        #expect([2.5, 3.5, -1, 300, 0.5].map { ActivationQuantizer.quantize($0, with: unit) } == [2, 4, 0, 255, 0])
        var values: [Float] = [2.5, 3.5, -1, 300, 0.5]
        ActivationQuantizer.fakeQuantize(&values, with: unit)
        #expect(values == [2, 4, 0, 255, 0])
    }

    @Test(arguments: [(8, true), (8, false), (4, true), (4, false), (16, true), (2, false)])
    func fakeQuantizeMatchesTheReference(bitWidth: Int, isSigned: Bool) throws {
        var generator = SplitMix64(seed: UInt64(bitWidth))
        let values = (0..<5000).map { _ in 3 * generator.nextGaussian() }
        let parameters = try ActivationQuantization(threshold: 4, bitWidth: bitWidth, isSigned: isSigned)
        var tensor = Tensor(shape: [50, 100], storage: values)
        ActivationQuantizer.fakeQuantize(&tensor, with: parameters)
        let expected = values.map {
            ActivationQuantizer.dequantize(ActivationQuantizer.quantize($0, with: parameters), with: parameters)
        }
        #expect(tensor.storage == expected)
        if bitWidth <= 8 { #expect(expected.contains(0)) }  // small values land exactly on 0
    }

    @Test func nanPassesThroughWithoutTrapping() throws {
        let parameters = try ActivationQuantization(threshold: 1, bitWidth: 8, isSigned: true)
        var values: [Float] = [.nan, .infinity, -.infinity]
        ActivationQuantizer.fakeQuantize(&values, with: parameters)
        #expect(values[0].isNaN && values[1] == 1 && values[2] == -128 * parameters.scale)
        #expect(ActivationQuantizer.quantize(.nan, with: parameters) == -128)
    }
}
