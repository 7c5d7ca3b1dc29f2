import Foundation

extension TFLiteConverter {
    /// Converts one ONNX node (see `TFLiteExporter` for what is supported).
    mutating func convert(_ node: Node, index: Int) throws {
        if case .constant(let tensor) = node.op, let output = node.outputs.first {
            constants[output] = tensor  // written into the file only where an operator reads it
            return
        }
        guard let input = node.inputs.first, let output = node.outputs.first else { return }
        let label = "\(node.op.onnxName) \(Printable.name(node.name.isEmpty ? output : node.name))"
        switch node.op {
        case .identity, .dropout:
            guard let value = values[input] else { throw unsupported("\(label) reads \(input), never computed") }
            values[output] = value
        case .relu:
            try elementwise(.relu, node: node)
        case .clip(let low, let high):
            try clip(node, attributes: (low, high), label: label)
        case .sigmoid:
            try elementwise(.logistic, node: node)
        case .tanh:
            try elementwise(.tanh, node: node)
        case .hardSwish:
            try elementwise(.hardSwish, node: node)
        case .hardSigmoid(let alpha, let beta):
            try hardSigmoid(node, alpha: alpha, beta: beta, label: label)
        case .leakyRelu(let alpha):
            try elementwise(.leakyRelu, node: node, options: .leakyRelu(alpha: alpha))
        case .add, .sub, .mul, .div:
            try arithmetic(node, label: label)
        case .concat(let axis):
            try concat(node, axis: axis, label: label)
        case .batchNormalization(let epsilon):
            try batchNormalization(node, epsilon: epsilon, label: label)
        case .globalAveragePool:
            try globalPool(.averagePool2D, node: node, label: label)
        case .globalMaxPool:
            try globalPool(.maxPool2D, node: node, label: label)
        case .reduceMean(let axes, let keepDims):
            try spatialMean(node, axes: axes, keepDims: keepDims, label: label)
        case .localResponseNormalization(let size, let alpha, let beta, let bias):
            try localResponseNormalization(node, size: size, alpha: alpha, beta: beta, bias: bias, label: label)
        case .flatten, .reshape:
            try reshape(node, label: label)
        case .softmax(let axis):
            try softmax(node, axis: axis, flattened: false, label: label)
        case .flattenedSoftmax(let axis):
            try softmax(node, axis: axis, flattened: true, label: label)
        case .variadic(let function):
            try variadic(node, function, label: label)
        case .conv(let attributes):
            try conv(node, attributes: attributes, index: index, label: label)
        case .gemm(let attributes):
            try fullyConnected(node, attributes: attributes, index: index, label: label)
        case .matMul:
            try fullyConnected(node, attributes: GemmAttributes(), index: index, label: label)
        case .maxPool(let attributes):
            try pool(.maxPool2D, node: node, attributes: attributes, label: label)
        case .averagePool(let attributes):
            try pool(.averagePool2D, node: node, attributes: attributes, label: label)
        default:
            throw unsupported("operator \(node.op.onnxName) (node \(Printable.name(node.name))) is not supported")
        }
    }

    /// An element-wise operator keeps its input's layout.
    mutating func elementwise(_ kind: TFLiteOperatorKind, node: Node, options: TFLiteModel.Options = .none) throws {
        guard let input = node.inputs.first, let output = node.outputs.first else { return }
        guard let value = values[input] else { throw unsupported("\(node.op.onnxName) reads \(input), never computed") }
        let out = addActivation(output, shape: value.shape, layout: value.layout)
        add(kind, inputs: [value.tensor], outputs: [out], options: options)
        values[output] = Value(tensor: out, shape: value.shape, layout: value.layout)
    }

    /// Flatten and Reshape: RESHAPE of the plain (ONNX-ordered) value to the shape ONNX computes.
    private mutating func reshape(_ node: Node, label: String) throws {
        guard let input = node.inputs.first, let output = node.outputs.first, let value = values[input],
            let target = shapes[output]
        else { throw unsupported("\(label): the shapes are unknown") }
        let source: Int32
        if value.layout == .nhwc, value.shape.count == 4, value.shape[1] == 1 || value.shape[2] * value.shape[3] == 1 {
            source = value.tensor  // same memory order in both layouts
        } else {
            source = try tensor(input, in: .plain)
        }
        if node.inputs.count > 1, graph.initializers[node.inputs[1]] == nil {
            throw unsupported("\(label) needs a constant shape")
        }
        let shape = reshapeTarget(target)
        let shapeTensor = addConstant("\(output)/shape", shape: [shape.count], ints: shape)
        let out = addActivation(output, shape: target)
        add(.reshape, inputs: [source, shapeTensor], outputs: [out], options: .reshape(newShape: shape))
        values[output] = Value(tensor: out, shape: target, layout: .plain)
    }

