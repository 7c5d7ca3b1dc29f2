import Foundation

extension ONNXGraphReader {
    /// Converts one `NodeProto` to a `Node` with typed attributes (ONNX defaults filled in).
    ///
    /// Operands that later opsets take as inputs and older ones as attributes (Pad's pads and
    /// value before 11, Squeeze/Unsqueeze axes before 13) become initializers; see
    /// `attributeOperand`. Attributes that do not change inference results are ignored: `broadcast` (opset < 7),
    /// `consumed_inputs` (opset < 6), BatchNormalization `is_test`/`momentum`, MaxPool
    /// `storage_order`, Dropout `ratio`/`seed` and its ratio/training inputs (the engine only
    /// runs inference). Configurations that would change results and are not supported throw.
    ///
    /// - Throws: `ModelIOError.unsupportedOperator` for an unknown op type or a non-default
    ///   domain; `.invalidGraph` for bad or unsupported attribute values.
    mutating func appendNode(_ proto: Onnx_NodeProto, index: Int) throws {
        var node = Node(name: proto.name, op: .identity, inputs: proto.input, outputs: proto.output)
        let display = node.name.isEmpty ? (proto.output.first { !$0.isEmpty } ?? "#\(index)") : node.name
        guard proto.domain.isEmpty || proto.domain == "ai.onnx" else {
            throw ModelIOError.unsupportedOperator(path: path, op: "\(proto.domain).\(proto.opType)", node: display)
        }
        let attributes = ONNXAttributes(proto.attribute, path: path, node: display, op: proto.opType)
        switch proto.opType {
        case "Gemm":
            node.op = .gemm(
                GemmAttributes(
                    alpha: try attributes.float("alpha") ?? 1, beta: try attributes.float("beta") ?? 1,
                    transposeA: try attributes.flag("transA") ?? false,
                    transposeB: try attributes.flag("transB") ?? false))
        case "MatMul": node.op = .matMul
        case "Add", "Sub", "Mul", "Div":
            switch proto.opType {
            case "Add": node.op = .add
            case "Sub": node.op = .sub
            case "Mul": node.op = .mul
            default: node.op = .div
            }
            // Before opset 7, `broadcast = 1` aligned B with A starting at `axis`; that is NumPy
            // broadcasting only when B covers A's trailing axes.
            if opset < 7, try attributes.flag("broadcast") == true, let axis = try attributes.int("axis"),
                node.inputs.count == 2
            {
                legacyChecks.append(
                    .trailingBroadcast(
                        node: display, op: proto.opType, a: node.inputs[0], b: node.inputs[1], axis: axis))
            }
        case "Conv":
            node.op = .conv(
                ConvAttributes(
                    kernelShape: try attributes.ints("kernel_shape") ?? [],
                    strides: try attributes.ints("strides") ?? [],
                    pads: try attributes.ints("pads") ?? [], dilations: try attributes.ints("dilations") ?? [],
                    group: try attributes.int("group") ?? 1, autoPad: try attributes.autoPad()))
        case "MaxPool":
            if node.outputs.count > 1, !node.outputs[1].isEmpty {
                throw attributes.unsupported("the Indices output")
            }
            node.op = .maxPool(try poolAttributes(attributes))
        case "AveragePool": node.op = .averagePool(try poolAttributes(attributes))
        case "GlobalAveragePool": node.op = .globalAveragePool
        case "GlobalMaxPool": node.op = .globalMaxPool
        case "BatchNormalization":
            if opset < 9, try attributes.flag("spatial") == false {
                throw attributes.unsupported("spatial = 0 (per-activation statistics)")
            }
            if try attributes.flag("training_mode") == true {
                throw attributes.unsupported("training_mode = 1")
            }
            node.op = .batchNormalization(epsilon: try attributes.float("epsilon") ?? 1e-5)
        case "Relu": node.op = .relu
        case "Sigmoid": node.op = .sigmoid
        case "Tanh": node.op = .tanh
        case "Identity": node.op = .identity
        case "Dropout": node.op = .dropout
        case "QuantizeLinear", "DequantizeLinear":
            node.op = try quantizationOperator(proto.opType, inputs: node.inputs, attributes: attributes)
        case "Clip":
            // Opset 11 moved min and max from attributes to inputs 1 and 2.
            node.op =
                opset < 11
                ? .clip(min: try attributes.float("min"), max: try attributes.float("max")) : .clip(min: nil, max: nil)
        case "LeakyRelu": node.op = .leakyRelu(alpha: try attributes.float("alpha") ?? 0.01)
        case "Softmax", "LogSoftmax":
            let isLogarithm = proto.opType == "LogSoftmax"
            if opset < 13 {
                // Before opset 13 the input is flattened to 2-D at `axis`; the single-axis
                // operator replaces it when `axis` turns out to be the last axis.
                let axis = try attributes.int("axis") ?? 1
                node.op = isLogarithm ? .flattenedLogSoftmax(axis: axis) : .flattenedSoftmax(axis: axis)
                if let input = node.inputs.first, let output = node.outputs.first {
                    legacyChecks.append(.flattenedSoftmax(output: output, input: input, axis: axis))
                }
            } else {
                let axis = try attributes.int("axis") ?? -1
                node.op = isLogarithm ? .logSoftmax(axis: axis) : .softmax(axis: axis)
            }
        case "PRelu":
            node.op = .prelu
            if opset < 7, node.inputs.count == 2 {
                legacyChecks.append(.channelSlope(node: display, x: node.inputs[0], slope: node.inputs[1]))
            }
        case "Softplus": node.op = .softplus
        case "Elu": node.op = .elu(alpha: try attributes.float("alpha") ?? 1)
        case "Selu":
            node.op = .selu(
                alpha: try attributes.float("alpha") ?? Operator.seluAlpha,
                gamma: try attributes.float("gamma") ?? Operator.seluGamma)
        case "Transpose": node.op = .transpose(permutation: try attributes.ints("perm") ?? [])
        case "Squeeze", "Unsqueeze":
            // Opset 13 moved `axes` from an attribute to input 1.
            if opset < 13, let axes = try attributes.ints("axes") {
                let name = try attributeOperand(axes.map { Float($0) }, operand: "axes", of: node, display: display)
                node.inputs = [node.inputs.first ?? "", name]
            } else if opset < 13, proto.opType == "Unsqueeze" {
                throw attributes.invalid("Unsqueeze needs an 'axes' attribute")
            }
            node.op = proto.opType == "Squeeze" ? .squeeze : .unsqueeze
        case "Shape": node.op = .shape(start: try attributes.int("start") ?? 0, end: try attributes.int("end"))
        case "Gather": node.op = .gather(axis: try attributes.int("axis") ?? 0)
        case "Pad": try readPad(&node, attributes: attributes, display: display)
        case "ReduceMean": try readReduceMean(&node, attributes: attributes)
        case "Flatten": node.op = .flatten(axis: try attributes.int("axis") ?? 1)
        case "Reshape":
            if opset < 5, let shape = try attributes.ints("shape") {
                // Reshape-1 took the shape as an attribute; later versions read it from input 1.
                let values = shape.map { Float($0) }
                node.inputs = [
                    node.inputs.first ?? "", try attributeOperand(values, operand: "shape", of: node, display: display),
                ]
            }
            node.op = .reshape(allowZero: try attributes.flag("allowzero") ?? false)
        case "Concat":
            guard let axis = try attributes.int("axis") ?? (opset < 4 ? 1 : nil) else {
                throw attributes.invalid("Concat needs an 'axis' attribute")
            }
            node.op = .concat(axis: axis)
        case "Constant":
            let (tensor, type) = try constantValue(attributes)
            node.op = .constant(tensor)
            if type != .float32, let output = node.outputs.first { initializerTypes[output] = type }
        default:
            guard try readFamily(proto.opType, &node, attributes: attributes, display: display) else {
                throw ModelIOError.unsupportedOperator(path: path, op: proto.opType, node: display)
            }
        }
        nodes.append(node)
    }

