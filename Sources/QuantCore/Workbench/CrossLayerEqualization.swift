import Foundation

/// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization", §4.1, as AIMET does it):
/// for a pair of layers joined by positively homogeneous operators (`EqualizationPair`), output
/// channel `i` of the first layer is divided by `s_i` (weights and bias) and the input features
/// it feeds in the second layer are multiplied by `s_i`, with
///
///     s_i = sqrt(r1_i · r2_i) / r2_i        r1_i = max |W1 of output channel i|
///                                           r2_i = max |W2 of the inputs channel i feeds|
///
/// so both ranges become `sqrt(r1_i · r2_i)`: per-tensor quantization then wastes less of its range
/// on a few large channels. The float model's function does not change (up to float rounding).
/// Chains (A → B → C) are swept pair by pair until no scale moves more than `tolerance`.
struct CrossLayerEqualization: Sendable {
    /// The changed initializers (weights and biases of every layer in a pair).
    var tensors: [String: Tensor] = [:]
    /// Per layer that is the second of a pair: the product of the scales applied to each of its
    /// input features. The equalized model feeds it `x / scale` where the float model feeds `x`.
    var inputScales: [String: [Float]] = [:]
    /// Sweeps run.
    var sweeps = 0

    /// The most sweeps over a chain; the paper's chains settle in a few.
    static let maximumSweeps = 100
    /// A sweep whose scales are all within this of 1 ends the iteration.
    static let tolerance: Float = 1e-5

    /// Equalizes `pairs` (in graph order) on `initializers`.
    init(pairs: [EqualizationPair], graph: Graph) {
        guard !pairs.isEmpty else { return }
        for pair in pairs {
            for name in [pair.first.weightName, pair.first.biasName, pair.second.weightName].compactMap({ $0 }) {
                if tensors[name] == nil { tensors[name] = graph.initializers[name] }
            }
        }
        var layouts: [String: EqualizationLayout] = [:]
        for pair in pairs {
            layouts[pair.first.name] = EqualizationLayout(pair.first, in: graph)
            layouts[pair.second.name] = EqualizationLayout(pair.second, in: graph)
        }
        for pair in pairs {
            inputScales[pair.second.name] = [Float](repeating: 1, count: layouts[pair.second.name]?.inputCount ?? 0)
        }
        while sweeps < CrossLayerEqualization.maximumSweeps {
            sweeps += 1
            var largest: Float = 0
            for pair in pairs {
                guard let first = layouts[pair.first.name], let second = layouts[pair.second.name] else { continue }
                let scales = equalize(pair, first: first, second: second)
                largest = scales.reduce(largest) { max($0, abs($1 - 1)) }
            }
            if largest <= CrossLayerEqualization.tolerance { break }
        }
    }

    /// One equalization step of `pair` on the current tensors; the scales applied.
    private mutating func equalize(
        _ pair: EqualizationPair, first: EqualizationLayout, second: EqualizationLayout
    ) -> [Float] {
        guard var w1 = tensors[pair.first.weightName], var w2 = tensors[pair.second.weightName] else { return [] }
        let channels = first.outputCount
        let scales = CrossLayerEqualization.scales(
            firstRanges: CrossLayerEqualization.outputRanges(w1, layout: first),
            secondRanges: CrossLayerEqualization.inputRanges(w2, layout: second, channels: channels, block: pair.block)
        )
        for index in w1.storage.indices { w1.storage[index] /= scales[first.outputChannel(of: index)] }
        for index in w2.storage.indices {
            w2.storage[index] *= scales[second.inputFeature(of: index) / pair.block]
        }
        tensors[pair.first.weightName] = w1
        tensors[pair.second.weightName] = w2
        if let biasName = pair.first.biasName, var bias = tensors[biasName] {
            for index in bias.storage.indices where index < channels { bias.storage[index] /= scales[index] }
            tensors[biasName] = bias
        }
        if var applied = inputScales[pair.second.name] {
            for feature in applied.indices { applied[feature] *= scales[feature / pair.block] }
            inputScales[pair.second.name] = applied
        }
        return scales
    }

    /// `s_i = sqrt(r1_i · r2_i) / r2_i`; 1 where either range is 0 (a dead channel stays as it is).
    static func scales(firstRanges: [Float], secondRanges: [Float]) -> [Float] {
        zip(firstRanges, secondRanges).map { r1, r2 in
            guard r1 > 0, r2 > 0, r1.isFinite, r2.isFinite else { return 1 }
            return (r1 * r2).squareRoot() / r2
        }
    }

    /// `max |w|` per output channel.
    static func outputRanges(_ weight: Tensor, layout: EqualizationLayout) -> [Float] {
        var ranges = [Float](repeating: 0, count: layout.outputCount)
        for (index, value) in weight.storage.enumerated() {
            let channel = layout.outputChannel(of: index)
            ranges[channel] = max(ranges[channel], abs(value))
        }
        return ranges
    }

    /// `max |w|` over the input features each of `channels` channels feeds (`block` each).
    static func inputRanges(_ weight: Tensor, layout: EqualizationLayout, channels: Int, block: Int) -> [Float] {
        var ranges = [Float](repeating: 0, count: channels)
        for (index, value) in weight.storage.enumerated() {
            let channel = layout.inputFeature(of: index) / max(block, 1)
            if channel < channels { ranges[channel] = max(ranges[channel], abs(value)) }
        }
        return ranges
    }

    /// `delta` (a weight change of the second layer of a pair, in equalized coordinates) in the
    /// float model's input coordinates: each element divided by its input feature's scale, so
    /// `E[delta'·x_float] = E[delta·x_equalized]` (bias correction's mean inputs are the float
    /// model's).
    static func floatCoordinates(of delta: Tensor, layout: EqualizationLayout, inputScales: [Float]) -> Tensor {
        var result = delta
        for index in result.storage.indices {
            let feature = layout.inputFeature(of: index)
            if feature < inputScales.count { result.storage[index] /= inputScales[feature] }
        }
        return result
    }
}