    /// The weight a layer runs with: the plan's dequantized weights, or the float ones.
    func weight(_ name: String, label: String) throws -> Tensor {
        guard let tensor = quantized.weightOverrides[name] ?? graph.initializers[name] else {
            throw unsupported("\(label) needs a constant weight (\(name) is computed)")
        }
        return tensor
    }

    /// The constant bias of length `count` (zeros without one), times `beta`.
    func bias(_ node: Node, count: Int, beta: Float, label: String) throws -> [Float] {
        guard node.inputs.count > 2, !node.inputs[2].isEmpty else { return [Float](repeating: 0, count: count) }
        // Corrected or equalized biases are in the overrides.
        guard let bias = quantized.weightOverrides[node.inputs[2]] ?? graph.initializers[node.inputs[2]] else {
            throw unsupported("\(label) has a computed bias")
        }
        if bias.count == count { return bias.storage.map { $0 * beta } }
        if bias.count == 1 { return [Float](repeating: bias.storage[0] * beta, count: count) }
        throw unsupported("\(label) has a bias of shape \(bias.shape), not [\(count)]")
    }

    /// Where a fused Relu applies, its output name replaces the node's and RELU is fused.
    func fusedOutput(_ node: Node, index: Int) -> (name: String, activation: TFLiteSchema.Activation) {
        if let fused = fusedRelu[index] { return (fused.output, .relu) }
        return (node.outputs.first ?? "", .none)
    }

    /// Gemm (Y = α·A·op(B) + β·C) and MatMul with a constant weight as FULLY_CONNECTED.
    private mutating func fullyConnected(_ node: Node, attributes: GemmAttributes, index: Int, label: String) throws {
        guard let input = node.inputs.first, node.inputs.count > 1, let inShape = shapes[input] else { return }
        guard !attributes.transposeA, inShape.count == 2 else {
            throw unsupported("\(label) must read a 2-D input that is not transposed (got rank \(inShape.count))")
        }
        let w = try weight(node.inputs[1], label: label)
        guard w.rank == 2 else { throw unsupported("\(label) needs a 2-D weight (got \(w.shape))") }
        // TFLite wants [out, in]: ONNX's transB layout.
        let (outCount, inCount) = attributes.transposeB ? (w.shape[0], w.shape[1]) : (w.shape[1], w.shape[0])
        var rows = [Float](repeating: 0, count: outCount * inCount)
        for o in 0..<outCount {
            for i in 0..<inCount {
                let value = attributes.transposeB ? w.storage[o * inCount + i] : w.storage[i * outCount + o]
                rows[o * inCount + i] = value * attributes.alpha
            }
        }
        let biasValues = try bias(node, count: outCount, beta: attributes.beta, label: label)
        let source = try tensor(input, in: .plain)
        let weightTensor = addConstant(node.inputs[1], shape: [outCount, inCount], floats: rows)
        let biasTensor = addConstant("\(node.inputs[1])/bias", shape: [outCount], floats: biasValues)
        let (name, activation) = fusedOutput(node, index: index)
        let shape = shapes[name] ?? [inShape[0], outCount]
        let out = addActivation(name, shape: shape)
        add(
            .fullyConnected, inputs: [source, weightTensor, biasTensor], outputs: [out],
            options: .fullyConnected(activation: activation))
        values[name] = Value(tensor: out, shape: shape, layout: .plain)
    }

    /// TFLite's padding for a window: VALID (none), SAME (TensorFlow's, extra at the end), or
    /// explicit pads `[top, left, bottom, right]` it cannot express.
    func padding(
        _ window: SlidingWindow, extents: [Int], kernel: [Int], strides: [Int], dilations: [Int], label: String
    ) throws -> (TFLiteSchema.Padding, explicit: [Int]?) {
        if window.axes.allSatisfy({ $0.padBegin == 0 && $0.padEnd == 0 }) { return (.valid, nil) }
        let same = try SlidingWindow(
            inputExtents: extents, kernel: kernel, strides: strides, pads: [], dilations: dilations,
            autoPad: .sameUpper, node: label, op: "")
        if same == window { return (.same, nil) }
        return (.valid, window.axes.map(\.padBegin) + window.axes.map(\.padEnd))
    }

