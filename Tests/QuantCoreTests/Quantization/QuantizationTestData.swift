import Foundation
@testable import QuantCore

/// Shapes of random weights the property tests draw from.
enum WeightDistribution: String, CaseIterable, Sendable {
    case uniform, gaussian, laplace, heavyTailed, withOutliers, sparse, positiveOnly
}

/// Deterministic test data for the quantization tests.
enum QuantizationTestData {
    /// `count` values from `distribution`, reproducible from `seed`.
    static func values(_ count: Int, _ distribution: WeightDistribution, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            switch distribution {
            case .uniform: return generator.nextFloat(in: -1...1)
            case .gaussian: return 0.1 * generator.nextGaussian()
            case .laplace:
                let u = generator.nextFloat(in: -0.4999...0.4999)
                return -0.05 * (u < 0 ? -1 : 1) * Float(log(Double(1 - 2 * abs(u))))
            case .heavyTailed:
                // Student-t with 2 degrees of freedom: Gaussian over the root of a chi-square/2.
                let g = generator.nextGaussian()
                let chi =
                    (generator.nextGaussian() * generator.nextGaussian()).magnitude
                    + (generator.nextGaussian() * generator.nextGaussian()).magnitude
                return 0.05 * g / max(chi, 0.05).squareRoot()
            case .withOutliers:
                let x = 0.02 * generator.nextGaussian()
                return generator.nextFloat(in: 0...1) < 0.01 ? x * 40 : x
            case .sparse:
                return generator.nextFloat(in: 0...1) < 0.6 ? 0 : generator.nextFloat(in: -0.5...0.5)
            case .positiveOnly:
                return generator.nextFloat(in: 0.01...2)
            }
        }
    }

    /// A random tensor of `shape`.
    static func tensor(_ shape: [Int], _ distribution: WeightDistribution, seed: UInt64) -> Tensor {
        Tensor(shape: shape, storage: values(Tensor.elementCount(of: shape), distribution, seed: seed))
    }

    /// A random pruned mask with about `fraction` of the weights pruned.
    static func mask(_ count: Int, fraction: Float, seed: UInt64) -> [Bool] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in generator.nextFloat(in: 0...1) < fraction }
    }

    /// Every (scheme, bit width) pair the schemes allow.
    static let schemeBitWidths: [(Scheme, Int)] = Scheme.allCases.flatMap { scheme in
        scheme.allowedBitWidths.map { (scheme, $0) }
    }

    /// The affine (scheme, bit width) pairs with a range method.
    static let affineBitWidths: [(Scheme, Int)] = schemeBitWidths.filter {
        [.symmetric, .symmetricFull, .asymmetric].contains($0.0)
    }

    /// Weight layouts: a Conv `[out, in, kH, kW]` (axis 0), a Gemm `[out, in]` (axis 0), a MatMul `[in, out]` (axis 1).
    static let layouts: [(shape: [Int], axis: Int)] = [([6, 3, 3, 3], 0), ([5, 24], 0), ([21, 4], 1)]

    /// The granularities the sweeps use (groups that do and do not divide the rows).
    static let granularities: [Granularity] = [.tensor, .channel, .group(size: 8)]

    /// Mean squared difference.
    static func meanSquaredError(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(max(a.count, 1))
    }

    /// Quantizes with the given settings (test shorthand).
    static func quantize(
        _ tensor: Tensor, axis: Int = 0, scheme: Scheme, bitWidth: Int?, granularity: Granularity = .channel,
        range: RangeMethod = .minMax, rounding: Rounding = .nearestEven, mask: [Bool]? = nil
    ) throws -> QuantizedWeights {
        try WeightQuantizer.quantize(
            tensor, outputChannelAxis: axis,
            settings: LayerSettings(
                bitWidth: bitWidth, scheme: scheme, granularity: granularity, range: range, rounding: rounding),
            prunedMask: mask)
    }
}