    /// Pad: the mode, and before opset 11 the `pads` (`paddings` in opset 1) and `value`
    /// attributes as operands.
    private mutating func readPad(_ node: inout Node, attributes: ONNXAttributes, display: String) throws {
        let modeName = try attributes.string("mode") ?? "constant"
        guard let mode = PadMode(rawValue: modeName) else {
            if modeName == "wrap" { throw attributes.unsupported("mode 'wrap'") }
            throw attributes.invalid("mode '\(modeName)' is not one of constant, reflect, edge")
        }
        node.op = .pad(mode: mode)
        guard opset < 11 else { return }
        guard let pads = try attributes.ints(opset < 2 ? "paddings" : "pads") ?? attributes.ints("pads") else {
            throw attributes.invalid("Pad needs a 'pads' attribute before opset 11")
        }
        let padsName = try attributeOperand(pads.map { Float($0) }, operand: "pads", of: node, display: display)
        var inputs = [node.inputs.first ?? "", padsName]
        if let value = try attributes.float("value"), value != 0 {
            inputs.append(
                try attributeOperand([value], shape: [], type: .float32, operand: "value", of: node, display: display))
        }
        node.inputs = inputs
    }

    /// ReduceMean: `axes` and `keepdims`; from opset 18 the axes are input 1, which must be a
    /// constant (an initializer or an earlier Constant node) and is folded into the operator.
    private mutating func readReduceMean(_ node: inout Node, attributes: ONNXAttributes) throws {
        let keepDims = try attributes.flag("keepdims") ?? true
        var axes = try attributes.ints("axes") ?? []
        if opset >= 18 {
            if node.inputs.count > 1, !node.inputs[1].isEmpty {
                let name = node.inputs[1]
                guard let tensor = constantOperand(name), tensor.rank <= 1,
                    tensor.storage.allSatisfy({ $0.rounded() == $0 && abs($0) < 1e9 })
                else {
                    throw attributes.unsupported("axes '\(name)' that are not a constant list of integers")
                }
                axes = tensor.storage.map { Int($0) }
                if initializers[name] != nil { foldedInitializers.insert(name) }
            }
            if axes.isEmpty, try attributes.flag("noop_with_empty_axes") == true {
                throw attributes.unsupported("noop_with_empty_axes = 1 without axes")
            }
            node.inputs = Array(node.inputs.prefix(1))
        }
        node.op = .reduceMean(axes: axes, keepDims: keepDims)
    }

