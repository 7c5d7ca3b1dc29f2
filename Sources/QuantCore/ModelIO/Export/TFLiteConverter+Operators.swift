import Foundation

/// The float form's operators beyond convolutions, Gemm and pooling: what ResNets, MobileNets,
/// DenseNets and the ONNX model zoo's classic CNNs need (Clip with constant bounds, element-wise
/// arithmetic with a constant or a second activation, Concat, BatchNormalization in inference
/// form, global pooling, LRN).
extension TFLiteConverter {
    /// A constant operand: the plan's override, an initializer, or a Constant node's output.
    func constantValue(_ name: String) -> Tensor? {
        quantized.weightOverrides[name] ?? graph.initializers[name] ?? constants[name]
    }

    /// Clip with attribute bounds (opset < 11) or constant inputs (opset ≥ 11, as PyTorch writes
    /// ReLU6): RELU6, RELU, RELU_N1_TO_1, or MAXIMUM / MINIMUM with the bounds.
    mutating func clip(_ node: Node, attributes: (low: Float?, high: Float?), label: String) throws {
        guard let input = node.inputs.first, let output = node.outputs.first, let value = values[input] else {
            throw unsupported("\(label) reads a value never computed")
        }
        func bound(_ position: Int, _ attribute: Float?) throws -> Float? {
            guard position < node.inputs.count, !node.inputs[position].isEmpty else { return attribute }
            guard let tensor = constantValue(node.inputs[position]), tensor.count == 1 else {
                throw unsupported("\(label) needs constant scalar bounds (\(node.inputs[position]) is computed)")
            }
            return tensor.storage[0]
        }
        let (low, high) = (try bound(1, attributes.low), try bound(2, attributes.high))
        switch (low, high) {
        case (0, 6): return try elementwise(.relu6, node: node)
        case (0, nil): return try elementwise(.relu, node: node)
        case (-1, 1): return try elementwise(.reluN1To1, node: node)
        default: break
        }
        var current = value.tensor
        for (kind, bound) in [(TFLiteOperatorKind.maximum, low), (.minimum, high)] {
            guard let bound else { continue }
            let constant = addConstant("\(output)/\(kind.rawValue.lowercased())", shape: [1], floats: [bound])
            let out = addActivation(
                "\(output)/\(kind.rawValue.lowercased())_out", shape: value.shape, layout: value.layout)
            add(kind, inputs: [current, constant], outputs: [out])
            current = out
        }
        values[output] = Value(tensor: current, shape: value.shape, layout: value.layout)
    }

    /// HardSigmoid `max(0, min(1, alpha·x + beta))` (MobileNetV3's squeeze-excitation gate):
    /// MUL and ADD by scalar constants, then MAXIMUM / MINIMUM (TFLite has no HARD_SIGMOID).
    mutating func hardSigmoid(_ node: Node, alpha: Float, beta: Float, label: String) throws {
        guard let input = node.inputs.first, let output = node.outputs.first, let value = values[input] else {
            throw unsupported("\(label) reads a value never computed")
        }
        var current = value.tensor
        let steps: [(TFLiteOperatorKind, Float)] = [(.mul, alpha), (.add, beta), (.maximum, 0), (.minimum, 1)]
        for (kind, operand) in steps {
            let name = "\(output)/\(kind.rawValue.lowercased())"
            let constant = addConstant(name, shape: [1], floats: [operand])
            let out = addActivation(name + "_out", shape: value.shape, layout: value.layout)
            let options: TFLiteModel.Options =
                kind == .add ? .add(activation: .none) : kind == .mul ? .arithmetic(activation: .none) : .none
            add(kind, inputs: [current, constant], outputs: [out], options: options)
            current = out
        }
        values[output] = Value(tensor: current, shape: value.shape, layout: value.layout)
    }

