@testable import QuantTUI

/// Deterministic weight histograms for screen tests: normal-ish weights, symmetric quantization.
enum HistogramFixtures {
    /// `count` bell-shaped weights with standard deviation `sigma`: the sum of six fixed-seed
    /// uniforms (Irwin–Hall), plain arithmetic so every platform draws the same screens.
    static func weights(count: Int, sigma: Double = 0.15, seed: UInt64 = 7) -> [Float] {
        var state = seed
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<count).map { _ in
            let sum = (0..<6).reduce(0.0) { total, _ in total + next() }
            return Float((sum - 3) * sigma / 0.5.squareRoot())
        }
    }

    /// Symmetric narrow-range quantization to `bitWidth` bits, magnitudes up to `threshold` pruned.
    static func quantize(_ weights: [Float], bitWidth: Int, threshold: Float = 0) -> (values: [Float], levels: [Float])
    {
        let qmax = Float((1 << (bitWidth - 1)) - 1)
        let scale = (weights.map(abs).max() ?? 1) / qmax
        let values = weights.map { w -> Float in
            abs(w) <= threshold ? 0 : (w / scale).rounded(.toNearestOrEven) * scale
        }
        let levels = Array(Set(values)).sorted()
        return (values, levels)
    }

    /// Histogram data over `binCount` bins of the range of `weights`.
    static func data(
        weights: [Float], bitWidth: Int, binCount: Int, threshold: Float = 0
    ) -> HistogramData {
        let (values, levels) = quantize(weights, bitWidth: bitWidth, threshold: threshold)
        let lower = min(weights.min() ?? 0, values.min() ?? 0)
        let upper = max(weights.max() ?? 0, values.max() ?? 0)
        let edges = (0...binCount).map {
            $0 == binCount ? upper : lower + (upper - lower) * Float($0) / Float(binCount)
        }
        func count(_ xs: [Float]) -> [Int] {
            var counts = [Int](repeating: 0, count: binCount)
            for x in xs {
                let bin = min(Int((x - lower) / (upper - lower) * Float(binCount)), binCount - 1)
                counts[bin] += 1
            }
            return counts
        }
        return HistogramData(
            binEdges: edges, floatCounts: count(weights), quantizedCounts: count(values), levels: levels,
            prunedBand: threshold > 0 ? -threshold...threshold : nil)
    }
}
