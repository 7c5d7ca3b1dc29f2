import Testing

@testable import QuantCore

/// TFLite's fixed-point requantization (`FixedPointMultiplier`, `Requantization.fixedPoint`):
/// `QuantizeMultiplier` on known values, and `MultiplyByQuantizedMultiplier` (TFLite's code:
/// nudges, truncating division, masks) against the two rounding rules stated directly in exact
/// integers — `a · m / 2³¹` rounded half up, then `/ 2^right` rounded half away from zero — on
/// negative values, ties, large accumulators, shifts left and right, multipliers below and
/// above 1.
@Suite struct FixedPointRequantizationTests {
    /// `⌊n / d⌋` for d > 0.
    static func floorDivide(_ n: Int64, _ d: Int64) -> Int64 {
        let q = n / d
        return (n % d != 0 && n < 0) ? q - 1 : q
    }

    /// The rounding rules of TFLite's double rounding, stated directly.
    static func direct(_ x: Int32, _ f: FixedPointMultiplier) -> Int32 {
        let left = max(f.shift, 0), right = max(-f.shift, 0)
        let a = Int64(x &* (1 &<< left))  // TFLite's int32 `x * (1 << left_shift)`
        let high = floorDivide(2 * a * Int64(f.multiplier) + (1 << 31), 1 << 32)  // ⌊a·m/2³¹ + ½⌋: ties up
        let divisor = Int64(1) << Int64(right)
        let magnitude = floorDivide(2 * abs(high) + divisor, 2 * divisor)  // ⌊|h|/2^right + ½⌋
        return Int32(high < 0 ? -magnitude : magnitude)  // ties away from zero
    }

