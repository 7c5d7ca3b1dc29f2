import Foundation
import Testing

@testable import QuantCore

/// Issue 17.1: AdaRound's relaxation, regulariser and schedule against hand computations, and
/// the whole optimisation against an exhaustive search over every floor/ceil choice of a tiny layer.
@Suite struct LearnedRoundingMathTests {
    @Test func theRectifiedSigmoidAndItsInverseMatchHandValues() {
        // h(0) = σ(0)·1.2 − 0.1 = 0.5; far out it is clipped to 0 and 1.
        #expect(LearnedRounding.rectifiedSigmoid(0) == 0.5)
        #expect(LearnedRounding.rectifiedSigmoid(20) == 1)
        #expect(LearnedRounding.rectifiedSigmoid(-20) == 0)
        // σ(ln 3) = 0.75 → 0.75·1.2 − 0.1 = 0.8.
        #expect(abs(LearnedRounding.rectifiedSigmoid(Float(log(3.0))) - 0.8) < 1e-6)
        for fraction: Float in [0, 0.1, 0.25, 0.5, 0.7, 0.99] {
            let v = LearnedRounding.initialV(fraction: fraction)
            #expect(abs(LearnedRounding.rectifiedSigmoid(v) - fraction) < 1e-5, "\(fraction)")
        }
    }

    @Test func theRegulariserAndTheBetaScheduleMatchHandValues() {
        #expect(LearnedRounding.regularizer(0.5, beta: 20) == 1)
        #expect(LearnedRounding.regularizer(0, beta: 2) == 0 && LearnedRounding.regularizer(1, beta: 2) == 0)
        #expect(abs(LearnedRounding.regularizer(0.75, beta: 2) - 0.75) < 1e-6)  // 1 − 0.5²
        #expect(abs(LearnedRounding.regularizer(0.25, beta: 3) - 0.875) < 1e-6)  // 1 − 0.5³
        var options = LearnedRounding.Options()
        options.iterations = 101
        options.warmupFraction = 0.2
        #expect(LearnedRounding.beta(at: 19, options: options) == nil)  // warm-up: regulariser off
        #expect(LearnedRounding.beta(at: 20, options: options) == 20)
        #expect(LearnedRounding.beta(at: 100, options: options) == 2)
        #expect(abs((LearnedRounding.beta(at: 60, options: options) ?? 0) - 11) < 1e-5)  // half way
    }

    /// Deterministic values in −0.5…0.5.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in generator.nextFloat(in: -0.5...0.5) }
    }

    /// A `[outputs, width]` layer (Gemm, transB) and `rows` correlated inputs.
    static func problem(outputs: Int, width: Int, rows: Int, seed: UInt64) -> (Tensor, LearnedRounding.Group) {
        let weights = Tensor(shape: [outputs, width], storage: values(outputs * width, seed: seed))
        let noise = values(rows * width, seed: seed + 1), common = values(rows, seed: seed + 2)
        // Strongly correlated inputs: rounding errors of neighbouring weights can cancel.
        let x = (0..<(rows * width)).map { 0.3 * noise[$0] + common[$0 / width] + 0.5 }
        let group = LearnedRounding.Group(
            x: x, rowCount: rows, width: width, indices: Array(0..<(outputs * width)))
        return (weights, group)
    }

    @Test func learnedRoundingIsNoWorseThanNearestAndNearTheExhaustiveOptimum() throws {
        let settings = LayerSettings(bitWidth: 3, scheme: .asymmetric, granularity: .tensor)
        var options = LearnedRounding.Options()
        options.iterations = 1000
        var gained = 0
        for seed: UInt64 in [1, 7, 42] {
            let (weights, group) = Self.problem(outputs: 2, width: 5, rows: 48, seed: seed)
            let nearest = try WeightQuantizer.quantize(weights, outputChannelAxis: 0, settings: settings)
            let learned = try LearnedRounding.round(nearest, float: weights.storage, groups: [group], options: options)
            // The quantizer's scale and zero point are kept; codes stay in range; values decode exactly.
            #expect(learned.scales == nearest.scales && learned.zeroPoints == nearest.zeroPoints)
            for (code, value) in zip(learned.codes, learned.dequantized) {
                #expect((0...7).contains(code))
                #expect(value == Float(code - learned.zeroPoints[0]) * learned.scales[0])
            }
            // Exhaustive search over floor/ceil of all 10 weights (1024 choices), in range.
            let scale = nearest.scales[0], zero = nearest.zeroPoints[0]
            var best = Double.infinity
            for choice in 0..<(1 << weights.count) {
                let rounded = weights.storage.enumerated().map { i, w in
                    let code = Int32((w / scale).rounded(.down)) + zero + Int32((choice >> i) & 1)
                    return Float(min(max(code, 0), 7) - zero) * scale
                }
                best = min(
                    best, LearnedRounding.reconstructionError(float: weights.storage, rounded: rounded, groups: [group])
                )
            }
            let nearestError = LearnedRounding.reconstructionError(
                float: weights.storage, rounded: nearest.dequantized, groups: [group])
            let learnedError = LearnedRounding.reconstructionError(
                float: weights.storage, rounded: learned.dequantized, groups: [group])
            #expect(learnedError <= nearestError * (1 + 1e-6), "seed \(seed): \(learnedError) vs \(nearestError)")
            #expect(learnedError >= best * (1 - 1e-6))
            // Most of the way from nearest rounding to the optimum.
            #expect(
                learnedError - best <= 0.25 * (nearestError - best) + 1e-9, "\(learnedError) \(best) \(nearestError)")
            if learnedError < nearestError * 0.99 { gained += 1 }
        }
        #expect(gained >= 1, "learned rounding beats nearest where nearest is not optimal")
    }

    @Test func theResultIsDeterministicAndPrunedWeightsStayZero() throws {
        let (weights, group) = Self.problem(outputs: 3, width: 8, rows: 32, seed: 5)
        let settings = LayerSettings(bitWidth: 2, scheme: .symmetric, granularity: .channel)
        var mask = [Bool](repeating: false, count: weights.count)
        for i in stride(from: 0, to: mask.count, by: 5) { mask[i] = true }
        let nearest = try WeightQuantizer.quantize(weights, outputChannelAxis: 0, settings: settings, prunedMask: mask)
        var options = LearnedRounding.Options()
        options.iterations = 200
        let first = try LearnedRounding.round(nearest, float: weights.storage, groups: [group], options: options)
        let second = try LearnedRounding.round(nearest, float: weights.storage, groups: [group], options: options)
        #expect(first == second)
        for i in mask.indices where mask[i] { #expect(first.dequantized[i] == 0 && first.codes[i] == 0) }
        // Non-affine schemes are returned unchanged (Workbench refuses them by name before this).
        let kmeans = try WeightQuantizer.quantize(
            weights, outputChannelAxis: 0, settings: LayerSettings(bitWidth: 2, scheme: .kmeans))
        #expect(try LearnedRounding.round(kmeans, float: weights.storage, groups: [group]) == kmeans)
        #expect(LearnedRounding.schemeProblem(.kmeans)?.contains("not kmeans") == true)
        #expect(LearnedRounding.schemeProblem(.fixedPoint) == nil)
    }
}