    /// The value of `name` when it is an initializer or the output of an earlier Constant node.
    private func constantOperand(_ name: String) -> Tensor? {
        if let tensor = initializers[name] { return tensor }
        for node in nodes where node.outputs.first == name {
            if case .constant(let tensor) = node.op { return tensor }
        }
        return nil
    }

    private func poolAttributes(_ attributes: ONNXAttributes) throws -> PoolAttributes {
        guard let kernelShape = try attributes.ints("kernel_shape"), !kernelShape.isEmpty else {
            throw attributes.invalid("kernel_shape is required")
        }
        return PoolAttributes(
            kernelShape: kernelShape, strides: try attributes.ints("strides") ?? [],
            pads: try attributes.ints("pads") ?? [], dilations: try attributes.ints("dilations") ?? [],
            ceilMode: try attributes.flag("ceil_mode") ?? false,
            countIncludePad: try attributes.flag("count_include_pad") ?? false, autoPad: try attributes.autoPad())
    }

    /// The tensor of a Constant node from `value`, `value_float(s)` or `value_int(s)`.
    private func constantValue(_ attributes: ONNXAttributes) throws -> (Tensor, ElementType) {
        if let proto = try attributes.tensor("value") {
            return try ONNXTensorCoding.tensor(from: proto, path: path, fallbackName: attributes.node)
        }
        if let value = try attributes.float("value_float") {
            return (Tensor(scalar: value), .float32)
        }
        if let values = try attributes.floats("value_floats") {
            return (Tensor(shape: [values.count], storage: values), .float32)
        }
        if let value = try attributes.int("value_int") {
            return (Tensor(scalar: Float(value)), .int64)
        }
        if let values = try attributes.ints("value_ints") {
            return (Tensor(shape: [values.count], storage: values.map { Float($0) }), .int64)
        }
        for name in ["sparse_value", "value_string", "value_strings"] where attributes.contains(name) {
            throw attributes.unsupported("a '\(name)' constant")
        }
        throw attributes.invalid("Constant needs a 'value' attribute")
    }
}