    /// Conv 2-D as CONV_2D with an OHWI filter (group 1) or DEPTHWISE_CONV_2D with a `[1, kH, kW,
    /// C·multiplier]` filter (one group per input channel); pads TFLite cannot express become a PAD.
    private mutating func conv(_ node: Node, attributes: ConvAttributes, index: Int, label: String) throws {
        guard let input = node.inputs.first, node.inputs.count > 1, let inShape = shapes[input], inShape.count == 4
        else { throw unsupported("\(label) must be 2-D (a 4-D input)") }
        let w = try weight(node.inputs[1], label: label)
        let depthwise = attributes.group > 1 && attributes.group == inShape[1] && w.rank == 4 && w.shape[1] == 1
        guard w.rank == 4, inShape[1] == w.shape[1] * attributes.group, w.shape[0] % attributes.group == 0 else {
            throw unsupported("\(label) has a weight \(w.shape) that does not fit group \(attributes.group)")
        }
        guard attributes.dilations.allSatisfy({ $0 == 1 }) else { throw unsupported("\(label) is dilated") }
        let (outC, inC, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let strides = attributes.strides.isEmpty ? [1, 1] : attributes.strides
        let window = try SlidingWindow(
            inputExtents: [inShape[2], inShape[3]], kernel: [kh, kw], strides: strides, pads: attributes.pads,
            dilations: [], autoPad: attributes.autoPad, node: label, op: "Conv")
        let (padding, explicit) = try self.padding(
            window, extents: [inShape[2], inShape[3]], kernel: [kh, kw], strides: strides, dilations: [], label: label)
        var filter = [Float](repeating: 0, count: w.count)
        for o in 0..<outC {
            for c in 0..<inC {
                for y in 0..<kh {
                    for x in 0..<kw {
                        // OHWI, or for depthwise (inC = 1) 1·H·W·O: channel o last.
                        let position = depthwise ? (y * kw + x) * outC + o : ((o * kh + y) * kw + x) * inC + c
                        filter[position] = w.storage[((o * inC + c) * kh + y) * kw + x]
                    }
                }
            }
        }
        var source = try tensor(input, in: .nhwc)
        if let explicit { source = padded(input, source, shape: inShape, pads: explicit, value: nil) }
        let biasValues = try bias(node, count: outC, beta: 1, label: label)
        let (name, activation) = fusedOutput(node, index: index)
        let shape = shapes[name] ?? []
        let (strideW, strideH) = (Int32(strides[1]), Int32(strides[0]))
        if attributes.group > 1 && !depthwise {
            // SPLIT the channels, one CONV_2D per group, CONCATENATION of their outputs.
            let convOptions = TFLiteModel.Options.conv2D(
                padding: padding, strideW: strideW, strideH: strideH, activation: activation)
            try groupedConv(
                source, filter: filter, bias: biasValues, groups: attributes.group, kernel: [kh, kw],
                inputShape: inShape, outputName: name, outputShape: shape, options: convOptions, label: label)
            return
        }
        let filterShape = depthwise ? [1, kh, kw, outC] : [outC, kh, kw, inC]
        let filterTensor = addConstant(node.inputs[1], shape: filterShape, floats: filter)
        let biasTensor = addConstant("\(node.inputs[1])/bias", shape: [outC], floats: biasValues)
        let out = addActivation(name, shape: shape, layout: .nhwc)
        if depthwise {
            add(
                .depthwiseConv2D, inputs: [source, filterTensor, biasTensor], outputs: [out],
                options: .depthwiseConv2D(
                    padding: padding, strideW: strideW, strideH: strideH, depthMultiplier: Int32(outC / inShape[1]),
                    activation: activation))
        } else {
            add(
                .conv2D, inputs: [source, filterTensor, biasTensor], outputs: [out],
                options: .conv2D(padding: padding, strideW: strideW, strideH: strideH, activation: activation))
        }
        values[name] = Value(tensor: out, shape: shape, layout: .nhwc)
    }

    /// `source` (value `name` in NHWC, ONNX shape `shape`) padded by `pads` (`[top, left, bottom,
    /// right]`): PAD with zeros, or PADV2 with `value` (a one-element tensor of the source's type).
    mutating func padded(_ name: String, _ source: Int32, shape: [Int], pads: [Int], value: Int32?) -> Int32 {
        let amounts: [Int32] = [0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0].map { Int32($0) }
        let padsTensor = addConstant("\(name)/pads", shape: [4, 2], ints: amounts)
        let paddedShape = [shape[0], shape[1], shape[2] + pads[0] + pads[2], shape[3] + pads[1] + pads[3]]
        let sourceTensor = model.tensors[Int(source)]
        let out = model.addTensor(
            "\(name)/padded", shape: Self.nhwc(paddedShape), type: sourceTensor.type,
            quantization: sourceTensor.quantization, dynamicBatch: dynamicBatch)
        if let value {
            add(.padV2, inputs: [source, padsTensor, value], outputs: [out])
        } else {
            add(.pad, inputs: [source, padsTensor], outputs: [out])
        }
        return out
    }
}
