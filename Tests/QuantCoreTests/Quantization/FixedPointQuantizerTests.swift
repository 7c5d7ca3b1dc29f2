import Foundation
import Testing

@testable import QuantCore

/// Fixed point (Qm.n): values against a plain reference, the data-derived default, the plan file
/// and the QDQ export.
@Suite struct FixedPointQuantizerTests {
    /// The reference: `clamp(roundHalfToEven(w · 2^n), −2^(b−1), 2^(b−1) − 1) · 2^-n` in `Double`.
    static func reference(_ w: Float, bits: Int, n: Int) -> (code: Int32, value: Float) {
        let scaled = (Double(w) * pow(2, Double(n))).rounded(.toNearestOrEven)
        let half = Double(1 << (bits - 1))
        let code = min(max(scaled, -half), half - 1)
        return (Int32(code), Float(code * pow(2, -Double(n))))
    }

    static func weights(count: Int, seed: UInt64, spread: Float) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in generator.nextFloat(in: -spread...spread) }
    }

    @Test(arguments: [(8, 7), (8, 4), (4, 2), (12, 10), (2, 0), (16, 20), (6, -1)])
    func setFractionBitsMatchTheReference(bits: Int, n: Int) throws {
        // Values beyond the range (saturation) and exact ties (k + ½) · 2^-n.
        var values = Self.weights(count: 598, seed: UInt64(bits * 100 + n + 50), spread: 2.5)
        values += (-6...6).map { Float((Double($0) + 0.5) * pow(2, -Double(n))) }
        let tensor = Tensor(shape: [values.count / 13, 13], storage: values)
        let settings = LayerSettings(bitWidth: bits, scheme: .fixedPoint, granularity: .channel, fractionBits: n)
        let result = try WeightQuantizer.quantize(tensor, outputChannelAxis: 0, settings: settings)
        for (index, w) in values.enumerated() {
            let expected = Self.reference(w, bits: bits, n: n)
            #expect(result.codes[index] == expected.code, "w = \(w), b = \(bits), n = \(n)")
            #expect(result.dequantized[index] == expected.value, "w = \(w), b = \(bits), n = \(n)")
        }
        #expect(result.scales.allSatisfy { $0 == Float(pow(2, -Double(n))) })
        #expect(result.zeroPoints.isEmpty)
        #expect(try result.decodeCodes() == result.dequantized)
    }

    @Test func workedTableFromTheDocumentation() throws {
        let values: [Float] = [0.3, 0.375, 0.625, -1.1, 3.0, -3.0]
        let settings = LayerSettings(bitWidth: 4, scheme: .fixedPoint, granularity: .tensor, fractionBits: 2)
        let result = try WeightQuantizer.quantize(
            Tensor(shape: [1, 6], storage: values), outputChannelAxis: 0, settings: settings)
        #expect(result.codes == [1, 2, 2, -4, 7, -8])
        #expect(result.dequantized == [0.25, 0.5, 0.5, -1, 1.75, -2])
        #expect(FixedPointQuantizer.defaultFractionBits(maxMagnitude: 1.1, bitWidth: 4) == 2)
    }

    @Test(arguments: [2, 4, 8, 16])
    func defaultIsTheLargestFractionBitsThatFit(bits: Int) {
        let largestCode = Double((1 << (bits - 1)) - 1)
        for magnitude: Float in [1e-6, 0.003, 0.049, 0.5, 0.99, 1, 1.5, 7.9, 300] {
            let n = FixedPointQuantizer.defaultFractionBits(maxMagnitude: magnitude, bitWidth: bits)
            func scaled(_ n: Int) -> Double { (Double(magnitude) * pow(2, Double(n))).rounded(.toNearestOrEven) }
            #expect(scaled(n) <= largestCode, "m = \(magnitude), b = \(bits): n = \(n) saturates")
            #expect(scaled(n + 1) > largestCode, "m = \(magnitude), b = \(bits): n + 1 = \(n + 1) fits too")
        }
        #expect(FixedPointQuantizer.defaultFractionBits(maxMagnitude: 0, bitWidth: bits) == bits - 1)
    }

    @Test func defaultFractionBitsArePerBlockAndNothingSaturates() throws {
        // Channel 0 spans ±0.1, channel 1 ±3: their own steps, 2^-10 and 2^-5 at 8 bits.
        let values =
            Self.weights(count: 50, seed: 3, spread: 0.1) + [0.1] + Self.weights(count: 50, seed: 4, spread: 3)
            + [-3]
        let settings = LayerSettings(bitWidth: 8, scheme: .fixedPoint, granularity: .channel)
        let result = try WeightQuantizer.quantize(
            Tensor(shape: [2, 51], storage: values), outputChannelAxis: 0, settings: settings)
        #expect(result.scales == [Float(pow(2.0, -10.0)), Float(pow(2.0, -5.0))])
        for (index, w) in values.enumerated() {
            let n = index < 51 ? 10 : 5
            #expect(result.dequantized[index] == Self.reference(w, bits: 8, n: n).value)
            #expect(abs(result.dequantized[index] - w) <= Float(pow(2, -Double(n + 1))))
        }
    }

    @Test func stochasticRoundingStaysOnTheGrid() throws {
        let values = Self.weights(count: 400, seed: 9, spread: 0.9)
        let settings = LayerSettings(
            bitWidth: 8, scheme: .fixedPoint, granularity: .tensor, rounding: .stochastic(seed: 5), fractionBits: 6)
        let result = try WeightQuantizer.quantize(
            Tensor(shape: [20, 20], storage: values), outputChannelAxis: 0, settings: settings)
        for (index, w) in values.enumerated() {
            let scaled = Double(w) * 64
            #expect(
                Double(result.codes[index]) == scaled.rounded(.down)
                    || Double(result.codes[index]) == scaled.rounded(.up))
            #expect(result.dequantized[index] == Float(result.codes[index]) / 64)
        }
    }

    @Test func fractionBitsOutsideTheRangeAreRefused() {
        let settings = LayerSettings(bitWidth: 8, scheme: .fixedPoint, fractionBits: 65)
        #expect(throws: QuantizationError.invalidFractionBits(65)) {
            try WeightQuantizer.quantize(
                Tensor(shape: [1, 2], storage: [0.5, 1]), outputChannelAxis: 0, settings: settings)
        }
    }

    // MARK: Plan file

    @Test func planRoundTripKeepsFractionBitsAndAuto() throws {
        let plan = QuantPlan(
            defaults: LayerSettings(bitWidth: 8, scheme: .fixedPoint, fractionBits: 6),
            layers: [
                "fc1": LayerSettings(bitWidth: 6, scheme: .fixedPoint),  // auto over a set default
                "fc2": LayerSettings(bitWidth: 4, scheme: .symmetric),  // drops the default's n
                "fc3": LayerSettings(bitWidth: 8, scheme: .fixedPoint, fractionBits: -2),
            ])
        let data = try JSONEncoder().encode(plan)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""fractionBits":"auto""#) && text.contains(#""fractionBits":-2"#))
        let decoded = try QuantPlan.decoded(from: data, file: "plan.json")
        #expect(decoded == plan)
        #expect(decoded.settings(for: "fc1").schemeLabel == "fixed n=auto")
        #expect(decoded.settings(for: "fc3").schemeLabel == "fixed n=-2")
        #expect(decoded.settings(for: "fc9").fractionBits == 6)
    }

    @Test func planFileMergesAndChecksFractionBits() throws {
        let text = #"""
            { "version": 1, "default": { "bits": 8, "scheme": "fixed-point", "fractionBits": 5 },
              "layers": { "fc1": { "fractionBits": "auto" }, "fc2": { "scheme": "symmetric" }, "fc3": { "bits": 4 } } }
            """#
        let plan = try QuantPlan.decoded(from: Data(text.utf8), file: "plan.json")
        #expect(plan.defaults.fractionBits == 5)
        #expect(plan.settings(for: "fc1").fractionBits == nil && plan.settings(for: "fc1").scheme == .fixedPoint)
        #expect(plan.settings(for: "fc2").fractionBits == nil && plan.settings(for: "fc2").scheme == .symmetric)
        #expect(plan.settings(for: "fc3").fractionBits == 5 && plan.settings(for: "fc3").bitWidth == 4)
    }

    @Test(arguments: [
        (
            #"{ "version": 1, "default": { "bits": 8, "fractionBits": 4 } }"#, "default.fractionBits",
            "only used with scheme \"fixed-point\""
        ),
        (
            #"{ "version": 1, "default": { "bits": 8, "scheme": "fixed-point", "fractionBits": 65 } }"#,
            "default.fractionBits", "65 is out of range"
        ),
        (
            #"{ "version": 1, "default": { "bits": 8, "scheme": "fixed-point", "fractionBits": 2.5 } }"#,
            "default.fractionBits", "not a whole number"
        ),
        (
            #"{ "version": 1, "default": { "bits": 8, "scheme": "fixed-point", "fractionBits": "many" } }"#,
            "default.fractionBits", "\"many\" is not a number of fraction bits"
        ),
        (
            #"{ "version": 1, "default": { "bits": 8, "scheme": "fixed-point", "fractionBits": [1] } }"#,
            "default.fractionBits", "fraction bits"
        ),
        (
            #"{ "version": 1, "default": { "bits": 1, "scheme": "fixed-point" } }"#, "default.bits",
            "not allowed by scheme fixed-point"
        ),
        (
            #"{ "version": 1, "default": { "bits": 8, "scheme": "fixed-point", "fractionBits": 3 }, "layers": { "fc1": { "scheme": "nf4", "bits": 4, "fractionBits": 3 } } }"#,
            "layers.fc1.fractionBits", "the scheme here is nf4"
        ),
    ])
    func invalidFractionBitsNameTheFieldAndTheProblem(text: String, path: String, problem: String) {
        do {
            _ = try QuantPlan.decoded(from: Data(text.utf8), file: "plan.json")
            Issue.record("accepted \(text)")
        } catch {
            let message = "\(error)"
            #expect(message.contains("plan.json") && message.contains(path) && message.contains(problem), "\(message)")
        }
    }

    @Test func settingsBuiltInCodeAreCheckedLikeTheFile() {
        let stale = QuantPlan(defaults: LayerSettings(bitWidth: 8, scheme: .symmetric, fractionBits: 3))
        #expect(throws: (any Error).self) { try JSONEncoder().encode(stale) }
    }

    // MARK: Exports

    @Test func qdqStoresSignedCodesWithScaleTwoToTheMinusN() throws {
        let values = Self.weights(count: 64, seed: 12, spread: 1.2)
        for (bits, n, type) in [(8, 6, ElementType.int8), (4, 2, .int4), (12, 9, .int16)] {
            let settings = LayerSettings(bitWidth: bits, scheme: .fixedPoint, granularity: .channel, fractionBits: n)
            let result = try WeightQuantizer.quantize(
                Tensor(shape: [4, 16], storage: values), outputChannelAxis: 0, settings: settings)
            // DequantizeLinear(q, 2^-n, 0) reproduces every value exactly, or there is no encoding.
            let encoding = try #require(QDQWeightEncoding(result))
            #expect(encoding.elementType == type)
            #expect(encoding.scales == Array(repeating: Float(pow(2, -Double(n))), count: 4))
            #expect(encoding.zeroPoints == [0, 0, 0, 0])
            #expect(CExporter.decodeKind(for: .fixedPoint) == .affineSigned)
        }
    }
}
