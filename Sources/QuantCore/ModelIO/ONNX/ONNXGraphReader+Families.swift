import Foundation

extension ONNXGraphReader {
    /// Converts the operators of the table-driven families (`UnaryFunction`, `BinaryElementwise`,
    /// `VariadicElementwise`, `Reduction`) and the indexing and normalization operators added for
    /// model-zoo CNNs and transformer encoders.
    ///
    /// - Returns: false when `opType` is none of them (the caller reports it as unsupported).
    mutating func readFamily(
        _ opType: String, _ node: inout Node, attributes: ONNXAttributes, display: String
    ) throws -> Bool {
        if let function = UnaryFunction(rawValue: opType) {
            if function == .isInf,
                try attributes.flag("detect_negative") == false || attributes.flag("detect_positive") == false
            {
                throw attributes.unsupported("IsInf detecting one sign only")
            }
            node.op = .unary(function)
        } else if opType == "Mod" {
            node.op = .binary(try attributes.flag("fmod") == true ? .fmod : .mod)
        } else if let function = BinaryElementwise(rawValue: opType) {
            node.op = .binary(function)
        } else if let function = VariadicElementwise(rawValue: opType) {
            node.op = .variadic(function)
        } else if let reduction = Reduction(rawValue: opType) {
            let keepDims = try attributes.flag("keepdims") ?? true
            var axes = try attributes.ints("axes") ?? []
            if opset >= reduction.axesInputOpset, node.inputs.count > 1, !node.inputs[1].isEmpty,
                constantAxesTensor(node.inputs[1]) == nil
            {
                // Axes computed in the graph: read at run time from input 1.
                if try attributes.flag("noop_with_empty_axes") == true {
                    throw attributes.unsupported("noop_with_empty_axes = 1 with axes computed at run time")
                }
            } else if opset >= reduction.axesInputOpset {
                axes = try constantAxes(&node, attributes: attributes) ?? []
                if axes.isEmpty, try attributes.flag("noop_with_empty_axes") == true {
                    node.op = .identity
                    return true
                }
            }
            node.op = .reduce(reduction, axes: axes, keepDims: keepDims)
        } else {
            return try readIndexingOperator(opType, &node, attributes: attributes, display: display)
        }
        return true
    }

    /// Operators with their own attributes: LRN, LayerNormalization, ConstantOfShape, Cast, …
    private mutating func readIndexingOperator(
        _ opType: String, _ node: inout Node, attributes: ONNXAttributes, display: String
    ) throws -> Bool {
        switch opType {
        case "LRN":
            guard let size = try attributes.int("size"), size >= 1 else {
                throw attributes.invalid("LRN needs a positive 'size'")
            }
            node.op = .localResponseNormalization(
                size: size, alpha: try attributes.float("alpha") ?? 1e-4, beta: try attributes.float("beta") ?? 0.75,
                bias: try attributes.float("bias") ?? 1)
        case "LayerNormalization":
            node.op = .layerNormalization(
                axis: try attributes.int("axis") ?? -1, epsilon: try attributes.float("epsilon") ?? 1e-5)
        case "ConstantOfShape":
            var value: Float = 0, type = ElementType.float32
            if let proto = try attributes.tensor("value") {
                let (tensor, elementType) = try ONNXTensorCoding.tensor(from: proto, path: path, fallbackName: display)
                guard tensor.count == 1 else { throw attributes.invalid("'value' must hold one element") }
                value = tensor.storage[0]
                type = elementType
            }
            node.op = .constantOfShape(value: value, type: type)
        case "Cast":
            guard let code = try attributes.int("to") else { throw attributes.invalid("Cast needs 'to'") }
            guard let type = ElementType(rawValue: code) else {
                throw attributes.unsupported("casting to \(ONNXTensorCoding.dataTypeName(Int32(clamping: code)))")
            }
            node.op = .cast(to: type)
        case "Expand": node.op = .expand
        case "Where": node.op = .where
        case "Range": node.op = .range
        case "Size": node.op = .size
        case "Tile": node.op = .tile
        case "Slice":
            if opset < 10 {
                // Slice-1 took starts, ends and axes as attributes.
                guard let starts = try attributes.ints("starts"), let ends = try attributes.ints("ends") else {
                    throw attributes.invalid("Slice needs 'starts' and 'ends' before opset 10")
                }
                var inputs = [node.inputs.first ?? ""]
                for (operand, values) in [("starts", starts), ("ends", ends), ("axes", try attributes.ints("axes"))] {
                    guard let values else { continue }
                    inputs.append(
                        try attributeOperand(values.map { Float($0) }, operand: operand, of: node, display: display))
                }
                node.inputs = inputs
            }
            node.op = .slice
        case "GatherElements": node.op = .gatherElements(axis: try attributes.int("axis") ?? 0)
        case "Split":
            if opset < 13, let sizes = try attributes.ints("split") {
                let name = try attributeOperand(sizes.map { Float($0) }, operand: "split", of: node, display: display)
                node.inputs = [node.inputs.first ?? "", name]
            }
            node.op = .split(axis: try attributes.int("axis") ?? 0)
        case "ArgMax", "ArgMin":
            node.op = .argExtreme(
                isMax: opType == "ArgMax", axis: try attributes.int("axis") ?? 0,
                keepDims: try attributes.flag("keepdims") ?? true,
                selectLastIndex: try attributes.flag("select_last_index") ?? false)
        case "HardSigmoid":
            node.op = .hardSigmoid(
                alpha: try attributes.float("alpha") ?? 0.2, beta: try attributes.float("beta") ?? 0.5)
        case "HardSwish": node.op = .hardSwish
        case "Gelu":
            let approximation = try attributes.string("approximate") ?? "none"
            guard approximation == "none" || approximation == "tanh" else {
                throw attributes.invalid("approximate '\(approximation)' is not none or tanh")
            }
            node.op = .gelu(tanhApproximation: approximation == "tanh")
        case "CumSum":
            node.op = .cumulativeSum(
                exclusive: try attributes.flag("exclusive") ?? false, reverse: try attributes.flag("reverse") ?? false)
        default:
            return try readResamplingOperator(opType, &node, attributes: attributes, display: display)
        }
        return true
    }

    /// The value of `name` when it is an initializer or the output of an earlier Constant node.
    private func constantAxesTensor(_ name: String) -> Tensor? {
        initializers[name]
            ?? nodes.last { $0.outputs.first == name }.flatMap { producer in
                if case .constant(let tensor) = producer.op { return tensor }
                return nil
            }
    }

    /// The axes of input 1 when it is a constant list of integers (an initializer or an earlier
    /// Constant node), folded into the operator; `nil` when the input is omitted.
    private mutating func constantAxes(_ node: inout Node, attributes: ONNXAttributes) throws -> [Int]? {
        defer { node.inputs = Array(node.inputs.prefix(1)) }
        guard node.inputs.count > 1, !node.inputs[1].isEmpty else { return nil }
        let name = node.inputs[1]
        guard let tensor = constantAxesTensor(name), tensor.rank <= 1,
            tensor.storage.allSatisfy({ $0.rounded() == $0 && abs($0) < 1e9 })
        else {
            throw attributes.unsupported("axes '\(name)' that are not a constant list of integers")
        }
        if initializers[name] != nil { foldedInitializers.insert(name) }
        return tensor.storage.map { Int($0) }
    }
}
