/// Inference-mode BatchNormalization.
extension Ops {
    /// Per-channel `y = a[c] · x + b[c]` with `a = scale / sqrt(var + epsilon)`, `b = B − mean · a`.
    ///
    /// This is ONNX's `scale · (x − mean) / sqrt(var + epsilon) + B`, folded once per channel.
    /// The same `a`, `b` are what `Graph.foldingBatchNormalization()` bakes into weights.
    static func batchNormalizationCoefficients(
        scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float
    ) -> (multiplier: [Float], offset: [Float]) {
        var multiplier = [Float](repeating: 0, count: scale.count)
        var offset = [Float](repeating: 0, count: scale.count)
        for c in scale.indices {
            multiplier[c] = scale[c] / (variance[c] + epsilon).squareRoot()
            offset[c] = bias[c] - mean[c] * multiplier[c]
        }
        return (multiplier, offset)
    }

    /// ONNX BatchNormalization (inference): X `[N, C, ...]`; scale, B, mean, var each `[C]`.
    ///
    /// Applied in place on `x`, then `activation` in the same loop when one is fused in (the ReLU
    /// or Clip the executor found right after: DenseNet's pre-activation BatchNormalization →
    /// ReLU before each Conv), with the values of a pass of its own.
    /// - Throws: `GraphError.shapeMismatch` when X has rank < 2 or a parameter is not `[C]`.
    static func batchNormalization(
        _ x: inout Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float,
        activation: OutputClamp? = nil, node: String = ""
    ) throws {
        let op = "BatchNormalization"
        guard x.rank >= 2 else { throw mismatch(node, op, "X \(x.shape) must be [N, C, ...]") }
        let channels = x.shape[1]
        for (name, parameter) in [("scale", scale), ("B", bias), ("mean", mean), ("var", variance)]
        where parameter.count != channels || parameter.rank != 1 {
            throw mismatch(node, op, "\(name) \(parameter.shape) must be [\(channels)] for X \(x.shape)")
        }
        let (multiplier, offset) = batchNormalizationCoefficients(
            scale: scale.storage, bias: bias.storage, mean: mean.storage, variance: variance.storage, epsilon: epsilon)
        let planes = x.shape[0] * channels
        let size = product(x.shape, 2..<x.rank)
        x.storage.withUnsafeMutableBufferPointer { buffer in
            guard let values = buffer.baseAddress else { return }
            for plane in 0..<planes {
                let a = multiplier[plane % channels], b = offset[plane % channels]
                let start = values + plane * size
                guard let activation else {
                    for i in 0..<size { start[i] = a * start[i] + b }
                    continue
                }
                let low = activation.low, high = activation.high
                for i in 0..<size {
                    var value = a * start[i] + b
                    value = value < low ? low : value  // OutputClamp's (and Clip's) rule
                    value = value > high ? high : value
                    start[i] = value
                }
            }
        }
    }
}