    /// Add, Sub, Mul, Div of two activations (same shape: in the first one's layout; broadcast:
    /// both in ONNX order) or of an activation and a constant (a scalar or per-channel constant
    /// keeps an NHWC activation NHWC).
    mutating func arithmetic(_ node: Node, label: String) throws {
        let kind: TFLiteOperatorKind
        switch node.op {
        case .add: kind = .add
        case .sub: kind = .sub
        case .mul: kind = .mul
        default: kind = .div
        }
        guard node.inputs.count == 2, let output = node.outputs.first, let outShape = shapes[output] else {
            throw unsupported("\(label) needs two inputs of known shapes")
        }
        let computed = node.inputs.map { values[$0] }
        var layout = Layout.plain
        var operands: [Int32] = []
        if let first = computed[0], let second = computed[1] {
            // Broadcasting two 4-D values commutes with the NCHW → NHWC permutation (a
            // squeeze-excitation's [N, C, 1, 1] scale times its [N, C, H, W] input stays NHWC).
            let bothFourD = first.shape.count == 4 && second.shape.count == 4
            layout =
                first.shape == second.shape
                ? first.layout
                : bothFourD && (first.layout == .nhwc || second.layout == .nhwc) ? .nhwc : .plain
            operands = [try tensor(node.inputs[0], in: layout), try tensor(node.inputs[1], in: layout)]
        } else if let activation = computed[0] ?? computed[1] {
            let constantPosition = computed[0] == nil ? 0 : 1
            let constantName = node.inputs[constantPosition]
            guard let constant = constantValue(constantName) else {
                throw unsupported("\(label) reads \(constantName), never computed")
            }
            let (stored, perChannel) = Self.broadcastConstant(constant, against: activation.shape)
            layout = activation.layout == .nhwc && perChannel ? .nhwc : .plain
            let constantTensor = addConstant(
                "\(output)/operand\(constantPosition)", shape: layout == .nhwc ? stored : constant.shape,
                floats: constant.storage)
            let activationTensor = try tensor(node.inputs[1 - constantPosition], in: layout)
            operands = constantPosition == 0 ? [constantTensor, activationTensor] : [activationTensor, constantTensor]
        } else {
            throw unsupported("\(label) has only constant inputs")
        }
        let out = addActivation(output, shape: outShape, layout: layout)
        let options: TFLiteModel.Options = kind == .add ? .add(activation: .none) : .arithmetic(activation: .none)
        add(kind, inputs: operands, outputs: [out], options: options)
        values[output] = Value(tensor: out, shape: outShape, layout: layout)
    }

    /// How a constant broadcast against a 4-D NCHW activation can be stored for the NHWC one:
    /// `[1]` for a scalar, `[C]` for `[C, 1, 1]` / `[1, C, 1, 1]`; `perChannel` false otherwise.
    static func broadcastConstant(_ constant: Tensor, against shape: [Int]) -> (shape: [Int], perChannel: Bool) {
        if constant.count == 1 { return ([1], true) }
        guard shape.count == 4 else { return (constant.shape, false) }
        var dims = constant.shape
        while dims.count > 3, dims.first == 1 { dims.removeFirst() }
        if dims.count == 3, dims[0] == shape[1], dims[1] == 1, dims[2] == 1 { return ([shape[1]], true) }
        return (constant.shape, false)
    }

    /// Concat: CONCATENATION along the same axis of the values' common layout.
    mutating func concat(_ node: Node, axis: Int, label: String) throws {
        guard let output = node.outputs.first, let outShape = shapes[output] else {
            throw unsupported("\(label): the shapes are unknown")
        }
        let inputs = node.inputs.filter { !$0.isEmpty }
        let rank = outShape.count
        let normalized = axis < 0 ? axis + rank : axis
        guard (0..<rank).contains(normalized) else { throw unsupported("\(label) has axis \(axis) for rank \(rank)") }
        for input in inputs where values[input] == nil {
            guard let constant = constantValue(input) else {
                throw unsupported("\(label) reads \(input), never computed")
            }
            values[input] = Value(
                tensor: addConstant(input, shape: constant.shape, floats: constant.storage), shape: constant.shape,
                layout: .plain)
        }
        let layout: Layout = rank == 4 && inputs.allSatisfy({ values[$0]?.layout == .nhwc }) ? .nhwc : .plain
        let tensors = try inputs.map { try tensor($0, in: layout) }
        let fileAxis = layout == .nhwc ? [0, 3, 1, 2][normalized] : normalized
        let out = addActivation(output, shape: outShape, layout: layout)
        add(
            .concatenation, inputs: tensors, outputs: [out],
            options: .concatenation(axis: Int32(fileAxis), activation: .none))
        values[output] = Value(tensor: out, shape: outShape, layout: layout)
    }