    @Test func quantizeMultiplierGivesTFLitesSignificandAndShift() {
        let cases: [(Double, Int32, Int32)] = [
            (0.5, 1 << 30, 0), (0.375, 1_610_612_736, -1), (0.75, 1_610_612_736, 0), (1.0, 1 << 30, 1),
            (3.0, 1_610_612_736, 2), (1 - 0x1p-40, 1 << 30, 1),  // rounds up to 2³¹: folded into the shift
            (0.1, 1_717_986_918, -3), (0x1p-32, 1 << 30, -31), (0x1p-40, 0, 0), (0, 0, 0), (-2, 0, 0),
            (0x1p40, .max, 30),  // saturated (the shift a left shift of int32 can take)
        ]
        for (real, multiplier, shift) in cases {
            #expect(FixedPointMultiplier(real) == FixedPointMultiplier(multiplier: multiplier, shift: shift), "\(real)")
        }
        // The scales' product is taken in Double, as TFLite's PopulateConvolutionQuantizationParams does.
        let (sx, sw, sy): (Float, Float, Float) = (0.00392157, 0.0123, 0.0771)
        #expect(
            FixedPointMultiplier(inputScale: sx, weightScale: sw, outputScale: sy)
                == FixedPointMultiplier(Double(sx) * Double(sw) / Double(sy)))
    }

    /// The worked table in `Requantization`'s documentation, and double rounding where it differs
    /// from rounding once: 0.375 of 1 is 0.75 → 1, then 0.5 → 1 (once: 0); of −1, −1.
    @Test func tiesRoundAsTFLiteDoes() {
        let f = FixedPointMultiplier(0.375)
        #expect([4, -4, 5, -3, 0, 1, -1].map { f.apply(to: $0) } == [2, -2, 2, -1, 0, 1, -1])
        // 0.5 exactly: a·m/2³¹ = x/2 rounds half up (−1.5 → −1, −0.5 → 0), no shift after.
        let half = FixedPointMultiplier(0.5)
        #expect([3, -3, 1, -1, 2].map { half.apply(to: $0) } == [2, -1, 1, 0, 1])
        // 0.25 = 0.5 · 2⁻¹: x/2 rounded half up, then halved rounding half away from zero
        // (−6: −3, then −1.5 → −2; −2: −1, then −0.5 → −1).
        let quarter = FixedPointMultiplier(0.25)
        #expect([2, -2, 6, -6, 3, -3].map { quarter.apply(to: $0) } == [1, -1, 2, -2, 1, -1])
    }

    @Test func multiplyByQuantizedMultiplierMatchesTheRulesStatedDirectly() {
        var random = SplitMix64(seed: 42)
        var values: [Int32] = [0, 1, -1, 2, -2, 3, -3, .max, .min, .max - 1, .min + 1, 1 << 30, -(1 << 30)]
        values += (0..<400).map { _ in Int32(truncatingIfNeeded: random.next()) }  // large accumulators
        values += (0..<400).map { _ in Int32(Int(random.next() % 20001) - 10000) }
        var multipliers: [FixedPointMultiplier] = [
            .init(multiplier: 1 << 30, shift: 0), .init(multiplier: .max, shift: 0), .init(multiplier: 0, shift: 0),
            .init(multiplier: 1 << 30, shift: -31), .init(multiplier: .max, shift: -31),
        ]
        for shift in Int32(-31)...4 {  // right shifts (multipliers < 1) and left (≥ 1)
            multipliers.append(.init(multiplier: Int32(1 << 30) + Int32(random.next() % (1 << 30)), shift: shift))
        }
        multipliers += [1e-3, 0.0123, 0.5, 0.999, 1, 1.5, 7.3, 1000].map { FixedPointMultiplier($0) }
        for f in multipliers {
            let right: Int32 = max(-f.shift, 0)
            let steps: [Int32] = (1...8).map { (k: Int32) -> Int32 in k &<< right }
            let ties: [Int32] = steps + steps.map { 0 &- $0 }
            for x in values + ties {
                #expect(f.apply(to: x) == Self.direct(x, f), "x \(x), multiplier \(f.multiplier), shift \(f.shift)")
            }
        }
    }

    @Test func requantizeClampsAfterTheZeroPoint() {
        let f = FixedPointMultiplier(0.01)
        // 10000 · 0.01 = 100, + 5 = 105 → clamped to 100; −20000 → −200 + 5 → −128.
        #expect(IntegerKernels.requantize(9000, bias: 1000, fixedPoint: f, zeroPoint: 5, clamp: -128...100) == 100)
        #expect(IntegerKernels.requantize(-20000, bias: 0, fixedPoint: f, zeroPoint: 5, clamp: -128...127) == -128)
        #expect(IntegerKernels.requantize(-250, bias: 0, fixedPoint: f, zeroPoint: 0, clamp: -128...127) == -3)
    }

    /// A Concat input moved to another grid in the fixed point: TFLite's QUANTIZE (int8 → int8),
    /// `s_x / s_y` in `Double`, every code against the rules stated directly.
    @Test func requantizeStepMovesCodesAsTFLitesQuantizeDoes() throws {
        let input = try ActivationQuantization(scale: 0.1, zeroPoint: 3, bitWidth: 8, isSigned: true)
        let output = try ActivationQuantization(scale: 0.07, zeroPoint: -5, bitWidth: 8, isSigned: true)
        let x = IntegerTensor(shape: [256], codes: (-128...127).map { Int16($0) }, quantization: input)
        let moved = IntegerKernels.requantize(x, to: output, requantization: .fixedPoint)
        let f = FixedPointMultiplier(Double(input.scale) / Double(output.scale))
        #expect(f.shift == 1)  // 1.43 > 1: a left shift
        let expected = x.codes.map { code in
            Int16(min(max(Self.direct(Int32(code) - 3, f) - 5, -128), 127))
        }
        #expect(moved.codes == expected)
        #expect(moved.quantization == output)
    }

    /// Dense layers whose multipliers span right shifts, 1 and left shifts, with biases that make
    /// large accumulators: every C variant gives the reference's codes in the fixed point.
    @Test(arguments: [(1, 10, 9), (37, 13, 77), (200, 6, 16)])
    func denseKernelsMatchTheReferenceInTheFixedPoint(shape: (Int, Int, Int)) throws {
        let (batch, outputs, depth) = shape
        var random = SplitMix64(seed: UInt64(batch * 31 + depth))
        let reals: [Double] = [1e-6, 1.75, 0.0123, 40, 0.5, 3.3, 3e-4, 1, 0.49, 0.9999, 0.07, 2e-3, 0.3]
        let layer = IntegerLinear(
            layerName: "fc", input: "x", output: "y",
            weights: (0..<(outputs * depth)).map { _ in Int8(truncatingIfNeeded: Int(random.next() % 255) - 127) },
            outputChannels: outputs, depth: depth,
            bias: (0..<outputs).map { _ in Int32(truncatingIfNeeded: random.next()) >> Int32(8 + random.next() % 22) },
            multipliers: (0..<outputs).map { Float(reals[$0 % reals.count]) },
            outputQuantization: try ActivationQuantization(scale: 0.1, zeroPoint: -5, bitWidth: 8, isSigned: true),
            clamp: -128...127, convolution: nil, requantization: .fixedPoint)
        let shifts = layer.fixedPointMultipliers.map(\.shift)
        #expect(shifts.contains { $0 > 0 } && shifts.contains { $0 < 0 })
        let x = IntegerTensor(
            shape: [batch, depth], codes: (0..<(batch * depth)).map { _ in Int16(Int(random.next() % 256) - 128) },
            quantization: try ActivationQuantization(scale: 0.05, zeroPoint: 3, bitWidth: 8, isSigned: true))
        let reference = try IntegerKernels.dense(layer, x)
        #expect(reference.codes.contains { $0 != -128 && $0 != 127 })  // not all clamped
        for variant in IntegerFastKernelTests.variants {
            for threads in [1, 2] {
                let fast = try IntegerKernels.linear(layer, x, variant: variant, threads: threads, minimumWork: 1)
                #expect(fast == reference, "\(variant.resolvedName), \(threads) threads")
            }
        }
    }
}
