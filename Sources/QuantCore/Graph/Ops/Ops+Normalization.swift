import CKernels

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
    /// Applied in place on `x`, then `activation` in the same pass when one is fused in (the ReLU
    /// or Clip the executor found right after: DenseNet's pre-activation BatchNormalization →
    /// ReLU before each Conv), with the values of a pass of its own.
    /// - Throws: `GraphError.shapeMismatch` when X has rank < 2 or a parameter is not `[C]`.
    static func batchNormalization(
        _ x: inout Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float,
        activation: OutputClamp? = nil, node: String = ""
    ) throws {
        let (multiplier, offset) = try batchNormalizationParameters(
            x, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: epsilon, node: node)
        let (planes, size, channels) = (x.shape[0] * x.shape[1], product(x.shape, 2..<x.rank), x.shape[1])
        x.storage.withUnsafeMutableBufferPointer { buffer in
            guard let values = buffer.baseAddress else { return }
            channelAffine(
                from: values, to: values, planes: planes, size: size, channels: channels, multiplier: multiplier,
                offset: offset, activation: activation)
        }
    }

    /// `batchNormalization` into a new tensor, leaving `x` as it is: one pass reading `x` and
    /// writing the result, for an input other nodes still read (DenseNet's concatenated
    /// features), where working in place would first copy all of `x`.
    static func batchNormalized(
        _ x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float,
        activation: OutputClamp? = nil, node: String = ""
    ) throws -> Tensor {
        let (multiplier, offset) = try batchNormalizationParameters(
            x, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: epsilon, node: node)
        let (planes, size, channels) = (x.shape[0] * x.shape[1], product(x.shape, 2..<x.rank), x.shape[1])
        let storage = x.storage.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: x.count) { buffer, initialized in
                if let input = source.baseAddress, let output = buffer.baseAddress {
                    channelAffine(
                        from: input, to: output, planes: planes, size: size, channels: channels,
                        multiplier: multiplier, offset: offset, activation: activation)
                }
                initialized = x.count
            }
        }
        return Tensor(shape: x.shape, storage: storage)
    }

    /// ONNX Concat along the channels (axis 1) followed by a BatchNormalization (and the ReLU or
    /// Clip fused after it) in one pass: each input is written into its place already normalized,
    /// instead of being copied and then normalized in a pass of its own over the whole output
    /// (DenseNet's pre-activations, where every dense layer concatenates all earlier features).
    /// The same operations on the same values as the two ops apart: bit for bit their result.
    /// `nil` (nothing done) when the concatenation is not along axis 1 of inputs of rank ≥ 2.
    /// - Parameters:
    ///   - concatNode: the Concat's name, for its errors; `node` the BatchNormalization's.
    static func concatBatchNormalized(
        _ inputs: [Tensor], axis: Int, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor,
        epsilon: Float, activation: OutputClamp?, concatNode: String = "", node: String = ""
    ) throws -> Tensor? {
        guard let rank = inputs.first?.rank, rank >= 2, axis == 1 || axis == 1 - rank,
            inputs.allSatisfy({ $0.rank == rank })
        else { return nil }
        let (multiplier, offset) = try batchNormalizationParameters(
            channels: inputs.reduce(0) { $0 + $1.shape[1] }, scale: scale, bias: bias, mean: mean,
            variance: variance, epsilon: epsilon, node: node)
        return try multiplier.withUnsafeBufferPointer { multiplier in
            try offset.withUnsafeBufferPointer { offset in
                try OutputClamp.withBounds(activation) { clamp in
                    try concat(inputs, axis: 1, node: concatNode) { source, target, count, first, inner in
                        guard inner > 0, let a = multiplier.baseAddress, let b = offset.baseAddress else { return }
                        let planes = count / inner
                        ck_channel_affine(source, target, planes, inner, planes, a + first, b + first, clamp)
                    }
                }
            }
        }
    }

    /// The checked per-channel coefficients of a BatchNormalization on `x`.
    private static func batchNormalizationParameters(
        _ x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float, node: String
    ) throws -> (multiplier: [Float], offset: [Float]) {
        guard x.rank >= 2 else { throw mismatch(node, "BatchNormalization", "X \(x.shape) must be [N, C, ...]") }
        return try batchNormalizationParameters(
            channels: x.shape[1], scale: scale, bias: bias, mean: mean, variance: variance, epsilon: epsilon,
            node: node, input: "X \(x.shape)")
    }

    /// The checked per-channel coefficients of a BatchNormalization over `channels` channels
    /// (`input` names what they normalize, for the error).
    private static func batchNormalizationParameters(
        channels: Int, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float, node: String,
        input: String? = nil
    ) throws -> (multiplier: [Float], offset: [Float]) {
        for (name, parameter) in [("scale", scale), ("B", bias), ("mean", mean), ("var", variance)]
        where parameter.count != channels || parameter.rank != 1 {
            throw mismatch(
                node, "BatchNormalization",
                "\(name) \(parameter.shape) must be [\(channels)] for \(input ?? "\(channels) channels")")
        }
        return batchNormalizationCoefficients(
            scale: scale.storage, bias: bias.storage, mean: mean.storage, variance: variance.storage, epsilon: epsilon)
    }

    /// `multiplier[c] · x + offset[c]` per plane (a multiply, then an add), then the clamp
    /// (`ck_channel_affine`: vector code on AVX2 / AVX-512, the same bits as the plain loop).
    private static func channelAffine(
        from input: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>, planes: Int, size: Int,
        channels: Int, multiplier: [Float], offset: [Float], activation: OutputClamp?
    ) {
        guard let activation else {
            ck_channel_affine(input, output, planes, size, channels, multiplier, offset, nil)
            return
        }
        [activation.low, activation.high].withUnsafeBufferPointer { clamp in
            ck_channel_affine(input, output, planes, size, channels, multiplier, offset, clamp.baseAddress)
        }
    }
}