    /// BatchNormalization (inference): MUL by `scale / sqrt(var + ε)` and ADD of
    /// `B − mean · scale / sqrt(var + ε)`, per channel.
    mutating func batchNormalization(_ node: Node, epsilon: Float, label: String) throws {
        guard node.inputs.count == 5, let input = node.inputs.first, let output = node.outputs.first,
            let value = values[input], value.shape.count >= 2
        else { throw unsupported("\(label) needs a computed input of rank 2 or more and four constants") }
        let parameters = try node.inputs[1...4].map { name -> [Float] in
            guard let tensor = constantValue(name), tensor.count == value.shape[1] else {
                throw unsupported("\(label) needs constant per-channel parameters (\(name))")
            }
            return tensor.storage
        }
        let (scale, bias, mean, variance) = (parameters[0], parameters[1], parameters[2], parameters[3])
        let factor = zip(scale, variance).map { $0 / ($1 + epsilon).squareRoot() }
        let shift = (0..<factor.count).map { bias[$0] - mean[$0] * factor[$0] }
        let layout: Layout = value.shape.count == 4 ? .nhwc : .plain
        let broadcast = layout == .nhwc || value.shape.count == 2 ? [factor.count] : [factor.count, 1]
        guard value.shape.count <= 4, layout == .nhwc || value.shape.count <= 3 else {
            throw unsupported("\(label) has an input of rank \(value.shape.count)")
        }
        let source = try tensor(input, in: layout)
        let factorTensor = addConstant("\(output)/scale", shape: broadcast, floats: factor)
        let shiftTensor = addConstant("\(output)/shift", shape: broadcast, floats: shift)
        let scaled = addActivation("\(output)/scaled", shape: value.shape, layout: layout)
        add(.mul, inputs: [source, factorTensor], outputs: [scaled], options: .arithmetic(activation: .none))
        let out = addActivation(output, shape: value.shape, layout: layout)
        add(.add, inputs: [scaled, shiftTensor], outputs: [out], options: .add(activation: .none))
        values[output] = Value(tensor: out, shape: value.shape, layout: layout)
    }

    /// GlobalAveragePool / GlobalMaxPool: one VALID pooling window over the whole image.
    mutating func globalPool(_ kind: TFLiteOperatorKind, node: Node, label: String) throws {
        guard let input = node.inputs.first, let output = node.outputs.first, let inShape = shapes[input],
            inShape.count == 4
        else { throw unsupported("\(label) must be 2-D (a 4-D input)") }
        let source = try tensor(input, in: .nhwc)
        let shape = [inShape[0], inShape[1], 1, 1]
        let out = addActivation(output, shape: shape, layout: .nhwc)
        add(
            kind, inputs: [source], outputs: [out],
            options: .pool2D(
                padding: .valid, strideW: 1, strideH: 1, filterWidth: Int32(inShape[3]),
                filterHeight: Int32(inShape[2]), activation: .none))
        values[output] = Value(tensor: out, shape: shape, layout: .nhwc)
    }

