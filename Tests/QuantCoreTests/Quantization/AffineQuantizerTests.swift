import Testing
@testable import QuantCore

@Suite struct AffineQuantizerTests {
    private func quantize(
        _ values: [Float], _ scheme: Scheme, bits: Int, rounding: Rounding = .nearestEven
    ) throws -> QuantizedWeights {
        try QuantizationTestData.quantize(
            Tensor(shape: [values.count], storage: values), scheme: scheme, bitWidth: bits, granularity: .tensor,
            rounding: rounding)
    }

    @Test func symmetricWorkedExample() throws {
        // max|w| = 1.27, qmax = 127 → scale 0.01; −1.27 → −127, 0.5 → 50, 1.27 → 127.
        let result = try quantize([-1.27, 0.5, 1.27], .symmetric, bits: 8)
        #expect(result.scales == [Float(1.27) / 127])
        #expect(result.codes == [-127, 50, 127])
        #expect(result.zeroPoints.isEmpty)
        #expect(
            result.dequantized == [
                Float(-127) * result.scales[0], Float(50) * result.scales[0], Float(127) * result.scales[0],
            ])
    }

    @Test func tiesRoundHalfToEven() throws {
        // max|w| = 127 → scale exactly 1: x / scale = 2.5 → 2, 3.5 → 4, −2.5 → −2, −3.5 → −4, 0.5 → 0.
        let result = try quantize([2.5, 3.5, -2.5, -3.5, 0.5, 127], .symmetric, bits: 8)
        #expect(result.scales == [1])
        #expect(result.codes == [2, 4, -2, -4, 0, 127])
    }

    @Test func symmetricFullUsesTheNegativeCode() throws {
        // max|w| = 63.75, (qmax − qmin) / 2 = 127.5 → scale 0.5; −63.75 / 0.5 = −127.5 → −128 (even);
        // 63.75 / 0.5 = 127.5 → 128 → saturates to 127.
        let result = try quantize([-63.75, 63.75, 1], .symmetricFull, bits: 8)
        #expect(result.scales == [0.5])
        #expect(result.codes == [-128, 127, 2])
        #expect(result.dequantized == [-64, 63.5, 1])
    }

    @Test func asymmetricWorkedExample() throws {
        // 2 bits over [−1, 2]: scale = 3 / 3 = 1, zeroPoint = 0 − round(−1 / 1) = 1.
        // −1 → 0, 0 → 1, 2 → 3, 0.5 → round(0.5) = 0 (even) + 1 = 1 → 0.0.
        let result = try quantize([-1, 0, 2, 0.5], .asymmetric, bits: 2)
        #expect(result.scales == [1])
        #expect(result.zeroPoints == [1])
        #expect(result.codes == [0, 1, 3, 1])
        #expect(result.dequantized == [-1, 0, 2, 0])
    }

    @Test func asymmetricRangeAlwaysContainsZero() throws {
        // All positive: range [0, 2], 8 bits → scale 2 / 255, zero point 0.
        let result = try quantize([0.5, 2, 1], .asymmetric, bits: 8)
        #expect(result.scales == [Float(2) / 255])
        #expect(result.zeroPoints == [0])
        // All negative: range [−2, 0] → zero point 255.
        #expect(try quantize([-0.5, -2], .asymmetric, bits: 8).zeroPoints == [255])
    }

    @Test func parametersMatchTheFormulas() {
        let symmetric = AffineQuantizer.parameters(.symmetric, bitWidth: 4, lower: -0.2, upper: 0.7)
        #expect(symmetric.codeRange == -7...7)
        #expect(symmetric.scale == Float(0.7) / 7)
        let full = AffineQuantizer.parameters(.symmetricFull, bitWidth: 4, lower: -0.2, upper: 0.7)
        #expect(full.codeRange == -8...7)
        #expect(full.scale == Float(0.7) / 7.5)
        let asymmetric = AffineQuantizer.parameters(.asymmetric, bitWidth: 4, lower: -0.2, upper: 0.7)
        #expect(asymmetric.codeRange == 0...15)
        #expect(asymmetric.scale == (Float(0.7) - Float(-0.2)) / 15)
        #expect(asymmetric.zeroPoint == Int32((Float(0.2) / asymmetric.scale).rounded(.toNearestOrEven)))
        #expect(AffineQuantizer.codeRange(.symmetric, bitWidth: 16) == -32767...32767)
        #expect(AffineQuantizer.codeRange(.asymmetric, bitWidth: 1) == 0...1)
    }

    @Test(arguments: [Scheme.symmetric, .symmetricFull, .asymmetric, .meanStd])
    func zeroRangeGetsScaleOne(scheme: Scheme) throws {
        let result = try quantize([0, 0, 0], scheme, bits: 8)
        #expect(result.scales == [1])
        #expect(result.dequantized == [0, 0, 0])
        // max|w| / qmax underflows to 0
        let tiny = try quantize([.leastNonzeroMagnitude, -.leastNonzeroMagnitude], scheme, bits: 8)
        #expect(tiny.scales == [1])
        #expect(tiny.dequantized.allSatisfy { $0.isFinite })
    }

    @Test func stochasticRoundingIsDeterministicAndBracketsTheValue() throws {
        let values = QuantizationTestData.values(2000, .gaussian, seed: 3)
        let a = try quantize(values, .symmetric, bits: 4, rounding: .stochastic(seed: 7))
        let b = try quantize(values, .symmetric, bits: 4, rounding: .stochastic(seed: 7))
        let c = try quantize(values, .symmetric, bits: 4, rounding: .stochastic(seed: 8))
        #expect(a == b)
        #expect(a.codes != c.codes)
        let nearest = try quantize(values, .symmetric, bits: 4)
        #expect(nearest.scales == a.scales)
        let scale = a.scales[0]
        var bias: Double = 0
        for (x, q) in zip(values, a.codes) {
            let exact = x / scale
            #expect(Float(q) == exact.rounded(.down) || Float(q) == exact.rounded(.up))
            bias += Double(Float(q) - exact)
        }
        // Unbiased: the mean rounding error is near 0 (each term is in (−1, 1), std ≤ 0.5 / √n).
        #expect(abs(bias / Double(values.count)) < 0.05)
        // Nearest rounding of exact codes is unchanged: 0 stays 0.
        let zeros = try quantize([0, 1, -1, 0], .asymmetric, bits: 8, rounding: .stochastic(seed: 1))
        #expect(zeros.dequantized[0] == 0 && zeros.dequantized[3] == 0)
    }

    @Test func stochasticNoiseFollowsFlatOrder() throws {
        // Weight i (flat, row-major) uses the i-th draw of SplitMix64(seed), even when its block is a
        // strided MatMul column.
        let values = QuantizationTestData.values(12, .uniform, seed: 11)
        let result = try QuantizationTestData.quantize(
            Tensor(shape: [4, 3], storage: values), axis: 1, scheme: .symmetric, bitWidth: 4, granularity: .channel,
            rounding: .stochastic(seed: 5))
        var generator = SplitMix64(seed: 5)
        let layout = try BlockLayout(shape: [4, 3], outputChannelAxis: 1, granularity: .channel)
        for i in values.indices {
            let u = generator.nextFloat(in: 0...1)
            let scale = result.scales[layout.blockIndex(ofElement: i)]
            let expected = Swift.min(Swift.max((values[i] / scale + u).rounded(.down), -7), 7)
            #expect(Float(result.codes[i]) == expected)
        }
    }
}
