import Testing
@testable import QuantCore

@Suite struct FP8Tests {
    @Test func e4m3KnownValues() {
        let format = FP8Format.e4m3
        let table: [(Float, UInt8)] = [
            (1, 0x38), (-1, 0xB8), (0.5, 0x30), (448, 0x7E), (-448, 0xFE), (0, 0x00),
            (Float(sign: .plus, exponent: -9, significand: 1), 0x01),  // smallest subnormal
            (Float(sign: .plus, exponent: -9, significand: 7), 0x07),  // largest subnormal
            (Float(sign: .plus, exponent: -6, significand: 1), 0x08),  // smallest normal
            (500, 0x7E), (1e6, 0x7E), (-1e30, 0xFE), (.infinity, 0x7E),  // saturating
            (1.0625, 0x38), (1.1875, 0x3A),  // ties to even mantissa
            (Float(sign: .plus, exponent: -10, significand: 1), 0x00),  // half the smallest subnormal → 0
            (Float(sign: .plus, exponent: -10, significand: 3), 0x02),  // 1.5 subnormal quanta → 2
            (464, 0x7E), (240, 0x77), (-0.0, 0x80),
        ]
        for (value, pattern) in table {
            #expect(format.encode(value) == pattern, "\(value)")
        }
        #expect(format.largestFinite == 448)
        #expect(format.decode(0x7F).isNaN && format.decode(0xFF).isNaN)
        #expect(format.encode(.nan) & 0x7F == 0x7F)
    }

    @Test func e5m2KnownValues() {
        let format = FP8Format.e5m2
        let table: [(Float, UInt8)] = [
            (1, 0x3C), (-1, 0xBC), (57344, 0x7B), (1e6, 0x7B), (-.infinity, 0xFB),
            (Float(sign: .plus, exponent: -16, significand: 1), 0x01),  // smallest subnormal
            (Float(sign: .plus, exponent: -14, significand: 1), 0x04),  // smallest normal
            (1.125, 0x3C), (1.375, 0x3E),  // ties to even mantissa
            (Float(sign: .plus, exponent: -17, significand: 1), 0x00),
        ]
        for (value, pattern) in table {
            #expect(format.encode(value) == pattern, "\(value)")
        }
        #expect(format.largestFinite == 57344)
        #expect(format.decode(0x7C) == .infinity && format.decode(0xFC) == -.infinity)
        #expect(format.decode(0x7D).isNaN)
    }

    @Test(arguments: [FP8Format.e4m3, .e5m2])
    func encoderMatchesExhaustiveSearch(format: FP8Format) {
        var inputs: [Float] = []
        // Every finite value, the midpoints between neighbours (ties) and their float neighbours.
        let finite = (UInt8(0)...format.largestFinitePattern).map(format.decode)
        for (low, high) in zip(finite, finite.dropFirst()) {
            let middle = (low + high) / 2
            inputs += [low, middle, middle.nextUp, middle.nextDown]
        }
        var generator = SplitMix64(seed: 9)
        for _ in 0..<3000 {
            inputs.append(
                Float(
                    sign: .plus, exponent: Int(generator.next() % 40) - 24, significand: generator.nextFloat(in: 1...2))
            )
        }
        for x in inputs + inputs.map({ -$0 }) {
            #expect(format.encode(x) == format.referenceEncode(x), "x = \(x)")
        }
    }

    @Test(arguments: [FP8Format.e4m3, .e5m2])
    func everyFinitePatternRoundTrips(format: FP8Format) {
        for pattern in UInt8.min...UInt8.max {
            let value = format.decode(pattern)
            guard value.isFinite else { continue }
            #expect(format.encode(value) == pattern)
        }
    }

    @Test func blockAbsmaxMapsToTheLargestValue() throws {
        // Absmax 4.48 → scale 0.01; 4.48 → 0x7E, 0.01 → 0x38, −0.0105 → −1.05 → 0xB8.
        let result = try QuantizationTestData.quantize(
            Tensor(shape: [4], storage: [4.48, 0.01, -0.0105, 0]), scheme: .fp8E4M3, bitWidth: 8, granularity: .tensor)
        #expect(result.scales == [Float(4.48) / 448])
        #expect(result.codes == [0x7E, 0x38, 0xB8, 0x00])
        #expect(result.dequantized[1] == result.scales[0] && result.dequantized[3] == 0)
    }
}

@Suite struct NF4Tests {
    @Test func levelsAreThePublishedConstants() {
        #expect(NF4Quantizer.levels.count == 16)
        #expect(zip(NF4Quantizer.levels, NF4Quantizer.levels.dropFirst()).allSatisfy { $0 < $1 })
        #expect(NF4Quantizer.levels[7] == 0 && NF4Quantizer.levels[0] == -1 && NF4Quantizer.levels[15] == 1)
        #expect(NF4Quantizer.levels[8] == 0.07958029955625534)
    }

    @Test func workedTable() throws {
        let result = try QuantizationTestData.quantize(
            Tensor(shape: [4], storage: [2, 0.5, 0, -2]), scheme: .nf4, bitWidth: 4, granularity: .tensor)
        #expect(result.scales == [2])
        #expect(result.codes == [15, 10, 7, 0])
        #expect(result.dequantized == [2, 0.24611230194568634 * 2, 0, -2])
        #expect(result.codebook == NF4Quantizer.levels)
    }

    @Test func tiesGoToTheLowerLevel() {
        let levels = NF4Quantizer.levels
        for code in 0..<15 {
            let middle = (levels[code] + levels[code + 1]) / 2
            let expected = abs(middle - levels[code]) <= abs(levels[code + 1] - middle) ? code : code + 1
            #expect(NF4Quantizer.quantize(normalized: middle) == Int32(expected))
        }
        #expect(NF4Quantizer.quantize(normalized: 3) == 15 && NF4Quantizer.quantize(normalized: -3) == 0)
    }
}