    /// ReduceMean over the two spatial axes of a 4-D value (PyTorch's `x.mean([2, 3])`, as in
    /// MnasNet): the global AVERAGE_POOL_2D, then a RESHAPE to `[N, C]` when the axes are dropped
    /// (`[N, 1, 1, C]` holds the same order).
    mutating func spatialMean(_ node: Node, axes: [Int], keepDims: Bool, label: String) throws {
        guard let input = node.inputs.first, let output = node.outputs.first, let inShape = shapes[input],
            inShape.count == 4, Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3]
        else { throw unsupported("\(label) is supported over the two spatial axes of a 4-D value only") }
        guard !keepDims else { return try globalPool(.averagePool2D, node: node, label: label) }
        var pooling = node
        pooling.outputs = ["\(output)/pooled"]
        try globalPool(.averagePool2D, node: pooling, label: label)
        guard let pooled = values[pooling.outputs[0]] else { throw unsupported("\(label) was not pooled") }
        let target = [inShape[0], inShape[1]]
        let shape = reshapeTarget(target)
        let shapeTensor = addConstant("\(output)/shape", shape: [shape.count], ints: shape)
        let out = addActivation(output, shape: target)
        add(.reshape, inputs: [pooled.tensor, shapeTensor], outputs: [out], options: .reshape(newShape: shape))
        values[output] = Value(tensor: out, shape: target, layout: .plain)
    }

    /// LRN across channels as LOCAL_RESPONSE_NORMALIZATION (NHWC): TFLite sums the squares over
    /// `radius` channels each side and multiplies by `alpha` itself, so an odd ONNX `size` maps
    /// to radius `(size − 1) / 2` and alpha `alpha / size`.
    mutating func localResponseNormalization(
        _ node: Node, size: Int, alpha: Float, beta: Float, bias: Float, label: String
    ) throws {
        guard let input = node.inputs.first, let output = node.outputs.first, let inShape = shapes[input],
            inShape.count == 4
        else { throw unsupported("\(label) must be 2-D (a 4-D input)") }
        guard size % 2 == 1 else {
            throw unsupported("\(label) has an even size \(size), which TFLite's symmetric window cannot express")
        }
        let source = try tensor(input, in: .nhwc)
        let out = addActivation(output, shape: inShape, layout: .nhwc)
        add(
            .localResponseNormalization, inputs: [source], outputs: [out],
            options: .localResponseNormalization(
                radius: Int32((size - 1) / 2), bias: bias, alpha: alpha / Float(size), beta: beta))
        values[output] = Value(tensor: out, shape: inShape, layout: .nhwc)
    }
}

extension TFLiteConverter {
    /// Softmax over the last axis, or (opset < 13 `flattenedSoftmax`, or an axis followed only by
    /// extent-1 axes) over everything from `axis` on: RESHAPE to 2-D, SOFTMAX, RESHAPE back.
    mutating func softmax(_ node: Node, axis: Int, flattened: Bool, label: String) throws {
        guard let input = node.inputs.first, let output = node.outputs.first, let shape = shapes[input] else {
            throw unsupported("\(label): the shapes are unknown")
        }
        let rank = shape.count
        let normalized = axis < 0 ? axis + rank : axis
        guard (0..<rank).contains(normalized) else { throw unsupported("\(label) has axis \(axis) for rank \(rank)") }
        let source = try tensor(input, in: .plain)
        if normalized == rank - 1 {
            let out = addActivation(output, shape: shape)
            add(.softmax, inputs: [source], outputs: [out], options: .softmax(beta: 1))
            values[output] = Value(tensor: out, shape: shape, layout: .plain)
            return
        }
        guard flattened || shape[(normalized + 1)...].allSatisfy({ $0 == 1 }) else {
            throw unsupported("\(label) normalizes axis \(axis) of \(shape), not the last one")
        }
        let flat = [shape[..<normalized].reduce(1, *), shape[normalized...].reduce(1, *)]
        let target = reshapeTarget(flat)
        let flatShape = addConstant("\(output)/flat_shape", shape: [2], ints: target)
        let rows = addActivation("\(output)/rows", shape: flat)
        add(.reshape, inputs: [source, flatShape], outputs: [rows], options: .reshape(newShape: target))
        let normalizedRows = addActivation("\(output)/softmax", shape: flat)
        add(.softmax, inputs: [rows], outputs: [normalizedRows], options: .softmax(beta: 1))
        let back = reshapeTarget(shape)
        let backShape = addConstant("\(output)/shape", shape: [back.count], ints: back)
        let out = addActivation(output, shape: shape)
        add(.reshape, inputs: [normalizedRows, backShape], outputs: [out], options: .reshape(newShape: back))
        values[output] = Value(tensor: out, shape: shape, layout: .plain)
    }

