import Testing
@testable import QuantCore

@Suite struct PowerOfTwoTests {
    @Test func workedTable() throws {
        // 3 bits: M = 3, levels 1, 0.5, 0.25 (scale = max|w| = 1).
        let values: [Float] = [1, 0.8, 0.75, 0.7, -0.3, 0.1, 0.125, 0]
        let result = try QuantizationTestData.quantize(
            Tensor(shape: [values.count], storage: values), scheme: .powerOfTwo, bitWidth: 3, granularity: .tensor)
        #expect(result.scales == [1])
        #expect(result.codes == [3, 3, 3, 2, -1, 0, 1, 0])  // 0.75 and 0.125 are ties → larger magnitude
        #expect(result.dequantized == [1, 1, 1, 0.5, -0.25, 0, 0.25, 0])
    }

    @Test(arguments: 2...8)
    func fastRoundingMatchesTheLevelScan(bitWidth: Int) {
        var generator = SplitMix64(seed: UInt64(bitWidth))
        let maxCode = Int(PowerOfTwoQuantizer.maxMagnitudeCode(bitWidth: bitWidth))
        var inputs: [Float] = [0, 1, -1, 1.5, 0.75, 2, 100]
        for m in 1...maxCode {  // every level, and the ties just above and below it
            let level = Float(sign: .plus, exponent: m - maxCode, significand: 1)
            inputs += [level, level * 0.75, level * 1.5, level * 0.5, level.nextUp, (level * 0.75).nextDown]
        }
        for _ in 0..<2000 {
            let exponent = Int(generator.next() % UInt64(maxCode + 2)) - maxCode - 1
            inputs.append(Float(sign: .plus, exponent: exponent, significand: generator.nextFloat(in: 1...2)))
        }
        for x in inputs + inputs.map({ -$0 }) {
            #expect(
                PowerOfTwoQuantizer.quantize(x, scale: 1, bitWidth: bitWidth)
                    == PowerOfTwoQuantizer.referenceQuantize(x, scale: 1, bitWidth: bitWidth), "x = \(x)")
        }
    }

    @Test func largeValuesSaturateAndScaleFollowsTheClip() {
        #expect(PowerOfTwoQuantizer.quantize(5, scale: 1, bitWidth: 4) == 7)
        #expect(PowerOfTwoQuantizer.quantize(-.greatestFiniteMagnitude, scale: 1e-30, bitWidth: 4) == -7)
        #expect(PowerOfTwoQuantizer.dequantize(-7, scale: 0.5, bitWidth: 4) == -0.5)
        #expect(PowerOfTwoQuantizer.dequantize(1, scale: 0.5, bitWidth: 4) == 0.5 / 64)
    }
}

@Suite struct MeanStdTests {
    @Test func clipRangeWorkedExample() {
        // μ = 0.5, σ = 0.5 → [−1, 2]; data [−1.2, 5] → [−1, 2].
        let (lower, upper) = MeanStdQuantizer.clipRange(mean: 0.5, deviation: 0.5, minimum: -1.2, maximum: 5)
        #expect(lower == -1 && upper == 2)
        // Never wider than the data, always containing 0.
        let (low2, high2) = MeanStdQuantizer.clipRange(mean: 2, deviation: 0.1, minimum: 1.8, maximum: 2.2)
        #expect(low2 == 0 && high2 == 2.2)
        let parameters = AffineQuantizer.parameters(.meanStd, bitWidth: 2, lower: -1, upper: 2)
        #expect(parameters.scale == 1 && parameters.zeroPoint == 1)
        #expect([5, 0.6, 0.4, -1.2].map { AffineQuantizer.quantize($0, parameters) } == [3, 2, 1, 0])
    }

    @Test func outliersBeyondThreeSigmaSaturate() throws {
        // 999 small values and one outlier at 50: μ + 3σ ≈ 4.9, so 50 saturates far below itself.
        var values = QuantizationTestData.values(999, .uniform, seed: 4)
        values.append(50)
        let result = try QuantizationTestData.quantize(
            Tensor(shape: [1000], storage: values), scheme: .meanStd, bitWidth: 8, granularity: .tensor)
        let (mean, deviation) = values.withUnsafeBufferPointer { MeanStdQuantizer.meanAndDeviation($0) }
        #expect(result.dequantized[999] < Float(mean + 3 * deviation) + result.scales[0])
        #expect(result.codes[999] == 255)
        let minMax = try QuantizationTestData.quantize(
            Tensor(shape: [1000], storage: values), scheme: .asymmetric, bitWidth: 8, granularity: .tensor)
        #expect(result.scales[0] < minMax.scales[0] / 4)
    }
}
