/// Conv / Gemm / MatMul lowering: int8 weight rows, int32 biases, float and fixed-point multipliers.
extension IntegerLowering {
    /// Why a layer with `settings` has no int8 form, from the plan alone, or `nil`.
    public static func refusal(layerName name: String, settings: LayerSettings) -> String? {
        let needs = "integer execution needs 8-bit symmetric weights and 8-bit activations"
        guard let bitWidth = settings.bitWidth else { return "layer \(name) keeps float weights (\(needs))" }
        guard settings.scheme == .symmetric || settings.scheme == .symmetricFull else {
            return "layer \(name) uses the \(settings.scheme.rawValue) scheme (\(needs))"
        }
        guard bitWidth == 8 else { return "layer \(name) has \(bitWidth)-bit weights (\(needs))" }
        if case .group = settings.granularity {
            return "layer \(name) has per-group scales (\(needs), per channel or per tensor)"
        }
        guard let bits = settings.activationBits else {
            return "layer \(name) leaves its output activations float (\(needs))"
        }
        guard bits == 8 else { return "layer \(name) has \(bits)-bit activations (\(needs))" }
        return nil
    }

    /// Why `report`'s layer has no int8 form, or `nil` when it has one.
    public static func refusal(for report: LayerReport) -> String? {
        let name = report.layer.name
        if let reason = refusal(layerName: name, settings: report.settings) { return reason }
        let needs = "integer execution needs 8-bit symmetric weights and 8-bit activations"
        guard let weights = report.quantized else { return "layer \(name) keeps float weights (\(needs))" }
        guard weights.bitWidth == 8 else { return "layer \(name) has \(weights.bitWidth)-bit weights (\(needs))" }
        guard let encoding = QDQWeightEncoding(weights), encoding.elementType == .int8,
            encoding.zeroPoints.allSatisfy({ $0 == 0 })
        else { return "layer \(name)'s weights are not int8 codes with zero point 0 (\(needs))" }
        return nil
    }

    /// The integer form of one layer whose input is quantized with `x`.
    static func linear(
        node: Node, report: LayerReport, graph: Graph, quantized: QuantizedModel, input x: ActivationQuantization
    ) throws -> IntegerLinear {
        if let reason = refusal(for: report) { throw IntegerLoweringError(reason) }
        guard let weights = report.quantized, let out = node.outputs.first,
            let y = quantized.activationQuantization[out]
        else { throw IntegerLoweringError("layer \(report.layer.name) leaves its output activations float") }
        let name = report.layer.name
        let shape = weights.shape
        var rows: [Int8]
        var (outputs, depth) = (0, 0)
        var convolution: IntegerConvolution? = nil
        switch node.op {
        case .conv(let attributes):
            guard shape.count == 4, attributes.autoPad == .notSet else {
                throw IntegerLoweringError("layer \(name): integer Conv needs a 2-D kernel and explicit pads")
            }
            (outputs, depth) = (shape[0], shape[1] * shape[2] * shape[3])
            rows = weights.codes.map { Int8($0) }
            convolution = IntegerConvolution(
                kernel: [shape[2], shape[3]], strides: attributes.strides.isEmpty ? [1, 1] : attributes.strides,
                dilations: attributes.dilations.isEmpty ? [1, 1] : attributes.dilations,
                pads: attributes.pads.isEmpty ? [0, 0, 0, 0] : attributes.pads, group: attributes.group)
        case .gemm(let attributes):
            guard shape.count == 2, !attributes.transposeA, attributes.alpha == 1, attributes.beta == 1 else {
                throw IntegerLoweringError("layer \(name): integer Gemm needs alpha = beta = 1 and no transA")
            }
            (outputs, depth) = attributes.transposeB ? (shape[0], shape[1]) : (shape[1], shape[0])
            rows =
                attributes.transposeB
                ? weights.codes.map { Int8($0) } : transposed(weights.codes, rows: shape[0], columns: shape[1])
        default:  // MatMul: [k, n]
            guard shape.count == 2 else {
                throw IntegerLoweringError("layer \(name): integer MatMul needs a 2-D weight")
            }
            (outputs, depth) = (shape[1], shape[0])
            rows = transposed(weights.codes, rows: shape[0], columns: shape[1])
        }
        let scales = weights.scales.count == 1 ? Array(repeating: weights.scales[0], count: outputs) : weights.scales
        guard scales.count == outputs else {
            throw IntegerLoweringError(
                "layer \(name): \(weights.scales.count) weight scales for \(outputs) output channels")
        }
        var bias = [Float](repeating: 0, count: outputs)
        if let biasName = report.layer.biasName, node.inputs.count > 2 {
            let values = (quantized.weightOverrides[biasName] ?? graph.initializers[biasName])?.storage ?? []
            guard values.count == outputs || values.count == 1 else {
                throw IntegerLoweringError("layer \(name): a bias of \(values.count) values for \(outputs) outputs")
            }
            bias = values.count == 1 ? Array(repeating: values[0], count: outputs) : values
        }
        return IntegerLinear(
            layerName: name, input: node.inputs[0], output: out, weights: rows, outputChannels: outputs, depth: depth,
            bias: zip(bias, scales).map { quantizedBias($0, inputScale: x.scale, weightScale: $1) },
            multipliers: scales.map { multiplier(inputScale: x.scale, weightScale: $0, outputScale: y.scale) },
            outputQuantization: y, clamp: y.codeRange, convolution: convolution,
            fixedPointMultipliers: scales.map {
                FixedPointMultiplier(inputScale: x.scale, weightScale: $0, outputScale: y.scale)
            })
    }

    /// `roundHalfEven(bias / (s_x · s_w))` in `Float`, saturated to int32 (onnxruntime's
    /// quantization tool computes the same in float32 NumPy).
    public static func quantizedBias(_ bias: Float, inputScale: Float, weightScale: Float) -> Int32 {
        let steps = (bias / (inputScale * weightScale)).rounded(.toNearestOrEven)
        guard steps.isFinite else { return steps > 0 ? .max : (steps < 0 ? .min : 0) }
        return Int32(max(min(steps, Float(largestBias)), -2_147_483_648))
    }

    /// The largest int32 a `Float` bias saturates to (the largest `Float` below 2^31).
    public static let largestBias: Int32 = 2_147_483_520

    /// `s_x · s_w / s_y` in `Float`, left to right (QLinearConv's `X_scale * W_scale[i] / Y_scale`).
    public static func multiplier(inputScale: Float, weightScale: Float, outputScale: Float) -> Float {
        inputScale * weightScale / outputScale
    }

    /// A `[rows, columns]` matrix of codes as `[columns, rows]` int8.
    static func transposed(_ codes: [Int32], rows: Int, columns: Int) -> [Int8] {
        var result = [Int8](repeating: 0, count: codes.count)
        for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = Int8(codes[r * columns + c]) } }
        return result
    }
}