    /// Sum, Max, Min, Mean of computed values of one shape: a chain of ADD / MAXIMUM / MINIMUM
    /// (Mean then multiplied by 1 / n).
    mutating func variadic(_ node: Node, _ function: VariadicElementwise, label: String) throws {
        let inputs = node.inputs.filter { !$0.isEmpty }
        guard let output = node.outputs.first, let first = inputs.first, let value = values[first],
            inputs.allSatisfy({ values[$0]?.shape == value.shape })
        else { throw unsupported("\(label) needs computed inputs of one shape") }
        let kind: TFLiteOperatorKind = function == .max ? .maximum : function == .min ? .minimum : .add
        var current = value.tensor
        for (position, input) in inputs.enumerated().dropFirst() {
            let operand = try tensor(input, in: value.layout)
            let out = addActivation("\(output)/\(position)", shape: value.shape, layout: value.layout)
            add(
                kind, inputs: [current, operand], outputs: [out],
                options: kind == .add ? .add(activation: .none) : .none)
            current = out
        }
        if function == .mean, inputs.count > 1 {
            let factor = addConstant("\(output)/mean_factor", shape: [1], floats: [1 / Float(inputs.count)])
            let out = addActivation("\(output)/mean", shape: value.shape, layout: value.layout)
            add(.mul, inputs: [current, factor], outputs: [out], options: .arithmetic(activation: .none))
            current = out
        }
        values[output] = Value(tensor: current, shape: value.shape, layout: value.layout)
    }

    /// A grouped convolution (1 < groups < channels): SPLIT of the NHWC input along channels, one
    /// CONV_2D per group with its slice of the OHWI `filter` and `bias`, CONCATENATION.
    mutating func groupedConv(
        _ source: Int32, filter: [Float], bias: [Float], groups: Int, kernel: [Int], inputShape: [Int],
        outputName: String, outputShape: [Int], options: TFLiteModel.Options, label: String
    ) throws {
        let sourceTensor = model.tensors[Int(source)]
        let padded = sourceTensor.shape.map { Int($0) }  // NHWC, after any PAD
        let (inC, outC) = (inputShape[1] / groups, bias.count / groups)
        let axis = addConstant("\(outputName)/split_axis", shape: [], ints: [3])
        let parts = (0..<groups).map { group in
            addActivation(
                "\(outputName)/group\(group)/input", shape: [padded[0], inC, padded[1], padded[2]], layout: .nhwc)
        }
        add(.split, inputs: [axis, source], outputs: parts, options: .split(count: Int32(groups)))
        let perGroup = outC * kernel[0] * kernel[1] * inC
        var outputs: [Int32] = []
        for group in 0..<groups {
            let filterTensor = addConstant(
                "\(outputName)/group\(group)/filter", shape: [outC, kernel[0], kernel[1], inC],
                floats: Array(filter[(group * perGroup)..<((group + 1) * perGroup)]))
            let biasTensor = addConstant(
                "\(outputName)/group\(group)/bias", shape: [outC],
                floats: Array(bias[(group * outC)..<((group + 1) * outC)]))
            let out = addActivation(
                "\(outputName)/group\(group)", shape: [outputShape[0], outC, outputShape[2], outputShape[3]],
                layout: .nhwc)
            add(.conv2D, inputs: [parts[group], filterTensor, biasTensor], outputs: [out], options: options)
            outputs.append(out)
        }
        let out = addActivation(outputName, shape: outputShape, layout: .nhwc)
        add(.concatenation, inputs: outputs, outputs: [out], options: .concatenation(axis: 3, activation: .none))
        values[outputName] = Value(tensor: out, shape: outputShape, layout: .nhwc)
    }
}
